package tlsverify

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// CertInfo is what one TLS handshake showed and what was verified. Subject
// and issuer are the peer's text: scrub and sanitise them before showing.
type CertInfo struct {
	Name        string `json:"name"`         // the name the certificate was checked against (server_name or the URL's host)
	NameMatched bool   `json:"name_matched"` // the leaf is valid for Name
	// Verified: the chain led to a trusted root at the time of the check.
	// False with insecure_skip_verify, and for a chain that was refused.
	Verified bool   `json:"verified"`
	Subject  string `json:"subject"` // the leaf's
	Issuer   string `json:"issuer"`  // the leaf's
	// NotAfter is the earliest notAfter over the verified chain, the
	// intermediates and root included (over the presented chain when it
	// was not verified); ExpiresFirst is the subject of that certificate.
	NotAfter           time.Time `json:"not_after"`
	ExpiresFirst       string    `json:"expires_first"`
	InsecureSkipVerify bool      `json:"insecure_skip_verify,omitempty"`
}

// Recorder keeps the facts of the latest handshake of one endpoint.
type Recorder struct {
	mu   sync.Mutex
	info *CertInfo
}

// Info returns a copy of the latest handshake's facts; nil when there was none.
func (r *Recorder) Info() *CertInfo {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.info == nil {
		return nil
	}
	c := *r.info
	return &c
}

func (r *Recorder) set(c *CertInfo) {
	r.mu.Lock()
	r.info = c
	r.mu.Unlock()
}

// CertError is a certificate that was refused: expired, not yet valid, for
// another name, or not from a trusted issuer. Its message carries the dates.
type CertError struct {
	Msg string
	Err error // the x509 error, when there is one
}

func (e *CertError) Error() string { return e.Msg }

// UnknownAuthority reports a chain that leads to no trusted root: the
// setting to name is ca_file (the caller knows which block it is in).
func (e *CertError) UnknownAuthority() bool {
	var unk x509.UnknownAuthorityError
	return errors.As(e.Err, &unk)
}
func (e *CertError) Unwrap() error { return e.Err }

// verifier checks one connection's certificates against name, the way
// crypto/tls would, and records what it saw in rec whatever the outcome.
type verifier struct {
	roots    *x509.CertPool
	insecure bool
	now      func() time.Time
	rec      *Recorder
}

func (v *verifier) verify(name string, certs []*x509.Certificate) error {
	if len(certs) == 0 {
		return &CertError{Msg: "the server sent no certificate"}
	}
	leaf, now := certs[0], v.now()
	info := &CertInfo{Name: name, Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(), InsecureSkipVerify: v.insecure}
	info.NotAfter, info.ExpiresFirst = earliest(certs)
	nameErr := leaf.VerifyHostname(name)
	info.NameMatched = nameErr == nil
	defer v.rec.set(info)
	if v.insecure {
		return nil
	}
	opts := x509.VerifyOptions{Roots: v.roots, Intermediates: x509.NewCertPool(), CurrentTime: now}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	chains, err := leaf.Verify(opts)
	if err != nil {
		return &CertError{Msg: refusal(err, certs, now), Err: err}
	}
	info.Verified = true
	info.NotAfter, info.ExpiresFirst = latestEarliest(chains)
	if name == "" { // only through a proxy: crypto/tls keeps no name for an IP address
		return &CertError{Msg: fmt.Sprintf("cannot check the certificate's name: through an HTTP proxy to an IP address no name is known; set tls.server_name (auth.tls.server_name for a token endpoint) to one it is for: %s", names(leaf)), Err: nameErr}
	}
	if nameErr != nil {
		return &CertError{Msg: fmt.Sprintf("certificate is for %s, not %s (%s, valid until %s)",
			names(leaf), name, leaf.Subject, day(leaf.NotAfter)), Err: nameErr}
	}
	return nil
}

// refusal says why a chain was not verified, with the dates that matter.
func refusal(err error, certs []*x509.Certificate, now time.Time) string {
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) && inv.Reason == x509.Expired {
		for _, c := range certs {
			switch {
			case now.After(c.NotAfter):
				return fmt.Sprintf("certificate %s expired on %s (%s ago)", c.Subject, day(c.NotAfter), Ago(now.Sub(c.NotAfter)))
			case now.Before(c.NotBefore):
				return fmt.Sprintf("certificate %s is not valid before %s (in %s)", c.Subject, day(c.NotBefore), Ago(c.NotBefore.Sub(now)))
			}
		}
		// The chain that expired ends in a root that was not sent.
		return "the certificate chain has expired: " + firstLine(err.Error())
	}
	var unk x509.UnknownAuthorityError
	if errors.As(err, &unk) {
		return fmt.Sprintf("certificate %s is signed by an unknown authority (issuer %s)", certs[0].Subject, certs[0].Issuer)
	}
	return "certificate not trusted: " + firstLine(err.Error())
}

// earliest is the first certificate of certs to expire.
func earliest(certs []*x509.Certificate) (time.Time, string) {
	var at time.Time
	var who string
	for _, c := range certs {
		if at.IsZero() || c.NotAfter.Before(at) {
			at, who = c.NotAfter, c.Subject.String()
		}
	}
	return at, who
}

// latestEarliest: of the chains that verified, the one that stays valid
// longest decides (a client accepts any of them).
func latestEarliest(chains [][]*x509.Certificate) (time.Time, string) {
	var at time.Time
	var who string
	for _, ch := range chains {
		if t, w := earliest(ch); t.After(at) {
			at, who = t, w
		}
	}
	return at, who
}

// names lists the names a certificate is valid for, at most four.
func names(c *x509.Certificate) string {
	var ns []string
	ns = append(ns, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		ns = append(ns, ip.String())
	}
	if len(ns) == 0 {
		return "no name (no subject alternative names)"
	}
	if len(ns) > 4 {
		return strings.Join(ns[:4], ", ") + fmt.Sprintf(" and %d more", len(ns)-4)
	}
	return strings.Join(ns, ", ")
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Ago writes a span the way expiry is shown: 12d, 5h, 40m.
func Ago(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dm", int(d/time.Minute))
}

// connState is the verification hook for one connection to name.
func (v *verifier) hook(name func(tls.ConnectionState) string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error { return v.verify(name(cs), cs.PeerCertificates) }
}
