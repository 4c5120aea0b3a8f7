package probe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/tlsverify"
)

// CertInfo is what a TLS handshake with the server or its token endpoint
// showed: the chain's earliest expiry, the leaf's subject and issuer, and
// whether it matched the name (see tlsverify).
type CertInfo = tlsverify.CertInfo

// Warning classes about certificates.
const (
	WarnTLSExpiring = "tls.expiring" // a verified chain (server or token endpoint) expires within cert_warning
	WarnTLSInsecure = "tls.insecure" // insecure_skip_verify: certificates are not verified
)

// TLSSettings converts a config TLS block.
func TLSSettings(t config.TLS) tlsverify.Settings {
	return tlsverify.Settings{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
		ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify}
}

// loadTLS reads the server's and the token endpoint's TLS files for this
// check, before anything is sent: a missing CA or a key that does not fit
// its certificate is the operator's to fix (stage config, class config.tls).
func (r *checkRun) loadTLS(ctx context.Context) error {
	authTLS := r.prep.oauth != nil && !r.prep.oauth.TLS.IsZero() && (r.prep.oauth.TokenURL == "" || isHTTPS(r.prep.oauth.TokenURL))
	if r.srv.Transport == config.TransportStdio || (!isHTTPS(r.srv.URL) && !authTLS) {
		return nil // nothing to read
	}
	ctx, cancel := r.stageCtx(ctx)
	defer cancel()
	var err error
	// Only an https URL uses them: defaults.tls must not break http servers.
	if isHTTPS(r.srv.URL) {
		if r.tls, err = tlsverify.Load(ctx, TLSSettings(r.srv.TLS)); err != nil {
			return err
		}
	}
	if authTLS {
		// oauth reads them again for each token request; here they are for
		// discovery and for the message.
		r.authTLS, err = tlsverify.Load(ctx, r.prep.oauth.TLS)
		var fe *tlsverify.FileError
		if errors.As(err, &fe) {
			return &tlsverify.FileError{Msg: "token endpoint " + fe.Msg, Err: fe.Err}
		}
	}
	return err
}

// discoveryClient is for discovery's requests: those to the MCP server's
// host (its protected-resource metadata) use its TLS settings, the others
// (the authorization server's metadata) the token endpoint's, auth.tls.
// closeIdle ends both transports' idle connections.
func (r *checkRun) discoveryClient() (hc *http.Client, closeIdle func()) {
	srvT, _ := r.transport()
	var rt http.RoundTripper = srvT
	closeIdle = srvT.CloseIdleConnections
	if r.authTLS != nil {
		asT := r.c.baseTransport()
		r.authTLS.Apply(asT, r.c.now)
		rt = byHost{host: hostOf(r.srv.URL), server: srvT, other: asT}
		closeIdle = func() { srvT.CloseIdleConnections(); asT.CloseIdleConnections() }
	}
	return &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // credentials never follow a redirect
	}}, closeIdle
}

// byHost sends requests for host through server, the rest through other.
type byHost struct {
	host          string
	server, other http.RoundTripper
}

func (b byHost) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == b.host {
		return b.server.RoundTrip(req)
	}
	return b.other.RoundTrip(req)
}

func tlsConfigVerdict(err error) verdict {
	return verdict{Status: StatusUnhealthy, Stage: StageConfig, Class: "config.tls", Message: firstLine(err.Error())}
}

// transport is a fresh transport for this check with the server's TLS
// settings; the recorder sees its handshakes. Plain http URLs get none.
func (r *checkRun) transport() (*http.Transport, *tlsverify.Recorder) {
	t := r.c.baseTransport()
	if !isHTTPS(r.srv.URL) {
		// No HTTP/2 over plain http (no h2c): setting it up per check
		// cost allocations for nothing.
		t.ForceAttemptHTTP2 = false
	}
	if r.tls == nil || !isHTTPS(r.srv.URL) {
		return t, nil
	}
	return t, r.tls.Apply(t, r.c.now)
}

// isHTTPS: the URL's scheme is https (URLs here passed config validation,
// and url.Parse for this was an allocation per check).
func isHTTPS(raw string) bool {
	return len(raw) >= 6 && strings.EqualFold(raw[:6], "https:")
}

// tlsWarnings: a certificate close to expiry (server or token endpoint),
// and insecure_skip_verify on either, which every view must show.
func tlsWarnings(srv *config.Server, last *Result, tok *TokenInfo, now time.Time) []Warning {
	var ws []Warning
	within := srv.CertWarning
	if within <= 0 {
		within = config.DefaultCertWarning
	}
	expiring := func(what string, c *CertInfo) string {
		if c == nil || !c.Verified || c.NotAfter.IsZero() || c.NotAfter.Sub(now) >= within {
			return ""
		}
		return fmt.Sprintf("%s certificate expires in %s, %s (%s)", what, tlsverify.Ago(c.NotAfter.Sub(now)),
			c.NotAfter.UTC().Format(time.DateOnly), c.ExpiresFirst)
	}
	msg := expiring("server", last.TLS)
	if tok != nil {
		if m := expiring("token endpoint", tok.TLS); m != "" {
			msg = joinMsg(msg, m)
		}
	}
	if msg != "" {
		ws = append(ws, Warning{Class: WarnTLSExpiring, Message: msg})
	}
	insecure := ""
	server := srv.TLS.InsecureSkipVerify && isHTTPS(srv.URL)
	token := srv.Auth.Type == config.AuthOAuth2 && srv.Auth.TLS.InsecureSkipVerify &&
		(srv.Auth.TokenURL == "" || isHTTPS(srv.Auth.TokenURL)) // a discovered one is unknown here: warn
	switch {
	case server && token:
		insecure = "the server's and the token endpoint's certificates are not verified"
	case server:
		insecure = "the server's certificate is not verified"
	case token:
		insecure = "the token endpoint's certificate is not verified"
	}
	if insecure != "" {
		ws = append(ws, Warning{Class: WarnTLSInsecure, Message: "insecure_skip_verify: " + insecure +
			"; anyone on the path can impersonate it"})
	}
	return ws
}

func joinMsg(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// remoteTLSAlert names an alert the server sent. With TLS 1.3 a server that
// refuses the client certificate says so only after the client finished
// its handshake, so it surfaces on the first request.
func remoteTLSAlert(alert string) string {
	msg := "TLS handshake failed: the server refused it (" + alert + ")"
	switch {
	case strings.Contains(alert, "certificate required"):
		msg += "; it wants a client certificate: set tls.cert_file and tls.key_file"
	case strings.Contains(alert, "bad certificate"), strings.Contains(alert, "unknown certificate authority"),
		strings.Contains(alert, "certificate expired"):
		msg += "; it did not accept the client certificate"
	}
	return msg
}
