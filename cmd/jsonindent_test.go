package cmd

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestAppendIndentAsJSONIndent: the report's indenter writes what
// json.Indent writes, for what encoding/json encodes: empty and nested
// objects and lists, escaped quotes and backslashes, punctuation inside
// strings, HTML escapes, non-ASCII, and the encoder's trailing newline.
func TestAppendIndentAsJSONIndent(t *testing.T) {
	values := []any{
		map[string]any{},
		[]any{},
		"",
		12.5,
		nil,
		map[string]any{"a": []any{}, "b": map[string]any{}, "c": []any{map[string]any{}, []any{[]any{}}}},
		map[string]any{`q"uo\te`: `x\"y\\`, "p": `{[,:]}"`, "h": "<&>", "u": "é \u202e \u0085 \x7f", "t": "a\tb\nc"},
		[]any{1, -2.5e-7, true, false, nil, "s", []any{"t", map[string]any{"k": []any{1, 2}}}},
		map[string]any{"servers": []any{map[string]any{"name": "s0", "stages": []any{}, "warnings": []any{}, "token": map[string]any{"x": 1}}}},
	}
	for _, prefix := range []string{"", "    "} {
		for _, v := range values {
			var compact bytes.Buffer
			if err := json.NewEncoder(&compact).Encode(v); err != nil {
				t.Fatal(err)
			}
			checkIndent(t, compact.Bytes(), prefix)
			checkIndent(t, bytes.TrimSuffix(compact.Bytes(), []byte("\n")), prefix)
		}
	}
}

func FuzzAppendIndent(f *testing.F) {
	f.Add(`{"a":[1,{"b":"c\"]"}],"d":{}}`)
	f.Add(`["\\",[],{}]`)
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		compact, err := json.Marshal(v)
		if err != nil {
			return
		}
		checkIndent(t, compact, "  ")
	})
}

func checkIndent(t *testing.T, compact []byte, prefix string) {
	t.Helper()
	var want bytes.Buffer
	if err := json.Indent(&want, compact, prefix, "  "); err != nil {
		t.Fatal(err)
	}
	if got := appendIndent([]byte("x"), compact, prefix, "  "); !bytes.Equal(got[1:], want.Bytes()) {
		t.Fatalf("indenting %s:\ngot  %q\nwant %q", compact, got[1:], want.Bytes())
	}
}
