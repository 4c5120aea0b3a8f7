package cmd

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// TestWriteJSONStreamsTheSameBytes: the report is written server by server
// (at 10,000 servers it was built whole, then indented and escaped in
// copies: tens of MB at the end of a check), byte for byte as the whole
// report encoded at once, words that need escaping included.
func TestWriteJSONStreamsTheSameBytes(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, n := range []int{0, 1, 3} {
		snap := &probe.Snapshot{Source: "fleet <&> \u0085.yaml"}
		var results []probe.Result
		for i := range n {
			name := fmt.Sprintf("s%d \u202e<b>", i)
			snap.Servers = append(snap.Servers, &probe.ServerState{Name: name, URL: "http://127.0.0.1/mcp", Transport: "http",
				AuthKind: "none", Tags: []string{"a"}, Warnings: []probe.Warning{{Class: "tls.expiring", Message: "soon\u007f"}},
				Inventory: &probe.InventoryState{Changes: []probe.InventoryChange{{Kind: probe.KindTool, Name: "x", Change: "added"}}}})
			results = append(results, probe.Result{Server: name, Status: probe.StatusHealthy, Message: "ok \u0085", Started: t0,
				Latency: time.Millisecond, Stages: []probe.StageTiming{{Stage: probe.StageConnect, Duration: time.Millisecond, OK: true}},
				Token:     &probe.TokenInfo{TokenURL: "http://t/token", Expiry: t0.Add(time.Hour)},
				Inventory: &probe.InventoryResult{Tools: 1, Hash: "ab"}, ServerName: "srv", Capabilities: []string{"tools"}})
		}
		var got bytes.Buffer
		if err := writeJSON(&got, snap, results, 0); err != nil {
			t.Fatal(err)
		}
		if want := wholeReport(t, got.Bytes(), snap, results, 0); !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("%d servers: streamed\n%s\nwant\n%s", n, got.Bytes(), want)
		}
	}
}

// wholeReport is the report encoded at once by encoding/json, with the
// generated_at of the written report got.
func wholeReport(t *testing.T, got []byte, snap *probe.Snapshot, results []probe.Result, code int) []byte {
	t.Helper()
	rep := reportHead(snap, results, code)
	rep.GeneratedAt = reportTime(t, got)
	states := statesByName(snap)
	for i := range results {
		rep.Servers = append(rep.Servers, serverJSON(&results[i], states[results[i].Server]))
	}
	var want bytes.Buffer
	if err := writeSafeJSON(&want, rep); err != nil {
		t.Fatal(err)
	}
	return want.Bytes()
}

// reportTime is the generated_at of a written report.
func reportTime(t *testing.T, b []byte) time.Time {
	t.Helper()
	i := bytes.Index(b, []byte(`"generated_at": "`))
	if i < 0 {
		t.Fatalf("no generated_at in %s", b)
	}
	rest := b[i+len(`"generated_at": "`):]
	ts, err := time.Parse(time.RFC3339Nano, string(rest[:bytes.IndexByte(rest, '"')]))
	if err != nil {
		t.Fatal(err)
	}
	return ts
}
