package promsource

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/textsafe"
)

// maxName bounds a server or vantage name taken from a label.
const maxName = 200

// noVantage names the series of instances started without --vantage.
const noVantage = "(no vantage)"

// seen is one server as one vantage point reports it.
type seen struct {
	status   probe.Status
	last     time.Time
	expiry   time.Time
	latency  time.Duration
	warnings []string
	skip     string
	stage    probe.Stage // of the failure, with its class (failure_info)
	class    string
	since    time.Time // when this status began
}

// fleetView is every server, then every vantage point that reports it.
type fleetView map[string]map[string]*seen

func label(s sample, name string) string { return textsafe.Line(s.labels[name], maxName) }

func vantageOf(s sample) string {
	if v := label(s, "vantage"); v != "" {
		return v
	}
	return noVantage
}

// collect folds the answers into a fleetView. The status query decides
// which servers exist; the others only add to them.
func collect(ans map[string][]sample) fleetView {
	f := fleetView{}
	for _, s := range ans[qStatus] {
		name, st := label(s, "server"), probe.Status(label(s, "status"))
		if name == "" || st.Severity() == len(probe.Statuses) {
			continue // not a status this build knows: not ours to show
		}
		if f[name] == nil {
			f[name] = map[string]*seen{}
		}
		v := vantageOf(s)
		if old := f[name][v]; old == nil || st.Severity() < old.status.Severity() {
			f[name][v] = &seen{status: st} // two instances, one vantage: the worse wins
		}
	}
	each := func(q string, fn func(*seen, sample)) {
		for _, s := range ans[q] {
			if sn := f[label(s, "server")][vantageOf(s)]; sn != nil {
				fn(sn, s)
			}
		}
	}
	each(qLast, func(sn *seen, s sample) { sn.last = later(sn.last, unix(s.value)) })
	each(qExpiry, func(sn *seen, s sample) { sn.expiry = unix(s.value) })
	each(qLatency, func(sn *seen, s sample) {
		if s.value >= 0 && s.value < 1e6 {
			sn.latency = max(sn.latency, time.Duration(s.value*float64(time.Second)))
		}
	})
	each(qWarning, func(sn *seen, s sample) {
		if c := label(s, "class"); c != "" && !slices.Contains(sn.warnings, c) {
			sn.warnings = append(sn.warnings, c)
		}
	})
	each(qSkipped, func(sn *seen, s sample) { sn.skip = label(s, "class") })
	each(qFailure, func(sn *seen, s sample) {
		sn.stage, sn.class = probe.Stage(label(s, "stage")), label(s, "class")
	})
	each(qSince, func(sn *seen, s sample) { sn.since = unix(s.value) })
	return f
}

func unix(v float64) time.Time {
	if math.IsInf(v, 0) || v <= 0 || v > 1e11 {
		return time.Time{}
	}
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// states turns the fleet into dashboard rows, one per server, sorted by name.
func (f fleetView) states() []*probe.ServerState {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*probe.ServerState, 0, len(names))
	for _, n := range names {
		out = append(out, row(n, f[n]))
	}
	return out
}

// row is one server: the worst status any vantage point sees, and in the
// message how the vantage points split ("down from 1 of 3: eu-west").
func row(name string, by map[string]*seen) *probe.ServerState {
	vs := make([]string, 0, len(by))
	for v := range by {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	worst := by[vs[0]]
	st := &probe.ServerState{Name: name, Transport: "—", AuthKind: "—"}
	var warnFrom = map[string][]string{}
	var detail []string
	for _, v := range vs {
		s := by[v]
		if s.status.Severity() < worst.status.Severity() {
			worst = s
		}
		if s.expiry.After(time.Time{}) && (st.Token == nil || s.expiry.Before(st.Token.Expiry)) {
			st.Token = &probe.TokenInfo{Expiry: s.expiry}
		}
		for _, w := range s.warnings {
			warnFrom[w] = append(warnFrom[w], v)
		}
		line := v + ": " + string(s.status)
		if !s.last.IsZero() {
			line += ", last check " + s.last.UTC().Format(time.RFC3339)
		}
		if s.latency > 0 {
			line += fmt.Sprintf(", latency %s (5m mean)", s.latency.Round(time.Millisecond))
		}
		detail = append(detail, line)
	}
	st.Last = &probe.Result{Server: name, Status: worst.status, Started: worst.last, Latency: worst.latency,
		Message: split(worst.status, vs, by, worst.skip), Detail: strings.Join(detail, "\n")}
	st.Since = worst.since
	switch {
	case worst.status == probe.StatusSkipped:
		st.Last.Class = worst.skip
	case worst.status.Failing() || worst.status == probe.StatusDegraded:
		st.Last.Stage, st.Last.Class = worst.stage, worst.class
	}
	if !worst.last.IsZero() {
		st.Checks = 1 // checked at least once; the count itself lives on the instances
	}
	for _, c := range slices.Sorted(maps.Keys(warnFrom)) {
		st.Warnings = append(st.Warnings, probe.Warning{Class: c,
			Message: fmt.Sprintf("%s, seen from %s", warningWords(c), strings.Join(warnFrom[c], ", "))})
	}
	return st
}

// split words what the vantage points saw. Prometheus holds the failure's
// class but not its message (no free text is exported), so it names the
// class and where to read the message.
func split(worst probe.Status, vs []string, by map[string]*seen, skip string) string {
	if worst == probe.StatusSkipped {
		return skipWords(skip) // the skipped vantage point's reason, not the first one's
	}
	if len(vs) == 1 {
		switch {
		case worst.Failing() && by[vs[0]].class != "":
			return fmt.Sprintf("%s at %s: %s; the message is on the instance that checks it (%s)", worst, by[vs[0]].stage, by[vs[0]].class, vs[0])
		case worst.Failing():
			return fmt.Sprintf("%s; the reason is on the instance that checks it (%s)", worst, vs[0])
		case worst == probe.StatusUnknown:
			return "not checked yet"
		}
		return ""
	}
	var down, other []string
	for _, v := range vs {
		if by[v].status.Failing() {
			if c := by[v].class; c != "" {
				v += " (" + c + ")"
			}
			down = append(down, v)
		} else {
			other = append(other, v+" "+string(by[v].status))
		}
	}
	if len(down) == 0 {
		if worst == probe.StatusHealthy {
			return fmt.Sprintf("healthy from all %d vantage points", len(vs))
		}
		return strings.Join(other, "; ")
	}
	msg := fmt.Sprintf("down from %d of %d: %s", len(down), len(vs), strings.Join(down, ", "))
	if len(other) > 0 {
		msg += "; " + strings.Join(other, ", ")
	}
	return msg
}

func skipWords(class string) string {
	switch class {
	case "skip.disabled":
		return "disabled in config"
	case "skip.user_login":
		return "needs a user login (authorization_code)"
	case "skip.secret":
		return "a secret it needs is not set on the instance"
	case "skip.stdio":
		return "stdio servers are not enabled on the instance (allow_stdio)"
	}
	return "skipped; the reason is on the instance that checks it"
}

func warningWords(class string) string {
	switch class {
	case probe.WarnTokenRefresh:
		return "token refresh failing"
	case probe.WarnFlapping:
		return "flapping"
	case probe.WarnTLSExpiring:
		return "certificate expiring"
	case probe.WarnTLSInsecure:
		return "TLS verification off"
	case probe.WarnInventoryChanged:
		return "inventory changed"
	case probe.WarnInventoryFailed:
		return "inventory list failing"
	}
	return class
}
