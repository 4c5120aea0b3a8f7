package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/mcpwatch/mcpwatch/probe"
)

func TestTokenText(t *testing.T) {
	g := newGlyphs(false)
	in := func(d time.Duration) time.Time { return now.Add(d) }
	for _, tc := range []struct {
		name        string
		tok         *probe.TokenInfo
		long, short string
	}{
		{"no token", nil, "—", "—"},
		{"never obtained", &probe.TokenInfo{LastError: "invalid_client"}, "—", "—"},
		{"valid", &probe.TokenInfo{Expiry: in(4*time.Minute + 12*time.Second)}, "expires in 4m12s", "in 4m12s"},
		{"valid, under a minute", &probe.TokenInfo{Expiry: in(42*time.Second + 900*time.Millisecond)}, "expires in 42s", "in 42s"},
		{"valid for hours", &probe.TokenInfo{Expiry: in(65 * time.Minute)}, "expires in 1h05m", "in 1h05m"},
		{"valid for days", &probe.TokenInfo{Expiry: in(51 * time.Hour)}, "expires in 2d03h", "in 2d03h"},
		{"refreshing", &probe.TokenInfo{Expiry: in(time.Minute), Refreshing: true}, "refreshing…", "refreshing…"},
		{"first fetch in flight", &probe.TokenInfo{Refreshing: true}, "refreshing…", "refreshing…"},
		{"refresh failed", &probe.TokenInfo{Expiry: in(95 * time.Second), LastError: "unreachable"}, "refresh failed, valid 1m more", "failed, 1m left"},
		{"no expiry given", &probe.TokenInfo{Expiry: in(50 * time.Minute), ExpiryDefaulted: true}, "no expiry given", "no expiry"},
		{"expired", &probe.TokenInfo{Expiry: in(-time.Second)}, "expired", "expired"},
		{"expired, refresh failing", &probe.TokenInfo{Expiry: in(-time.Hour), LastError: "unreachable"}, "expired", "expired"},
		{"expires this instant", &probe.TokenInfo{Expiry: now}, "expired", "expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			long, short, _ := tokenText(tc.tok, now, g)
			if long != tc.long || short != tc.short {
				t.Fatalf("got %q / %q, want %q / %q", long, short, tc.long, tc.short)
			}
		})
	}
}

// TestTokenTextStep: the table's countdown moves in whole minutes from ten
// minutes before expiry up to an hour (above, clock is in minutes already),
// in seconds below; other states read as tokenText's.
func TestTokenTextStep(t *testing.T) {
	g := newGlyphs(false)
	for _, tc := range []struct {
		left        time.Duration
		long, short string
	}{
		{58*time.Minute + 59*time.Second, "expires in 58m", "in 58m"},
		{10 * time.Minute, "expires in 10m", "in 10m"},
		{9*time.Minute + 59*time.Second, "expires in 9m59s", "in 9m59s"},
		{65 * time.Minute, "expires in 1h05m", "in 1h05m"},
		{42 * time.Second, "expires in 42s", "in 42s"},
	} {
		long, short, st := tokenTextStep(&probe.TokenInfo{Expiry: now.Add(tc.left)}, now, g)
		if long != tc.long || short != tc.short || st != tokenValid {
			t.Errorf("%v left: got %q / %q (%v), want %q / %q", tc.left, long, short, st, tc.long, tc.short)
		}
	}
	failed := &probe.TokenInfo{Expiry: now.Add(30 * time.Minute), LastError: "unreachable"}
	if long, _, _ := tokenTextStep(failed, now, g); long != "refresh failed, valid 30m more" {
		t.Errorf("refresh failing: %q", long)
	}
}

func TestDurations(t *testing.T) {
	for _, tc := range []struct {
		d                     time.Duration
		latency, clock, coars string
	}{
		{0, "", "0s", "0s"},
		{400 * time.Microsecond, "0.4ms", "0s", "0s"},
		{3200 * time.Microsecond, "3.2ms", "0s", "0s"},
		{123 * time.Millisecond, "123ms", "0s", "0s"},
		{1250 * time.Millisecond, "1.25s", "1s", "1s"},
		{12340 * time.Millisecond, "12.3s", "12s", "12s"},
		{123 * time.Second, "2m03s", "2m03s", "2m"},
		{3*time.Hour + 4*time.Minute, "3h04m", "3h04m", "3h"},
		{50 * time.Hour, "2d02h", "2d02h", "2d"},
	} {
		if got := latency(tc.d); got != tc.latency {
			t.Errorf("latency(%v) = %q, want %q", tc.d, got, tc.latency)
		}
		if got := clock(tc.d); got != tc.clock {
			t.Errorf("clock(%v) = %q, want %q", tc.d, got, tc.clock)
		}
		if got := coarse(tc.d); got != tc.coars {
			t.Errorf("coarse(%v) = %q, want %q", tc.d, got, tc.coars)
		}
	}
	if got := ago(time.Time{}, now); got != "never" {
		t.Errorf("ago(zero) = %q", got)
	}
	if got := ago(now.Add(time.Second), now); got != "0s ago" {
		t.Errorf("ago(future) = %q, want 0s ago", got)
	}
}

// TestStatusReason: each reason is said once — the stage goes in front only
// when the message does not name it already.
func TestStatusReason(t *testing.T) {
	for _, tc := range []struct {
		r    probe.Result
		want string
	}{
		{probe.Result{Status: probe.StatusUnhealthy, Stage: probe.StageConnect, Message: "connection refused"}, "connection refused"},
		{probe.Result{Status: probe.StatusAuthError, Stage: probe.StageToken, Message: "token endpoint refused: invalid_client"}, "token endpoint refused: invalid_client"},
		{probe.Result{Status: probe.StatusUnhealthy, Stage: probe.StageHandshake, Message: "no answer within 3s"}, "handshake: no answer within 3s"},
		{probe.Result{Status: probe.StatusUnhealthy, Stage: probe.StageHandshake, Message: "HANDSHAKE broke"}, "HANDSHAKE broke"},
		{probe.Result{Status: probe.StatusAuthError, Stage: probe.StageToken}, "token failed"},
		{probe.Result{Status: probe.StatusUnhealthy, Class: "connect.refused"}, "connect.refused"},
		{probe.Result{Status: probe.StatusSkipped, Stage: probe.StageConfig, Message: "disabled in config"}, "disabled in config"},
		{probe.Result{Status: probe.StatusDegraded, Message: "slow"}, "slow"},
		{probe.Result{Status: probe.StatusHealthy, Message: "ignored"}, ""},
		{probe.Result{Status: probe.StatusUnknown}, ""},
		{probe.Result{Status: probe.StatusUnhealthy, Stage: probe.StageLiveness, Message: "bad\nline\x1b[2J"}, "liveness: bad line"},
	} {
		if got := statusReason(&tc.r); got != tc.want {
			t.Errorf("statusReason(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

// TestWarningText: a failing refresh is worded from the live token, in whole
// minutes; other warnings say what the probe said.
func TestWarningText(t *testing.T) {
	st := probe.ServerState{Token: &probe.TokenInfo{Expiry: now.Add(95 * time.Second), LastError: "unreachable\x1b[2J"}}
	w := probe.Warning{Class: probe.WarnTokenRefresh, Message: "token refresh failing (unreachable); the current token stays valid 1m35s more"}
	if got, want := warningText(&st, w, now), "token refresh failing, the current token stays valid 1m more: unreachable"; got != want {
		t.Errorf("refresh failing: %q, want %q", got, want)
	}
	if got := warningText(&st, w, now.Add(50*time.Second)); !strings.Contains(got, "valid under a minute more") {
		t.Errorf("under a minute: %q", got)
	}
	st.Token = nil
	if got := warningText(&st, w, now); got != w.Message {
		t.Errorf("without a token: %q, want the probe's message", got)
	}
	if got := warningText(&st, probe.Warning{Class: "flapping"}, now); got != "flapping" {
		t.Errorf("no message: %q, want the class", got)
	}
}

// TestGlyphWidths holds width's shortcut to the real measure: every glyph
// the dashboard draws is one cell.
func TestGlyphWidths(t *testing.T) {
	for _, ascii := range []bool{false, true} {
		g := newGlyphs(ascii)
		all := append([]string{g.ellipsis, g.none, g.cursor, g.sparkFail, g.ok, g.fail, g.sep, g.checking, g.refreshed}, g.spark...)
		for _, s := range g.status {
			all = append(all, s)
		}
		for _, s := range all {
			if width(s) != ansi.StringWidth(s) {
				t.Errorf("width(%q) = %d, ansi.StringWidth = %d", s, width(s), ansi.StringWidth(s))
			}
		}
	}
	for _, s := range []string{"名前", "a\u0301", "🙂ok", "x…y"} {
		if width(s) != ansi.StringWidth(s) {
			t.Errorf("width(%q) = %d, ansi.StringWidth = %d", s, width(s), ansi.StringWidth(s))
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                "plain",
		"tab\there":            "tab here",
		"\x1b[31mred":          "red",
		"bell\x07":             "bell",
		"\x1b]0;title\x07name": "name",
		"\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\": "link",
		"c1\u009b2Jx":          "c1x",
		"c1\u0080x":            "c1x",
		"nel\u0085x":           "nel x",
		"evil\u202egnp.exe":    "evilgnp.exe",
		"\u2066isolated\u2069": "isolated",
		"bad\xffutf8":          "badutf8",
		"名前":                   "名前",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
	if got := cleanBlock("a\r\nb\x1b\n\tc\u009b2J  \n\u202ed"); got != "a\nb\n    c\nd" {
		t.Errorf("cleanBlock = %q", got)
	}
}

func TestASCIIFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, true},
		{map[string]string{"LANG": "en_US.UTF-8"}, false},
		{map[string]string{"LANG": "de_DE.utf8"}, false},
		{map[string]string{"LANG": "C"}, true},
		{map[string]string{"LANG": "POSIX"}, true},
		{map[string]string{"LANG": "en_US.ISO-8859-1"}, true},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "C"}, true},
		{map[string]string{"LANG": "C", "LC_CTYPE": "C.UTF-8"}, false},
		{map[string]string{"LC_ALL": "en_GB.UTF-8", "LC_CTYPE": "C"}, false},
	} {
		if got := ASCIIFromEnv(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("ASCIIFromEnv(%v) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

func TestColorProfile(t *testing.T) {
	for _, tc := range []struct {
		opts     Options
		detected colorprofile.Profile
		want     colorprofile.Profile
	}{
		{Options{Color: "auto"}, colorprofile.TrueColor, colorprofile.TrueColor},
		{Options{}, colorprofile.ANSI256, colorprofile.ANSI256},
		{Options{Color: "auto"}, colorprofile.NoTTY, colorprofile.NoTTY},
		{Options{Color: "never"}, colorprofile.TrueColor, colorprofile.ASCII},
		{Options{Color: "never"}, colorprofile.NoTTY, colorprofile.NoTTY},
		{Options{Color: "always", NoColor: true}, colorprofile.TrueColor, colorprofile.ASCII},
		{Options{Color: "auto", NoColor: true}, colorprofile.ANSI, colorprofile.ASCII},
		{Options{Color: "always"}, colorprofile.NoTTY, colorprofile.ANSI256},
		{Options{Color: "always"}, colorprofile.TrueColor, colorprofile.TrueColor},
	} {
		if got := ColorProfile(tc.opts, tc.detected); got != tc.want {
			t.Errorf("ColorProfile(%+v, %v) = %v, want %v", tc.opts, tc.detected, got, tc.want)
		}
	}
}

// TestNoColorMeansNoColour: with colour off, no colour sequence is drawn,
// whatever the profile; the selection is still visible as reverse video.
func TestNoColorMeansNoColour(t *testing.T) {
	for _, opts := range []Options{{Color: "never"}, {Color: "always", NoColor: true}} {
		opts.Now = func() time.Time { return now }
		m := update(New(newFake(fleet()), opts), bg(false))
		for _, k := range []string{"", "enter", "?"} {
			if k != "" {
				m = keys(m, k)
			}
			content, _ := m.render()
			for _, seq := range []string{"\x1b[38;", "\x1b[48;", "\x1b[3", "\x1b[4"} {
				if strings.Contains(content, seq) {
					t.Fatalf("%+v after %q: colour sequence %q in the frame", opts, k, seq)
				}
			}
		}
	}
	content, _ := newModel(newFake(fleet()), 80, 24).render()
	if !strings.Contains(content, "\x1b[7m› ") {
		t.Fatal("the selected row is not in reverse video without colour")
	}
}

func TestEraAndTransportText(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	r := probe.Result{ProtocolVersion: "2025-11-25", Era: probe.EraInitialize, Transport: "sse"}
	if got := eraText(&r, now); got != "2025-11-25, initialize era, negotiated in this check" {
		t.Errorf("negotiated: %q", got)
	}
	r.EraRemembered = now.Add(-12 * time.Minute)
	if got := eraText(&r, now); !strings.HasPrefix(got, "2025-11-25, initialize era, remembered from 12m ago") {
		t.Errorf("remembered: %q", got)
	}
	if got := eraText(&probe.Result{}, now); got != "" {
		t.Errorf("never checked: %q", got)
	}
	st := probe.ServerState{Transport: "auto", Last: &r}
	if got := transportText(&st); got != "auto (found sse)" {
		t.Errorf("auto: %q", got)
	}
	st.Transport = "http"
	if got := transportText(&st); got != "http" {
		t.Errorf("explicit: %q", got)
	}
}

// The Server line leaves the protocol to the Protocol line when there is one.
func TestServerTextSaysTheProtocolOnce(t *testing.T) {
	r := probe.Result{ServerName: "a", ServerVersion: "1", ProtocolVersion: "2025-11-25", LivenessMethod: "ping"}
	if got := serverText(&r); got != "a 1, protocol 2025-11-25, alive by ping" {
		t.Errorf("without an era: %q", got)
	}
	r.Era = probe.EraInitialize
	if got := serverText(&r); got != "a 1, alive by ping" {
		t.Errorf("with an era: %q", got)
	}
}
