package cmd

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// Words a server or a config may put in a report: quotes, escapes, HTML,
// controls C0 and C1, DEL, bidi, line separators, invalid UTF-8.
var reportWords = []string{"", "ok", "bench-00001", `a"b\c`, "<script>&amp;</script>", "tab\there\nline\r\b\f",
	"\x00\x01\x1f\x7f", "\u0085 C1", "\u202e bidi \u2066", "line\u2028para\u2029", "bad \xff\xfe utf-8 \xe2\x82",
	"é ü 日本 🎉", "http://127.0.0.1:8080/mcp?a=1&b=<2>", "experimental.x\u200b"}

var reportTimes = []time.Time{{}, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
	time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.FixedZone("X", -5*3600-1800)),
	time.Date(1999, 1, 2, 3, 4, 5, 1000, time.Local), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}

var reportDurations = []time.Duration{0, 1, 999, time.Microsecond, 1500 * time.Microsecond, time.Second / 3,
	-time.Millisecond, 1<<63 - 1, time.Hour * 1e6}

// randomResult is a result and state with every field the report writes
// drawn from the sets above, some left empty.
func randomResult(rng *rand.Rand) (probe.Result, *probe.ServerState) {
	w := func() string { return reportWords[rng.IntN(len(reportWords))] }
	words := func() []string {
		var out []string
		for range rng.IntN(3) {
			out = append(out, w())
		}
		return out
	}
	at := func() time.Time { return reportTimes[rng.IntN(len(reportTimes))] }
	d := func() time.Duration { return reportDurations[rng.IntN(len(reportDurations))] }
	r := probe.Result{Server: w(), Status: probe.Status(w()), Stage: probe.Stage(w()), Class: w(), Message: w(), Detail: w(),
		Started: at(), Latency: d(), Total: d(), ProtocolVersion: w(), Era: w(), Transport: w(),
		ServerName: w(), ServerVersion: w(), LivenessMethod: w(), Capabilities: words()}
	for range rng.IntN(4) {
		r.Stages = append(r.Stages, probe.StageTiming{Stage: probe.Stage(w()), Duration: d(), OK: rng.IntN(2) == 0})
	}
	st := &probe.ServerState{Name: r.Server, URL: w(), Transport: w(), AuthKind: w(), Tags: words()}
	for range rng.IntN(3) {
		st.Warnings = append(st.Warnings, probe.Warning{Class: w(), Message: w()})
	}
	if rng.IntN(2) == 0 {
		r.Token = &probe.TokenInfo{TokenURL: w(), TokenURLSource: w(), Obtained: at(), Expiry: at(),
			ExpiryDefaulted: rng.IntN(2) == 0, Scopes: words(), RequestedScopes: words(), ScopeSource: w(),
			Issuer: w(), IssuerTrust: w(), LastError: w()}
	}
	if rng.IntN(3) > 0 {
		r.Inventory = &probe.InventoryResult{Tools: rng.IntN(5), Prompts: rng.IntN(2), Resources: rng.IntN(3) - 1,
			Hash: w(), Requests: rng.IntN(4), Cached: words()}
		if rng.IntN(4) == 0 {
			r.Inventory.Error = &probe.InventoryError{Kind: w(), Class: w(), Message: w()}
		}
		switch rng.IntN(3) {
		case 0:
			st.Inventory = &probe.InventoryState{}
		case 1:
			st.Inventory = &probe.InventoryState{Pinned: &probe.Inventory{Hash: w()}}
		}
	}
	switch rng.IntN(8) { // what appendServer leaves to json
	case 0:
		r.TLS = &probe.CertInfo{Name: w(), NotAfter: at()}
	case 1:
		if r.Token != nil {
			r.Token.TLS = &probe.CertInfo{Subject: w()}
		}
	case 2:
		st.Inventory = &probe.InventoryState{Changes: []probe.InventoryChange{{Kind: probe.KindTool, Name: w(), Change: "added"}}}
	}
	if rng.IntN(10) == 0 {
		st = nil
	}
	return r, st
}

// TestAppendServerAsJSON: a server's entry is written by hand byte for
// byte as encoding/json encodes serverJSON (and json.Indent indents it), over results with hostile
// words, odd times and durations; only the parts it leaves to json (and
// times json refuses) are not written by hand.
func TestAppendServerAsJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	fast := 0
	for i := range 5000 {
		r, st := randomResult(rng)
		got, ok := appendServer(nil, &r, st)
		want, err := indentedJSON(&r, st)
		leftToJSON := r.TLS != nil || r.Token != nil && r.Token.TLS != nil ||
			r.Inventory != nil && st != nil && st.Inventory != nil && len(st.Inventory.Changes) > 0
		switch {
		case ok && (err != nil || !bytes.Equal(got, want)):
			t.Fatalf("result %d:\nby hand %s\njson    %s (%v)", i, got, want, err)
		case !ok && err == nil && !leftToJSON:
			t.Fatalf("result %d: not written by hand, json writes %s", i, want)
		case ok:
			fast++
		}
	}
	if fast < 2000 {
		t.Fatalf("only %d of 5000 entries written by hand", fast)
	}
}

// indentedJSON is serverJSON as the report's encoder wrote it, at the
// servers list's depth.
func indentedJSON(r *probe.Result, st *probe.ServerState) ([]byte, error) {
	compact, err := json.Marshal(serverJSON(r, st))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	err = json.Indent(&out, compact, "    ", "  ")
	return out.Bytes(), err
}

// FuzzAppendServer: any words in a result are written as json writes them.
func FuzzAppendServer(f *testing.F) {
	for _, w := range reportWords {
		f.Add(w, w, int64(1500000))
	}
	f.Fuzz(func(t *testing.T, name, msg string, d int64) {
		r := probe.Result{Server: name, Message: msg, Detail: name + msg, Latency: time.Duration(d),
			Stages:    []probe.StageTiming{{Stage: probe.Stage(msg), Duration: time.Duration(-d)}},
			Token:     &probe.TokenInfo{TokenURL: msg, Scopes: []string{name}},
			Inventory: &probe.InventoryResult{Hash: name, Error: &probe.InventoryError{Message: msg}}}
		st := &probe.ServerState{Warnings: []probe.Warning{{Class: name, Message: msg}}, Tags: []string{msg}}
		got, ok := appendServer(nil, &r, st)
		want, err := indentedJSON(&r, st)
		if !ok || err != nil || !bytes.Equal(got, want) {
			t.Fatalf("by hand %s (%v)\njson    %s (%v)", got, ok, want, err)
		}
	})
}

// The whole report, entries by hand and by json mixed, is the report
// encoded at once (TestWriteJSONStreamsTheSameBytes's comparison).
func TestWriteJSONByHandTheSameBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	snap := &probe.Snapshot{Source: "fleet \u0085 <&>.yaml"}
	var results []probe.Result
	for i := range 300 {
		r, st := randomResult(rng)
		r.Server = reportWords[i%len(reportWords)] + string(rune('a'+i%26)) + string(rune('0'+i/26%10)) + string(rune('0'+i/260))
		if _, err := json.Marshal(serverJSON(&r, st)); err != nil {
			continue // a year past 9999: json refuses the whole report
		}
		if st != nil {
			st.Name = r.Server
			snap.Servers = append(snap.Servers, st)
		}
		results = append(results, r)
	}
	var got bytes.Buffer
	if err := writeJSON(&got, snap, results, 1); err != nil {
		t.Fatal(err)
	}
	if want := wholeReport(t, got.Bytes(), snap, results, 1); !bytes.Equal(got.Bytes(), want) {
		i := 0
		for i < min(got.Len(), len(want)) && got.Bytes()[i] == want[i] {
			i++
		}
		t.Fatalf("reports differ at byte %d:\nby hand …%q\njson    …%q", i, got.Bytes()[max(0, i-80):min(got.Len(), i+80)],
			want[max(0, i-80):min(len(want), i+80)])
	}
}
