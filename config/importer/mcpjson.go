package importer

import (
	"fmt"
	"strings"

	"github.com/mcpwatch/mcpwatch/config"
)

// The mcpServers JSON that MCP clients share, with each client's variations:
//
//	{"mcpServers": {"<name>": {
//	    "type": "http" | "sse" | "streamable-http" | "stdio",  (optional)
//	    "url": "…", "headers": {"Authorization": "Bearer ${API_KEY}"},
//	    "command": "npx", "args": […], "env": {…}}}}
//
// Claude Code (.mcp.json) expands ${VAR} and ${VAR:-default} in url and
// headers; Cursor (.cursor/mcp.json) writes ${env:VAR} and leaves out
// "type" for remote servers; VS Code (.vscode/mcp.json) names the object
// "servers"; Windsurf spells the url "serverUrl"; Gemini CLI uses
// "httpUrl" for streamable HTTP.

// mcpClientOnly are settings of the client (tool approval, timeouts of
// tool calls, trust) with no meaning for a health check.
var mcpClientOnly = []string{
	"autoApprove", "alwaysAllow", "disabledTools", "timeout", "trust", "includeTools", "excludeTools",
	"networkTimeout", "gallery", "version", "dev", "roots",
}

// mcpKnown are keys read for some kinds of server; one left unread (env
// next to a url) is reported without "unknown".
var mcpKnown = []string{"type", "transport", "url", "serverUrl", "httpUrl", "headers", "command", "args", "env",
	"envFile", "cwd", "disabled", "enabled", "description", "oauth", "headersHelper"}

func (im *importer) mcpJSON(data []byte) error {
	root, err := parseJSON(im.name, data)
	if err != nil {
		return err
	}
	im.collectEnvNames(root)
	if root.kind != kMap {
		return config.Errors{{Pos: root.pos, Msg: "expected a JSON object with mcpServers, got " + root.kindName()}}
	}
	ms, key := root.get("mcpServers"), "mcpServers"
	if ms == nil {
		ms, key = root.get("servers"), "servers" // VS Code
	} else if vs := root.get("servers"); vs != nil {
		im.notes = append(im.notes, note{pos: vs.keyPos, msg: "the servers object (VS Code's name) was ignored: mcpServers is imported"})
	}
	if ms == nil {
		hint := `expected {"mcpServers": {"name": {"url": "…"}}}`
		switch {
		case root.get("mcp_servers") != nil:
			hint = "this looks like a LiteLLM config; use --from litellm"
		case root.get("projects") != nil:
			hint = "this looks like ~/.claude.json, which keeps servers under projects.<dir>.mcpServers; copy that object into a file of its own and import it"
		}
		return config.Errors{{Pos: root.pos, Msg: "no mcpServers object", Hint: hint}}
	}
	switch {
	case ms.val.kind == kNull || (ms.val.kind == kMap && len(ms.val.keys) == 0):
		return config.Errors{{Pos: ms.keyPos, Path: key, Msg: "no servers listed", Hint: "add at least one server"}}
	case ms.val.kind != kMap:
		return config.Errors{{Pos: ms.val.pos, Path: key, Msg: "expected an object of server name to settings, got " + ms.val.kindName(),
			Hint: `write {"` + key + `": {"name": {"url": "…"}}}`}}
	}
	for _, m := range ms.val.keys {
		im.mcpServer(key, m)
	}
	return nil
}

func (im *importer) mcpServer(key string, m member) {
	s, f, done, ok := im.beginServer(key+"."+m.key, m, "an object", `each server needs "url" (or "command")`)
	if !ok {
		return
	}
	defer done()
	path, nerr := f.path, len(im.errs)

	typ, tpos, hasType := f.str("type")
	if !hasType {
		typ, tpos, hasType = f.str("transport")
	}
	url, upos, urlKey := "", config.Position{}, ""
	for _, k := range []string{"url", "serverUrl", "httpUrl"} {
		if v, pos, ok := f.str(k); ok {
			if urlKey != "" {
				s.note(pos, "%s ignored: %s is used", k, urlKey)
				continue
			}
			url, upos, urlKey = v, pos, k
		}
	}
	command := f.member("command")

	t := strings.ToLower(typ)
	switch {
	case t == "stdio" || t == "local" || (!hasType && urlKey == "" && command != nil):
		s.omit("stdio server: not imported yet; add it by hand as transport: stdio (and set allow_stdio: true), from this sketch", im.stdioSketch(f)...)
		f.markRest()
		return
	case t == "ws" || t == "websocket":
		sketch := []string{}
		if urlKey != "" {
			sketch = append(sketch, "url: "+url)
		}
		s.omit("WebSocket transport: mcpwatch speaks streamable HTTP and SSE", sketch...)
		f.markRest()
		return
	case t == "sse":
		s.transport = config.TransportSSE
	case t == "http" || t == "streamable-http" || t == "streamable_http" || t == "streamablehttp":
		s.transport = config.TransportHTTP
	case hasType:
		im.errorf(tpos, path+".type", fmt.Sprintf("unknown type %q", typ), "valid values: http, streamable-http, sse, stdio")
		return
	case urlKey == "httpUrl":
		s.transport = config.TransportHTTP
	case urlKey != "":
		// Cursor and others try streamable HTTP first and fall back to
		// SSE; transport auto does the same.
		s.transport = config.TransportAuto
	}
	if urlKey == "" {
		if len(im.errs) == nerr { // a url that is not a string is reported already
			im.errorf(m.keyPos, path, `neither "url" nor "command"`, `a remote server needs "url"`)
		}
		return
	}
	if !im.serverURL(s, path+"."+urlKey, url, upos) {
		return
	}
	if v, pos, ok := f.boolean("disabled"); ok && v {
		s.disabled = true
		s.note(pos, "disabled in the source, so disabled here too")
	}
	if v, pos, ok := f.boolean("enabled"); ok && !v {
		s.disabled = true
		s.note(pos, "enabled: false in the source, so disabled here")
	}
	im.addHeaders(s, path+".headers", f.member("headers"))
	if h := f.member("headersHelper"); h != nil {
		s.note(h.keyPos, "headersHelper runs a command to make headers, which mcpwatch does not do; put the headers it makes under headers:")
	}
	if o := f.member("oauth"); o != nil {
		s.note(o.keyPos, "oauth: the client logs a person in; mcpwatch cannot, so unless the server allows anonymous checks it will report auth_error (give mcpwatch a token or a client_credentials client under auth:)")
	} else if s.auth == nil && len(s.headers) == 0 {
		s.note(m.keyPos, "no credentials here: if your client signs in to this server with OAuth, mcpwatch needs credentials of its own under auth: (else it reports auth_error)")
	}
	if d, pos, ok := f.str("description"); ok && d != "" {
		s.note(pos, "description: %s", oneLine(d))
	}
	im.restNotes(s, f, mcpClientOnly, mcpKnown, "client settings with no meaning for a health check")
}

// boolean reads a JSON true/false.
func (f *fields) boolean(key string) (bool, config.Position, bool) {
	m := f.member(key)
	if m == nil {
		return false, config.Position{}, false
	}
	if m.val.kind != kBool {
		f.im.errorf(m.val.pos, f.path+"."+key, "expected true or false, got "+m.val.kindName(), "")
		return false, m.val.pos, false
	}
	return m.val.text == "true", m.val.pos, true
}
