package state

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/boundedfile"
	"github.com/mcpwatch/mcpwatch/probe"
)

// TestInventoryFileReadsAsJSONDoes: the pins file reads as json.Unmarshal
// reads it, or fails where it fails, for files as writeInventory writes
// them (read the fast way, which this test also requires) and for files
// edited or damaged by hand (whitespace, other key order, escapes, nulls,
// stray commas, truncation, invalid UTF-8, bad times).
func TestInventoryFileReadsAsJSONDoes(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 123456789, time.FixedZone("x", 3600))
	items := []probe.InventoryItem{{Kind: probe.KindTool, Name: "get", Hash: "h1", Description: `a "quoted" {[,]} \ é` + "\u2028",
		Input: `{"type":"object"}`}, {Kind: probe.KindResource, Name: "file:///a]b", Hash: "h2"}}
	a := &probe.Inventory{Items: items, Hash: "aa", At: t0}
	b := &probe.Inventory{Items: items[:1], Hash: "bb", At: t0.Add(time.Hour)}
	empty := &probe.Inventory{Hash: "ee"}
	dir := t.TempDir()
	var written [][]byte
	for i, saved := range []map[string]probe.SavedInventory{
		nil,
		{},
		{"one": {Pinned: a, Latest: a}},
		{"p": {Pinned: a}, "l": {Latest: b}, "none": {}, "e": {Pinned: empty, Latest: b}, "s<&>\u00e9": {Pinned: b, Latest: a}},
	} {
		path := filepath.Join(dir, "inv"+string(rune('0'+i)))
		if err := writeInventory(path, saved); err != nil {
			t.Fatal(err)
		}
		raw, err := boundedfile.Read(path, maxInventoryFile)
		if err != nil {
			t.Fatal(err)
		}
		if saved != nil {
			if _, ok := fastInventoryFile(raw); !ok {
				t.Fatalf("the file as written was not read the fast way:\n%s", raw)
			}
		}
		written = append(written, raw)
	}
	canon := string(written[3])
	cases := []string{
		strings.ReplaceAll(canon, `,"sha256"`, ` ,"sha256"`),
		strings.Replace(canon, `{"schema"`, `{ "schema"`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"q\"x":{},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"dup":{"pinned":`+mustJSON(t, a)+`},"dup":{},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"n":{"pinned":null},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"n":{"latest":{"items":null,"sha256":"x","at":"2026-12-01T09:00:00Z"}},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"n":{"pinned":{"items":[],"sha256":"x","at":"2026-12-01T09:00:00Z"},},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"n":{"latest":{"items":[],"sha256":"x","at":"2026-12-01T09:00:00Z"},"pinned":{"items":[],"sha256":"y","at":"2026-12-01T09:00:00Z"}},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"n":{"latest":{"sha256":"x","items":[],"at":"2026-12-01T09:00:00Z"}},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"n":{"latest":{"items":[{"kind":"tool","name":"x","sha256":"y","extra":1}],"sha256":"x","at":"2026-12-01T09:00:00Z"}},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"n":{"latest":{"items":[{"kind":1}],"sha256":"x","at":"2026-12-01T09:00:00Z"}},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"n":{"latest":{"items":[}],"sha256":"x","at":"2026-12-01T09:00:00Z"}},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"n":{"latest":{"items":[],"sha256":"x","at":"yesterday"}},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"n":{"latest":{"items":[],"sha256":"x","at":null}},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"bad \xff":{},`, 1),
		strings.Replace(canon, `"servers":{`, `"servers":{"tab`+"\t"+`":{},`, 1),
		strings.Replace(canon, `"schema":"mcpwatch.inventory/v1"`, `"Schema":"mcpwatch.inventory/v1"`, 1),
		`{"servers":{},"schema":"mcpwatch.inventory/v1"}`,
		`{"schema":"mcpwatch.inventory/v1","servers":null}`,
		`{"schema":"mcpwatch.inventory/v1","servers":{},}`,
		`{"schema":"mcpwatch.inventory/v1","servers":{"a":{},}}`,
		`{"schema":"mcpwatch.inventory/v1","servers":{}}x`,
		`{"schema":"mcpwatch.inventory/v1","servers":{}}` + "\n",
		canon[:len(canon)/2],
		canon[:len(canon)-1],
		"",
	}
	for _, w := range written {
		cases = append(cases, string(w))
	}
	for _, c := range cases {
		got, gotErr := decodeInventoryFile([]byte(c))
		var want inventoryFile
		wantErr := json.Unmarshal([]byte(c), &want)
		if (gotErr != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("read %q\nas %+v (%v)\nwant %+v (%v)", c, got, gotErr, want, wantErr)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(buf.String())
}
