package promsource

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/boundedfile"
)

// Options say which Prometheus to read and how.
type Options struct {
	URL      string        // the server's base URL, e.g. http://prometheus:9090 (the API is under /api/v1)
	Selector string        // label matchers every query is narrowed by, e.g. {job="mcpwatch"}; "" for none
	Refresh  time.Duration // between two reads of the fleet
	Timeout  time.Duration // for one read: every query of it together

	BearerFile, BearerEnv     string // Authorization: Bearer, from a file or an env var
	User                      string // HTTP Basic user …
	PasswordFile, PasswordEnv string // … and password, from a file or an env var
	CAFile                    string // PEM roots to trust instead of the system's
	CertFile, KeyFile         string // client certificate for mutual TLS
	ServerName                string // TLS server name, when the URL's host is not on the certificate
	Getenv                    func(string) string
	now                       func() time.Time // tests
	transport                 http.RoundTripper
}

// maxSecretFile bounds a bearer token or password file; maxPEM a CA, cert or key file.
const (
	maxSecretFile = 64 << 10
	maxPEM        = 1 << 20
)

// problem checks what can be checked without the network: a usage error
// that says how to fix it, or "".
func (o *Options) problem() string {
	u, err := url.Parse(o.URL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Sprintf("--prometheus %q: want the server's http:// or https:// URL, e.g. http://127.0.0.1:9090", o.URL)
	case u.User != nil:
		return "--prometheus: put no credentials in the URL (they would be shown); use --prometheus-user with --prometheus-password-file, or --prometheus-bearer-file"
	case u.RawQuery != "" || u.Fragment != "":
		return "--prometheus: give the server's base URL, without ?query or #fragment"
	case o.Selector != "" && !validSelector(o.Selector):
		return fmt.Sprintf("--selector %q: want label matchers in braces, e.g. '{job=\"mcpwatch\"}'", o.Selector)
	case o.Refresh < time.Second:
		return "--prometheus-refresh must be at least 1s"
	case o.Timeout <= 0:
		return "--prometheus-timeout must be more than 0 (e.g. 10s)"
	case o.BearerFile != "" && o.BearerEnv != "":
		return "--prometheus-bearer-file and --prometheus-bearer-env exclude each other"
	case o.PasswordFile != "" && o.PasswordEnv != "":
		return "--prometheus-password-file and --prometheus-password-env exclude each other"
	case (o.PasswordFile != "" || o.PasswordEnv != "") && o.User == "":
		return "a --prometheus-password-* needs --prometheus-user"
	case o.User != "" && o.PasswordFile == "" && o.PasswordEnv == "":
		return "--prometheus-user needs --prometheus-password-file or --prometheus-password-env"
	case o.User != "" && (o.BearerFile != "" || o.BearerEnv != ""):
		return "--prometheus-user and --prometheus-bearer-* exclude each other: pick one kind of auth"
	case (o.CertFile == "") != (o.KeyFile == ""):
		return "--prometheus-cert and --prometheus-key go together"
	}
	return ""
}

// validSelector: braces around something that is not itself a brace or a
// second expression. Prometheus checks the matchers; this only keeps the
// selector a selector, so it cannot turn each query into another one.
func validSelector(s string) bool {
	if len(s) < 2 || len(s) > 1000 || s[0] != '{' || s[len(s)-1] != '}' {
		return false
	}
	inner := s[1 : len(s)-1]
	return !strings.ContainsAny(inner, "{}\n")
}

// newClient builds the client: credentials read now (a file that cannot be
// read is an error at start, not a blank screen later), TLS as asked.
func newClient(o *Options) (*client, error) {
	base, _ := url.Parse(o.URL) // checked by problem
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	c := &client{base: base}
	switch {
	case o.BearerFile != "" || o.BearerEnv != "":
		tok, err := readSecret(o.BearerFile, o.BearerEnv, "bearer", getenv)
		if err != nil {
			return nil, err
		}
		c.secrets = []string{tok}
		c.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	case o.User != "":
		pw, err := readSecret(o.PasswordFile, o.PasswordEnv, "password", getenv)
		if err != nil {
			return nil, err
		}
		basic := base64.StdEncoding.EncodeToString([]byte(o.User + ":" + pw))
		c.secrets = []string{pw, basic}
		c.auth = func(r *http.Request) { r.SetBasicAuth(o.User, pw) }
	}
	rt := o.transport
	if rt == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		cfg, err := tlsConfig(o)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = cfg
		tr.MaxResponseHeaderBytes = 64 << 10
		rt = tr
	}
	c.http = &http.Client{
		Transport: rt,
		// A redirect is shown, not followed: credentials go to the URL given only.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// readSecret reads the --prometheus-WHAT-file or -env the operator gave;
// an error names that flag. An empty secret is refused: it would send
// credentials that cannot work and read as Prometheus refusing them.
func readSecret(file, env, what string, getenv func(string) string) (string, error) {
	if file != "" {
		b, err := boundedfile.Read(file, maxSecretFile)
		if err != nil {
			return "", fmt.Errorf("--prometheus-%s-file: %w", what, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("--prometheus-%s-file %s: the file is empty; put the %s in it", what, file, what)
		}
		return v, nil
	}
	v := strings.TrimSpace(getenv(env))
	if v == "" {
		return "", fmt.Errorf("--prometheus-%s-env: env %s is not set (or empty); export it, or use --prometheus-%s-file", what, env, what)
	}
	return v, nil
}

func tlsConfig(o *Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName}
	if o.CAFile != "" {
		pem, err := boundedfile.Read(o.CAFile, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("--prometheus-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--prometheus-ca %s: no PEM certificate in it", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	if o.CertFile != "" {
		certPEM, err := boundedfile.Read(o.CertFile, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("--prometheus-cert: %w", err)
		}
		keyPEM, err := boundedfile.Read(o.KeyFile, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("--prometheus-key: %w", err)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, errors.New("--prometheus-cert/--prometheus-key: not a matching PEM certificate and key")
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
