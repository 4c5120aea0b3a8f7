package tui

import (
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/tlsverify"
)

// certFields shows what a TLS handshake showed: when the chain expires
// first, whose certificate it is, and what was verified.
func (m *Model) certFields(d *detailWriter, c *probe.CertInfo) {
	if c == nil {
		return
	}
	now := m.clock()
	exp := "certificate expired " + tlsverify.Ago(now.Sub(c.NotAfter)) + " ago, " + c.NotAfter.UTC().Format(time.DateOnly)
	if c.NotAfter.After(now) {
		exp = "certificate expires in " + tlsverify.Ago(c.NotAfter.Sub(now)) + ", " + c.NotAfter.UTC().Format(time.DateOnly)
	}
	if c.ExpiresFirst != "" && c.ExpiresFirst != c.Subject {
		exp += " (" + clean(c.ExpiresFirst) + " expires first)"
	}
	d.field("TLS", exp)
	d.field("Subject", clean(c.Subject)+", issued by "+clean(c.Issuer))
	var v string
	switch {
	case c.InsecureSkipVerify:
		v = m.styles.warn.render(m.glyphs.warning + " not verified (insecure_skip_verify)")
	case c.Verified && c.NameMatched:
		v = "chain trusted, valid for " + clean(c.Name)
	case c.Verified:
		v = "chain trusted, but not valid for " + clean(c.Name)
	default:
		v = "refused"
	}
	d.field("Verified", v)
}
