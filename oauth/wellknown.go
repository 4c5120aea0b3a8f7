package oauth

import (
	"net/url"
	"strings"
)

// protectedResourceURLs lists where RFC 9728 §3.1 puts a resource's metadata: the well-known
// prefix inserted before the resource's path, then (for servers that only publish one document
// per host) the bare well-known path.
func protectedResourceURLs(server *url.URL) []string {
	const wk = "/.well-known/oauth-protected-resource"
	o := origin(server)
	path := strings.TrimSuffix(server.EscapedPath(), "/")
	if path == "" {
		return []string{o + wk}
	}
	return []string{o + wk + path, o + wk}
}

// authorizationServerURLs lists where an issuer's metadata may live, in the order RFC 8414 §3.1
// and §5 give: RFC 8414 with the well-known prefix inserted before the issuer's path, OpenID
// Connect the same way, then OpenID Connect Discovery 1.0's appended form.
func authorizationServerURLs(issuer *url.URL) []string {
	o := origin(issuer)
	path := strings.TrimSuffix(issuer.EscapedPath(), "/") // §3.1: terminating "/" removed first
	urls := []string{
		o + "/.well-known/oauth-authorization-server" + path,
		o + "/.well-known/openid-configuration" + path,
	}
	if path != "" {
		urls = append(urls, o+path+"/.well-known/openid-configuration")
	}
	return urls
}

// checkURL accepts an absolute http(s) URL from a metadata document. When the server we probe
// is https, everything discovered from it must be https too: otherwise one plaintext hop would
// let anyone on the path redirect our credentials.
func checkURL(raw string, requireHTTPS bool) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Fragment != "" || u.User != nil {
		return nil, false
	}
	switch u.Scheme {
	case "https":
		return u, true
	case "http":
		return u, !requireHTTPS
	}
	return nil, false
}
