package config

import (
	"testing"
	"time"
)

func TestStateRetention(t *testing.T) {
	const srv = "servers:\n  - name: a\n    url: https://x\n"
	for _, c := range []struct {
		src  string
		want time.Duration
	}{
		{"", 0}, // not set: the store's default
		{"state: {retention: 7d}\n", 7 * 24 * time.Hour},
		{"state:\n  retention: 36h\n", 36 * time.Hour},
		{"state: {retention: 2w}\n", 14 * 24 * time.Hour},
		{"state: {retention: 366d}\n", 366 * 24 * time.Hour},
	} {
		f, _ := mustParse(t, "c.yaml", c.src+srv)
		if f.State.Retention != c.want {
			t.Errorf("%q: retention %v, want %v", c.src, f.State.Retention, c.want)
		}
	}
}

func TestStateRetentionErrors(t *testing.T) {
	const srv = "servers:\n  - name: a\n    url: https://x\n"
	for _, c := range []struct{ src, want string }{
		{"state: {retention: soon}\n", `c.yaml:1:20: state.retention: invalid duration "soon"; a duration like 7d, 36h or 90d, from 1h to 366d`},
		{"state:\n  retention: 30m\n", `c.yaml:2:14: state.retention: retention must be from 1h to 366d, got "30m"; a duration like 7d, 36h or 90d, from 1h to 366d`},
		{"state:\n  retention: 400d\n", `c.yaml:2:14: state.retention: retention must be from 1h to 366d, got "400d"; a duration like 7d, 36h or 90d, from 1h to 366d`},
		{"state:\n  retention: -1d\n", `c.yaml:2:14: state.retention: invalid duration "-1d"; a duration like 7d, 36h or 90d, from 1h to 366d`},
		{"state:\n  retension: 7d\n", `c.yaml:2:3: state.retension: unknown key; did you mean retention?`},
		{"state: 7d\n", `c.yaml:1:8: state: expected a mapping, got a string`},
		{"stat: {retention: 7d}\n", `c.yaml:1:1: stat: unknown key; did you mean state?`},
	} {
		got := parseErrs(t, c.src+srv)
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.src, got, c.want)
		}
	}
}
