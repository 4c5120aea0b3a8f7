package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/mcpwatch/mcpwatch/tlsverify"
)

// tlsClient is the client for one token request to cr's endpoint: for an
// https endpoint, a fresh transport with cr.TLS (files read now) whose
// handshake is recorded; otherwise hc itself. A client whose transport is
// not an *http.Transport (a test's, a proxy library's) is used as it is
// unless TLS settings are configured, which need one.
func (f fetcher) tlsClient(ctx context.Context, cr Credentials) (*http.Client, *tlsverify.Recorder, func(), *Error) {
	u, err := url.Parse(cr.TokenURL)
	if err != nil || u.Scheme != "https" {
		return f.hc, nil, func() {}, nil
	}
	var base *http.Transport
	switch t := f.hc.Transport.(type) {
	case nil:
		base = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		base = t.Clone()
	default:
		if cr.TLS.IsZero() {
			return f.hc, nil, func() {}, nil
		}
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	rec, err := tlsverify.Configure(ctx, base, cr.TLS, f.now)
	if err != nil {
		return nil, nil, nil, &Error{Class: "token.tls_config", Msg: "token endpoint " + err.Error(), Err: err}
	}
	hc := *f.hc
	hc.Transport = base
	// A fresh connection per token request (they are rare): the certificate
	// is seen, and judged, every time.
	return &hc, rec, base.CloseIdleConnections, nil
}

// certError classifies a certificate tlsverify refused; nil if err is not one.
func certError(stage, what string, err error) *Error {
	var ce *tlsverify.CertError
	if errors.As(err, &ce) {
		msg := what + ": TLS " + oneLine(ce.Msg, 200)
		if ce.UnknownAuthority() {
			msg += "; set auth.tls.ca_file to the CA that signed it"
		}
		return &Error{Class: stage + ".tls", Msg: msg, Err: err}
	}
	return nil
}

// tlsOf returns a copy of the cert facts kept for an entry.
func tlsOf(c *tlsverify.CertInfo) *tlsverify.CertInfo {
	if c == nil {
		return nil
	}
	cc := *c
	return &cc
}
