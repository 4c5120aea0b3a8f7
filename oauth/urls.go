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

// sameResource compares resource identifiers the way RFC 9728 §3.3 intends "identical" for
// URLs people type: scheme and host case-insensitive, default ports dropped, a trailing slash
// ignored, fragments ignored. Path and query must match exactly.
func sameResource(a, b string) bool {
	na, okA := normalizeResource(a)
	nb, okB := normalizeResource(b)
	return okA && okB && na == nb
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
