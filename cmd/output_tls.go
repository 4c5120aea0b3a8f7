package cmd

import (
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
)

// jsonTLS is what a TLS handshake showed (docs/check-json.md, "tls").
type jsonTLS struct {
	Name               string    `json:"name"`
	NameMatched        bool      `json:"name_matched"`
	Verified           bool      `json:"verified"`
	InsecureSkipVerify bool      `json:"insecure_skip_verify"`
	Subject            string    `json:"subject"`
	Issuer             string    `json:"issuer"`
	NotAfter           time.Time `json:"not_after"`
	ExpiresFirst       string    `json:"expires_first"`
}

func certJSON(c *probe.CertInfo) *jsonTLS {
	if c == nil {
		return nil
	}
	return &jsonTLS{Name: c.Name, NameMatched: c.NameMatched, Verified: c.Verified, InsecureSkipVerify: c.InsecureSkipVerify,
		Subject: c.Subject, Issuer: c.Issuer, NotAfter: c.NotAfter.UTC(), ExpiresFirst: c.ExpiresFirst}
}

// withWarnings adds a server's warnings to its table message, so that a
// certificate close to expiry or an insecure_skip_verify shows there too.
func withWarnings(msg string, ws []probe.Warning) string {
	for _, w := range ws {
		if msg != "" {
			msg += "; "
		}
		msg += "warning " + w.Class + ": " + w.Message
	}
	return msg
}
