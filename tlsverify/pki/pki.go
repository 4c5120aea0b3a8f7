// Package pki makes small certificate authorities and certificates with
// chosen validity, for tests and for the demo fleet's https server: real
// chains (root, intermediates, leaf) that real TLS servers present.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"
)

// CA signs certificates. Chain is its own certificate and those above it,
// up to but not including the root.
type CA struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	chain []*x509.Certificate // intermediates from this CA up, root excluded
}

// Cert is an issued certificate with its key.
type Cert struct {
	Leaf  *x509.Certificate
	Chain []*x509.Certificate // leaf first, then intermediates; the root is not sent
	Key   crypto.Signer
}

// NewCA makes a self-signed root valid from notBefore to notAfter.
func NewCA(name string, notBefore, notAfter time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := caTemplate(name, notBefore, notAfter)
	cert, err := sign(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Intermediate makes a CA signed by ca.
func (ca *CA) Intermediate(name string, notBefore, notAfter time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	cert, err := sign(caTemplate(name, notBefore, notAfter), ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, chain: append([]*x509.Certificate{cert}, ca.chain...)}, nil
}

// Server issues a server certificate for names (DNS names or IP addresses).
func (ca *CA) Server(names []string, notBefore, notAfter time.Time) (*Cert, error) {
	tmpl := leafTemplate(names[0], notBefore, notAfter, x509.ExtKeyUsageServerAuth)
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return ca.issue(tmpl)
}

// Client issues a client certificate (mutual TLS) for name.
func (ca *CA) Client(name string, notBefore, notAfter time.Time) (*Cert, error) {
	return ca.issue(leafTemplate(name, notBefore, notAfter, x509.ExtKeyUsageClientAuth))
}

func (ca *CA) issue(tmpl *x509.Certificate) (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	cert, err := sign(tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	return &Cert{Leaf: cert, Chain: append([]*x509.Certificate{cert}, ca.chain...), Key: key}, nil
}

// Pool is a pool holding only ca's certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// PEM is ca's certificate in PEM, as a ca_file holds it.
func (ca *CA) PEM() []byte { return certsPEM([]*x509.Certificate{ca.Cert}) }

// TLS is c as a crypto/tls certificate, chain included.
func (c *Cert) TLS() tls.Certificate {
	tc := tls.Certificate{PrivateKey: c.Key, Leaf: c.Leaf}
	for _, x := range c.Chain {
		tc.Certificate = append(tc.Certificate, x.Raw)
	}
	return tc
}

// ServerConfig is a TLS server config presenting c; with clientCAs it
// requires a client certificate signed by one of them (mutual TLS).
func (c *Cert) ServerConfig(clientCAs *x509.CertPool) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{c.TLS()}, MinVersion: tls.VersionTLS12}
	if clientCAs != nil {
		cfg.ClientCAs, cfg.ClientAuth = clientCAs, tls.RequireAndVerifyClientCert
	}
	return cfg
}

// CertPEM is the chain in PEM, as a cert_file holds it.
func (c *Cert) CertPEM() []byte { return certsPEM(c.Chain) }

// KeyPEM is the private key in PKCS#8 PEM, as a key_file holds it.
func (c *Cert) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func certsPEM(cs []*x509.Certificate) []byte {
	var out []byte
	for _, c := range cs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func caTemplate(name string, notBefore, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: name},
		NotBefore: notBefore, NotAfter: notAfter,
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
}

func leafTemplate(cn string, notBefore, notAfter time.Time, use x509.ExtKeyUsage) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{use},
	}
}

func sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}
