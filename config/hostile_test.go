package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Input that is not a config, or is one built to exhaust the parser or the
// decoder: each is one positioned error, found before the file is parsed
// (size, text, a rough token count) or on the parsed tree (shape).

func TestParseRejectsWhatIsNotUTF8Text(t *testing.T) {
	const srv = "servers:\n  - name: a\n    url: https://x\n"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"Latin-1 byte in a value", "servers:\n  - name: caf\xe9\n    url: https://x\n",
			[]string{`c.yaml:2:14: invalid UTF-8 (byte 0xE9); save the file as UTF-8`}},
		{"invalid byte after multi-byte text", srv + "# naïve \xff\n",
			[]string{`c.yaml:4:9: invalid UTF-8 (byte 0xFF); save the file as UTF-8`}},
		{"truncated sequence", srv + "x-a: \xe2\x82\n",
			[]string{`c.yaml:4:6: invalid UTF-8 (byte 0xE2); save the file as UTF-8`}},
		{"UTF-16 little endian", "\xff\xfes\x00e\x00r\x00",
			[]string{`c.yaml:1:1: the file is UTF-16; save it as UTF-8`}},
		{"UTF-16 big endian", "\xfe\xff\x00s\x00e",
			[]string{`c.yaml:1:1: the file is UTF-16; save it as UTF-8`}},
		{"escape sequence", "servers:\n  - name: a\x1b[31mb\n    url: https://x\n",
			[]string{`c.yaml:2:12: control character U+001B; a config is text: remove it (only tab, line feed and carriage return may appear as they are)`}},
		{"NUL", srv + "\x00",
			[]string{`c.yaml:4:1: control character U+0000; a config is text: remove it (only tab, line feed and carriage return may appear as they are)`}},
		{"DEL in a comment", srv + "# a\x7f\n",
			[]string{`c.yaml:4:4: control character U+007F; a config is text: remove it (only tab, line feed and carriage return may appear as they are)`}},
		{"C1 control", srv + "x-a: \u009b2J\n",
			[]string{`c.yaml:4:6: control character U+009B; a config is text: remove it (only tab, line feed and carriage return may appear as they are)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseErrs(t, tt.src); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
	// Tabs, CRLF, a byte-order mark and any printable Unicode are text.
	mustParse(t, "c.yaml", "\ufeffservers:\r\n  - name: \"caf\u00e9 \u65e5\u672c \U0001F600\"\r\n    url: https://x #\t\u00ab\u00bb\r\n")
}

func TestParseRejectsAFileOverTheLimit(t *testing.T) {
	src := minimal + strings.Repeat("#", MaxFileSize-len(minimal)) + "#"
	got := parseErrs(t, src)
	want := fmt.Sprintf("c.yaml:4:%d: the file is larger than 4 MiB, the most a config file may hold; is it the right file?", MaxFileSize-len(minimal)+1)
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestParseShapeLimits(t *testing.T) {
	keys := func(indent string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%sk%d: 1\n", indent, i)
		}
		return b.String()
	}
	nested := func(n int) string { // n mappings nested under x-a: (which is one more)
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat(" ", i+1), i)
		}
		return b.String()
	}
	tests := []struct {
		name, src, want string
	}{
		{"too many keys in one mapping", "x-a:\n" + keys("  ", 1001) + minimal,
			`c.yaml:1002:3: more than 1000 keys in one mapping (it starts at line 2); a config never needs this many; check the indentation`},
		{"too many top-level keys", keys("", 1001) + minimal,
			`c.yaml:1001:1: more than 1000 keys in one mapping (it starts at line 1); a config never needs this many; check the indentation`},
		{"lists nested on one line", "servers:\n" + strings.Repeat("- ", 101) + "x\n",
			`c.yaml:2:199: lists and mappings nested more than 100 deep; a config never needs this; check the indentation`},
		{"mappings nested by indentation", "x-a:\n" + nested(100) + minimal,
			`c.yaml:101:101: lists and mappings nested more than 100 deep; a config never needs this; check the indentation`},
		{"too many tokens", "x-a:\n" + strings.Repeat("- a\n", 125000) + minimal,
			`c.yaml:125001:1: more than 250000 YAML tokens (a list item, a key, a value or a bracket each); that is more than 10,000 servers' worth; is it the right file?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			within(t, func() { got = parseErrs(t, tt.src) })
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
	// Just within every limit, a file loads.
	for name, src := range map[string]string{
		"1000 keys":            "x-a:\n" + keys("  ", 1000) + minimal,
		"1000 top-level keys":  keys("x-", 999) + minimal,
		"100 deep":             "x-a:\n" + nested(99) + minimal,
		"keys in block scalar": "x-a: |\n" + keys("  ", 2000) + minimal,
		"keys in a flow list":  "x-a: [\n" + strings.Repeat("  {a: 1},\n", 2000) + "]\n" + minimal,
		"keys in a quote":      "x-a: \"\n" + keys("  ", 2000) + "\"\n" + minimal,
		"many list items":      "x-a:\n" + strings.Repeat("  - a\n", 100000) + minimal,
		"indented list items":  "x-a:\n" + strings.Repeat("- k: 1\n  l: 2\n", 2000) + minimal,
	} {
		t.Run(name, func(t *testing.T) {
			within(t, func() { mustParse(t, "c.yaml", src) })
		})
	}
}

// Aliases and << merges let a small file stand for a huge one. The decoder
// stops after a fixed amount of work, and after a fixed number of errors.
func TestParseAliasAndMergeBombs(t *testing.T) {
	var merge strings.Builder
	merge.WriteString("x-0: &a0 {k: 1}\n")
	for lvl := 1; lvl <= 7; lvl++ { // 20^7 keys; an eighth level is refused as too deep
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", lvl-1), 20), ", ")
		fmt.Fprintf(&merge, "x-%d: &a%d {<<: [%s]}\n", lvl, lvl, refs)
	}
	merge.WriteString("servers:\n  - name: a\n    url: https://x\n    auth: {<<: *a7}\n")

	var unknown strings.Builder // one server with 900 unknown keys, listed 2000 times
	unknown.WriteString("x-s: &s\n  name: a\n  url: https://x\n")
	for i := range 900 {
		fmt.Fprintf(&unknown, "  bad%d: 1\n", i)
	}
	unknown.WriteString("servers: [" + strings.TrimSuffix(strings.Repeat("*s, ", 2000), ", ") + "]\n")

	for _, tt := range []struct{ name, src, want string }{
		{"merges of merges", merge.String(), "aliases and << merges expand this file to more than 250000 keys and list items; a config never needs this; look for a merge or alias used many times over"},
		{"one alias, many errors", unknown.String(), "more than 1000 problems; fix these first"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			within(t, func() { _, _, err = Parse("c.yaml", []byte(tt.src)) })
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v", err)
			}
			if len(errs) > maxErrors+2 { // and one saying so, and one for the work
				t.Errorf("%d errors, want at most %d", len(errs), maxErrors+2)
			}
			found := false
			for _, e := range errs {
				if e.Pos.Line == 0 {
					t.Errorf("error without a line: %v", e)
				}
				found = found || strings.HasSuffix(e.Error(), tt.want)
			}
			if !found {
				t.Errorf("no error ends with %q in:\n%v", tt.want, errs[:min(len(errs), 5)])
			}
		})
	}
}

// A merge nested too deeply, reached twenty ways over, is one error, not
// a thousand copies of it (and the work it took is reported too).
func TestParseRepeatedErrorIsReportedOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-0: &a0 {k: 1}\n")
	for lvl := 1; lvl <= 8; lvl++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", lvl-1), 20), ", ")
		fmt.Fprintf(&b, "x-%d: &a%d {<<: [%s]}\n", lvl, lvl, refs)
	}
	b.WriteString("servers:\n  - name: a\n    url: https://x\n    auth: {<<: *a8}\n")
	var got []string
	within(t, func() { got = parseErrs(t, b.String()) })
	want := []string{
		"c.yaml:2:11: aliases and << merges expand this file to more than 250000 keys and list items; a config never needs this; look for a merge or alias used many times over",
		"c.yaml:2:15: servers[0].auth: << merges are nested too deeply",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %d errors:\n%s", len(got), strings.Join(got[:min(len(got), 5)], "\n"))
	}
}

// Many anchors of one name, each used: an alias is resolved in a lookup,
// not a scan of every anchor in the file, and still to the last anchor of
// its name before it.
func TestParseManyAnchorsOfOneName(t *testing.T) {
	const n = 4000
	var b strings.Builder
	b.WriteString("servers:\n")
	for i := range n {
		fmt.Fprintf(&b, "- name: s%d\n  url: https://x\n", i)
		if i%2 == 0 {
			fmt.Fprintf(&b, "  tags: &t [t%d]\n", i)
		} else {
			b.WriteString("  tags: *t\n")
		}
	}
	var f *File
	within(t, func() { f, _ = mustParse(t, "c.yaml", b.String()) })
	for i := 1; i < n; i += 2 {
		if got := f.Servers[i].Tags; len(got) != 1 || got[0] != fmt.Sprintf("t%d", i-1) {
			t.Fatalf("servers[%d].tags = %q, want the anchor just before it", i, got)
		}
	}
}

// within runs f and fails the test if it has not returned in 30 s: a hang
// (a FIFO read, a parser gone quadratic) becomes a failure, not a stuck run.
// It is not a timing assertion: the work takes well under a second.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("blocked for 30s")
	}
}
