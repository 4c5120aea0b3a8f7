package promsource

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// TestFleetFromTwoVantages: every server once, with the worst status any
// vantage point sees and the split in words; the queries carry the selector.
func TestFleetFromTwoVantages(t *testing.T) {
	f := &fakeProm{data: twoVantages()}
	s := newFakeSource(t, f, nil)
	snap := refresh(s)
	must(t, snap.Notice == "", "notice on a good answer: %q", snap.Notice)
	rows := byName(snap)
	must(t, len(rows) == 3, "rows: %v", rows)
	a, b, g := rows["alpha"], rows["beta"], rows["gamma"]
	must(t, a.Last.Status == probe.StatusHealthy && a.Last.Message == "healthy from all 2 vantage points", "alpha: %+v", a.Last)
	must(t, a.Last.Latency == 42*time.Millisecond, "alpha latency %v", a.Last.Latency)
	must(t, a.Token != nil && a.Token.Expiry.Equal(time.Unix(1764578600, 0)), "alpha token %+v", a.Token)
	must(t, len(a.Warnings) == 1 && a.Warnings[0].Class == "flapping" && strings.Contains(a.Warnings[0].Message, "seen from us-east"), "alpha warnings %+v", a.Warnings)
	must(t, !a.Last.Started.IsZero() && a.Checks == 1, "alpha last check %v", a.Last.Started)
	must(t, b.Last.Status == probe.StatusUnhealthy && b.Last.Message == "down from 1 of 2: eu-west (connect.refused); us-east healthy", "beta: %+v", b.Last)
	must(t, b.Last.Class == "connect.refused" && b.Last.Stage == probe.StageConnect, "beta class %q stage %q", b.Last.Class, b.Last.Stage)
	must(t, b.Since.Equal(time.Unix(1764574700, 0)), "beta since %v: the worst vantage's", b.Since)
	must(t, strings.Contains(b.Last.Detail, "eu-west: unhealthy, last check 2025-12-01T07:43:00Z"), "beta detail %q", b.Last.Detail)
	must(t, g.Last.Status == probe.StatusSkipped && g.Last.Class == "skip.secret" && strings.Contains(g.Last.Message, "secret"), "gamma %+v", g.Last)
	must(t, strings.Contains(snap.Source, "2 instance(s), vantages eu-west us-east"), "source %q", snap.Source)
	for _, q := range f.seen {
		must(t, strings.Contains(q, `job="mcpwatch"`), "query without the selector: %s", q)
	}
	must(t, s.Recheck("alpha") == false && strings.Contains(s.ReadOnly(), "read-only"), "recheck on a read-only source")
}

// TestRunStops: Run reads at once, again every Refresh, and returns when
// its context ends (goleak in TestMain checks nothing is left behind).
func TestRunStops(t *testing.T) {
	s := newFakeSource(t, &fakeProm{data: twoVantages()}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	for s.Version() < 2 { // the first read and one refresh
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	must(t, len(s.Snapshot().Servers) == 3, "servers %d", len(s.Snapshot().Servers))
}

// A Prometheus that wants credentials we did not give is told apart from
// one that refused the ones we gave: the line says which flags to pass.
func TestUnauthorizedWithoutCredentials(t *testing.T) {
	f := &fakeProm{data: twoVantages(), auth: "Bearer x"}
	snap := refresh(newFakeSource(t, f, nil))
	must(t, strings.Contains(snap.Notice, "it wants credentials (HTTP 401); pass --prometheus-bearer-file"), "notice %q", snap.Notice)
}

// A server skipped from one vantage point and not yet checked from another
// (sorted first) shows the skipped one's reason.
func TestSkipReasonFromTheSkippedVantage(t *testing.T) {
	data := twoVantages()
	data["mcpwatch_server_status"] = append(data["mcpwatch_server_status"],
		series{l("__name__", "mcpwatch_server_status", "server", "gamma", "vantage", "eu-west", "status", "unknown"), "1"})
	rows := byName(refresh(newFakeSource(t, &fakeProm{data: data}, nil)))
	g := rows["gamma"]
	must(t, g != nil && g.Last.Status == probe.StatusSkipped && strings.Contains(g.Last.Message, "secret"), "gamma %+v", g)
}
