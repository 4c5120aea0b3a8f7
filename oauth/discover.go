package oauth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Metadata is what discovery learned about where and how to get a token for a server.
type Metadata struct {
	Resource      string   // the protected resource, as its metadata names it
	Issuer        string   // authorization server issuer (verified against its own metadata)
	TokenEndpoint string   // where to POST for tokens
	AuthMethods   []string // token_endpoint_auth_methods_supported
	SigningAlgs   []string // token_endpoint_auth_signing_alg_values_supported
	Source        string   // "resource_metadata header (<url>)" or the well-known URL used

	ChallengeScopes []string // `scope` of the server's 401 Bearer challenge to the discovery ping
	ScopesSupported []string // the protected-resource metadata's scopes_supported
	Legacy          bool     // found by the 2025-03-26 fallback: no protected-resource metadata
}

func (m *Metadata) clone() *Metadata {
	if m == nil {
		return nil
	}
	c := *m
	c.AuthMethods = slices.Clone(m.AuthMethods)
	c.SigningAlgs = slices.Clone(m.SigningAlgs)
	c.ChallengeScopes = slices.Clone(m.ChallengeScopes)
	c.ScopesSupported = slices.Clone(m.ScopesSupported)
	return &c
}

// protectedResourceDoc is the part of RFC 9728 §2 we use.
type protectedResourceDoc struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	ScopesSupported      []string `json:"scopes_supported"`
}

// authorizationServerDoc is the part of RFC 8414 §2 we use.
type authorizationServerDoc struct {
	Issuer        string   `json:"issuer"`
	TokenEndpoint string   `json:"token_endpoint"`
	AuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
	SigningAlgs   []string `json:"token_endpoint_auth_signing_alg_values_supported"`
}

// Discover finds the token endpoint for the MCP server at serverURL (RFC 9728, then RFC 8414):
//
//  1. One unauthenticated JSON-RPC ping POST to serverURL; a 401 whose WWW-Authenticate Bearer
//     challenge has resource_metadata names the protected-resource metadata, and its scope is
//     kept for scope selection (Metadata.SuggestedScopes).
//  2. Otherwise, or if that document is missing, /.well-known/oauth-protected-resource<path>,
//     then /.well-known/oauth-protected-resource, on the server's origin.
//  3. The document's `resource` must cover serverURL (see resourceCovers: the same origin, and
//     the server's path or a segment-wise prefix of it). If it does not, Discover stops with
//     discovery.resource_mismatch: a document for another resource is how credentials get
//     phished, so nothing more is fetched and no credentials go anywhere.
//  4. For each authorization server listed, its RFC 8414 / OpenID metadata (see
//     authorizationServerURLs), whose `issuer` must equal the issuer asked for.
//
// The 2025-03-26 fallback: when the ping was answered 401 and no protected-resource metadata
// exists at all (every candidate missing), the server's origin is taken for its authorization
// server's base URL, as that revision of the MCP spec said: RFC 8414 metadata at
// <origin>/.well-known/oauth-authorization-server, whose issuer and token endpoint must both be
// on the server's own origin. The revision's default endpoint <origin>/token, for servers without
// that metadata, is not assumed: no client secret goes to a URL nobody advertised.
//
// headers are sent only to the server's own origin, minus Authorization, Proxy-Authorization
// and Cookie. hc nil means http.DefaultClient; ctx bounds the whole discovery.
func Discover(ctx context.Context, hc *http.Client, serverURL string, headers http.Header) (*Metadata, error) {
	d, derr := newDiscovery(hc, serverURL, headers)
	if derr != nil {
		return nil, derr
	}
	ping, derr := d.challenge(ctx)
	if derr != nil {
		return nil, derr
	}
	prm, found, derr := d.protectedResource(ctx, ping.metaURL, ping.status)
	if derr != nil && derr.Class == "discovery.no_metadata" && ping.status == http.StatusUnauthorized {
		return d.legacy(ctx, derr, ping)
	}
	if derr != nil {
		return nil, derr
	}
	md, derr := d.authorizationServer(ctx, prm)
	if derr != nil {
		return nil, derr
	}
	md.Resource, md.Source = prm.Resource, found.source
	md.ChallengeScopes, md.ScopesSupported = ping.scopes, scopeTokens(prm.ScopesSupported)
	return md, nil
}

func newDiscovery(hc *http.Client, serverURL string, headers http.Header) (*discovery, *Error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	server, err := url.Parse(serverURL)
	if err != nil || (server.Scheme != "http" && server.Scheme != "https") || server.Host == "" {
		return nil, &Error{Class: "discovery.bad_url", Msg: "server URL is not an absolute http(s) URL"}
	}
	return &discovery{hc: hc, server: server, serverURL: serverURL, headers: safeHeaders(headers),
		requireHTTPS: server.Scheme == "https"}, nil
}

type discovery struct {
	hc           *http.Client
	server       *url.URL
	serverURL    string
	headers      http.Header
	requireHTTPS bool
}

// safeHeaders drops credentials: discovery is unauthenticated by design.
func safeHeaders(h http.Header) http.Header {
	h = h.Clone()
	for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie"} {
		h.Del(k)
	}
	return h
}

// addHeaders adds the caller's headers to requests to the server's own origin only; a metadata
// host elsewhere has no business seeing them.
func (d *discovery) addHeaders(req *http.Request) {
	if !sameOrigin(req.URL, d.server) {
		return
	}
	for k, vs := range d.headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
}

// pingAnswer is what the unauthenticated ping learned: the status, and from a 401's Bearer
// challenge the resource_metadata URL and the scopes it names.
type pingAnswer struct {
	status  int
	metaURL string
	scopes  []string
}

// challenge sends the unauthenticated ping.
func (d *discovery) challenge(ctx context.Context) (pingAnswer, *Error) {
	body := strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.serverURL, body)
	if err != nil {
		return pingAnswer{}, &Error{Class: "discovery.bad_url", Msg: "cannot request the server URL", Err: err}
	}
	d.addHeaders(req)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := d.hc.Do(req)
	if err != nil {
		return pingAnswer{}, d.requestError(ctx, "server "+d.server.Host, err)
	}
	// Only the status and headers matter. The body is not read: an unprotected server may
	// answer with an SSE stream that stays open, and discovery must not wait on it.
	resp.Body.Close()
	a := pingAnswer{status: resp.StatusCode}
	if resp.StatusCode == http.StatusUnauthorized {
		ch := ParseBearerChallenge(resp.Header.Values("WWW-Authenticate"))
		a.metaURL, a.scopes = ch.ResourceMetadata, ch.Scope
	}
	return a, nil
}

// candidate is a place protected-resource metadata may be; source says how it was found.
type candidate struct{ url, source string }

// protectedResource finds and checks the RFC 9728 document: at metaURL (from the server's
// challenge) if given, else at the well-known URLs. status is how the server answered (for
// messages).
func (d *discovery) protectedResource(ctx context.Context, metaURL string, status int) (*protectedResourceDoc, candidate, *Error) {
	var candidates []candidate
	var lastErr *Error
	if metaURL != "" {
		if _, ok := checkURL(metaURL, d.requireHTTPS); ok {
			candidates = append(candidates, candidate{metaURL, "resource_metadata header (" + metaURL + ")"})
		} else {
			lastErr = &Error{Class: "discovery.bad_metadata", Status: status,
				Msg: "resource_metadata in the server's challenge is not an acceptable URL (https required for https servers)"}
		}
	}
	for _, u := range protectedResourceURLs(d.server) {
		if u != metaURL {
			candidates = append(candidates, candidate{u, u})
		}
	}
	for _, c := range candidates {
		var doc protectedResourceDoc
		if err := d.getJSON(ctx, c.url, &doc); err != nil {
			if ctx.Err() != nil {
				return nil, candidate{}, err
			}
			lastErr = moreTelling(lastErr, err)
			continue
		}
		switch {
		case doc.Resource == "":
			return nil, candidate{}, &Error{Class: "discovery.bad_metadata", Msg: oneLine(c.url, 200) + " names no resource"}
		case !resourceCovers(doc.Resource, d.serverURL):
			return nil, candidate{}, &Error{Class: "discovery.resource_mismatch", Msg: fmt.Sprintf(
				"protected-resource metadata at %s is for %q, which is neither %q nor a path above it on its origin; refusing to send credentials",
				oneLine(c.url, 200), oneLine(doc.Resource, 200), d.serverURL)}
		case len(doc.AuthorizationServers) == 0:
			return nil, candidate{}, &Error{Class: "discovery.bad_metadata", Msg: oneLine(c.url, 200) + " lists no authorization_servers"}
		}
		return &doc, c, nil
	}
	if lastErr == nil || lastErr.Class == "discovery.no_metadata" {
		return nil, candidate{}, &Error{Class: "discovery.no_metadata", Status: status, Msg: fmt.Sprintf(
			"no protected-resource metadata found (server answered HTTP %d without resource_metadata; well-known URLs missing)", status)}
	}
	return nil, candidate{}, lastErr
}

// legacy is the 2025-03-26 fallback (see Discover): the server answered 401 and has no
// protected-resource metadata (noPRM says so); its origin's RFC 8414 metadata is accepted only
// if issuer and token endpoint are on that same origin, so credentials go nowhere else.
func (d *discovery) legacy(ctx context.Context, noPRM *Error, ping pingAnswer) (*Metadata, error) {
	o := origin(d.server)
	metaURL := o + "/.well-known/oauth-authorization-server"
	var doc authorizationServerDoc
	if err := d.getJSON(ctx, metaURL, &doc); err != nil {
		if err.Class != "discovery.no_metadata" {
			return nil, err
		}
		e := *noPRM
		e.Msg += ", nor 2025-03-26 authorization-server metadata at " + metaURL +
			"; set token_url if the token endpoint is known"
		return nil, &e
	}
	refuse := func(what string) (*Metadata, error) {
		return nil, &Error{Class: "discovery.bad_metadata", Msg: fmt.Sprintf(
			"%s (2025-03-26 fallback, no protected-resource metadata) %s; only the server's own origin %s is trusted without it, refusing to send credentials",
			metaURL, what, o)}
	}
	if iu, ok := checkURL(doc.Issuer, d.requireHTTPS); !ok || iu.RawQuery != "" || !sameOrigin(iu, d.server) {
		return refuse(fmt.Sprintf("names issuer %q", oneLine(doc.Issuer, 200)))
	}
	if tu, ok := checkURL(doc.TokenEndpoint, d.requireHTTPS); !ok || !sameOrigin(tu, d.server) {
		return refuse(fmt.Sprintf("names token_endpoint %q", oneLine(doc.TokenEndpoint, 200)))
	}
	return &Metadata{Issuer: doc.Issuer, TokenEndpoint: doc.TokenEndpoint, AuthMethods: doc.AuthMethods,
		SigningAlgs: doc.SigningAlgs, Source: "2025-03-26 fallback: authorization-server metadata at " + metaURL,
		ChallengeScopes: ping.scopes, Legacy: true}, nil
}

// MaxAuthorizationServers is how many of the authorization servers a protected-resource
// document lists discovery asks (up to 3 metadata URLs each). Real deployments list one or
// two; a hostile document listing thousands must not cost thousands of requests per check.
const MaxAuthorizationServers = 8

// authorizationServer returns the token endpoint of the first listed authorization server
// whose metadata checks out, among the first MaxAuthorizationServers.
func (d *discovery) authorizationServer(ctx context.Context, prm *protectedResourceDoc) (*Metadata, *Error) {
	var lastErr *Error
	for _, issuer := range prm.AuthorizationServers[:min(len(prm.AuthorizationServers), MaxAuthorizationServers)] {
		iu, ok := checkURL(issuer, d.requireHTTPS)
		if !ok || iu.RawQuery != "" {
			lastErr = moreTelling(lastErr, &Error{Class: "discovery.bad_metadata",
				Msg: "authorization server " + oneLine(issuer, 200) + " is not an acceptable issuer URL"})
			continue
		}
		for _, u := range authorizationServerURLs(iu) {
			md, err := d.authorizationServerAt(ctx, u, issuer)
			if err == nil {
				return md, nil
			}
			if ctx.Err() != nil {
				return nil, err
			}
			lastErr = moreTelling(lastErr, err)
		}
	}
	return nil, lastErr
}

func (d *discovery) authorizationServerAt(ctx context.Context, metaURL, issuer string) (*Metadata, *Error) {
	var doc authorizationServerDoc
	if err := d.getJSON(ctx, metaURL, &doc); err != nil {
		return nil, err
	}
	// RFC 8414 §3.3: the issuer in the document MUST be identical to the one asked for;
	// otherwise a document could impersonate another authorization server.
	if doc.Issuer != issuer {
		return nil, &Error{Class: "discovery.issuer_mismatch", Msg: fmt.Sprintf(
			"%s names issuer %q, not %q", oneLine(metaURL, 200), oneLine(doc.Issuer, 200), oneLine(issuer, 200))}
	}
	if _, ok := checkURL(doc.TokenEndpoint, d.requireHTTPS); !ok {
		return nil, &Error{Class: "discovery.bad_metadata",
			Msg: oneLine(metaURL, 200) + " has no acceptable token_endpoint (absolute URL, https for https servers)"}
	}
	return &Metadata{Issuer: doc.Issuer, TokenEndpoint: doc.TokenEndpoint,
		AuthMethods: doc.AuthMethods, SigningAlgs: doc.SigningAlgs}, nil
}

// moreTelling keeps whichever error says more about what went wrong: a document that exists
// but is wrong beats a transport failure, which beats a plain 404.
func moreTelling(a, b *Error) *Error {
	rank := func(e *Error) int {
		switch {
		case e == nil:
			return -1
		case e.Class == "discovery.issuer_mismatch":
			return 3
		case e.Class == "discovery.bad_metadata":
			return 2
		case e.Class == "discovery.no_metadata":
			return 0
		}
		return 1
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}
