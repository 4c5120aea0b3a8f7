// Package promsource reads the fleet back from Prometheus, for a dashboard
// over many mcpwatch instances (shards, vantage points): instant queries of
// the HTTP API on a refresh interval, turned into probe snapshots the tui
// draws like a pool's. It is read-only: checks run on the instances.
//
// A Prometheus that is down, slow, refuses us or answers nonsense never
// takes the screen away: the last data stays, with a notice saying what is
// wrong and (in the tui) how old the data is.
package promsource

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// Source is a tui.Source over Prometheus.
type Source struct {
	opts  Options
	c     *client
	inner string // the selector without braces
	label string // the snapshot's source: where the data comes from

	mu      sync.Mutex
	snap    *probe.Snapshot
	version uint64
}

// New checks the options and reads the credentials; it does not touch the
// network (Run does). Its errors are usage errors that say how to fix them.
func New(o Options) (*Source, error) {
	if p := o.problem(); p != "" {
		return nil, errors.New(p)
	}
	c, err := newClient(&o)
	if err != nil {
		return nil, err
	}
	if o.now == nil {
		o.now = time.Now
	}
	inner := ""
	if o.Selector != "" {
		inner = o.Selector[1 : len(o.Selector)-1]
	}
	s := &Source{opts: o, c: c, inner: inner, label: strings.TrimSpace("prometheus " + strings.TrimSuffix(o.URL, "/") + " " + o.Selector)}
	s.snap = &probe.Snapshot{Source: s.label, Notice: "reading " + s.where() + "…", Servers: []*probe.ServerState{}}
	return s, nil
}

func (s *Source) where() string { return "Prometheus " + strings.TrimSuffix(s.opts.URL, "/") }

// Snapshot is the newest fleet read, or the last good one with a notice.
func (s *Source) Snapshot() *probe.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap
}

// Version changes whenever Snapshot may have.
func (s *Source) Version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// Recheck does nothing: the instances check on their own schedule.
func (s *Source) Recheck(string) bool { return false }

// RecheckAll does nothing, as Recheck.
func (s *Source) RecheckAll() {}

// ReadOnly is why r and R do nothing here (tui shows it).
func (s *Source) ReadOnly() string {
	return "read-only: this view reads Prometheus; the mcpwatch instances it scrapes run the checks"
}

// Run reads the fleet at once and then every Refresh, until ctx ends.
func (s *Source) Run(ctx context.Context) {
	t := time.NewTicker(s.opts.Refresh)
	defer t.Stop()
	for {
		s.Refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Refresh reads the fleet once, within Timeout, and publishes what it got.
func (s *Source) Refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	at := s.opts.now()
	qs := queries(s.inner)
	type answer struct {
		samples []sample
		warns   []string
		err     error
	}
	answers := make(map[string]answer, len(qs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, q := range qs {
		wg.Go(func() {
			smp, w, err := s.c.query(ctx, q, at)
			mu.Lock()
			answers[name] = answer{smp, w, err}
			mu.Unlock()
		})
	}
	wg.Wait()
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
		return // shutting down
	}

	if err := answers[qStatus].err; err != nil {
		s.keep(s.where() + ": " + err.Error())
		return
	}
	got := map[string][]sample{}
	var notes, warns []string
	for _, name := range sortedKeys(qs) {
		a := answers[name]
		if a.err != nil {
			notes = append(notes, name+" "+a.err.Error())
			continue
		}
		got[name] = a.samples
		warns = append(warns, a.warns...)
	}
	fleet := collect(got)
	var notice []string
	switch {
	case len(fleet) == 0:
		notice = append(notice, fmt.Sprintf("%s has no mcpwatch series%s: is it scraping `mcpwatch serve --metrics`? (docs/scale.md)", s.where(), s.opts.Selector))
	case len(notes) > 0:
		notice = append(notice, s.where()+" answered in part, without "+strings.Join(notes, "; "))
	}
	if d := downTargets(got[qDown]); d != "" {
		notice = append(notice, d)
	}
	if len(warns) > 0 {
		notice = append(notice, "Prometheus warns: "+strings.Join(dedupe(warns), "; "))
	}
	snap := &probe.Snapshot{Taken: at, Source: s.label + instances(got[qInstance]), Servers: fleet.states(),
		Notice: strings.Join(notice, " · ")}
	if len(fleet) == 0 {
		snap.Taken = time.Time{} // no data: no age to show
	}
	s.publish(snap)
}

// keep publishes the last data again, with a notice of why it is not newer.
func (s *Source) keep(notice string) {
	s.mu.Lock()
	old := *s.snap
	s.mu.Unlock()
	old.Notice = notice
	s.publish(&old)
}

func (s *Source) publish(snap *probe.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	snap.Version = s.version
	s.snap = snap
}

// downTargets words the mcpwatch scrape targets that are down: their
// servers are missing, which must not look like a smaller healthy fleet.
func downTargets(smp []sample) string {
	if len(smp) == 0 {
		return ""
	}
	var names []string
	for _, s := range smp {
		names = append(names, label(s, "instance"))
	}
	sort.Strings(names)
	if len(names) > 3 {
		names = append(names[:3], "…")
	}
	return fmt.Sprintf("%d mcpwatch target(s) down (%s): their servers are missing", len(smp), strings.Join(names, ", "))
}

// instances words the instances behind the view: " · 3 instances, shards 1/2 2/2, vantages eu-west".
func instances(smp []sample) string {
	if len(smp) == 0 {
		return ""
	}
	var shards, vantages []string
	for _, s := range smp {
		if v := label(s, "shard"); v != "" {
			shards = append(shards, v)
		}
		if v := label(s, "vantage"); v != "" {
			vantages = append(vantages, v)
		}
	}
	out := fmt.Sprintf(" · %d instance(s)", len(smp))
	if sh := dedupe(shards); len(sh) > 0 {
		out += ", shards " + strings.Join(sh, " ")
	}
	if vs := dedupe(vantages); len(vs) > 0 {
		out += ", vantages " + strings.Join(vs, " ")
	}
	return out
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	if len(out) > 8 {
		out = append(out[:8], "…")
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
