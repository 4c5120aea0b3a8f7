package oauth

import (
	"net/url"
	"strings"
)

// hostOf names a URL's host for messages; never the path or query, which could carry anything.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	return u.Host
}

// resourceCovers reports whether protected-resource metadata whose `resource` is resource may
// speak for the MCP server at serverURL: the same origin (scheme and host compared
// case-insensitively, default ports dropped) and a path equal to the server URL's or a
// segment-wise prefix of it — so the origin itself, served at the root well-known URL, covers
// every path (RFC 9728 §3.3 for root metadata; the TypeScript SDK's rule and the rfc9728bis
// draft). /mcp covers /mcp/x, not /mcpx. A trailing slash and a fragment are ignored; a resource
// with a query must match path and query exactly; one naming a user matches nothing.
func resourceCovers(resource, serverURL string) bool {
	r, okR := splitResource(resource)
	s, okS := splitResource(serverURL)
	switch {
	case !okR || !okS || r.origin != s.origin:
		return false
	case r.query != "":
		return r.path == s.path && r.query == s.query
	}
	return r.path == "" || r.path == s.path || strings.HasPrefix(s.path, r.path+"/")
}

type resourceParts struct{ origin, path, query string }

func splitResource(raw string) (resourceParts, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || u.Opaque != "" {
		return resourceParts{}, false
	}
	o, ok := normalizeResource(origin(u))
	return resourceParts{origin: o, path: strings.TrimSuffix(u.EscapedPath(), "/"), query: u.RawQuery}, ok
}

func normalizeResource(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	s := scheme + "://" + host + path
	if u.RawQuery != "" {
		s += "?" + u.RawQuery
	}
	return s, true
}

// origin is scheme://host of u.
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// sameOrigin reports whether two URLs share scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	na, _ := normalizeResource(origin(a))
	nb, _ := normalizeResource(origin(b))
	return na == nb
}
