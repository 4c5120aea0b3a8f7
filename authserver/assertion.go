package authserver

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ClientAssertionType is the only client_assertion_type this server accepts (RFC 7523 §2.2).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// DefaultSigningAlgs are the client assertion algorithms this server verifies.
var DefaultSigningAlgs = []string{"ES256", "ES384", "ES512", "RS256", "PS256", "RS384", "PS384", "RS512", "PS512", "EdDSA"}

const (
	// AssertionLeeway is the clock skew allowed when checking exp, nbf and iat.
	AssertionLeeway = 30 * time.Second
	// MaxAssertionLifetime caps exp − iat. Client assertions are used once, at once; a cap also
	// bounds how long a jti must be remembered.
	MaxAssertionLifetime = 5 * time.Minute
)

// AssertionInfo is what a client_assertion said, decoded without trusting it, so tests can
// check the claims a client sent even when the server refused them. The JWT itself (a
// credential while it lives) is not kept.
type AssertionInfo struct {
	Alg              string // JOSE header alg
	Issuer, Subject  string
	Audience         []string
	AudienceIsString bool // aud was a JSON string, as draft-ietf-oauth-rfc7523bis requires, not an array
	ID               string
	IssuedAt, Expiry time.Time // zero when absent
}

// assertionClaims decodes aud raw, to tell a string from a one-element array.
type assertionClaims struct {
	jwt.RegisteredClaims
	RawAudience json.RawMessage `json:"aud,omitempty"`
}

// describeAssertion decodes an assertion for Received; nil if it is not a JWT at all.
func describeAssertion(assertion string) *AssertionInfo {
	var c assertionClaims
	tok, _, err := jwt.NewParser().ParseUnverified(assertion, &c)
	if err != nil {
		return nil
	}
	ai := &AssertionInfo{Issuer: c.Issuer, Subject: c.Subject, ID: c.ID}
	ai.Alg, _ = tok.Header["alg"].(string)
	ai.Audience, ai.AudienceIsString, _ = decodeAudience(c.RawAudience)
	if c.IssuedAt != nil {
		ai.IssuedAt = c.IssuedAt.Time
	}
	if c.ExpiresAt != nil {
		ai.Expiry = c.ExpiresAt.Time
	}
	return ai
}

// decodeAudience reads aud, which RFC 7519 allows as a string or an array of strings.
func decodeAudience(raw json.RawMessage) (aud []string, isString, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, false, true
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, true, true
	}
	if err := json.Unmarshal(raw, &aud); err == nil {
		return aud, false, true
	}
	return nil, false, false
}

// authenticateAssertion checks a private_key_jwt request (RFC 7523 §3, RFC 7521 §4.2,
// draft-ietf-oauth-rfc7523bis): the signature with the client's registered key, then every claim.
// Each refusal is invalid_client with an error_description naming the check that failed.
func (s *Server) authenticateAssertion(r *http.Request, form url.Values) (string, *tokenError) {
	if t := form.Get("client_assertion_type"); t != ClientAssertionType {
		return "", &tokenError{status: 400, code: errInvalidRequest,
			description: fmt.Sprintf("client_assertion_type must be %s, got %q", ClientAssertionType, clip(t))}
	}
	assertion := form.Get("client_assertion")
	if assertion == "" {
		return "", &tokenError{status: 400, code: errInvalidRequest, description: "client_assertion is missing"}
	}
	fail := func(format string, args ...any) *tokenError {
		return &tokenError{status: 401, code: errInvalidClient, description: "client_assertion: " + fmt.Sprintf(format, args...)}
	}
	if !slices.Contains(s.methods, MethodPrivateKeyJWT) {
		return "", &tokenError{status: 401, code: errInvalidClient,
			description: "client authentication method " + MethodPrivateKeyJWT + " is not allowed"}
	}

	var c assertionClaims
	tok, _, err := jwt.NewParser().ParseUnverified(assertion, &c)
	if err != nil {
		return "", fail("not a well-formed JWT")
	}
	clientID := c.Subject
	switch {
	case c.Issuer == "" || c.Subject == "":
		return clientID, fail("iss and sub are required")
	case c.Issuer != c.Subject:
		return clientID, fail("iss %q and sub %q must both be the client_id", clip(c.Issuer), clip(c.Subject))
	}
	if id, given := form["client_id"]; given && id[0] != clientID {
		return clientID, fail("client_id parameter %q does not match sub %q", clip(id[0]), clip(clientID))
	}
	key := s.keys[clientID]
	if key == nil {
		return clientID, fail("no public key is registered for client %q", clip(clientID))
	}
	alg, _ := tok.Header["alg"].(string)
	switch {
	case !slices.Contains(s.algs, alg):
		return clientID, fail("alg %q is not accepted (accepted: %s)", clip(alg), strings.Join(s.algs, ", "))
	case !keyFits(alg, key):
		return clientID, fail("alg %s does not fit the client's registered key", alg)
	}
	verify := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithoutClaimsValidation())
	if _, err := verify.ParseWithClaims(assertion, &assertionClaims{}, func(*jwt.Token) (any, error) { return key, nil }); err != nil {
		return clientID, fail("signature does not verify with the client's registered key")
	}

	issuer := s.issuerFor(r)
	aud, isString, ok := decodeAudience(c.RawAudience)
	switch {
	case !ok || len(aud) == 0:
		return clientID, fail("aud is required and must be this server's issuer %q", issuer)
	case len(aud) > 1:
		return clientID, fail("aud must be this server's issuer as its sole value, got %d values", len(aud))
	case aud[0] != issuer:
		return clientID, fail("aud %q is not this server's issuer %q", clip(aud[0]), issuer)
	case !isString:
		return clientID, fail("aud must be a JSON string, not an array (draft-ietf-oauth-rfc7523bis)")
	}

	now := s.now()
	switch {
	case c.ExpiresAt == nil:
		return clientID, fail("exp is required")
	case !now.Before(c.ExpiresAt.Add(AssertionLeeway)):
		return clientID, fail("expired at %s (now %s)", stamp(c.ExpiresAt.Time), stamp(now))
	case c.IssuedAt == nil:
		return clientID, fail("iat is required")
	case c.IssuedAt.After(now.Add(AssertionLeeway)):
		return clientID, fail("iat %s is in the future (now %s)", stamp(c.IssuedAt.Time), stamp(now))
	case c.ExpiresAt.Sub(c.IssuedAt.Time) > MaxAssertionLifetime:
		return clientID, fail("lives %s from iat to exp, longer than %s", c.ExpiresAt.Sub(c.IssuedAt.Time), MaxAssertionLifetime)
	case c.NotBefore != nil && c.NotBefore.After(now.Add(AssertionLeeway)):
		return clientID, fail("not valid before %s (now %s)", stamp(c.NotBefore.Time), stamp(now))
	case c.ID == "":
		return clientID, fail("jti is required")
	}
	// Last, so that a forged or stale assertion cannot use up a jti.
	if !s.useJTI(clientID, c.ID, c.ExpiresAt.Add(AssertionLeeway), now) {
		return clientID, fail("jti %q was already used", clip(c.ID))
	}
	return clientID, nil
}

// useJTI records a jti until it could no longer pass the exp check; false if it is already
// recorded (a replay).
func (s *Server) useJTI(clientID, jti string, until, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.jtis) >= pruneEvery {
		for k, t := range s.jtis {
			if !now.Before(t) {
				delete(s.jtis, k)
			}
		}
	}
	k := clientID + "\x00" + jti
	if t, seen := s.jtis[k]; seen && now.Before(t) {
		return false
	}
	s.jtis[k] = until
	return true
}

// keyFits reports whether alg can be verified with key.
func keyFits(alg string, key crypto.PublicKey) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		want := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
		return want != nil && k.Curve == want
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// clip keeps client-supplied text in an error_description short.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
