package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// TLS are one endpoint's TLS settings: a server's (tls:) or its token
// endpoint's (auth.tls:). The files are read at each check, like secret
// files, so a renewed certificate or CA is picked up without a reload.
type TLS struct {
	CAFile   string // PEM certificates trusted instead of the system roots
	CertFile string // client certificate for mutual TLS; with KeyFile
	KeyFile  string // its PEM private key; never read for display
	// ServerName is the name the certificate must match (and the SNI sent),
	// instead of the URL's host.
	ServerName string
	// InsecureSkipVerify accepts any certificate. Allowed, but every view
	// of the server warns (tls.insecure); the facts are still recorded.
	InsecureSkipVerify bool
}

// IsZero reports whether nothing is set.
func (t TLS) IsZero() bool { return t == TLS{} }

// DefaultCertWarning is how close to expiry a certificate warns (tls.expiring).
const DefaultCertWarning = 14 * 24 * time.Hour

var tlsKeys = []string{"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"}

// decodeTLS reads a tls: block at path over inherited (the defaults): each
// key set here wins, and cert_file/key_file are taken as a pair from
// whichever block names either, so a server's client certificate is never
// combined with the defaults' key. A block whose pair is broken is
// reported here and its pair dropped, so servers do not repeat the error.
func (d *decoder) decodeTLS(path string, m *yaml.Node, inherited TLS) TLS {
	tm := d.mappingAt(path, m, tlsKeys, false)
	t := inherited
	file := func(key string, dst *string) bool {
		p, e, ok := tm.scalar(key, "a file path")
		if !ok {
			return false
		}
		if p == "" {
			d.errorf(e.valPos, joinPath(path, key), "empty file path", "")
			return false
		}
		*dst = d.resolvePath(p)
		return true
	}
	file("ca_file", &t.CAFile)
	certE, hasCert := tm.get("cert_file")
	keyE, hasKey := tm.get("key_file")
	if hasCert || hasKey {
		t.CertFile, t.KeyFile = "", ""
		certOK, keyOK := file("cert_file", &t.CertFile), file("key_file", &t.KeyFile)
		switch {
		case certOK && !hasKey:
			d.errorf(certE.keyPos, joinPath(path, "key_file"), "cert_file needs key_file",
				"the client certificate's PEM private key; set both or neither")
		case keyOK && !hasCert:
			d.errorf(keyE.keyPos, joinPath(path, "cert_file"), "key_file needs cert_file",
				"the client certificate (PEM) the key belongs to; set both or neither")
		}
		if !certOK || !keyOK {
			t.CertFile, t.KeyFile = "", ""
		}
	}
	if n, e, ok := tm.scalar("server_name", "a host name"); ok {
		if n == "" || strings.ContainsAny(n, " /:@") || badText(n, false) != "" {
			d.errorf(e.valPos, joinPath(path, "server_name"), fmt.Sprintf("invalid host name %q", n),
				"the name the server's certificate is issued for, e.g. mcp.internal.example")
		} else {
			t.ServerName = n
		}
	}
	if e, ok := tm.get("insecure_skip_verify"); ok {
		t.InsecureSkipVerify = tm.boolean("insecure_skip_verify")
		if t.InsecureSkipVerify {
			d.warnf(e.valPos, joinPath(path, "insecure_skip_verify"),
				"certificates are not verified: anyone on the path can impersonate this endpoint; prefer ca_file")
		}
	}
	return t
}

// certWarning reads cert_warning: a Go duration, or whole days as 14d.
func (m *mapping) certWarning(dst *time.Duration) {
	const key = "cert_warning"
	s, e, ok := m.scalar(key, "a duration")
	if !ok {
		return
	}
	var v time.Duration
	var err error
	if n, found := strings.CutSuffix(s, "d"); found {
		var days int
		days, err = strconv.Atoi(n)
		v = time.Duration(days) * 24 * time.Hour
		if days > 3650 {
			err = fmt.Errorf("too long")
		}
	} else {
		v, err = time.ParseDuration(s)
	}
	if err != nil || v <= 0 {
		m.d.errorf(e.valPos, joinPath(m.path, key), fmt.Sprintf("invalid duration %q", s),
			"how long before a certificate expires to warn: whole days like 14d, or a Go duration like 336h")
		return
	}
	*dst = v
}

// decodeServerTLS reads a server's tls: block and cert_warning over the
// defaults'. A stdio server has no TLS: its tls: is refused, and it
// inherits none. (auth.tls is read by decodeAuth and checked by validateAuth.)
func (d *decoder) decodeServerTLS(path string, sm *mapping, s *Server, defs Defaults) {
	s.CertWarning = defs.CertWarning
	sm.certWarning(&s.CertWarning)
	stdio := strings.EqualFold(s.Transport, TransportStdio)
	if !stdio {
		s.TLS = defs.TLS
	}
	if tm, ok := sm.mapping("tls"); ok {
		if e, _ := sm.get("tls"); stdio {
			d.errorf(e.keyPos, path+".tls", "a stdio server has no TLS", "remove tls:")
		} else {
			s.TLS = d.decodeTLS(path+".tls", tm, defs.TLS)
		}
	}
}

// decodeDefaultsTLS reads defaults.tls, defaults.auth.tls and defaults.cert_warning.
func (d *decoder) decodeDefaultsTLS(dd *mapping, defs *Defaults) {
	dd.certWarning(&defs.CertWarning)
	if tm, ok := dd.mapping("tls"); ok {
		defs.TLS = d.decodeTLS("defaults.tls", tm, TLS{})
	}
	if am, ok := dd.mapping("auth"); ok {
		// Only tls: a default credential would be sent to every server.
		dam := d.mappingAt("defaults.auth", am, []string{"tls"}, false)
		if tm, ok := dam.mapping("tls"); ok {
			defs.AuthTLS = d.decodeTLS("defaults.auth.tls", tm, TLS{})
		}
	}
}
