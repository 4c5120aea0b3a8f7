package tlsverify

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// Configure makes t connect with the settings s, verifying every
// certificate itself and recording the latest handshake in the returned
// Recorder. It reads the files of s now (bounded by ctx); errors are
// *FileError. now is the clock certificates are judged by (nil: time.Now).
//
// Direct connections dial through t.DialTLSContext, which knows the host
// dialled even when it is an IP address (no SNI is sent then); connections
// through an HTTP proxy use t.TLSClientConfig and the name sent as SNI.
func Configure(ctx context.Context, t *http.Transport, s Settings, now func() time.Time) (*Recorder, error) {
	l, err := Load(ctx, s)
	if err != nil {
		return nil, err
	}
	return l.Apply(t, now), nil
}

// Apply makes t connect with l's settings, like Configure, without reading
// the files again: a check reads them once and may open several transports.
func (l *Loaded) Apply(t *http.Transport, now func() time.Time) *Recorder {
	s := l.s
	if now == nil {
		now = time.Now
	}
	rec := &Recorder{}
	v := &verifier{roots: l.roots, insecure: s.InsecureSkipVerify, now: now, rec: rec}
	base := &tls.Config{
		// Verification happens in VerifyConnection (verifier), with the same
		// steps crypto/tls takes, so that a refused chain is still described.
		InsecureSkipVerify: true, //nolint:gosec // see verifier.verify
		Certificates:       l.client,
		ServerName:         s.ServerName,
		MinVersion:         tls.VersionTLS12,
	}
	proxied := base.Clone()
	proxied.VerifyConnection = v.hook(func(cs tls.ConnectionState) string {
		if s.ServerName != "" {
			return s.ServerName
		}
		return cs.ServerName
	})
	t.TLSClientConfig = proxied
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		name := s.ServerName
		if name == "" {
			name, _, _ = net.SplitHostPort(addr)
		}
		cfg := base.Clone()
		cfg.ServerName = name
		cfg.NextProtos = []string{"h2", "http/1.1"}
		cfg.VerifyConnection = v.hook(func(tls.ConnectionState) string { return name })
		raw, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		return tc, nil
	}
	return rec
}
