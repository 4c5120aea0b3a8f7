package state

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/mcpwatch/mcpwatch/probe"
)

func TestMemoryStoreEventsAndQueries(t *testing.T) {
	c := newClock(base)
	s := openTest(t, "", c)
	want := fleetHistory(s, c.now())
	v := s.Version()
	if got := s.Events(Query{}); len(got) != 0 {
		t.Fatalf("events visible before the batch was applied: %+v", got)
	}
	s.Flush()
	if s.Version() == v {
		t.Error("Version did not move when events were added")
	}
	if n := s.Notice(); n != "" {
		t.Errorf("memory by choice has a notice: %q", n)
	}
	sameEvents(t, "all", s.Events(Query{}), want)
	sameEvents(t, "pay only", s.Events(Query{Servers: []string{"pay"}}), []probe.Event{want[0], want[1], want[2]})
	sameEvents(t, "limit 2", s.Events(Query{Limit: 2}), want[:2])
	sameEvents(t, "since 90m", s.Events(Query{Since: c.now().Add(-90 * time.Minute)}), want[:2])

	ls := s.LastStates()
	if got := ls["pay"]; got.Status != probe.StatusUnhealthy || !got.Since.Equal(c.now().Add(-12*time.Minute)) {
		t.Errorf("pay's last state = %+v, want unhealthy since 12m ago", got)
	}
	if got := ls["docs"]; got.Status != probe.StatusHealthy || !got.Seen.Equal(c.now().Add(-time.Minute)) {
		t.Errorf("docs's last state = %+v, want healthy, seen a minute ago", got)
	}
	v = s.Version()
	s.Flush()
	if s.Version() != v {
		t.Error("Version moved with nothing new")
	}
}

func TestUptimeWindows(t *testing.T) {
	c := newClock(base)
	s := openTest(t, "", c)
	now := c.now()
	for _, r := range []struct {
		ago time.Duration
		st  probe.Status
	}{
		{10 * time.Minute, probe.StatusSkipped}, // not a verdict on the server
		{20 * time.Minute, probe.StatusUnknown},
		{30 * time.Minute, probe.StatusDegraded},  // up
		{40 * time.Minute, probe.StatusAuthError}, // down
		{2 * time.Hour, probe.StatusUnhealthy},
		{3 * 24 * time.Hour, probe.StatusHealthy},
		{8 * 24 * time.Hour, probe.StatusHealthy}, // older than a week
	} {
		s.RecordResult(result("a", now.Add(-r.ago), r.st))
	}
	s.Flush()
	got := s.Uptime("a")
	want := Uptime{Hour: Window{1, 2}, Day: Window{1, 3}, Week: Window{2, 4}}
	if got != want {
		t.Errorf("uptime = %+v, want %+v", got, want)
	}
	if r, ok := got.Day.Ratio(); !ok || r != 1.0/3 {
		t.Errorf("day ratio = %v %v", r, ok)
	}
	if _, ok := s.Uptime("nobody").Week.Ratio(); ok {
		t.Error("a server never checked has an uptime")
	}
	// An hour later the last hour's results have left the hour window.
	c.add(time.Hour)
	if got := s.Uptime("a"); got.Hour != (Window{}) || got.Day != want.Day {
		t.Errorf("an hour later: %+v", got)
	}
}

func TestRestartBringsBackEventsSinceAndUptime(t *testing.T) {
	c := newClock(base)
	dir := t.TempDir()
	s := openTest(t, dir, c)
	want := fleetHistory(s, c.now())
	s.Flush()
	c.add(3 * time.Minute) // the restart takes a while
	upPay, upDocs := s.Uptime("pay"), s.Uptime("docs")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := openTest(t, dir, c)
	if n := s2.Notice(); n != "" {
		t.Fatalf("reopen: %s", n)
	}
	sameEvents(t, "after restart", s2.Events(Query{}), want)
	ls := s2.LastStates()["pay"]
	if ls.Status != probe.StatusUnhealthy || !ls.Since.Equal(base.Add(-12*time.Minute)) || !ls.Seen.Equal(base.Add(-time.Minute)) {
		t.Errorf("pay after restart: %+v", ls)
	}
	if got := s2.Uptime("pay"); got != upPay {
		t.Errorf("pay uptime after restart = %+v, want %+v", got, upPay)
	}
	if got := s2.Uptime("docs"); got != upDocs {
		t.Errorf("docs uptime after restart = %+v, want %+v", got, upDocs)
	}
	// What the pool is seeded with: both, seen 4 minutes ago.
	r := Restorable(s2.LastStates(), c.now(), func(string) time.Duration { return 5 * time.Minute })
	if got := r["pay"]; got.Status != probe.StatusUnhealthy || !got.Since.Equal(base.Add(-12*time.Minute)) {
		t.Errorf("restorable pay = %+v", got)
	}
	if len(r) != 2 {
		t.Errorf("restorable = %+v, want pay and docs", r)
	}
}

func TestCrashLosesNoCount(t *testing.T) {
	c := newClock(base)
	dir := t.TempDir()
	s := openTest(t, dir, c)
	fleetHistory(s, c.now())
	s.Flush() // results and events written; the snapshot is not due yet
	want := s.Uptime("pay")
	s.crashed.Store(true)
	_ = s.Close()

	s2 := openTest(t, dir, c)
	if got := s2.Uptime("pay"); got != want {
		t.Errorf("after a crash, pay uptime = %+v, want %+v (results after the watermark counted again)", got, want)
	}
	if got := s2.LastStates()["pay"]; got.Status != probe.StatusUnhealthy || !got.Seen.Equal(base.Add(-time.Minute)) {
		t.Errorf("after a crash, pay = %+v", got)
	}
	// Counted once, not twice, after the next snapshot and another restart.
	_ = s2.Close()
	s3 := openTest(t, dir, c)
	if got := s3.Uptime("pay"); got != want {
		t.Errorf("after the next clean restart, pay uptime = %+v, want %+v", got, want)
	}
}

func TestNothingOfAResultButItsVerdictIsStored(t *testing.T) {
	dir := t.TempDir()
	c := newClock(base)
	s := openTest(t, dir, c)
	const secret = "s3cr3t-t0ken-value"
	res := result("pay", base, probe.StatusUnhealthy)
	res.Class = "http.401"
	res.Message = "server said " + secret
	res.Detail = "Authorization: Bearer " + secret
	res.ServerName = "srv-" + secret
	res.Token = &probe.TokenInfo{TokenURL: "https://auth.example/" + secret, LastError: secret}
	s.RecordResult(res)
	s.Flush()
	_ = s.Close()
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(secret)) {
		t.Fatal("the history file holds text from a result's message, detail, server info or token")
	}
	if !bytes.Contains(data, []byte("http.401")) {
		t.Error("the class was not stored")
	}
}

func TestClassesAndEventsAreBounded(t *testing.T) {
	if got := cleanClass("rpc.-32601"); got != "rpc.-32601" {
		t.Errorf("clean class changed: %q", got)
	}
	if got := cleanClass("http.\x1b[31m\n" + strings.Repeat("x", 100)); len(got) != 64 || strings.ContainsAny(got, "\x1b\n[") {
		t.Errorf("hostile class kept as %q", got)
	}
	ev := boundEvent(probe.Event{Server: "a", Reason: strings.Repeat("é", 1000), To: strings.Repeat("v", 1000)})
	if len(ev.Reason) > maxReason || len(ev.To) > maxField || !strings.HasPrefix(strings.Repeat("é", 1000), ev.Reason) {
		t.Errorf("event not bounded on a rune boundary: %d %d", len(ev.Reason), len(ev.To))
	}
}

func TestRetentionPrunesFileAndMemory(t *testing.T) {
	c := newClock(base)
	dir := t.TempDir()
	s := openTest(t, dir, c, func(o *Options) { o.Retention = time.Hour })
	old := statusEvent("a", base.Add(-30*time.Minute), probe.StatusUnknown, probe.StatusHealthy)
	s.RecordEvent(old)
	s.RecordResult(result("a", base.Add(-30*time.Minute), probe.StatusHealthy))
	s.Flush()
	c.add(45 * time.Minute)
	recent := statusEvent("a", c.now(), probe.StatusHealthy, probe.StatusUnhealthy)
	s.RecordEvent(recent)
	s.Flush()
	c.add(2 * time.Minute) // the old event is now 77 minutes old
	s.Flush()              // a prune round is due (a minute since the last)
	sameEvents(t, "memory", s.Events(Query{}), []probe.Event{recent})
	a, err := OpenArchive(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	evs, err := a.Events(Query{})
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "file", evs, []probe.Event{recent})
}

func TestPruneIsBoundedPerRound(t *testing.T) {
	dir := t.TempDir()
	d := newDisk(filepath.Join(dir, FileName))
	for i := range 10 {
		at := base.Add(time.Duration(i) * time.Second)
		b := batch{results: []resultRec{{server: "a", at: at.UnixNano(), status: statusCode(probe.StatusHealthy)}},
			events: []probe.Event{statusEvent("a", at, probe.StatusUnknown, probe.StatusHealthy)}}
		if err := d.write(&b, at); err != nil {
			t.Fatal(err)
		}
	}
	cut := pruneCutoffs{kept: base.Add(time.Hour), hour: 0, five: 0, limit: 3}
	rounds := 0
	for more := true; more; rounds++ {
		var err error
		if more, err = d.prune(cut); err != nil {
			t.Fatal(err)
		}
	}
	if rounds != 4 {
		t.Errorf("10 keys at 3 a round took %d rounds, want 4", rounds)
	}
}

func TestArchiveReadsWhileAStoreWrites(t *testing.T) {
	c := newClock(base)
	dir := t.TempDir()
	s := openTest(t, dir, c)
	want := fleetHistory(s, c.now())
	s.Flush()

	a, err := openArchive(dir, c.now())
	if err != nil {
		t.Fatalf("history while a dashboard holds the dir: %v", err)
	}
	evs, err := a.Events(Query{Servers: []string{"pay"}, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "archive", evs, want[:2])
	if got, wantUp := a.Uptime("pay"), s.Uptime("pay"); got != wantUp {
		t.Errorf("archive uptime = %+v, want %+v", got, wantUp)
	}
	if got := a.Servers(); len(got) != 2 || got[0] != "docs" || got[1] != "pay" {
		t.Errorf("archive servers = %v", got)
	}
	// The store writes while the archive reads: its batch waits and is
	// retried, quietly.
	late := statusEvent("docs", c.now(), probe.StatusHealthy, probe.StatusDegraded)
	s.RecordEvent(late)
	s.Flush()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	s.Flush()
	if n := s.Notice(); n != "" {
		t.Errorf("a reader for a moment raised a notice: %s", n)
	}
	a2, err := OpenArchive(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	evs, _ = a2.Events(Query{Limit: 1})
	sameEvents(t, "after the retry", evs, []probe.Event{late})
}

func TestArchiveOfNothing(t *testing.T) {
	_, err := OpenArchive(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no history in") {
		t.Errorf("empty dir: %v", err)
	}
}

func TestRecordAfterCloseIsIgnored(t *testing.T) {
	s := openTest(t, "", newClock(base))
	_ = s.Close()
	s.RecordResult(result("a", base, probe.StatusHealthy))
	s.RecordEvent(statusEvent("a", base, probe.StatusUnknown, probe.StatusHealthy))
	s.Flush()
	if got := s.Events(Query{}); len(got) != 0 {
		t.Errorf("events after close: %+v", got)
	}
	_ = s.Close()
}

func TestDefaultDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_STATE_HOME": "/xdg", "HOME": "/home/u"}, "/xdg/mcpwatch"},
		{map[string]string{"XDG_STATE_HOME": "relative", "HOME": "/home/u"}, "/home/u/.local/state/mcpwatch"},
		{map[string]string{"HOME": "/home/u"}, "/home/u/.local/state/mcpwatch"},
		{map[string]string{}, ""}, // nowhere to guess: memory, with NoDefaultDir
	} {
		if got := DefaultDir(env(c.env)); got != c.want {
			t.Errorf("DefaultDir(%v) = %s, want %s", c.env, got, c.want)
		}
	}
}

func TestRestorableLeavesOutLongGaps(t *testing.T) {
	now := base
	last := map[string]LastState{
		"recent":  {Status: probe.StatusUnhealthy, Since: now.Add(-time.Hour), Seen: now.Add(-2 * time.Minute)},
		"stale":   {Status: probe.StatusHealthy, Since: now.Add(-48 * time.Hour), Seen: now.Add(-24 * time.Hour)},
		"unknown": {Status: probe.StatusUnknown, Since: now, Seen: now},
	}
	got := Restorable(last, now, func(string) time.Duration { return 10 * time.Minute })
	if len(got) != 1 || got["recent"].Status != probe.StatusUnhealthy {
		t.Errorf("restorable = %+v, want only recent", got)
	}
}

// TestSlotCountsSaturate: a bucket counts at most 65,535 results (a check a
// second fills an hour with 3,600); past that it stops counting, up never
// above checked, and a server's model stays within 576 bytes (a size
// class of the allocator) while its week was all up (ring.go).
func TestSlotCountsSaturate(t *testing.T) {
	var s slot
	for i := range math.MaxUint16 + 10 {
		s.add(7, i%2 == 0)
	}
	if s.checked != math.MaxUint16 || s.up > s.checked || s.up < math.MaxUint16/2 {
		t.Fatalf("slot %+v", s)
	}
	if n := unsafe.Sizeof(serverModel{}); n > 576 {
		t.Fatalf("serverModel is %d bytes", n)
	}
}
