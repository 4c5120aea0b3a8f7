package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/mcpwatch/mcpwatch/tlsverify"
)

// fetcher performs one token request. It knows nothing about caching.
type fetcher struct {
	hc              *http.Client // redirects disabled; see noRedirects
	now             func() time.Time
	defaultLifetime time.Duration
}

// fetch requests a token for cr. Errors are *Error, already scrubbed of the secret. cert is
// what the TLS handshake with an https endpoint showed, also when it was refused.
func (f fetcher) fetch(ctx context.Context, cr Credentials) (tok *Token, cert *tlsverify.CertInfo, err error) {
	tok, cert, ferr := f.fetchUnscrubbed(ctx, cr)
	if ferr != nil {
		return nil, cert, ferr.scrub(secretForms(cr)...)
	}
	return tok, cert, nil
}

func (f fetcher) fetchUnscrubbed(ctx context.Context, cr Credentials) (tok *Token, cert *tlsverify.CertInfo, ferr *Error) {
	if cr.TokenURL == "" {
		return nil, nil, &Error{Class: "token.no_token_url", Msg: "no token URL: configure one or discover it first"}
	}
	if u, err := url.Parse(cr.TokenURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, nil, &Error{Class: "token.bad_token_url", Msg: "token URL is not an absolute http(s) URL"}
	}
	auth, aerr := authFor(cr.Method, f.now)
	if aerr != nil {
		return nil, nil, aerr
	}
	cfg := &clientcredentials.Config{ClientID: cr.ClientID, TokenURL: cr.TokenURL, Scopes: slices.Clone(cr.Scopes),
		EndpointParams: url.Values{}}
	if cr.Resource != "" {
		cfg.EndpointParams.Set("resource", cr.Resource)
	}
	if cr.Audience != "" {
		cfg.EndpointParams.Set("audience", cr.Audience)
	}
	if err := auth.configure(cfg, cr); err != nil {
		var oe *Error
		if errors.As(err, &oe) {
			return nil, nil, oe
		}
		return nil, nil, &Error{Class: "token.client_auth", Msg: "client authentication: " + oneLine(err.Error(), 160), Err: err}
	}

	// The token's life starts somewhere between sending and receiving; counting from the send
	// errs towards refreshing early.
	obtained := f.now()
	hc, rec, done, terr := f.tlsClient(ctx, cr)
	if terr != nil {
		return nil, nil, terr
	}
	defer done()
	ot, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
	cert = rec.Info()
	if err != nil {
		// A client assertion is a credential for its short life: an endpoint echoing it back
		// must not get it onto the screen either; its signature alone, for an echo cut short.
		a := cfg.EndpointParams.Get("client_assertion")
		return nil, cert, classifyToken(ctx, err, cr.TokenURL).scrub(a, a[strings.LastIndex(a, ".")+1:])
	}
	return f.convert(ot, obtained, cr.Scopes), cert, nil
}

// convert applies our clock and the x/oauth2 pitfalls: Expiry (not ExpiresIn, which is always
// 0 on returned tokens) is the only lifetime x/oauth2 gives us, on the real clock, and it is
// zero when expires_in was missing — such a token would otherwise never be refreshed.
func (f fetcher) convert(ot *oauth2.Token, obtained time.Time, requested []string) *Token {
	t := &Token{AccessToken: ot.AccessToken, TokenType: ot.Type(), Obtained: obtained}
	var lifetime time.Duration
	if !ot.Expiry.IsZero() {
		// x/oauth2 set Expiry = receive time + expires_in; whole seconds recover expires_in.
		lifetime = time.Until(ot.Expiry).Round(time.Second)
	}
	if lifetime <= 0 {
		// Missing, zero or negative expires_in: treat as unknown rather than already expired,
		// which would make every probe fetch a new token.
		lifetime = f.defaultLifetime
		t.ExpiryDefaulted = true
	}
	t.Expiry = obtained.Add(lifetime)
	t.Scopes = slices.Clone(requested)
	if s, ok := ot.Extra("scope").(string); ok && strings.TrimSpace(s) != "" {
		t.Scopes = strings.Fields(s) // RFC 6749 §5.1: present when it differs from the request
	}
	return t
}

// noRedirects returns a copy of hc that does not follow redirects. A token endpoint has no
// reason to redirect, and following a 307/308 would resend a client_secret_post body to
// wherever the Location points.
func noRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}
