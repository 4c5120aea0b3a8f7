package importer

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/textsafe"
)

// How values are read: environment references in the spellings the source
// tools use, and the rule that decides whether a literal is a secret.

var (
	// ${NAME} (Claude Code, and mcpwatch itself), ${env:NAME} (Cursor),
	// ${NAME:-default} (Claude Code).
	braceRefRE = regexp.MustCompile(`^\$\{(env:)?([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}$`)
	// os.environ/NAME (LiteLLM).
	osEnvRE = regexp.MustCompile(`^os\.environ/([A-Za-z_][A-Za-z0-9_]*)$`)
	// Any reference inside a longer value, including ones mcpwatch cannot
	// read at all (VS Code's ${input:id}, Cursor's ${workspaceFolder}).
	anyRefRE = regexp.MustCompile(`\$\{[^}]*\}|os\.environ/[A-Za-z_][A-Za-z0-9_]*`)
)

// ref is a whole value that names one environment variable.
type ref struct {
	env        string
	hasDefault bool // ${NAME:-default}: mcpwatch has no defaults
}

func wholeRef(s string) (ref, bool) {
	s = strings.TrimSpace(s)
	if m := osEnvRE.FindStringSubmatch(s); m != nil {
		return ref{env: m[1]}, true
	}
	if m := braceRefRE.FindStringSubmatch(s); m != nil {
		return ref{env: m[2], hasDefault: m[3] != ""}, true
	}
	return ref{}, false
}

func hasRef(s string) bool { return anyRefRE.MatchString(s) }

// collectEnvNames records every variable the input refers to, so that
// names invented for literal secrets never shadow one of them. The tree is a
// graph: an alias points back at its anchor's node, and a chain of anchors
// can stand for exponentially many nodes, so each node is visited once.
func (im *importer) collectEnvNames(root *node) {
	seen := map[*node]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		switch n.kind {
		case kString:
			for _, m := range anyRefRE.FindAllString(n.text, -1) {
				if r, ok := wholeRef(m); ok {
					im.usedEnv[r.env] = true
				}
			}
		case kMap:
			for _, m := range n.keys {
				walk(m.val)
			}
		case kList:
			for _, it := range n.items {
				walk(it)
			}
		}
	}
	walk(root)
}

// shellTemplate rewrites a value built from references into the text of a
// POSIX shell double-quoted string, for "export NAME=…" advice. It reports
// false when the value holds a reference no shell can expand, or literal
// text that might itself be a secret.
func shellTemplate(s string) (string, bool) {
	var b strings.Builder
	last := 0
	for _, loc := range anyRefRE.FindAllStringIndex(s, -1) {
		static := s[last:loc[0]]
		if !harmlessText(static) {
			return "", false
		}
		b.WriteString(shellEscape(static))
		r, ok := wholeRef(s[loc[0]:loc[1]])
		if !ok {
			return "", false
		}
		b.WriteString("${" + r.env + "}")
		last = loc[1]
	}
	if !harmlessText(s[last:]) {
		return "", false
	}
	b.WriteString(shellEscape(s[last:]))
	return b.String(), true
}

// harmlessText is text around a reference that can be shown: an auth
// scheme and separators ("Bearer ", "token ", ":"), never something that
// could be a credential.
func harmlessText(s string) bool {
	return len(s) <= 16 && !looksSecret(s) && !strings.ContainsAny(s, "\"\\`\n\r")
}

func shellEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", "$", `\$`)
	return r.Replace(s)
}

var (
	// Header names that carry credentials. Matching too much only costs a
	// placeholder and a comment; matching too little would copy a secret.
	secretHeaderRE = regexp.MustCompile(`(?i)auth|token|key|secret|pass|cookie|session|credential|signature|jwt`)
	// Values that look like a credential whatever the header is called.
	secretValueRE = regexp.MustCompile(`(?i)^(bearer|basic|token|digest|apikey)\s+\S` +
		`|^(sk|pk|rk)[-_]|^gh[opsur]_|^github_pat_|^glpat-|^xox[abprs]-|^AKIA[0-9A-Z]{12}|^eyJ[A-Za-z0-9_-]{8}|^AIza`)
)

// looksSecret: a known credential shape, or a long opaque token (letters
// and digits mixed, no spaces, not a URL or media type).
func looksSecret(s string) bool {
	s = strings.TrimSpace(s)
	if secretValueRE.MatchString(s) {
		return true
	}
	if len(s) < 24 || strings.ContainsAny(s, " /") {
		return false
	}
	letters, digits := false, false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letters = true
		}
	}
	return letters && digits
}

// secretValue reads a value that is a credential by nature (a token, a
// password, a client secret). A reference stays a reference; anything else
// is replaced by a new variable, named with suffix, and a comment saying
// what to export. what names the source field in that comment.
func (im *importer) secretValue(s *server, raw string, pos config.Position, what, suffix string) value {
	if r, ok := wholeRef(raw); ok {
		if r.hasDefault {
			s.note(pos, "%s: the default after :- was dropped; mcpwatch has no defaults and reports the server skipped while %s is unset", what, r.env)
		}
		return value{env: r.env}
	}
	name := im.inventEnv(s.name, suffix)
	switch {
	case strings.TrimSpace(raw) == "":
		s.note(pos, "%s is empty: export %s with the credential mcpwatch should send", what, name)
	case hasRef(raw):
		if tmpl, ok := shellTemplate(raw); ok {
			s.noteCmd(pos, fmt.Sprintf("export %s=\"%s\"", name, tmpl), "%s has references inside other text, which mcpwatch does not expand; set %s to the whole value:", what, name)
		} else {
			s.note(pos, "%s uses references mcpwatch cannot expand: export %s with the value they stand for", what, name)
		}
	default:
		s.note(pos, "%s is a literal secret and was not copied (mcpwatch never writes one into its config): export %s with that value", what, name)
	}
	return value{env: name}
}

// headerValue reads a static header. Non-secret literals (X-Tenant: acme)
// are kept; references stay references; secret-looking literals go the
// secretValue way.
func (im *importer) headerValue(s *server, hname, raw string, pos config.Position) value {
	if _, ok := wholeRef(raw); !ok && !hasRef(raw) && !secretHeaderRE.MatchString(hname) && !looksSecret(raw) {
		return value{text: raw}
	}
	return im.secretValue(s, raw, pos, "header "+hname, hname)
}

// bearerValue reads the token after "Bearer ". LiteLLM reads os.environ/
// only as a whole value, so "Bearer os.environ/X" is sent as that text: not
// a reference, and not a secret to copy either.
func (im *importer) bearerValue(s *server, tok string, pos config.Position, what string) value {
	if m := osEnvRE.FindStringSubmatch(strings.TrimSpace(tok)); m != nil {
		name := im.inventEnv(s.name, "TOKEN")
		s.note(pos, "%s is \"Bearer os.environ/%s\", which LiteLLM does not expand (os.environ/ works only as a whole value); export %s with the token, or write token: \"${%s}\" if %s holds it", what, m[1], name, m[1], m[1])
		return value{env: name}
	}
	return im.secretValue(s, tok, pos, what, "TOKEN")
}

// bearerToken splits "Bearer <token>" (any case).
func bearerToken(v string) (string, bool) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// addHeaders copies a mapping of static headers onto s. An Authorization
// header of the form "Bearer …" becomes bearer auth when s has no auth yet.
func (im *importer) addHeaders(s *server, path string, hm *member) {
	if hm == nil || hm.val.kind == kNull {
		return
	}
	if hm.val.kind != kMap {
		im.errorf(hm.val.pos, path, "expected a mapping of header name to value, got "+hm.val.kindName(), "")
		return
	}
	seen := map[string]string{}
	for _, h := range hm.val.keys {
		hp := path + "." + h.key
		if !config.ValidHeaderName(h.key) {
			im.errorf(h.keyPos, hp, fmt.Sprintf("invalid header name %q", h.key), "header names are letters, digits and !#$%&'*+-.^_`|~ (no spaces or colons)")
			continue
		}
		if first, dup := seen[strings.ToLower(h.key)]; dup {
			im.errorf(h.keyPos, hp, "duplicate header", fmt.Sprintf("same as %s; header names are case-insensitive", first))
			continue
		}
		seen[strings.ToLower(h.key)] = h.key
		raw, ok := h.val.scalar()
		if !ok {
			im.errorf(h.val.pos, hp, "expected a string, got "+h.val.kindName(), `write "" for an empty header`)
			continue
		}
		if s.auth != nil && authHeaderName(s.auth) != "" && strings.EqualFold(authHeaderName(s.auth), h.key) {
			s.note(h.keyPos, "header %s not copied: the auth below sends %s already", h.key, authHeaderName(s.auth))
			continue
		}
		if strings.EqualFold(h.key, "Authorization") {
			if tok, ok := bearerToken(raw); ok && s.auth == nil {
				s.auth = &auth{typ: config.AuthBearer, token: im.bearerValue(s, tok, h.val.pos, "header "+h.key)}
				continue
			}
		}
		s.headers = append(s.headers, header{name: h.key, val: im.headerValue(s, h.key, raw, h.val.pos)})
	}
}

// authHeaderName is the header an auth setting sends.
func authHeaderName(a *auth) string {
	switch a.typ {
	case config.AuthBearer, config.AuthBasic, config.AuthOAuth2:
		return "Authorization"
	case config.AuthHeader:
		return a.header
	}
	return ""
}

// checkURL accepts what config accepts for a server url: absolute http(s)
// with a host and no user:password@.
func checkURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "not a valid URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%q is not an absolute http or https URL", u.Redacted())
	case u.Hostname() == "":
		return fmt.Sprintf("%q has no host", u.Redacted())
	}
	return ""
}

// serverURL reads a server's url. A reference, which mcpwatch cannot
// expand in a url, gives a placeholder under .invalid and disables the
// server; user:password@ is moved into basic auth.
func (im *importer) serverURL(s *server, path string, raw string, pos config.Position) bool {
	if hasRef(raw) {
		label := "url"
		if r, ok := wholeRef(raw); ok {
			label = strings.ToLower(strings.ReplaceAll(r.env, "_", "-"))
		}
		s.url = "https://replace-with-" + label + ".invalid/mcp"
		s.disable(pos, "the url is read from the environment (%s), which mcpwatch does not do for urls; write the real url and remove disabled", displayRef(raw))
		return true
	}
	if msg := checkURL(raw); msg != "" {
		im.errorf(pos, path, msg, "a server needs an absolute URL, e.g. https://mcp.example.com/mcp")
		return false
	}
	u, _ := url.Parse(raw)
	if u.User != nil {
		user := u.User.Username()
		_, hasPass := u.User.Password()
		u.User = nil
		s.url = u.String()
		if s.auth == nil && user != "" {
			s.auth = &auth{typ: config.AuthBasic, username: user}
			if hasPass {
				s.auth.password = im.secretValue(s, "(in url)", pos, "the password in the url", "PASSWORD")
			}
			s.note(pos, "user:password@ moved out of the url into basic auth: mcpwatch shows urls on screen")
		} else {
			s.note(pos, "user:password@ removed from the url: mcpwatch shows urls on screen; put the credentials under auth")
		}
		return true
	}
	s.url = raw
	for k := range u.Query() {
		if secretHeaderRE.MatchString(k) {
			s.note(pos, "the url carries a credential in query parameter %s; mcpwatch shows urls on screen and in metrics, so prefer a header if the server accepts one", k)
			break
		}
	}
	return true
}

// displayRef shows a reference the way a reader would look it up.
func displayRef(raw string) string { return truncate(oneLine(raw), 80) }

// oneLine makes text from the source safe to put in a comment: one line,
// through the one sanitizer, at most 160 runes.
func oneLine(s string) string { return truncate(textsafe.Line(s, 0), 160) }

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
