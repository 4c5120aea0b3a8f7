package cmd

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/state"
	"github.com/mcpwatch/mcpwatch/textsafe"
)

// HistorySchema names the JSON layout of `history --output json`; adding
// fields does not change it.
const HistorySchema = "mcpwatch.history/v1"

type historyCmd struct {
	Server   []string `short:"s" placeholder:"NAME" help:"Only this server (repeatable)."`
	Since    string   `default:"24h" placeholder:"AGO" help:"Events from this long ago on: a duration like 90m, 24h, 7d or 2w (0: all that are kept)."`
	Limit    int      `default:"1000" help:"At most this many events, the newest (0: no limit)."`
	Output   string   `short:"o" enum:"table,json" default:"table" help:"Output format: table or json."`
	StateDir string   `placeholder:"DIR" help:"State dir to read (default $XDG_STATE_HOME/mcpwatch, else ~/.local/state/mcpwatch)."`
}

// Run prints the events of the state dir, newest first, and each server's
// uptime. It reads the file read-only, so it works while a dashboard or
// serve writes the same dir.
func (h *historyCmd) Run(e *env) error {
	usage := func(format string, args ...any) error {
		fmt.Fprintf(e.stderr, "mcpwatch history: "+format+"\n", args...)
		return exitCode(ExitUsage)
	}
	ago, err := parseAgo(h.Since)
	if err != nil {
		return usage("--since %s: %v (a duration like 90m, 24h, 7d or 2w)", textsafe.Line(h.Since, 80), err)
	}
	if h.Limit < 0 {
		return usage("--limit cannot be negative")
	}
	dir := h.StateDir
	if dir == "" {
		if dir = state.DefaultDir(e.getenv); dir == "" {
			return usage("neither XDG_STATE_HOME nor HOME is set: pass --state-dir DIR")
		}
	}
	a, err := state.OpenArchive(dir)
	if err != nil {
		return usage("%s", textsafe.Line(err.Error(), 0))
	}
	defer a.Close()

	now := time.Now()
	q := state.Query{Servers: h.Server, Limit: h.Limit}
	if ago > 0 {
		q.Since = now.Add(-ago)
	}
	events, err := a.Events(q)
	if err != nil {
		return usage("%s", textsafe.Line(err.Error(), 0))
	}
	known := a.Servers()
	names := known
	if len(h.Server) > 0 {
		names = nil
		for _, n := range h.Server {
			if !slices.Contains(known, n) {
				fmt.Fprintf(e.stderr, "mcpwatch history: no history of a server named %s in %s\n", textsafe.Line(n, 0), textsafe.Line(dir, 0))
				continue
			}
			names = append(names, n)
		}
	}
	rep := historyReport{Schema: HistorySchema, GeneratedAt: now.UTC(), StateDir: dir, Events: events, Servers: []historyServer{}}
	if !q.Since.IsZero() {
		rep.Since = q.Since.UTC()
	}
	if rep.Events == nil {
		rep.Events = []probe.Event{}
	}
	last := a.LastStates()
	for _, n := range names {
		ls := last[n]
		u := a.Uptime(n)
		rep.Servers = append(rep.Servers, historyServer{Name: n, Status: string(ls.Status), Since: ls.Since, LastChecked: ls.Seen,
			Uptime: map[string]historyWindow{"1h": window(u.Hour), "24h": window(u.Day), "7d": window(u.Week)}})
	}
	if h.Output == "json" {
		return writeHistoryJSON(e.stdout, &rep)
	}
	return writeHistoryTable(e.stdout, &rep, now)
}

// parseAgo reads a Go duration, or whole days ("7d") or weeks ("2w").
func parseAgo(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"d", 24 * time.Hour}, {"w", 7 * 24 * time.Hour}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseUint(n, 10, 16)
			if err != nil {
				return 0, errors.New("not a whole number of " + map[string]string{"d": "days", "w": "weeks"}[u.suffix])
			}
			return time.Duration(v) * u.unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a duration")
	}
	if d < 0 {
		return 0, errors.New("cannot be negative")
	}
	return d, nil
}

type historyReport struct {
	Schema      string          `json:"schema"`
	GeneratedAt time.Time       `json:"generated_at"`
	StateDir    string          `json:"state_dir"`
	Since       time.Time       `json:"since,omitzero"`
	Events      []probe.Event   `json:"events"`
	Servers     []historyServer `json:"servers"`
}

type historyServer struct {
	Name        string                   `json:"name"`
	Status      string                   `json:"status,omitempty"` // last known
	Since       time.Time                `json:"since,omitzero"`
	LastChecked time.Time                `json:"last_checked,omitzero"`
	Uptime      map[string]historyWindow `json:"uptime"`
}

type historyWindow struct {
	Up      int      `json:"up"`
	Checked int      `json:"checked"`
	Ratio   *float64 `json:"ratio"` // null when nothing was checked
}

func window(w state.Window) historyWindow {
	hw := historyWindow{Up: w.Up, Checked: w.Checked}
	if r, ok := w.Ratio(); ok {
		hw.Ratio = &r
	}
	return hw
}

// writeHistoryJSON writes the report with DEL, C1 and bidi controls as \u
// escapes, as check does: reasons and versions are servers' words.
func writeHistoryJSON(w io.Writer, rep *historyReport) error {
	for i := range rep.Events {
		rep.Events[i].At = rep.Events[i].At.UTC()
	}
	for i := range rep.Servers {
		s := &rep.Servers[i]
		s.Since, s.LastChecked = s.Since.UTC(), s.LastChecked.UTC()
	}
	return writeSafeJSON(w, rep)
}

// writeHistoryTable prints the events, newest first, then uptime per
// server. Every cell from a server or the file goes through textsafe.Line.
func writeHistoryTable(w io.Writer, rep *historyReport, now time.Time) error {
	cell := func(s string) string { return dash(textsafe.Line(s, 0)) }
	since := "all that are kept"
	if !rep.Since.IsZero() {
		since = "since " + rep.Since.Local().Format("2006-01-02 15:04:05")
	}
	fmt.Fprintf(w, "Events in %s, newest first (%s): %d\n", textsafe.Line(rep.StateDir, 0), since, len(rep.Events))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(rep.Events) > 0 {
		fmt.Fprintln(tw, "TIME\tSERVER\tKIND\tCHANGE\tCLASS\tREASON")
	}
	for _, ev := range rep.Events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ev.At.Local().Format("2006-01-02 15:04:05"), cell(ev.Server), cell(ev.Kind),
			textsafe.Line(change(ev), 0), cell(ev.Class), cell(ev.Reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nUptime (share of checks healthy or degraded; skipped and unknown do not count)\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVER\t1H\t24H\t7D\tLAST STATUS\tFOR")
	for _, s := range rep.Servers {
		for_ := "—"
		if !s.Since.IsZero() {
			for_ = roundAgo(now.Sub(s.Since))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cell(s.Name), pct(s.Uptime["1h"]), pct(s.Uptime["24h"]), pct(s.Uptime["7d"]),
			cell(s.Status), for_)
	}
	return tw.Flush()
}

// change says what an event changed, in one cell.
func change(ev probe.Event) string {
	switch {
	case ev.Kind == probe.EventWarning && ev.To != "":
		return "raised " + ev.To
	case ev.Kind == probe.EventWarning:
		return "cleared " + ev.From
	}
	from, to := ev.From, ev.To
	if strings.TrimSpace(from) == "" {
		from = "—"
	}
	if strings.TrimSpace(to) == "" {
		to = "—"
	}
	return from + " → " + to
}

func pct(w historyWindow) string {
	if w.Ratio == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%% of %d", *w.Ratio*100, w.Checked)
}

// roundAgo is a duration as people say it: 45s, 12m, 3h10m, 2d4h.
func roundAgo(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}
