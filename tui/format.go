package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/textsafe"
)

// Text from servers and configs reaches the screen through clean, so that a
// name or an error message cannot carry escape sequences to the terminal.

// clean is textsafe.Text: control characters, whole escape sequences, bidi
// controls and invalid UTF-8 are removed, tabs and newlines become spaces.
// Text without any is returned as is, without allocating.
func clean(s string) string { return textsafe.Text(s) }

// cleanBlock is clean for multi-line text: newlines stay, tabs become four
// spaces, and no line ends in spaces.
func cleanBlock(s string) string {
	s = textsafe.Block(s)
	if !strings.Contains(s, " \n") && !strings.HasSuffix(s, " ") {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// width is the cell width of plain (unstyled) text. ASCII and the
// dashboard's own glyphs are counted directly; anything else (a CJK server
// name, an emoji) goes to the full grapheme-aware measure.
func width(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] < 0x80 {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !narrowGlyph(r) {
			return ansi.StringWidth(s)
		}
		n++
		i += size
	}
	return n
}

// narrowGlyph reports whether r is one of the glyphs the dashboard draws,
// all one cell wide (a test holds this against ansi.StringWidth).
func narrowGlyph(r rune) bool {
	switch r {
	case '…', '—', '›', '•', '↑', '↓', '⊗', '✗', '◐', '✓', '⊘', '○', '▲', '→':
		return true
	}
	return r >= '▁' && r <= '█'
}

// fit truncates s to at most w cells, ending with tail when it cuts.
func fit(s string, w int, tail string) string {
	if w <= 0 {
		return ""
	}
	if width(s) <= w {
		return s
	}
	if width(tail) >= w {
		return ansi.Truncate(s, w, "")
	}
	return ansi.Truncate(s, w, tail)
}

// pad writes s cut or padded to exactly w cells, aligned left or right.
func pad(b *strings.Builder, s string, w int, right bool, tail string) {
	s = fit(s, w, tail)
	gap := w - width(s)
	if right {
		spaces(b, gap)
	}
	b.WriteString(s)
	if !right {
		spaces(b, gap)
	}
}

const blanks = "                                                                                "

func spaces(b *strings.Builder, n int) {
	for n > 0 {
		k := min(n, len(blanks))
		b.WriteString(blanks[:k])
		n -= k
	}
}

// latency is a duration shown in at most five cells: 3.2ms 123ms 1.25s 12.3s 2m03s.
func latency(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	case d < 10*time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return clock(d)
}

const day = 24 * time.Hour

// clock is a countdown-style duration: 42s, 4m12s, 1h04m, 2d03h.
func clock(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	b := make([]byte, 0, 8)
	two := func(b []byte, n int64) []byte {
		if n < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, n, 10)
	}
	switch {
	case d < time.Minute:
		b = append(strconv.AppendInt(b, int64(d/time.Second), 10), 's')
	case d < time.Hour:
		b = append(strconv.AppendInt(b, int64(d/time.Minute), 10), 'm')
		b = append(two(b, int64(d%time.Minute/time.Second)), 's')
	case d < day:
		b = append(strconv.AppendInt(b, int64(d/time.Hour), 10), 'h')
		b = append(two(b, int64(d%time.Hour/time.Minute)), 'm')
	default:
		b = append(strconv.AppendInt(b, int64(d/day), 10), 'd')
		b = append(two(b, int64(d%day/time.Hour)), 'h')
	}
	return string(b)
}

// coarse is a duration in its largest whole unit: 45s, 12m, 3h, 2d.
func coarse(d time.Duration) string { return string(appendCoarse(nil, d)) }

func appendCoarse(b []byte, d time.Duration) []byte {
	d = max(d, 0)
	unit, suffix := time.Second, byte('s')
	switch {
	case d >= day:
		unit, suffix = day, 'd'
	case d >= time.Hour:
		unit, suffix = time.Hour, 'h'
	case d >= time.Minute:
		unit, suffix = time.Minute, 'm'
	}
	return append(strconv.AppendInt(b, int64(d/unit), 10), suffix)
}

// ago is how long before now t was: "12s ago", or "never" for the zero time.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	var buf [16]byte
	return string(append(appendCoarse(buf[:0], now.Sub(t)), " ago"...))
}

// ageGrid: the table's ages (LAST CHECK, FOR) are read on a clock that
// moves in 5-second steps shared by every row. Read on the second, rows
// checked at different moments of a sweep each stepped at a second of their
// own: forty rows on screen changed the frame, and redrew it for every SSH
// viewer, nearly every second of an idle fleet. An age may read up to 5 s
// younger than it is; the detail view is exact.
const ageGrid = 5 * time.Second

// agoStep is ago for the table: under a minute it moves in 5-second steps.
// A per-second age on every row is precision nobody reads (checks come every
// 30s or so), and it was most of the bytes the dashboard sent while idle —
// which matters over SSH. The detail view keeps the exact age.
func agoStep(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		var buf [16]byte
		return string(append(appendCoarse(buf[:0], d/(5*time.Second)*(5*time.Second)), " ago"...))
	}
	return ago(t, now)
}

// tokenState is what the token column says about a server's token.
type tokenState int

const (
	tokenNone          tokenState = iota // no token: not an oauth2 server, or never obtained
	tokenValid                           // expires in …
	tokenRefreshing                      // a refresh is in flight
	tokenRefreshFailed                   // the last refresh failed; the old token still works
	tokenNoExpiry                        // the endpoint gave no lifetime; we assumed one
	tokenExpired
)

func tokenStateOf(t *probe.TokenInfo, now time.Time) tokenState {
	switch {
	case t == nil || t.Expiry.IsZero():
		if t != nil && t.Refreshing {
			return tokenRefreshing
		}
		return tokenNone
	case t.Refreshing:
		return tokenRefreshing
	case !now.Before(t.Expiry):
		return tokenExpired
	case t.LastError != "":
		return tokenRefreshFailed
	case t.ExpiryDefaulted:
		return tokenNoExpiry
	}
	return tokenValid
}

// tokenText is the token column: long is the full wording, short fits a
// narrow column.
func tokenText(t *probe.TokenInfo, now time.Time, g glyphs) (long, short string, st tokenState) {
	st = tokenStateOf(t, now)
	switch st {
	case tokenValid:
		s := clock(t.Expiry.Sub(now))
		return "expires in " + s, "in " + s, st
	case tokenRefreshing:
		return g.refreshed, g.refreshed, st
	case tokenRefreshFailed:
		left := coarse(t.Expiry.Sub(now))
		return "refresh failed, valid " + left + " more", "failed, " + left + " left", st
	case tokenNoExpiry:
		return "no expiry given", "no expiry", st
	case tokenExpired:
		return "expired", "expired", st
	}
	return g.none, g.none, st
}

// tokenStepFrom is how far from expiry the table's token countdown stops
// counting seconds. Tokens are refreshed a fifth of their lifetime ahead
// (12 minutes for an hour), so a healthy fleet never shows the seconds.
const tokenStepFrom = 10 * time.Minute

// tokenTextStep is tokenText for the table: ten minutes or more from expiry
// the countdown moves in whole minutes, as agoStep's ages move in steps. A
// fleet sharing one token showed a countdown ticking every second on every
// row, and every SSH viewer redrew its whole screen once a second for it.
// The detail view keeps the exact countdown.
func tokenTextStep(t *probe.TokenInfo, now time.Time, g glyphs) (long, short string, st tokenState) {
	if st = tokenStateOf(t, now); st == tokenValid {
		if left := t.Expiry.Sub(now); left >= tokenStepFrom && left < time.Hour {
			s := sinceWords.minutes[left/time.Minute]
			return "expires in " + s, "in " + s, st
		}
	}
	return tokenText(t, now, g)
}

// sparkline draws the latest w history points, newest on the right: a bar
// per answered check scaled to top (the slowest on screen, so that every row
// is drawn to one scale), a cross in the failure colour per failed check,
// blank for skipped or unknown. Paint changes only where the kind changes.
func sparkline(b *strings.Builder, h []probe.HistoryPoint, w int, top time.Duration, g glyphs, bar, fail paint) {
	if len(h) > w {
		h = h[len(h)-w:]
	}
	spaces(b, w-len(h))
	levels := len(g.spark)
	cur := paint{}
	set := func(p paint) {
		if p != cur {
			b.WriteString(cur.off)
			b.WriteString(p.on)
			cur = p
		}
	}
	for _, p := range h {
		switch {
		case p.Status().Failing():
			set(fail)
			b.WriteString(g.sparkFail)
		case p.Status() == probe.StatusHealthy || p.Status() == probe.StatusDegraded:
			set(bar)
			i := 0
			if top > 0 {
				i = int((int64(min(p.Latency(), top))*int64(levels-1) + int64(top)/2) / int64(top))
			}
			b.WriteString(g.spark[min(max(i, 0), levels-1)])
		default:
			b.WriteByte(' ')
		}
	}
	set(paint{})
}

// sinceText is how long a server has been in its status, for the table: in
// whole minutes at least (a row does not tick every second for it). Drawn
// for every row on screen each frame, so the words come from a table made
// once rather than being formatted.
func sinceText(since, now time.Time, g glyphs) string {
	switch d := now.Sub(since); {
	case since.IsZero():
		return g.none
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return sinceWords.minutes[d/time.Minute]
	case d < day:
		return sinceWords.hours[d/time.Hour]
	case d < time.Duration(len(sinceWords.days))*day:
		return sinceWords.days[d/day]
	default:
		return coarse(d)
	}
}

var sinceWords = func() (w struct{ minutes, hours, days []string }) {
	for i := range 60 {
		w.minutes = append(w.minutes, strconv.Itoa(i)+"m")
	}
	for i := range 24 {
		w.hours = append(w.hours, strconv.Itoa(i)+"h")
	}
	for i := range 1000 {
		w.days = append(w.days, strconv.Itoa(i)+"d")
	}
	return w
}()

// clockTime is an absolute time in now's zone, with the date when it is not today.
func clockTime(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(now.Location())
	ny, nm, nd := now.Date()
	if y, m, d := t.Date(); y == ny && m == nm && d == nd {
		return t.Format("15:04:05")
	}
	return t.Format("Jan 2 15:04:05")
}
