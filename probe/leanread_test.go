package probe

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpwatch/mcpwatch/config"
)

// What mcp-go's server answers (scripts/benchfleet's servers, captured).
const (
	servedDiscover = `{"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"bench-00000","version":"1.0.0"}},"resultType":"complete","ttlMs":0,"cacheScope":"private","supportedVersions":["2026-07-28","2025-11-25","2025-06-18","2025-03-26","2024-11-05"],"capabilities":{"tools":{}}}`
	servedTools    = `{"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"bench-00000","version":"1.0.0"}},"resultType":"complete","ttlMs":0,"cacheScope":"private","tools":[{"annotations":{"readOnlyHint":false,"destructiveHint":true,"idempotentHint":false,"openWorldHint":true},"description":"Fetch a document by its id","inputSchema":{"properties":{"id":{"type":"string"}},"required":["id"],"type":"object"},"name":"get_document"},{"annotations":{"readOnlyHint":false,"destructiveHint":true,"idempotentHint":false,"openWorldHint":true},"description":"Full-text search over the documents","inputSchema":{"properties":{"query":{"type":"string"}},"required":["query"],"type":"object"},"name":"search"}]}`
)

// Discover results the fast reader must read itself.
var fastDiscovers = []string{
	servedDiscover,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"tools":{"listChanged":true},"prompts":{"listChanged":false},"resources":{"subscribe":true,"listChanged":true},"logging":{},"completions":{"x":[1]},"roots":{}},"instructions":"Use \"it\" well","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"é ü","version":"2"},"other":{"a":[1,2]}}}`,
	`{ "supportedVersions" : [ "2024-11-05" , "2026-07-28" ] , "capabilities" : { } , "instructions" : null }`,
	`{"supportedVersions":["2026-07-28"],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"a","title":"T","icons":[{"src":"x"}]}}}`,
	`{"supportedVersions":["2026-07-28"],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"a\"b","version":1}}}`,
	`{"supportedVersions":["2026-07-28"],"_meta":{"io.modelcontextprotocol/serverInfo":null}}`,
	`{"supportedVersions":["2026-07-28"],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"a"},"io.modelcontextprotocol/serverInfo":{"version":"b"}}}`,
}

// Discover results for json: types it refuses, folded or escaped keys,
// duplicates, capabilities not modelled here, no version we speak.
var otherDiscovers = []string{
	`null`, `[]`, `"x"`, `{}`,
	`{"supportedVersions":["2025-11-25"],"capabilities":{"tools":{}}}`,
	`{"supportedVersions":["2099-01-01"]}`,
	`{"supportedVersions":"2026-07-28"}`,
	`{"supportedVersions":["2026-07-28",null]}`,
	`{"supportedVersions":["2026-07-28",1]}`,
	`{"supportedVersions":["2026\u002d07-28"]}`,
	`{"supportedVersions":["2026-07-28"],"supportedVersions":["2025-11-25"]}`,
	`{"SupportedVersions":["2026-07-28"]}`,
	`{"supportedVersions":["2026-07-28"],"Capabilities":{"tools":{}}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":null}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"tools":null}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"tools":1}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"tools":{"listChanged":1}}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"tools":{"listChanged":null}}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"tools":{"ListChanged":true}}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"tools":{"subscribe":true}}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"TOOLS":{}}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"tools":{},"tools":{"listChanged":true}}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"logging":[]}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"logging":"x"}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"experimental":{"a":{}}}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"tasks":{}}}`,
	`{"supportedVersions":["2026-07-28"],"capabilities":{"ſampling":{}}}`,
	`{"supportedVersions":["2026-07-28"],"instructions":1}`,
	`{"supportedVersions":["2026-07-28"],"_meta":[]}`,
	`{"supportedVersions":["2026-07-28"],"_meta":null}`,
	`{"supportedVersions":["2026-07-28"],"_META":{}}`,
	`{"supportedVersions":["2026-07-28"],"_meta":{"io.modelcontextprotocol/SERVERINFO":{}}}`,
	`{"supportedVersions":["2026-07-28"],"\u005fmeta":{}}`,
	`{"supportedVersions":["2026-07-28"]} `,
	`{"supportedVersions":["2026-07-28"]`,
	`{"supportedVersions":["2026-07-28"],`,
	``,
}

// List pages the fast reader must read itself.
var fastPages = []string{
	servedTools,
	`{"tools":[]}`,
	`{"tools":null,"nextCursor":null,"ttlMs":null}`,
	`{"tools":[null,{"name":"a","title":null,"description":"d","x":{"name":1}}],"nextCursor":"c2","ttlMs":60000}`,
	`{"prompts":[{"name":"p","arguments":[]}],"nextCursor":"","ttlMs":-0}`,
	`{"resources":[{"uri":"file:///a","name":"a"},1,"x",[],null],"ttlMs":-5}`,
	`{"tools":[{"name":"t"}],"prompts":[],"resources":null,"other":{"tools":1}}`,
	`{ "tools" : [ { "name" : "t" } ] , "ttlMs" : 9223372036854775807 }`,
}

// List pages for json.
var otherPages = []string{
	`null`, `[]`, `"x"`, `1`, ``,
	`{"tools":{}}`, `{"tools":"x"}`, `{"tools":[1]}`, `{"tools":["x"]}`,
	`{"tools":[{"name":1}]}`, `{"tools":[{"title":true}]}`, `{"tools":[{"description":{}}]}`,
	`{"tools":[{"Name":"a"}]}`, `{"Tools":[]}`, `{"tools":[],"tools":[]}`,
	`{"tools":[{"n\u0061me":1}]}`, `{"tools":[{"nämé":1}]}`,
	`{"prompts":{}}`, `{"resources":5}`,
	`{"nextCursor":1}`, `{"nextCursor":"a\nb"}`, `{"nextCursor":"\u0041"}`, `{"NextCursor":"a"}`,
	`{"ttlMs":1.5}`, `{"ttlMs":1e3}`, `{"ttlMs":"5"}`, `{"ttlMs":true}`, `{"ttlMs":99999999999999999999}`,
	`{"tools":[]} x`, `{"tools":[]`, `{"tools":[`,
}

// TestFastReadersAsJSON: what the fast readers read is what json reads
// (the discover result as discoverOf makes it; a list page as listKind's
// json.Unmarshal into a listPage, with liveness's shape check passing),
// and mcp-go's layouts are read the fast way.
func TestFastReadersAsJSON(t *testing.T) {
	for _, raw := range fastDiscovers {
		if _, ok := fastDiscover([]byte(raw), "2026-07-28"); !ok {
			t.Errorf("discover %s: not read the fast way", raw)
		}
	}
	for _, raw := range fastPages {
		if _, ok := fastListPage([]byte(raw)); !ok {
			t.Errorf("page %s: not read the fast way", raw)
		}
	}
	for _, raw := range append(fastDiscovers, otherDiscovers...) {
		checkFastDiscover(t, []byte(raw))
	}
	for _, raw := range append(fastPages, otherPages...) {
		checkFastPage(t, []byte(raw))
	}
}

func checkFastDiscover(t *testing.T, raw []byte) {
	t.Helper()
	got, ok := fastDiscover(raw, "2026-07-28")
	if !ok {
		return
	}
	want, err := discoverOf(raw, "2026-07-28")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("discover %q: read as %+v, json reads %+v (%v)", raw, got, want, err)
	}
}

func checkFastPage(t *testing.T, raw []byte) {
	t.Helper()
	got, ok := fastListPage(raw)
	if !ok {
		return
	}
	var want listPage
	err := json.Unmarshal(raw, &want)
	if err != nil || bytes.TrimSpace(raw)[0] != '{' || !reflect.DeepEqual(got, want) {
		t.Errorf("page %q: read as %+v, json reads %+v (%v)", raw, got, want, err)
	}
	if err := toolsShape(raw); err != nil {
		t.Errorf("page %q: read, but liveness's check fails: %v", raw, err)
	}
}

// FuzzFastReaders holds both readers to json over any valid JSON (what
// they are given: a result json or fastEnvelope accepted), and checks that
// no input at all makes them panic.
func FuzzFastReaders(f *testing.F) {
	for _, s := range append(append(fastDiscovers, otherDiscovers...), append(fastPages, otherPages...)...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		b := []byte(raw)
		if !json.Valid(b) {
			fastDiscover(b, "2026-07-28")
			fastListPage(b)
			return
		}
		checkFastDiscover(t, b)
		checkFastPage(t, b)
	})
}

// A tools page is read once: liveness hands what it read to the
// inventory, which does not read the page again.
func TestLeanReadsToolsPageOnce(t *testing.T) {
	url := serve(t, streamableHandler("once")).URL
	p := eraPool(t, config.Server{URL: url, Transport: config.TransportHTTP, Timeout: 2 * time.Second})
	sweepOne(t, p) // the era
	before := pageReads.Load()
	r, lean := leanSweep(t, p)
	if r.Status != StatusHealthy || !lean || r.Inventory == nil || r.Inventory.Tools == 0 {
		t.Fatalf("%s %s %s (lean %v, inventory %+v)", r.Status, r.Class, r.Message, lean, r.Inventory)
	}
	if n := pageReads.Load() - before; n != 1 {
		t.Fatalf("the tools page was read %d times, want once", n)
	}
}

// BenchmarkLeanRead is what a stateless-era check with inventory spends
// reading its two answers (mcp-go's server's layout): json's way as
// before (discover, liveness's shape check, the inventory's listPage),
// and the fast readers' (discover, one page read shared).
func BenchmarkLeanRead(b *testing.B) {
	disc, page := []byte(servedDiscover), []byte(servedTools)
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := discoverOf(disc, "2026-07-28"); err != nil {
				b.Fatal(err)
			}
			if err := toolsShape(page); err != nil {
				b.Fatal(err)
			}
			var p listPage
			if err := json.Unmarshal(page, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, ok1 := fastDiscover(disc, "2026-07-28")
			_, ok2 := fastListPage(page)
			if !ok1 || !ok2 {
				b.Fatal("not read the fast way")
			}
		}
	})
}

// mediaType reads a Content-Type as mime.ParseMediaType does.
func TestMediaTypeAsParseMediaType(t *testing.T) {
	for _, v := range []string{"", "application/json", "text/event-stream", "application/json; charset=utf-8",
		"Application/JSON", "text/event-stream ", "text/html", "a/b; x", "/"} {
		want, _, _ := mime.ParseMediaType(v)
		if got := mediaType(v); got != want {
			t.Errorf("%q: %q, ParseMediaType %q", v, got, want)
		}
	}
}

// The inventory's lists are bounded by the stage's deadline, made at its
// first request: a server that never answers prompts/list costs the
// inventory (inventory.failed, a timeout), not the check, on the lean path
// (whose only other bound is the sweep's) as on mcp-go's.
func TestInventoryListHangIsBounded(t *testing.T) {
	mcpSrv := server.NewStreamableHTTPServer(driftServer())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Mcp-Method") == "prompts/list" {
			_, _ = io.Copy(io.Discard, r.Body) // so the server sees the client go
			<-r.Context().Done()
			return
		}
		mcpSrv.ServeHTTP(w, r)
	})
	p, _ := inventoryPool(t, h, func(s *config.Server) { s.Timeout = 500 * time.Millisecond })
	for i := range 2 { // the first negotiates the era, the second is lean
		before := leanAttempts.Load()
		r := p.Sweep(t.Context())[0]
		if r.Status != StatusHealthy || r.Inventory == nil || r.Inventory.Error == nil ||
			r.Inventory.Error.Kind != KindPrompt || !strings.HasPrefix(r.Inventory.Error.Class, "timeout") {
			t.Fatalf("check %d: %s %s %s, inventory %+v", i+1, r.Status, r.Class, r.Message, r.Inventory)
		}
		if i == 1 && leanAttempts.Load() == before {
			t.Fatal("second check did not take the lean path")
		}
	}
}

// TestFastReadersOnGeneratedAnswers: random valid answers built from the
// fields the readers know (in every shape json may meet: right and wrong
// types, nulls, case-folded, escaped and repeated keys, unknown keys and
// nesting) read as json reads them; many are read the fast way.
func TestFastReadersOnGeneratedAnswers(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 12))
	keys := []string{"supportedVersions", "capabilities", "instructions", "_meta", "io.modelcontextprotocol/serverInfo",
		"tools", "prompts", "resources", "logging", "completions", "roots", "experimental", "tasks", "listChanged",
		"subscribe", "name", "title", "description", "version", "icons", "nextCursor", "ttlMs", "inputSchema", "x",
		"Tools", "NAME", "nextcursor", "T\u006fols", "na\\u006de", "ſubscribe", "ttlms"}
	scalars := []string{`"2026-07-28"`, `"2025-11-25"`, `"x"`, `"a\"b"`, `"\u00e9"`, `"é"`, `""`, `null`, `true`, `false`,
		`0`, `-0`, `12`, `1.5`, `1e3`, `-7`, `9223372036854775808`, `"\ud800"`, `"\u2028"`}
	var value func(depth int) string
	object := func(depth int) string {
		var b strings.Builder
		b.WriteByte('{')
		for i := range rng.IntN(5) {
			if i > 0 {
				b.WriteByte(',')
			}
			k := keys[rng.IntN(len(keys))]
			if !strings.Contains(k, `\u`) {
				k = strings.ReplaceAll(k, `"`, `\"`)
			}
			b.WriteString(`"` + k + `":` + value(depth+1))
		}
		b.WriteByte('}')
		return b.String()
	}
	value = func(depth int) string {
		switch n := rng.IntN(10); {
		case depth > 4 || n < 4:
			return scalars[rng.IntN(len(scalars))]
		case n < 7:
			return object(depth)
		default:
			var b strings.Builder
			b.WriteByte('[')
			for i := range rng.IntN(4) {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(value(depth + 1))
			}
			b.WriteByte(']')
			return b.String()
		}
	}
	fastD, fastP := 0, 0
	for i := range 20000 {
		raw := []byte(object(0))
		if i%2 == 0 { // a discover result: a version we speak, then anything
			raw = append([]byte(`{"supportedVersions":["2026-07-28"]`), raw[1:]...)
			if raw[len(`{"supportedVersions":["2026-07-28"]`)] != '}' {
				raw = slices.Insert(raw, len(`{"supportedVersions":["2026-07-28"]`), ',')
			}
		}
		if !json.Valid(raw) {
			t.Fatalf("generated invalid JSON: %s", raw)
		}
		if _, ok := fastDiscover(raw, "2026-07-28"); ok {
			fastD++
		}
		if _, ok := fastListPage(raw); ok {
			fastP++
		}
		checkFastDiscover(t, raw)
		checkFastPage(t, raw)
	}
	t.Logf("read the fast way: %d discover results, %d pages of 20000", fastD, fastP)
	if fastD < 500 || fastP < 1000 {
		t.Fatalf("read the fast way: %d discover results, %d pages of 20000", fastD, fastP)
	}
}
