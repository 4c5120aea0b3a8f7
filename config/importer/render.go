package importer

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/textsafe"
)

// The output is written by hand rather than by a YAML encoder, because the
// comments are the point: each one sits next to the entry it is about.

func (im *importer) render(f Format) []byte {
	var b strings.Builder
	source := map[Format]string{LiteLLM: "the mcp_servers section of a LiteLLM proxy config", MCPJSON: "an mcpServers JSON file"}[f]
	writeComment(&b, "", note{msg: fmt.Sprintf("mcpwatch config imported from %s (%s) by `mcpwatch config import`.", im.name, source)})
	b.WriteString("# Comments name the source line of everything that was not carried over as it was; read them\n")
	b.WriteString("# before use. Secrets are references: export each ${NAME} before starting mcpwatch.\n")
	for _, n := range im.notes {
		writeComment(&b, "", n)
	}
	writeComment(&b, "", note{msg: im.summary()})
	b.WriteString("servers:\n")
	for i, s := range im.servers {
		if i > 0 {
			b.WriteString("\n")
		}
		sortNotes(s.notes)
		if s.omitted {
			writeComment(&b, "  ", note{pos: s.src, msg: fmt.Sprintf("%s: not imported: %s", s.name, s.omitReason)})
			for _, n := range s.notes {
				writeComment(&b, "  ", n)
			}
			b.WriteString("  # - name: " + oneLine(s.name) + "\n")
			for _, line := range s.sketch {
				b.WriteString("  #   " + oneLine(line) + "\n")
			}
			continue
		}
		for _, n := range s.notes {
			writeComment(&b, "  ", n)
		}
		fmt.Fprintf(&b, "  - name: %s\n", scalar(s.name))
		fmt.Fprintf(&b, "    url: %s\n", scalar(s.url))
		fmt.Fprintf(&b, "    transport: %s\n", s.transport)
		if s.disabled {
			b.WriteString("    disabled: true\n")
		}
		if len(s.headers) > 0 {
			b.WriteString("    headers:\n")
			for _, h := range s.headers {
				fmt.Fprintf(&b, "      %s: %s\n", scalar(h.name), h.val.yaml())
			}
		}
		if s.auth != nil {
			writeAuth(&b, s.auth)
		}
	}
	return []byte(b.String())
}

func writeAuth(b *strings.Builder, a *auth) {
	b.WriteString("    auth:\n")
	kv := func(k, v string) {
		if v != "" {
			fmt.Fprintf(b, "      %s: %s\n", k, v)
		}
	}
	secret := func(k string, v value) {
		if !v.isZero() {
			kv(k, v.yaml())
		}
	}
	kv("type", a.typ)
	switch a.typ {
	case config.AuthBearer:
		secret("token", a.token)
	case config.AuthHeader:
		kv("header", scalar(a.header))
		secret("value", a.val)
	case config.AuthBasic:
		kv("username", scalar(a.username))
		secret("password", a.password)
	case config.AuthOAuth2:
		kv("flow", a.flow)
		if a.tokenURL != "" {
			kv("token_url", scalar(a.tokenURL))
		}
		if a.clientID != "" {
			kv("client_id", scalar(a.clientID))
		}
		secret("client_secret", a.cs)
		if len(a.scopes) > 0 {
			b.WriteString("      scopes:\n")
			for _, sc := range a.scopes {
				fmt.Fprintf(b, "        - %s\n", scalar(sc))
			}
		}
		if a.audience != "" {
			kv("audience", scalar(a.audience))
		}
		kv("method", a.method)
	}
}

// yaml renders a value: a reference always quoted, so that it survives
// being pasted into a flow mapping {…}.
func (v value) yaml() string {
	if v.env != "" {
		return `"${` + v.env + `}"`
	}
	return scalar(v.text)
}

func (v value) isZero() bool { return v.env == "" && v.text == "" }

// commentWidth is where comments wrap; continuation lines are indented
// so that each note still reads as one.
const commentWidth = 100

func writeComment(b *strings.Builder, indent string, n note) {
	msg := textsafe.Line(n.msg, 0)
	if n.pos.Line > 0 {
		msg = fmt.Sprintf("%s:%d: %s", oneLine(n.pos.File), n.pos.Line, msg)
	}
	words := strings.Fields(msg)
	line := indent + "#"
	for i, w := range words {
		if i > 0 && len(line)+1+len(w) > commentWidth {
			b.WriteString(line + "\n")
			line = indent + "#  "
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
	// A command is never wrapped, so it can be copied as it is.
	if n.cmd != "" {
		b.WriteString(indent + "#     " + textsafe.Text(n.cmd) + "\n")
	}
}

// plainRE is what may be written without quotes: it cannot start with a
// YAML indicator, holds no ": " or " #", and is not a number or a boolean.
var (
	plainRE    = regexp.MustCompile(`^[A-Za-z_/][A-Za-z0-9_./:@%+=~?&-]*$`)
	reservedRE = regexp.MustCompile(`(?i)^(true|false|yes|no|on|off|y|n|null|~|nan|inf)$`)
)

// scalar renders a string so that YAML reads back exactly that string.
// Anything not plainly safe is double-quoted; Go's quoting escapes are a
// subset of YAML's double-quoted escapes.
func scalar(s string) string {
	if plainRE.MatchString(s) && !reservedRE.MatchString(s) && !strings.HasSuffix(s, ":") && !strings.Contains(s, "${") {
		return s
	}
	return strconv.Quote(strings.ToValidUTF8(s, "\uFFFD"))
}

// verify proves the promise that the output loads, and that what loads is
// what was meant: a quoting slip would otherwise change a url or a name
// silently.
func (im *importer) verify(out []byte) error {
	f, _, err := config.Parse(im.name+" (imported)", out)
	if err != nil {
		return fmt.Errorf("internal error: the imported config does not load (please report this): %w", err)
	}
	var want []*server
	for _, s := range im.servers {
		if !s.omitted {
			want = append(want, s)
		}
	}
	if len(f.Servers) != len(want) {
		return fmt.Errorf("internal error: imported %d servers, the output has %d (please report this)", len(want), len(f.Servers))
	}
	for i, s := range want {
		got := f.Servers[i]
		if err := sameServer(s, &got); err != "" {
			return fmt.Errorf("internal error: server %q does not read back as imported: %s (please report this)", s.name, err)
		}
	}
	return nil
}

func sameServer(s *server, got *config.Server) string {
	switch {
	case got.Name != s.name:
		return "name"
	case got.URL != s.url:
		return "url"
	case got.Transport != s.transport:
		return "transport"
	case got.Disabled != s.disabled:
		return "disabled"
	case len(got.Headers) != len(s.headers):
		return "headers"
	}
	for _, h := range s.headers {
		if !sameSecret(got.Headers[h.name], h.val) {
			return "header " + h.name
		}
	}
	a := got.Auth
	if s.auth == nil {
		if a.Type != config.AuthNone {
			return "auth"
		}
		return ""
	}
	w := s.auth
	switch {
	case a.Type != w.typ:
		return "auth.type"
	case !sameSecret(a.Token, w.token), !sameSecret(a.Value, w.val), !sameSecret(a.Password, w.password), !sameSecret(a.ClientSecret, w.cs):
		return "auth secret"
	case a.Header != w.header, a.Username != w.username, a.TokenURL != w.tokenURL, a.ClientID != w.clientID,
		a.Audience != w.audience, a.Method != w.method, strings.Join(a.Scopes, " ") != strings.Join(w.scopes, " "):
		return "auth field"
	case w.typ == config.AuthOAuth2 && a.Flow != w.flow:
		return "auth.flow"
	}
	return ""
}

func sameSecret(got config.Secret, want value) bool {
	return got.Env == want.env && got.Literal == want.text && got.File == ""
}

// sortNotes puts a server's notes in source order; notes at the same line
// keep the order they were made in.
func sortNotes(ns []note) {
	slices.SortStableFunc(ns, func(a, b note) int { return a.pos.Line - b.pos.Line })
}

func (im *importer) summary() string {
	var n, disabled, omitted int
	for _, s := range im.servers {
		switch {
		case s.omitted:
			omitted++
		case s.disabled:
			n++
			disabled++
		default:
			n++
		}
	}
	out := fmt.Sprintf("%d %s imported", n, plural(n, "server", "servers"))
	if disabled > 0 {
		out += fmt.Sprintf(", %d of them disabled until you act on their comments", disabled)
	}
	if omitted > 0 {
		out += fmt.Sprintf("; %d not imported (commented out below)", omitted)
	}
	return out + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
