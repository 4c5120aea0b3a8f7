package probe

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/mcpwatch/mcpwatch/oauth"
)

// Issuer trust: which authorization server may receive a client secret or a
// signed assertion. The MCP server says where its authorization server is,
// and a hostile or compromised server would say "here, at my host" — so what
// discovery finds is trusted only when
//
//   - it is the issuer the operator pinned (auth.issuer, --issuer), or
//   - nothing is pinned and both the issuer and its token endpoint are on the
//     MCP server's own origin (whoever controls the server controls that
//     origin already),
//
// and, without a pin, only while it stays the one credentials went to last
// time: a change is refused until the operator pins the new one or reloads.
const (
	trustPinned     = "pinned"
	trustSameOrigin = "same_origin"
)

// trustIssuer returns how md's authorization server is trusted, or why not.
func trustIssuer(serverURL, pinned, prior string, md *oauth.Metadata) (string, *oauth.Error) {
	issuer := strings.TrimSuffix(md.Issuer, "/")
	refuse := func(msg string) (string, *oauth.Error) {
		return "", &oauth.Error{Class: "discovery.untrusted_issuer", Msg: msg + "; credentials not sent"}
	}
	if pinned != "" {
		if issuer != strings.TrimSuffix(pinned, "/") {
			return refuse(fmt.Sprintf("the server names authorization server %s, not the pinned issuer %s",
				quoteURL(md.Issuer), pinned))
		}
		return trustPinned, nil
	}
	if !sameOrigin(md.Issuer, serverURL) || !sameOrigin(md.TokenEndpoint, serverURL) {
		return refuse(fmt.Sprintf("the server names authorization server %s, on another origin than the server; "+
			"if you trust it, pin it with auth.issuer: %s (ad hoc: --issuer)", quoteURL(md.Issuer), quoteURL(md.Issuer)))
	}
	if prior != "" && issuer != strings.TrimSuffix(prior, "/") {
		return "", &oauth.Error{Class: "discovery.issuer_changed", Msg: fmt.Sprintf(
			"authorization server changed from %s to %s; credentials not sent (pin the new one with auth.issuer, or reload)",
			prior, quoteURL(md.Issuer))}
	}
	return trustSameOrigin, nil
}

// sameOrigin compares scheme, host and port (default ports made explicit).
func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Host == "" {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(hostPort(ua), hostPort(ub))
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if strings.EqualFold(u.Scheme, "https") {
		return u.Hostname() + ":443"
	}
	return u.Hostname() + ":80"
}

// quoteURL shows a peer-supplied URL: bounded, one line.
func quoteURL(s string) string { return firstLine(s) }
