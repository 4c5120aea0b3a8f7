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
}

func (m *Metadata) clone() *Metadata {
	if m == nil {
		return nil
	}
	c := *m
	c.AuthMethods = slices.Clone(m.AuthMethods)
	c.SigningAlgs = slices.Clone(m.SigningAlgs)
	return &c
}

// protectedResourceDoc is the part of RFC 9728 §2 we use.
type protectedResourceDoc struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
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
//     challenge has resource_metadata names the protected-resource metadata.
//  2. Otherwise, or if that document is missing, /.well-known/oauth-protected-resource<path>,
//     then /.well-known/oauth-protected-resource, on the server's origin.
//  3. The document's `resource` must be serverURL (see sameResource). If it is not, Discover
//     stops with discovery.resource_mismatch: a document for another resource is how
//     credentials get phished, so nothing more is fetched and no credentials go anywhere.
//  4. For each authorization server listed, its RFC 8414 / OpenID metadata (see
//     authorizationServerURLs), whose `issuer` must equal the issuer asked for.
//
// headers are sent only to the server's own origin, minus Authorization, Proxy-Authorization
// and Cookie. hc nil means http.DefaultClient; ctx bounds the whole discovery.
func Discover(ctx context.Context, hc *http.Client, serverURL string, headers http.Header) (*Metadata, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	server, err := url.Parse(serverURL)
	if err != nil || (server.Scheme != "http" && server.Scheme != "https") || server.Host == "" {
		return nil, &Error{Class: "discovery.bad_url", Msg: "server URL is not an absolute http(s) URL"}
	}
	d := &discovery{hc: hc, server: server, serverURL: serverURL, headers: safeHeaders(headers),
		requireHTTPS: server.Scheme == "https"}
	prm, source, derr := d.protectedResource(ctx)
	if derr != nil {
		return nil, derr
	}
	md, derr := d.authorizationServer(ctx, prm)
	if derr != nil {
		return nil, derr
	}
	md.Resource, md.Source = prm.Resource, source
	return md, nil
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

// challenge sends the unauthenticated ping and returns the resource_metadata URL from a 401's
// Bearer challenge, "" if there is none, and how the server answered (for messages).
func (d *discovery) challenge(ctx context.Context) (metaURL string, status int, derr *Error) {
	body := strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.serverURL, body)
	if err != nil {
		return "", 0, &Error{Class: "discovery.bad_url", Msg: "cannot request the server URL", Err: err}
	}
	d.addHeaders(req)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := d.hc.Do(req)
	if err != nil {
		return "", 0, d.requestError(ctx, "server "+d.server.Host, err)
	}
	// Only the status and headers matter. The body is not read: an unprotected server may
	// answer with an SSE stream that stays open, and discovery must not wait on it.
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		metaURL = bearerParam(resp.Header.Values("WWW-Authenticate"), "resource_metadata")
	}
	return metaURL, resp.StatusCode, nil
}

// protectedResource finds and checks the RFC 9728 document. source says where it came from.
func (d *discovery) protectedResource(ctx context.Context) (*protectedResourceDoc, string, *Error) {
	metaURL, status, derr := d.challenge(ctx)
	if derr != nil {
		return nil, "", derr
	}
	type candidate struct{ url, source string }
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
				return nil, "", err
			}
			lastErr = moreTelling(lastErr, err)
			continue
		}
		switch {
		case doc.Resource == "":
			return nil, "", &Error{Class: "discovery.bad_metadata", Msg: c.url + " names no resource"}
		case !sameResource(doc.Resource, d.serverURL):
			return nil, "", &Error{Class: "discovery.resource_mismatch", Msg: fmt.Sprintf(
				"protected-resource metadata at %s is for %q, not %q; refusing to send credentials",
				c.url, oneLine(doc.Resource, 200), d.serverURL)}
		case len(doc.AuthorizationServers) == 0:
			return nil, "", &Error{Class: "discovery.bad_metadata", Msg: c.url + " lists no authorization_servers"}
		}
		return &doc, c.source, nil
	}
	if lastErr == nil || lastErr.Class == "discovery.no_metadata" {
		return nil, "", &Error{Class: "discovery.no_metadata", Status: status, Msg: fmt.Sprintf(
			"no protected-resource metadata found (server answered HTTP %d without resource_metadata; well-known URLs missing)", status)}
	}
	return nil, "", lastErr
}

// authorizationServer returns the token endpoint of the first listed authorization server
// whose metadata checks out.
func (d *discovery) authorizationServer(ctx context.Context, prm *protectedResourceDoc) (*Metadata, *Error) {
	var lastErr *Error
	for _, issuer := range prm.AuthorizationServers {
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
			"%s names issuer %q, not %q", metaURL, oneLine(doc.Issuer, 200), issuer)}
	}
	if _, ok := checkURL(doc.TokenEndpoint, d.requireHTTPS); !ok {
		return nil, &Error{Class: "discovery.bad_metadata",
			Msg: metaURL + " has no acceptable token_endpoint (absolute URL, https for https servers)"}
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
