package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
)

// reporter places validation errors. Validation works on plain structs so
// that file servers and programmatic ones (Server.Validate) obey the same
// rules; for file servers, locs maps field paths back to line:col.
type reporter struct {
	prefix string // "servers[2]" for file servers, "" for programmatic
	locs   *locTable
	// reported paths already have a decode error; validating their
	// (missing) value again would only add noise.
	reported map[string]bool
	errs     *Errors
	warns    *[]Warning // nil: warnings are dropped (Server.Validate)
	// urls holds the parses of URLs many servers share (sharedURL); nil
	// parses each afresh.
	urls map[string]parsedURL
}

type parsedURL struct {
	u   *url.URL
	err error
}

// maxSharedURLs bounds r.urls: a fleet shares a few token endpoints.
const maxSharedURLs = 64

// sharedURL is url.Parse of a URL many servers may share (a token
// endpoint, a resource, an issuer): parsed once per file, and only read.
func (r *reporter) sharedURL(raw string) (*url.URL, error) {
	if r.urls == nil {
		return url.Parse(raw)
	}
	if p, ok := r.urls[raw]; ok {
		return p.u, p.err
	}
	u, err := url.Parse(raw)
	if len(r.urls) < maxSharedURLs {
		r.urls[raw] = parsedURL{u, err}
	}
	return u, err
}

func (r *reporter) path(field string) string { return joinPath(r.prefix, field) }

// pos finds a field's position. A field that is absent (a required one) is
// placed at the nearest ancestor's key, e.g. the "auth:" line.
func (r *reporter) pos(field string, atKey bool) Position {
	p := r.path(field)
	for p != "" {
		if l, ok := r.locs.get(pathKey(p)); ok {
			if atKey {
				return l.key
			}
			return l.val
		}
		atKey = true
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return Position{}
}

// value reports a problem with a field's value (or its absence).
func (r *reporter) value(field, msg, hint string) {
	if r.reported[r.path(field)] {
		return
	}
	addError(r.errs, &Error{Pos: r.pos(field, false), Path: r.path(field), Msg: msg, Hint: hint})
}

// key reports a field that should not be there at all.
func (r *reporter) key(field, msg, hint string) {
	if r.reported[r.path(field)] {
		return
	}
	addError(r.errs, &Error{Pos: r.pos(field, true), Path: r.path(field), Msg: msg, Hint: hint})
}

func (r *reporter) warn(field, msg string) {
	if r.warns != nil {
		*r.warns = append(*r.warns, Warning{Pos: r.pos(field, false), Path: r.path(field), Msg: msg})
	}
}

// Validate checks a server built in code (the ad-hoc `check URL` mode) by
// the rules a config file obeys, and normalises it the same way: empty
// Transport becomes auto, empty Auth.Type none, an oauth2 Flow
// client_credentials, an oauth2 Resource the server URL, and zero
// durations the package defaults. Errors carry field paths but no
// positions.
func (s *Server) Validate() error {
	if s.Interval == 0 {
		s.Interval = DefaultInterval
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if s.Slow == 0 {
		s.Slow = DefaultSlow
	}
	if s.MaxMessageSize == 0 {
		s.MaxMessageSize = DefaultMaxMessageSize
	}
	if s.CertWarning == 0 {
		s.CertWarning = DefaultCertWarning
	}
	var errs Errors
	validateServer(s, &reporter{errs: &errs})
	return errs.orNil()
}

func validateServer(s *Server, r *reporter) {
	switch {
	case strings.TrimSpace(s.Name) == "":
		r.value("name", "required", "give each server a unique name, e.g. name: billing")
	case badText(s.Name, false) != "":
		r.value("name", badText(s.Name, false), textHint)
	}
	transport := s.Transport
	var u *url.URL // s.URL parsed, when it is valid
	if strings.EqualFold(transport, TransportStdio) {
		validateStdio(r, s)
	} else {
		u = checkURL(r, "url", s.URL, true, url.Parse)
	}

	switch strings.ToLower(s.Transport) {
	// The other spellings are what the MCP Inspector and the reference
	// servers call streamable HTTP; accepting them saves a round trip.
	case "", TransportAuto:
		s.Transport = TransportAuto
	case TransportHTTP, "streamable-http", "streamable_http", "streamablehttp":
		s.Transport = TransportHTTP
	case TransportSSE:
		s.Transport = TransportSSE
	case TransportStdio:
		s.Transport = TransportStdio
	default:
		r.value("transport", fmt.Sprintf("unknown value %q", s.Transport), "valid values: "+strings.Join(transports, ", "))
	}
	if s.Transport == TransportAuto || s.Transport == TransportHTTP || s.Transport == TransportSSE {
		stdioFieldsUnused(r, &s.Stdio, transport)
	}

	checkHeaders(r, s.Headers)
	for i, t := range s.Tags {
		if strings.TrimSpace(t) == "" {
			r.value(fmt.Sprintf("tags[%d]", i), "empty tag", "")
		} else if p := badText(t, false); p != "" {
			r.value(fmt.Sprintf("tags[%d]", i), p, textHint)
		}
	}
	// A slice, not a map: programmatic errors have no position to sort by,
	// so their order must be stable.
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"interval", s.Interval}, {"timeout", s.Timeout}, {"slow", s.Slow}} {
		if lim, ok := durationMins[d.field]; d.v <= 0 {
			r.value(d.field, "duration must be positive", durationHint)
		} else if ok && d.v < lim.min {
			r.value(d.field, fmt.Sprintf("must be at least %v, got %v", lim.min, d.v), lim.why+"; "+durationHint)
		}
	}
	if s.Transport != TransportStdio {
		validateAuth(r, &s.Auth, s.URL)
	} else if s.Auth.Type == "" {
		s.Auth.Type = AuthNone // validateStdio rejects any other type
	}
	if u == nil {
		u, _ = url.Parse(s.URL)
	}
	if u != nil && u.Scheme == "http" && s.Auth.Type != AuthNone && !isLoopback(u.Hostname()) {
		r.warn("url", "credentials will be sent over plain http; use https")
	}
}

// validateStdio checks a stdio server: a command to start, and none of the
// HTTP-only fields, which would otherwise be silently ignored.
func validateStdio(r *reporter, s *Server) {
	const httpOnly = "only valid with transport: http or sse"
	if s.URL != "" {
		r.key("url", "not used with transport: stdio", "a stdio server is started from command:; remove url")
	}
	if strings.TrimSpace(s.Stdio.Command) == "" {
		r.value("command", "required for transport: stdio", "the program to start, e.g. command: npx with args: [-y, some-mcp-server]")
	}
	if len(s.Headers) > 0 {
		r.key("headers", httpOnly, "a stdio server takes its settings through env:")
	}
	if s.Auth.Type != "" && s.Auth.Type != AuthNone {
		r.key("auth", httpOnly, "a stdio server gets credentials through env:, e.g. API_KEY: ${API_KEY}")
	}
	names := make([]string, 0, len(s.Stdio.Env))
	for n := range s.Stdio.Env {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		pi, pj := r.pos("env."+names[i], true), r.pos("env."+names[j], true)
		if pi != pj {
			return pi.before(pj)
		}
		return names[i] < names[j]
	})
	for _, n := range names {
		if !validEnvName(n) {
			r.key("env."+n, fmt.Sprintf("invalid variable name %q", n), "names match [A-Za-z_][A-Za-z0-9_]*")
			continue
		}
		checkSecret(r, "env."+n, s.Stdio.Env[n])
	}
}

// stdioFieldsUnused rejects the stdio fields on an HTTP or SSE server.
// written is the transport as the file spelled it; "" (http by default)
// most likely means a forgotten transport: stdio.
func stdioFieldsUnused(r *reporter, st *Stdio, written string) {
	hint := "this server has transport: " + written
	if written == "" {
		hint = "set transport: stdio"
	}
	for _, f := range []struct {
		field string
		set   bool
	}{{"command", st.Command != ""}, {"args", len(st.Args) > 0}, {"env", len(st.Env) > 0}, {"cwd", st.Cwd != ""}} {
		if f.set {
			r.key(f.field, "only valid with transport: stdio", hint)
		}
	}
}

// checkURL requires an absolute http(s) URL with a host, and returns it
// parsed when it is one (a URL is parsed once: at 10,000 servers parsing
// was a sixth of loading's memory). URLs are shown redacted in messages
// because a user:password@ may hide in them.
func checkURL(r *reporter, field, raw string, required bool, parse func(string) (*url.URL, error)) *url.URL {
	const example = "e.g. https://mcp.example.com/mcp"
	if raw == "" {
		if required {
			r.value(field, "required", example)
		}
		return nil
	}
	u, err := parse(raw)
	if err != nil {
		msg := "not a valid URL"
		if ue, ok := err.(*url.Error); ok {
			msg += ": " + ue.Err.Error()
		}
		r.value(field, msg, example)
		return nil
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		r.value(field, fmt.Sprintf("%q is not an absolute http or https URL", u.Redacted()), example)
	case u.Host == "" || u.Hostname() == "":
		r.value(field, fmt.Sprintf("%q has no host", u.Redacted()), example)
	case u.User != nil:
		r.value(field, "must not contain credentials", "the URL is shown on screen and in metrics; use auth: instead")
	default:
		return u
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ValidHeaderName reports whether name is an RFC 9110 token: a space or
// colon in a name would corrupt the request.
func ValidHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", c):
		default:
			return false
		}
	}
	return true
}

const headerNameHint = "header names are letters, digits and !#$%&'*+-.^_`|~ (no spaces or colons)"

func checkHeaders(r *reporter, headers map[string]Secret) {
	if len(headers) == 0 {
		return // and sort.Slice allocates even for nothing
	}
	names := make([]string, 0, len(headers))
	for n := range headers {
		names = append(names, n)
	}
	// Map order is random; sort so errors come out the same every run and
	// the "duplicate" is the later one in the file.
	sort.Slice(names, func(i, j int) bool {
		pi, pj := r.pos("headers."+names[i], true), r.pos("headers."+names[j], true)
		if pi != pj {
			return pi.before(pj)
		}
		return names[i] < names[j]
	})
	seen := map[string]string{}
	for _, n := range names {
		field := "headers." + n
		if !ValidHeaderName(n) {
			r.key(field, fmt.Sprintf("invalid header name %q", n), headerNameHint)
			continue
		}
		if first, dup := seen[strings.ToLower(n)]; dup {
			r.key(field, "duplicate header", fmt.Sprintf("same as %s; header names are case-insensitive", first))
			continue
		}
		seen[strings.ToLower(n)] = n
		checkSecret(r, field, headers[n])
		checkHeaderValue(r, field, headers[n])
	}
}

// checkHeaderValue rejects a literal header value that would corrupt the
// request or the screen; a ${ENV} value is read at each check.
func checkHeaderValue(r *reporter, field string, s Secret) {
	if p := badText(s.Literal, true); p != "" {
		r.value(field, p, headerValueHint)
	}
}

// checkSecret catches what the file decoder cannot produce but code can:
// more than one source, or an env name that is not a name.
func checkSecret(r *reporter, field string, s Secret) {
	n := 0
	for _, v := range []string{s.Env, s.File, s.Literal} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		r.value(field, "secret has more than one of Env, File and Literal set", "set exactly one")
		return
	}
	if s.Env != "" && !validEnvName(s.Env) {
		r.value(field, fmt.Sprintf("invalid env variable name %q", s.Env), "names match [A-Za-z_][A-Za-z0-9_]*")
	}
}

// secretField is the key a secret came from: token or token_file.
func secretField(key string, s Secret) string {
	if s.File != "" {
		return key + "_file"
	}
	return key
}

func validateAuth(r *reporter, a *Auth, serverURL string) {
	implicit := a.Type == ""
	if implicit {
		a.Type = AuthNone
	}
	if !slices.Contains(authTypes, a.Type) {
		r.value("auth.type", fmt.Sprintf("unknown value %q", a.Type), "valid values: "+strings.Join(authTypes, ", "))
		return // per-type checks would only add noise
	}

	// A field of another type is almost always a forgotten or wrong type:
	// say which type it belongs to.
	owned := []struct {
		field, owner string
		set          bool
	}{
		{secretField("token", a.Token), AuthBearer, !a.Token.IsZero()},
		{"header", AuthHeader, a.Header != ""},
		{secretField("value", a.Value), AuthHeader, !a.Value.IsZero()},
		{"username", AuthBasic, a.Username != ""},
		{secretField("password", a.Password), AuthBasic, !a.Password.IsZero()},
		{"flow", AuthOAuth2, a.Flow != ""},
		{"token_url", AuthOAuth2, a.TokenURL != ""},
		{"client_id", AuthOAuth2, a.ClientID != ""},
		{secretField("client_secret", a.ClientSecret), AuthOAuth2, !a.ClientSecret.IsZero()},
		{"scopes", AuthOAuth2, len(a.Scopes) > 0},
		{"audience", AuthOAuth2, a.Audience != ""},
		{"resource", AuthOAuth2, a.Resource != ""},
		{"method", AuthOAuth2, a.Method != ""},
		{"private_key_file", AuthOAuth2, a.PrivateKeyFile != ""},
		{"assertion_audience", AuthOAuth2, a.AssertionAudience != ""},
		{"issuer", AuthOAuth2, a.Issuer != ""},
		{"tls", AuthOAuth2, !a.TLS.IsZero()},
	}
	for _, o := range owned {
		if o.set && o.owner != a.Type {
			hint := "this auth has type: " + a.Type
			if implicit {
				hint = "set type: " + o.owner
			}
			r.key("auth."+o.field, "only valid with type: "+o.owner, hint)
		}
	}

	switch a.Type {
	case AuthBearer:
		requireSecret(r, "token", a.Token, "required for type: bearer")
		checkHeaderValue(r, "auth.token", a.Token)
	case AuthHeader:
		switch {
		case a.Header == "":
			r.value("auth.header", "required for type: header", "the header name, e.g. header: X-Api-Key")
		case !ValidHeaderName(a.Header):
			r.value("auth.header", fmt.Sprintf("invalid header name %q", a.Header), headerNameHint)
		}
		requireSecret(r, "value", a.Value, "required for type: header")
		checkHeaderValue(r, "auth.value", a.Value)
	case AuthBasic:
		switch {
		case a.Username == "":
			r.value("auth.username", "required for type: basic", "")
		case strings.Contains(a.Username, ":"):
			// RFC 7617: the colon separates user from password.
			r.value("auth.username", "must not contain a colon", "")
		case badText(a.Username, false) != "":
			r.value("auth.username", badText(a.Username, false), textHint)
		}
		checkSecret(r, "auth."+secretField("password", a.Password), a.Password)
	case AuthOAuth2:
		validateOAuth2(r, a, serverURL)
	}
}

func requireSecret(r *reporter, key string, s Secret, msg string) {
	if s.IsZero() {
		r.value("auth."+key, msg, fmt.Sprintf("set %s: ${ENV} or %s_file: PATH", key, key))
		return
	}
	checkSecret(r, "auth."+secretField(key, s), s)
}

func validateOAuth2(r *reporter, a *Auth, serverURL string) {
	if a.Flow == "" {
		a.Flow = FlowClientCredentials
	} else if !slices.Contains(flows, a.Flow) {
		r.value("auth.flow", fmt.Sprintf("unknown value %q", a.Flow), "valid values: "+strings.Join(flows, ", "))
	}
	if a.Method != "" && !slices.Contains(authMethods, a.Method) {
		r.value("auth.method", fmt.Sprintf("unknown value %q", a.Method), "valid values: "+strings.Join(authMethods, ", "))
	}
	tu := checkURL(r, "auth.token_url", a.TokenURL, false, r.sharedURL)
	if tu == nil { // invalid: it may still warn, beside the error
		tu, _ = r.sharedURL(a.TokenURL)
	}
	if tu != nil && tu.Scheme == "http" && !isLoopback(tu.Hostname()) {
		r.warn("auth.token_url", "client credentials will be sent over plain http; use https")
	}
	if a.Resource == "" {
		a.Resource = serverURL
	} else if u, err := r.sharedURL(a.Resource); err != nil || !u.IsAbs() || u.Fragment != "" {
		// RFC 8707 §2: an absolute URI without a fragment.
		r.value("auth.resource", "must be an absolute URI without a fragment", "usually the server URL, which is the default")
	}
	for i, sc := range a.Scopes {
		if sc == "" || strings.ContainsFunc(sc, unicode.IsSpace) {
			r.value(fmt.Sprintf("auth.scopes[%d]", i), fmt.Sprintf("invalid scope %q", sc), "list each scope as its own item, without spaces")
		} else if p := badText(sc, false); p != "" {
			r.value(fmt.Sprintf("auth.scopes[%d]", i), p, textHint)
		}
	}
	if a.PrivateKeyFile != "" && a.Method != MethodPrivateKeyJWT {
		r.key("auth.private_key_file", "only valid with method: private_key_jwt", "set method: private_key_jwt")
	}
	if a.AssertionAudience != "" {
		// An issuer identifier or a token endpoint URL (RFC 8414 §2): absolute, no fragment.
		u, err := r.sharedURL(a.AssertionAudience)
		switch {
		case a.Method != MethodPrivateKeyJWT:
			r.key("auth.assertion_audience", "only valid with method: private_key_jwt", "set method: private_key_jwt")
		case err != nil || !u.IsAbs() || u.Fragment != "":
			r.value("auth.assertion_audience", "must be an absolute URI without a fragment",
				"the authorization server's issuer, e.g. https://auth.example.com")
		}
	}
	if a.Issuer != "" {
		// RFC 8414 §2: an https URL without query or fragment (http on loopback, for tests).
		u, err := r.sharedURL(a.Issuer)
		if err != nil || !u.IsAbs() || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
			(u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
			r.value("auth.issuer", "must be an https URL without query or fragment",
				"the authorization server's issuer identifier, e.g. https://auth.example.com")
		}
	}
	secretKey := secretField("client_secret", a.ClientSecret)
	checkSecret(r, "auth."+secretKey, a.ClientSecret)
	if p := badText(a.ClientID, false); p != "" {
		r.value("auth.client_id", p, textHint)
	}

	// An authorization-code server is only listed (and reported skipped),
	// so its client fields are not required.
	if a.Flow != FlowClientCredentials {
		return
	}
	if a.ClientID == "" {
		r.value("auth.client_id", "required for flow: client_credentials", "")
	}
	if name, ok := envRef(a.ClientID); ok && !validEnvName(name) {
		r.value("auth.client_id", fmt.Sprintf("invalid env variable name %q", name), "names match [A-Za-z_][A-Za-z0-9_]*")
	} else if !ok && strings.Contains(a.ClientID, "${") {
		// "app-${ID}" would otherwise silently send the text "${ID}".
		r.warn("auth.client_id", "only a whole value ${NAME} is read from the environment; this value is used literally")
	}
	if a.Method == MethodPrivateKeyJWT {
		if a.PrivateKeyFile == "" {
			r.value("auth.private_key_file", "required with method: private_key_jwt", "the client's PEM private key")
		}
		if !a.ClientSecret.IsZero() {
			r.key("auth."+secretKey, "not used with method: private_key_jwt", "remove it, or choose client_secret_basic or client_secret_post")
		}
		return
	}
	if a.ClientSecret.IsZero() {
		r.value("auth.client_secret", "required for flow: client_credentials",
			"set client_secret: ${ENV} or client_secret_file: PATH, or use method: private_key_jwt with private_key_file")
	}
}
