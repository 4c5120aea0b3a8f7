// Package tlsverify connects to one endpoint with its own TLS settings (a
// private CA, a client certificate, a server name) and records what was
// verified: the chain's earliest expiry, the leaf's subject and issuer, and
// whether it matched the name. mcpwatch does the verification itself, in
// the same steps crypto/tls does, so that an expired or mismatched
// certificate is still described (with its dates) rather than only refused.
package tlsverify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/mcpwatch/mcpwatch/boundedfile"
	"github.com/mcpwatch/mcpwatch/textsafe"
)

// Settings are one endpoint's TLS settings as the config names them. Files
// are looked at for every connection attempt (see Load; cache.go keeps what
// was parsed while a file is unchanged), so a renewed certificate or a
// rotated CA is used from the next check on.
type Settings struct {
	CAFile             string // PEM certificates trusted instead of the system roots
	CertFile           string // client certificate (mutual TLS), PEM
	KeyFile            string // its private key, PEM; never shown
	ServerName         string // verify (and send as SNI) this name instead of the URL's host
	InsecureSkipVerify bool   // no verification; facts are still recorded
}

// IsZero reports whether nothing is configured.
func (s Settings) IsZero() bool { return s == Settings{} }

// Key identifies the settings in a cache key. Paths only: the files' bytes
// (a key) never go into it.
func (s Settings) Key() string {
	if s.IsZero() {
		return ""
	}
	return fmt.Sprintf("tls(%q %q %q %q %t)", s.CAFile, s.CertFile, s.KeyFile, s.ServerName, s.InsecureSkipVerify)
}

// Limits on the files read. A CA bundle may be the size of a system bundle
// (about 200 KiB); a certificate chain or a key is a few KiB.
const (
	MaxCAFile   = 1 << 20
	MaxCertFile = 256 << 10
	MaxKeyFile  = 64 << 10
)

// FileError is a TLS file that could not be used. Its message names the
// setting, the file and the problem; never the file's contents.
type FileError struct {
	Msg string
	Err error
}

func (e *FileError) Error() string { return e.Msg }
func (e *FileError) Unwrap() error { return e.Err }

// Loaded is Settings with their files read.
type Loaded struct {
	s      Settings
	roots  *x509.CertPool // nil: the system roots
	client []tls.Certificate
}

// Load reads the files of s, bounded in size and by ctx. Errors are
// *FileError.
func Load(ctx context.Context, s Settings) (*Loaded, error) {
	l := Loaded{s: s}
	if s.CAFile != "" {
		st := stat(ctx, s.CAFile)[0] // before the read: a change after it is seen next time
		if l.roots = cachedRootsFor(s.CAFile, st); l.roots == nil {
			pem, err := read(ctx, "ca_file", s.CAFile, MaxCAFile)
			if err != nil {
				return nil, err
			}
			l.roots = x509.NewCertPool()
			if !l.roots.AppendCertsFromPEM(pem) {
				return nil, &FileError{Msg: "tls ca_file " + s.CAFile + ": holds no PEM certificate"}
			}
			keepRoots(s.CAFile, st, l.roots)
		}
	}
	if s.CertFile != "" || s.KeyFile != "" {
		if s.CertFile == "" || s.KeyFile == "" {
			return nil, &FileError{Msg: "tls cert_file and key_file must be set together"}
		}
		st := stat(ctx, s.CertFile, s.KeyFile)
		if l.client = cachedPairFor(s.CertFile, s.KeyFile, st[0], st[1]); l.client == nil {
			pair, err := loadPair(ctx, s)
			if err != nil {
				return nil, err
			}
			l.client = []tls.Certificate{pair}
			keepPair(s.CertFile, s.KeyFile, st[0], st[1], l.client)
		}
	}
	return &l, nil
}

func loadPair(ctx context.Context, s Settings) (tls.Certificate, error) {
	certPEM, err := read(ctx, "cert_file", s.CertFile, MaxCertFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := read(ctx, "key_file", s.KeyFile, MaxKeyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	clear(keyPEM)
	if err != nil {
		// crypto/tls's reasons are fixed sentences ("private key does
		// not match public key"); none quotes the input.
		return tls.Certificate{}, &FileError{Msg: fmt.Sprintf("tls cert_file %s and key_file %s: %s", s.CertFile, s.KeyFile,
			strings.TrimPrefix(firstLine(err.Error()), "tls: "))}
	}
	return pair, nil
}

func read(ctx context.Context, setting, path string, limit int64) ([]byte, error) {
	b, err := boundedfile.ReadContext(ctx, path, limit)
	if err != nil {
		reason := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error() // "no such file or directory", not the path twice
		}
		return nil, &FileError{Msg: "tls " + setting + " " + path + ": cannot be read: " + firstLine(reason), Err: err}
	}
	return b, nil
}

func firstLine(s string) string { return textsafe.Line(s, 160) }
