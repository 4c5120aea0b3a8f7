package importer

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mcpwatch/mcpwatch/config"
)

// The LiteLLM proxy's mcp_servers section, as LiteLLM's own loader reads
// it (litellm/proxy/_experimental/mcp_server/mcp_server_manager.py,
// load_servers_from_config) and as docs.litellm.ai/docs/mcp,
// /docs/mcp_oauth and /docs/mcp_authentication describe it:
//
//	mcp_servers:
//	  <name>:
//	    url, transport (http | sse | stdio; default http), command/args/env,
//	    auth_type, auth_value (or authentication_token), static_headers,
//	    extra_headers, oauth2_flow, client_id, client_secret, token_url,
//	    scopes, audience, token_endpoint_auth_method, spec_path, …
//
// Any string value may be os.environ/NAME, which LiteLLM reads at start-up.

// litellmGatewayOnly are settings of the gateway itself: who may call
// which tool, how tools are named, costs. A health check has no use for
// them; they are listed in one comment per server.
var litellmGatewayOnly = []string{
	"alias", "server_name", "mcp_info", "access_groups", "allowed_tools", "disallowed_tools", "allowed_params",
	"allow_all_keys", "available_on_public_internet", "instructions", "max_concurrent_requests",
	"allow_sampling", "allow_elicitation", "env_vars", "tool_name_to_cost_per_query", "default_cost_per_query",
	"delegate_auth_to_upstream", "oauth_passthrough", "dcr_bridge", "server_id", "logo_url",
}

// litellmKnown are the other keys LiteLLM reads; one left unread (a
// client_id next to auth_type bearer_token) is reported without "unknown".
var litellmKnown = []string{
	"url", "transport", "command", "args", "env", "auth_type", "auth_value", "authentication_token",
	"static_headers", "extra_headers", "description", "spec_version", "spec_path", "timeout",
	"oauth2_flow", "client_id", "client_secret", "token_url", "scopes", "audience", "token_endpoint_auth_method",
	"authorization_url", "registration_url", "issuer", "token_exchange_endpoint", "subject_token_type",
	"token_exchange_profile",
}

// litellmAWS are the aws_sigv4 settings; only their names are ever shown.
var litellmAWS = []string{
	"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_region_name",
	"aws_service_name", "aws_role_name", "aws_session_name",
}

func (im *importer) litellm(data []byte) error {
	root, err := parseYAML(im.name, data)
	if err != nil {
		return err
	}
	im.collectEnvNames(root)
	if root.kind != kMap {
		return config.Errors{{Pos: root.pos, Msg: "expected a LiteLLM proxy config (a mapping with mcp_servers:), got " + root.kindName()}}
	}
	ms := root.get("mcp_servers")
	if ms == nil {
		hint := "this command reads the mcp_servers: section of a LiteLLM proxy config.yaml"
		switch {
		case root.get("mcpServers") != nil || root.get("servers") != nil:
			hint = "this looks like an mcpServers file; use --from mcp-json"
		case root.get("include") != nil:
			hint = "mcp_servers may be in a file listed under include:; import that file"
		}
		return config.Errors{{Pos: config.Position{File: im.name}, Msg: "no mcp_servers: section", Hint: hint}}
	}
	switch {
	case ms.val.kind == kNull || (ms.val.kind == kMap && len(ms.val.keys) == 0):
		return config.Errors{{Pos: ms.keyPos, Path: "mcp_servers", Msg: "no servers listed", Hint: "add at least one server under mcp_servers:"}}
	case ms.val.kind != kMap:
		return config.Errors{{Pos: ms.val.pos, Path: "mcp_servers", Msg: "expected a mapping of server name to settings, got " + ms.val.kindName(),
			Hint: "LiteLLM writes each server as a key: mcp_servers: {github: {url: …}}"}}
	}
	if ls := root.get("litellm_settings"); ls != nil {
		if a := ls.val.get("mcp_aliases"); a != nil {
			im.notes = append(im.notes, note{pos: a.keyPos, msg: "litellm_settings.mcp_aliases only renames tools on the gateway; servers keep their mcp_servers names here"})
		}
	}
	for _, m := range ms.val.keys {
		im.litellmServer(m)
	}
	return nil
}

// fields gives typed access to one server's settings and remembers which
// keys were read, so the rest can be reported.
type fields struct {
	im   *importer
	path string
	n    *node
	used map[string]bool
}

func (f *fields) member(key string) *member {
	f.used[key] = true
	m := f.n.get(key)
	if m == nil || m.val.kind == kNull {
		return nil
	}
	return m
}

// str is a scalar setting; a list or mapping is an error.
func (f *fields) str(key string) (string, config.Position, bool) {
	m := f.member(key)
	if m == nil {
		return "", config.Position{}, false
	}
	s, ok := m.val.scalar()
	if !ok {
		f.im.errorf(m.val.pos, f.path+"."+key, "expected a string, got "+m.val.kindName(), "")
		return "", m.val.pos, false
	}
	return s, m.val.pos, true
}

// strs is a list of strings, or one string split on spaces and commas
// (LiteLLM accepts scopes both ways).
func (f *fields) strs(key string) ([]string, config.Position, bool) {
	m := f.member(key)
	if m == nil {
		return nil, config.Position{}, false
	}
	if s, ok := m.val.scalar(); ok {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }), m.val.pos, true
	}
	if m.val.kind != kList {
		f.im.errorf(m.val.pos, f.path+"."+key, "expected a list of strings, got "+m.val.kindName(), fmt.Sprintf("write %s: [a, b]", key))
		return nil, m.val.pos, false
	}
	var out []string
	for i, it := range m.val.items {
		s, ok := it.scalar()
		if !ok {
			f.im.errorf(it.pos, fmt.Sprintf("%s.%s[%d]", f.path, key, i), "expected a string, got "+it.kindName(), "")
			continue
		}
		out = append(out, s)
	}
	return out, m.val.pos, true
}

func checkName(im *importer, name string, pos config.Position, path string) bool {
	switch {
	case strings.TrimSpace(name) == "":
		im.errorf(pos, path, "empty server name", "give the server a name")
		return false
	case strings.ContainsFunc(name, unicode.IsControl) || !utf8.ValidString(name):
		im.errorf(pos, path, "server name has control characters or invalid UTF-8", "rename the server")
		return false
	}
	return true
}

// beginServer checks one server entry's name and shape and starts it. The
// returned done adds the server to the output unless reading it reported
// an error; call it when the entry has been read.
func (im *importer) beginServer(path string, m member, what, hint string) (s *server, f *fields, done func(), ok bool) {
	if !checkName(im, m.key, m.keyPos, path) {
		return nil, nil, nil, false
	}
	if m.val.kind != kMap {
		im.errorf(m.val.pos, path, "expected "+what+" of settings, got "+m.val.kindName(), hint)
		return nil, nil, nil, false
	}
	s = &server{name: m.key, src: m.keyPos}
	f = &fields{im: im, path: path, n: m.val, used: map[string]bool{}}
	nerr := len(im.errs)
	return s, f, func() {
		if len(im.errs) == nerr {
			im.servers = append(im.servers, s)
		}
	}, true
}

func (im *importer) litellmServer(m member) {
	s, f, done, ok := im.beginServer("mcp_servers."+m.key, m, "a mapping", "each server needs at least url:")
	if !ok {
		return
	}
	defer done()
	path := f.path

	transport, tpos, hasTransport := f.str("transport")
	url, upos, hasURL := f.str("url")
	command := f.member("command")
	if spec, _, ok := f.str("spec_path"); ok {
		sketch := []string{"spec_path: " + spec}
		if hasURL {
			sketch = append(sketch, "url: "+url)
		}
		s.omit("OpenAPI-backed server: LiteLLM builds MCP tools from the REST API at url itself, so there is no MCP endpoint to probe", sketch...)
		f.markRest()
		return
	}
	t := strings.ToLower(transport)
	if t == "stdio" || (!hasTransport && !hasURL && command != nil) {
		s.omit("stdio server: not imported yet; add it by hand as transport: stdio (and set allow_stdio: true), from this sketch", im.stdioSketch(f)...)
		f.markRest()
		return
	}
	switch t {
	case "":
		// LiteLLM's loader defaults to http; auto tries that first and
		// finds a legacy SSE server too.
		s.transport = config.TransportAuto
	case "http", "streamable_http", "streamable-http", "streamablehttp":
		s.transport = config.TransportHTTP
	case "sse":
		s.transport = config.TransportSSE
	default:
		im.errorf(tpos, path+".transport", fmt.Sprintf("unknown transport %q", transport), "LiteLLM's transports are http, sse and stdio")
		return
	}
	if !hasURL {
		if f.n.get("url") == nil || f.n.get("url").val.kind == kNull { // else already reported
			im.errorf(m.keyPos, path+".url", "missing", "a server needs url: (or transport: stdio with command:)")
		}
		return
	}
	if !im.serverURL(s, path+".url", url, upos) {
		return
	}

	im.litellmAuth(s, f)
	im.addHeaders(s, path+".static_headers", f.member("static_headers"))
	if eh, pos, ok := f.strs("extra_headers"); ok && len(eh) > 0 {
		s.note(pos, "extra_headers (%s) are copied from each caller's request by LiteLLM; a health check has no caller: if the server needs them, add them under headers:", strings.Join(eh, ", "))
	}
	if d, pos, ok := f.str("description"); ok && d != "" {
		s.note(pos, "description: %s", oneLine(d))
	}
	if v, pos, ok := f.str("spec_version"); ok {
		s.note(pos, "spec_version %s not carried over: mcpwatch negotiates the protocol version with the server and shows the one agreed", v)
	}
	if v, pos, ok := f.str("timeout"); ok {
		s.note(pos, "timeout %s not carried over: LiteLLM's applies to tool calls; mcpwatch's timeout bounds one whole check (default 10s)", v)
	}
	im.restNotes(s, f, litellmGatewayOnly, slices.Concat(litellmKnown, litellmAWS), "gateway settings with no meaning for a health check")
}

// markRest marks every key read, for servers that are only described.
func (f *fields) markRest() {
	for _, k := range f.n.keys {
		f.used[k.key] = true
	}
}

// restNotes reports keys no step read: settings with no meaning for a
// health check (ignorable, with label) in one line, keys the source format
// knows but this server does not use, and unknown keys, each on its own.
func (im *importer) restNotes(s *server, f *fields, ignorable, known []string, label string) {
	var gateway []string
	var first config.Position
	for _, k := range f.n.keys {
		if f.used[k.key] {
			continue
		}
		if slices.Contains(ignorable, k.key) {
			if len(gateway) == 0 {
				first = k.keyPos
			}
			gateway = append(gateway, fmt.Sprintf("%s (line %d)", k.key, k.keyPos.Line))
			continue
		}
		if slices.Contains(known, k.key) {
			s.note(k.keyPos, "%s not carried over: not used by this kind of server", k.key)
			continue
		}
		s.note(k.keyPos, "unknown key %s not carried over", k.key)
	}
	if len(gateway) > 0 {
		s.note(first, "%s: %s", label, strings.Join(gateway, ", "))
	}
}

// stdioSketch describes a stdio server without its secrets: arguments that
// look like credentials and every env value are left out.
func (im *importer) stdioSketch(f *fields) []string {
	cmd, _, _ := f.str("command")
	var args []string
	if m := f.member("args"); m != nil {
		if m.val.kind == kList {
			for _, it := range m.val.items {
				if a, ok := it.scalar(); ok {
					args = append(args, a)
				}
			}
		} else if a, ok := m.val.scalar(); ok {
			args = append(args, a)
		}
	}
	out := []string{"command: " + strings.Join(append([]string{cmd}, redactArgs(args)...), " ")}
	if m := f.member("env"); m != nil && m.val.kind == kMap && len(m.val.keys) > 0 {
		var names []string
		for _, k := range m.val.keys {
			names = append(names, k.key)
		}
		out = append(out, "env: "+strings.Join(names, ", ")+" (values not shown)")
	}
	return out
}

// redactArgs hides arguments that are, or follow, a credential.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		flag, val, isKV := strings.Cut(a, "=")
		switch {
		case isKV && strings.HasPrefix(flag, "-") && secretHeaderRE.MatchString(flag):
			out[i] = flag + "=<redacted>"
		case looksSecret(a) || (isKV && looksSecret(val)):
			out[i] = "<redacted>"
		case i > 0 && strings.HasPrefix(args[i-1], "-") && !strings.Contains(args[i-1], "=") && secretHeaderRE.MatchString(args[i-1]):
			out[i] = "<redacted>"
		default:
			out[i] = a
		}
	}
	return out
}

// litellmAuth maps auth_type and its settings.
func (im *importer) litellmAuth(s *server, f *fields) {
	typ, tpos, _ := f.str("auth_type")
	// LiteLLM reads authentication_token first, then auth_value.
	av, apos, hasAV := f.str("authentication_token")
	if !hasAV {
		av, apos, hasAV = f.str("auth_value")
	} else {
		f.used["auth_value"] = true
	}
	secret := func(what, suffix string) value {
		if !hasAV {
			name := im.inventEnv(s.name, suffix)
			s.note(tpos, "auth_type %s has no auth_value here (LiteLLM may take it from the database or per-user credentials); export %s with the credential mcpwatch should send", typ, name)
			return value{env: name}
		}
		return im.secretValue(s, av, apos, what, suffix)
	}
	switch strings.ToLower(typ) {
	case "", "none":
		if hasAV {
			s.note(apos, "auth_value ignored: there is no auth_type")
		}
	case "api_key":
		s.auth = &auth{typ: config.AuthHeader, header: "X-API-Key", val: secret("auth_value", "API_KEY")}
	case "bearer_token":
		if tok, ok := bearerToken(av); ok && hasAV { // LiteLLM strips a written "Bearer "
			s.auth = &auth{typ: config.AuthBearer, token: im.bearerValue(s, tok, apos, "auth_value")}
			break
		}
		s.auth = &auth{typ: config.AuthBearer, token: secret("auth_value", "TOKEN")}
	case "basic":
		im.litellmBasic(s, av, apos, hasAV, tpos)
	case "authorization":
		s.auth = &auth{typ: config.AuthHeader, header: "Authorization", val: secret("auth_value", "AUTHORIZATION")}
	case "token":
		// LiteLLM sends "Authorization: token <auth_value>".
		name := im.inventEnv(s.name, "AUTHORIZATION")
		s.auth = &auth{typ: config.AuthHeader, header: "Authorization", val: value{env: name}}
		if r, ok := wholeRef(av); ok && hasAV {
			s.noteCmd(apos, fmt.Sprintf(`export %s="token ${%s}"`, name, r.env), "auth_type token sends \"token <auth_value>\", which mcpwatch cannot build from %s; set %s to the whole value:", r.env, name)
		} else {
			s.noteCmd(orPos(apos, tpos), fmt.Sprintf(`export %s="token <the token>"`, name), "auth_type token sends \"token <auth_value>\"; the value was not copied (mcpwatch never writes a secret into its config):")
		}
	case "oauth2":
		if hasAV {
			s.note(apos, "auth_value ignored: oauth2 fetches its own tokens")
		}
		im.litellmOAuth2(s, f)
	case "aws_sigv4":
		var set []string
		for _, k := range litellmAWS {
			if f.member(k) != nil {
				set = append(set, k)
			}
		}
		s.disable(tpos, "auth_type aws_sigv4 signs every request with AWS SigV4, which mcpwatch cannot do yet (%s not carried over)", orNone(set))
	case "oauth2_token_exchange", "oauth2_id_jag":
		for _, k := range []string{"token_exchange_endpoint", "subject_token_type", "token_exchange_profile", "audience", "client_id", "client_secret", "token_url", "scopes"} {
			f.member(k)
		}
		s.disable(tpos, "auth_type %s trades each caller's token for an upstream one, and a health check has no caller; give mcpwatch credentials of its own (auth: type oauth2 with a client_credentials client, or bearer) and remove disabled", typ)
	case "true_passthrough", "oauth_delegate":
		s.disable(tpos, "auth_type %s forwards each caller's own token, and a health check has no caller; give mcpwatch a token of its own (auth: type bearer) and remove disabled", typ)
	default:
		s.disable(tpos, "unknown auth_type %q; set mcpwatch's auth by hand and remove disabled", typ)
	}
}

func orPos(p, fallback config.Position) config.Position {
	if p.Line == 0 {
		return fallback
	}
	return p
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "no aws_* keys"
	}
	return strings.Join(xs, ", ")
}

// litellmBasic maps auth_type basic. LiteLLM's auth_value is
// "username:password" (which LiteLLM base64-encodes) or, in older
// releases, the base64 form itself, optionally after "Basic ".
func (im *importer) litellmBasic(s *server, av string, apos config.Position, hasAV bool, tpos config.Position) {
	if r, ok := wholeRef(av); ok && hasAV {
		name := im.inventEnv(s.name, "AUTHORIZATION")
		s.auth = &auth{typ: config.AuthHeader, header: "Authorization", val: value{env: name}}
		s.noteCmd(apos, fmt.Sprintf(`export %s="Basic $(printf %%s "$%s" | base64 | tr -d '\n')"`, name, r.env),
			"auth_type basic reads username:password from %s as one value, which mcpwatch cannot split; set %s to the header (\"Basic $%s\" if %s holds base64 already), or write auth: {type: basic, username: …, password: \"${…}\"}:",
			r.env, name, r.env, r.env)
		return
	}
	if user, ok := basicUser(av); ok && hasAV && !hasRef(av) {
		s.auth = &auth{typ: config.AuthBasic, username: user,
			password: im.secretValue(s, "(in auth_value)", apos, "the password in auth_value", "PASSWORD")}
		return
	}
	name := im.inventEnv(s.name, "AUTHORIZATION")
	s.auth = &auth{typ: config.AuthHeader, header: "Authorization", val: value{env: name}}
	s.noteCmd(orPos(apos, tpos), fmt.Sprintf(`export %s="Basic <base64 of username:password>"`, name), "auth_type basic: the credentials were not copied (mcpwatch never writes a secret into its config):")
}

// basicUser finds the username in a literal basic credential. The
// password is never returned: it must not reach the output.
func basicUser(av string) (string, bool) {
	v := strings.TrimSpace(av)
	if scheme, rest, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "basic") {
		v = strings.TrimSpace(rest)
	}
	if !strings.Contains(v, ":") {
		dec, err := base64.StdEncoding.DecodeString(v)
		if err != nil || !utf8.Valid(dec) {
			return "", false
		}
		v = string(dec)
	}
	user, _, ok := strings.Cut(v, ":")
	if !ok || user == "" || strings.ContainsFunc(user, unicode.IsControl) {
		return "", false
	}
	return user, true
}

// methods mcpwatch can use with a client secret.
var secretMethods = []string{config.MethodClientSecretBasic, config.MethodClientSecretPost}

func (im *importer) litellmOAuth2(s *server, f *fields) {
	flow, fpos, hasFlow := f.str("oauth2_flow")
	id, idPos, hasID := f.str("client_id")
	csRaw, csPos, hasCS := f.str("client_secret")
	tokenURL, tuPos, hasTU := f.str("token_url")
	a := &auth{typ: config.AuthOAuth2}
	s.auth = a
	switch {
	case hasFlow && (flow == config.FlowClientCredentials || flow == config.FlowAuthorizationCode):
		a.flow = flow
	case hasFlow:
		im.errorf(fpos, f.path+".oauth2_flow", fmt.Sprintf("unknown value %q", flow), "valid values: client_credentials, authorization_code")
		return
	case hasID && hasCS && hasTU:
		// The rule LiteLLM applies to servers stored without a flow.
		a.flow = config.FlowClientCredentials
		s.note(s.src, "no oauth2_flow: read as client_credentials because client_id, client_secret and token_url are all set, as LiteLLM does (newer LiteLLM releases require oauth2_flow)")
	default:
		a.flow = config.FlowAuthorizationCode
		s.note(s.src, "no oauth2_flow and not all of client_id, client_secret, token_url: read as the interactive authorization_code flow, as LiteLLM does")
	}
	cc := a.flow == config.FlowClientCredentials
	if !cc {
		s.note(s.src, "mcpwatch lists this server but reports it skipped: the authorization_code flow needs a person to log in; for a health check, give mcpwatch a client_credentials client")
	}

	r, wholeID := wholeRef(id)
	switch {
	case hasID && wholeID && cc:
		// config reads a whole-value ${NAME} client_id from the environment.
		a.clientID = "${" + r.env + "}"
	case hasID && hasRef(id):
		if cc {
			a.clientID = "REPLACE-WITH-CLIENT-ID"
			s.disable(idPos, "client_id is built from %s, which mcpwatch cannot expand (it reads only a whole-value ${NAME}); write the client id in place of %s and remove disabled", displayRef(id), a.clientID)
		} else {
			s.note(idPos, "client_id comes from %s and is not needed while the server is skipped; not carried over", displayRef(id))
		}
	case hasID:
		a.clientID = id
	case cc:
		a.clientID = "REPLACE-WITH-CLIENT-ID"
		s.disable(s.src, "oauth2_flow client_credentials needs a client_id and none is set; write it and remove disabled")
	}
	switch {
	case hasCS:
		a.cs = im.secretValue(s, csRaw, csPos, "client_secret", "CLIENT_SECRET")
	case cc:
		name := im.inventEnv(s.name, "CLIENT_SECRET")
		a.cs = value{env: name}
		s.note(s.src, "no client_secret here; export %s with the client secret", name)
	}
	switch {
	case hasTU && hasRef(tokenURL):
		s.note(tuPos, "token_url comes from %s, which mcpwatch does not read for urls; it will discover the token endpoint from the server's metadata instead, or write token_url here", displayRef(tokenURL))
	case hasTU:
		if msg := checkURL(tokenURL); msg != "" {
			im.errorf(tuPos, f.path+".token_url", msg, "the token endpoint, e.g. https://auth.example.com/oauth/token")
			return
		}
		a.tokenURL = tokenURL
	case cc:
		s.note(s.src, "no token_url: mcpwatch discovers the token endpoint from the server's protected-resource metadata (RFC 9728)")
	}
	if scopes, pos, ok := f.strs("scopes"); ok {
		for _, sc := range scopes {
			if hasRef(sc) {
				s.note(pos, "scope %s is a reference, which mcpwatch does not expand; not carried over", displayRef(sc))
				continue
			}
			a.scopes = append(a.scopes, sc)
		}
	}
	if aud, pos, ok := f.str("audience"); ok {
		if hasRef(aud) {
			s.note(pos, "audience comes from %s, which mcpwatch does not read; write it here if the token endpoint needs it", displayRef(aud))
		} else {
			a.audience = aud
		}
	}
	if m, pos, ok := f.str("token_endpoint_auth_method"); ok {
		if slices.Contains(secretMethods, m) {
			a.method = m
		} else {
			s.note(pos, "token_endpoint_auth_method %s not carried over; mcpwatch picks client_secret_basic or client_secret_post from the server's metadata", m)
		}
	}
	for _, k := range []string{"authorization_url", "registration_url", "issuer"} {
		if _, pos, ok := f.str(k); ok {
			s.note(pos, "%s is used by interactive login and client registration, which a health check does not do; not carried over", k)
		}
	}
}
