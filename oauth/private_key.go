package oauth

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/mcpwatch/mcpwatch/boundedfile"
)

// maxKeyFile bounds what is read from a key file: a PEM private key is a few KiB (an RSA 8192-bit
// key is under 7 KiB), so anything larger is not one.
const maxKeyFile = 64 << 10

// minRSABits is the smallest RSA key JWA (RFC 7518 §3.3) allows for RS256 and friends.
const minRSABits = 2048

// signingKey is a client's parsed private key and the JWS algorithms it can sign with.
type signingKey struct {
	key  any      // *rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey, as golang-jwt wants them
	kind string   // for messages: "RSA 2048-bit", "EC P-256", "Ed25519"
	algs []string // JWS algorithms this key can produce, its natural one first
}

// CheckPrivateKeyFile reads and parses a private_key_jwt key file the way every token request
// does, so a command line can refuse a bad key before probing. The error is an *Error of class
// token.bad_key whose message names the file and the problem, never the key.
func CheckPrivateKeyFile(path string) error {
	if _, err := loadSigningKey(path); err != nil {
		return err
	}
	return nil
}

// loadSigningKey reads a PEM private key: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or
// SEC1 ("EC PRIVATE KEY"). It is called for every token request, so a rotated key file is used
// from the next request on without a restart; token requests are rare (once per token lifetime
// per credential set), so the read costs nothing that matters. Messages are built from known
// parts only: no PEM, DER or parser text that could carry key material.
func loadSigningKey(path string) (*signingKey, *Error) {
	if path == "" {
		return nil, &Error{Class: "token.bad_key", Msg: "private_key_jwt needs a private key file, and none is configured"}
	}
	bad := func(format string, args ...any) *Error {
		return &Error{Class: "token.bad_key", Msg: "private key file " + path + ": " + fmt.Sprintf(format, args...)}
	}
	data, err := readKeyFile(path)
	if err != nil {
		var pe *fs.PathError
		reason := err.Error()
		if errors.As(err, &pe) {
			reason = pe.Err.Error() // "permission denied", not the path twice
		}
		e := bad("cannot be read: %s", oneLine(reason, 120))
		e.Err = err
		return nil, e
	}
	if len(data) > maxKeyFile {
		return nil, bad("is larger than %d KiB, so it is not a PEM private key", maxKeyFile>>10)
	}

	var found *pem.Block
	var others []string
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED"):
			return nil, bad("is encrypted, which is not supported; store it unencrypted with tight file permissions (openssl pkey -in KEY -out PLAIN)")
		case b.Type == "PRIVATE KEY" || b.Type == "RSA PRIVATE KEY" || b.Type == "EC PRIVATE KEY":
			if found != nil {
				return nil, bad("holds more than one private key")
			}
			found = b
		default:
			// EC PARAMETERS (openssl ecparam -genkey writes them first), a certificate kept
			// beside the key: not ours to use, only worth naming if no key is found.
			others = append(others, oneLine(b.Type, 40))
		}
	}
	if found == nil {
		if len(others) > 0 {
			return nil, bad("holds no private key (found %s)", strings.Join(others, ", "))
		}
		return nil, bad("is not PEM (expected a -----BEGIN PRIVATE KEY----- block)")
	}
	var key any
	switch found.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(found.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(found.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(found.Bytes)
	}
	if err != nil {
		// The parser's text is not passed on: it is generic at best, and ASN.1 errors quote
		// structure from the input.
		return nil, bad("the %s block does not parse as a private key (unsupported key type or curve, or a damaged file)", found.Type)
	}
	sk, reason := describeKey(key)
	if reason != "" {
		return nil, bad("%s", reason)
	}
	return sk, nil
}

// describeKey names the key and its algorithms, or says why it cannot sign client assertions.
func describeKey(key any) (*signingKey, string) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		bits := k.N.BitLen()
		if bits < minRSABits {
			return nil, fmt.Sprintf("RSA key of %d bits is too small; use at least %d bits", bits, minRSABits)
		}
		return &signingKey{key: k, kind: fmt.Sprintf("RSA %d-bit", bits),
			algs: []string{"RS256", "PS256", "RS384", "PS384", "RS512", "PS512"}}, ""
	case *ecdsa.PrivateKey:
		alg := map[elliptic.Curve]string{elliptic.P256(): "ES256", elliptic.P384(): "ES384", elliptic.P521(): "ES512"}[k.Curve]
		if alg == "" {
			return nil, fmt.Sprintf("EC key on curve %s is not supported; use P-256, P-384 or P-521", k.Curve.Params().Name)
		}
		return &signingKey{key: k, kind: "EC " + k.Curve.Params().Name, algs: []string{alg}}, ""
	case ed25519.PrivateKey:
		return &signingKey{key: k, kind: "Ed25519", algs: []string{"EdDSA"}}, ""
	case *ecdh.PrivateKey:
		return nil, "X25519 keys agree on secrets but cannot sign; use an Ed25519, EC or RSA key"
	}
	return nil, fmt.Sprintf("%T keys are not supported; use an RSA, EC (P-256, P-384, P-521) or Ed25519 key", key)
}

// readKeyFile reads the key file: a regular file (or a symlink to one) of at most maxKeyFile
// bytes, so a wrong path cannot make a token request allocate without limit (/dev/zero, a huge
// file) or wait forever (a FIFO). Its errors are *fs.PathError, "is a named pipe (FIFO), not a
// regular file" or "is larger than 64 KiB (it is 2 MiB)" after the path.
func readKeyFile(path string) ([]byte, error) {
	return boundedfile.Read(path, maxKeyFile)
}
