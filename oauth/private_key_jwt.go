package oauth

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ClientAssertionType is the client_assertion_type of a JWT client assertion (RFC 7523 §2.2).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// AssertionLifetime is how long a client assertion is valid. It is used once, right away; a
// short life bounds what a captured assertion is worth and what the server's jti cache holds.
const AssertionLifetime = 60 * time.Second

// privateKeyJWT is private_key_jwt (RFC 7523 §2.2, OpenID Connect Core §9): every token request
// carries a fresh JWT signed with the client's private key, and no secret.
type privateKeyJWT struct {
	now func() time.Time // the cache's clock
}

func (p privateKeyJWT) configure(cfg *clientcredentials.Config, cr Credentials) error {
	key, err := loadSigningKey(cr.PrivateKeyFile)
	if err != nil {
		return err
	}
	alg, err := chooseAlg(key, cr.SigningAlgs)
	if err != nil {
		return err
	}
	assertion, serr := signAssertion(key, alg, cr, p.now())
	if serr != nil {
		return &Error{Class: "token.bad_key", Msg: fmt.Sprintf("private key file %s: signing the client assertion (%s) failed", cr.PrivateKeyFile, alg), Err: serr}
	}
	cfg.AuthStyle = oauth2.AuthStyleInParams // client_id in the body (RFC 7523 §3 allows it), no secret
	cfg.ClientSecret = ""
	cfg.EndpointParams.Set("client_assertion_type", ClientAssertionType)
	cfg.EndpointParams.Set("client_assertion", assertion)
	return nil
}

// signAssertion builds and signs one client assertion. aud is a single JSON string, as
// draft-ietf-oauth-rfc7523bis requires (not a one-element array).
func signAssertion(key *signingKey, alg string, cr Credentials, now time.Time) (string, error) {
	claims := jwt.MapClaims{
		"iss": cr.ClientID,
		"sub": cr.ClientID,
		"aud": cr.assertionAudience(),
		"jti": rand.Text(), // 128 bits from crypto/rand
		"iat": now.Unix(),
		"exp": now.Add(AssertionLifetime).Unix(),
	}
	return jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims).SignedString(key.key)
}

// assertionAudience is the aud of a private_key_jwt assertion: the configured override, else the
// authorization server's issuer identifier (draft-ietf-oauth-rfc7523bis, after the audience
// injection findings against RFC 7523), else — only when no issuer is known, i.e. the token URL
// is configured and nothing was discovered — the token endpoint URL, as RFC 7523 §3 allowed.
func (c Credentials) assertionAudience() string {
	switch {
	case c.AssertionAudience != "":
		return c.AssertionAudience
	case c.Issuer != "":
		return c.Issuer
	}
	return c.TokenURL
}

// chooseAlg picks the algorithm to sign with: the key's natural one when the server published no
// token_endpoint_auth_signing_alg_values_supported, else the first the key can produce that the
// server lists.
func chooseAlg(key *signingKey, serverAlgs []string) (string, *Error) {
	if len(serverAlgs) == 0 {
		return key.algs[0], nil
	}
	for _, a := range key.algs {
		if slices.Contains(serverAlgs, a) {
			return a, nil
		}
	}
	return "", &Error{Class: "token.unsupported_alg", Msg: fmt.Sprintf(
		"the private key is %s (signs %s) but the authorization server accepts only %s (token_endpoint_auth_signing_alg_values_supported)",
		key.kind, strings.Join(key.algs, ", "), listForMessage(serverAlgs))}
}

// listForMessage shows a server-supplied list on one bounded line.
func listForMessage(items []string) string {
	const show = 8
	out := make([]string, 0, min(len(items), show)+1)
	for i, s := range items {
		if i == show {
			out = append(out, fmt.Sprintf("and %d more", len(items)-show))
			break
		}
		out = append(out, oneLine(s, 32))
	}
	return strings.Join(out, ", ")
}
