package cmd

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/mcpwatch/mcpwatch/probe"
)

// appendServer appends serverJSON(r, st) as writeJSON wrote it with
// encoding/json (HTML escaped, indented by two spaces under a prefix of
// four, no newline after), written by hand: the reflective encoder and
// the indenting pass after it were most of the report's CPU. ok is false
// for an entry with a part it does not write (a TLS certificate, inventory
// changes: few servers, and json writes those), or a time json refuses;
// writeJSON then encodes that entry as before (b is then to be cut back).
// TestAppendServerAsJSON holds it to json.
func appendServer(b []byte, r *probe.Result, st *probe.ServerState) ([]byte, bool) {
	if st == nil {
		st = &probe.ServerState{}
	}
	if r.TLS != nil || r.Token != nil && r.Token.TLS != nil ||
		r.Inventory != nil && st.Inventory != nil && len(st.Inventory.Changes) > 0 {
		return b, false
	}
	w := entryWriter{b: b, ok: true}
	w.open('{')
	w.str("name", r.Server)
	w.str("url", st.URL)
	w.str("transport", st.Transport)
	w.str("auth", st.AuthKind)
	w.list("tags", st.Tags)
	w.str("status", string(r.Status))
	w.omit("stage", string(r.Stage))
	w.omit("class", r.Class)
	w.omit("message", r.Message)
	w.omit("detail", r.Detail)
	w.time("started_at", r.Started.UTC())
	w.ms("latency_ms", r.Latency)
	w.ms("total_ms", r.Total)
	w.key("stages")
	w.open('[')
	for _, s := range r.Stages {
		w.elem()
		w.open('{')
		w.str("stage", string(s.Stage))
		w.ms("duration_ms", s.Duration)
		w.bool("ok", s.OK)
		w.close('}')
	}
	w.close(']')
	w.omit("protocol_version", r.ProtocolVersion)
	w.omit("era", r.Era)
	w.omit("transport_used", r.Transport)
	if r.ServerName != "" || r.ServerVersion != "" {
		w.key("server_info")
		w.open('{')
		w.str("name", r.ServerName)
		w.omit("version", r.ServerVersion)
		w.close('}')
	}
	w.omit("liveness_method", r.LivenessMethod)
	if t := r.Token; t != nil {
		w.key("token")
		w.token(t)
	}
	w.key("warnings")
	w.open('[')
	for _, x := range st.Warnings {
		w.elem()
		w.open('{')
		w.str("class", x.Class)
		w.str("message", x.Message)
		w.close('}')
	}
	w.close(']')
	w.list("capabilities", r.Capabilities)
	if ir := r.Inventory; ir != nil {
		w.key("inventory")
		w.inventory(ir, st.Inventory)
	}
	w.close('}')
	return w.b, w.ok
}

// token is jsonToken's encoding; its TLS is appendServer's refusal.
func (w *entryWriter) token(t *probe.TokenInfo) {
	w.open('{')
	w.omit("token_url", t.TokenURL)
	w.omit("token_url_source", t.TokenURLSource)
	if !t.Obtained.IsZero() {
		w.time("obtained_at", t.Obtained)
	}
	if !t.Expiry.IsZero() {
		w.time("expires_at", t.Expiry)
	}
	w.bool("expiry_defaulted", t.ExpiryDefaulted)
	w.list("scopes", t.Scopes)
	w.list("requested_scopes", t.RequestedScopes)
	w.omit("scope_source", t.ScopeSource)
	w.omit("issuer", t.Issuer)
	w.omit("issuer_trust", t.IssuerTrust)
	w.omit("last_error", t.LastError)
	w.close('}')
}

// inventory is inventoryJSON's encoding, with no changes (appendServer's rule).
func (w *entryWriter) inventory(ir *probe.InventoryResult, inv *probe.InventoryState) {
	w.open('{')
	w.int("tools", ir.Tools)
	w.int("prompts", ir.Prompts)
	w.int("resources", ir.Resources)
	w.omit("sha256", ir.Hash)
	if inv != nil && inv.Pinned != nil {
		w.omit("pinned_sha256", inv.Pinned.Hash)
	}
	w.int("requests", ir.Requests)
	w.list("cached", ir.Cached)
	if e := ir.Error; e != nil {
		w.key("error")
		w.open('{')
		w.str("kind", e.Kind)
		w.str("class", e.Class)
		w.str("message", e.Message)
		w.close('}')
	}
	w.key("changes")
	w.open('[')
	w.close(']')
	w.close('}')
}

// entryWriter writes JSON indented as the report's encoder did: members
// one a line, two spaces a level under the servers list's four.
type entryWriter struct {
	b     []byte
	depth int
	empty bool // in an object or list with nothing in it yet
	ok    bool // false once a value was one json refuses
}

func (w *entryWriter) newline() {
	w.b = append(w.b, "\n    "...)
	for range w.depth {
		w.b = append(w.b, "  "...)
	}
}

func (w *entryWriter) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.empty = true
}

// close ends an object or list: "{}" and "[]" when empty, as json.Indent.
func (w *entryWriter) close(c byte) {
	w.depth--
	if !w.empty {
		w.newline()
	}
	w.b = append(w.b, c)
	w.empty = false
}

// elem starts the next member or element on its line.
func (w *entryWriter) elem() {
	if !w.empty {
		w.b = append(w.b, ',')
	}
	w.empty = false
	w.newline()
}

func (w *entryWriter) key(k string) {
	w.elem()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':', ' ')
}

func (w *entryWriter) str(k, v string) {
	w.key(k)
	w.b = appendString(w.b, v)
}

// omit is str, nothing for "" (omitempty).
func (w *entryWriter) omit(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

// list writes a list of strings, nothing for an empty one (omitempty).
func (w *entryWriter) list(k string, vs []string) {
	if len(vs) == 0 {
		return
	}
	w.key(k)
	w.open('[')
	for _, v := range vs {
		w.elem()
		w.b = appendString(w.b, v)
	}
	w.close(']')
}

func (w *entryWriter) bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
}

func (w *entryWriter) int(k string, v int) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, int64(v), 10)
}

func (w *entryWriter) ms(k string, d time.Duration) {
	w.key(k)
	w.b = appendMS(w.b, d)
}

// time is time.Time's MarshalJSON; a year past 9999, which json refuses,
// makes the entry not ok.
func (w *entryWriter) time(k string, t time.Time) {
	w.key(k)
	w.b = append(w.b, '"')
	out, err := t.AppendText(w.b)
	if err != nil {
		w.ok = false
	} else {
		w.b = out
	}
	w.b = append(w.b, '"')
}

// appendMS is ms(d) as json writes a float64.
func appendMS(b []byte, d time.Duration) []byte {
	f := ms(d)
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if n := len(b); format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		b[n-2] = b[n-1] // e-09 to e-9, as json does
		b = b[:n-1]
	}
	return b
}

// htmlSafe: the ASCII bytes json writes as they are (HTML escaping on).
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString is encoding/json's string encoding with HTML escaping (the
// Encoder's default): <, > and & as \u escapes, invalid UTF-8 as U+FFFD,
// U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		} else {
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
