package authserver_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mcpwatch/mcpwatch/authserver"
)

// A fixed clock: assertion times are checked against the server's clock, never the wall's.
var assertionNow = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

type testKey struct {
	alg  string
	priv crypto.Signer
}

func (k testKey) public() crypto.PublicKey { return k.priv.Public() }

func newKey(t *testing.T, alg string) testKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "RS256", "PS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("no test key for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return testKey{alg, priv}
}

// newKeyServer serves an authorization server that knows client "c" by pub, on the fixed clock.
// Its issuer is ts.URL.
func newKeyServer(t *testing.T, pub crypto.PublicKey, opts authserver.Options) (*authserver.Server, *httptest.Server) {
	t.Helper()
	opts.ClientKeys = map[string]crypto.PublicKey{"c": pub}
	opts.Now = func() time.Time { return assertionNow }
	return newTestServer(t, opts)
}

// goodClaims is an assertion that passes every check on a server with the given issuer.
func goodClaims(issuer string) jwt.MapClaims {
	return jwt.MapClaims{"iss": "c", "sub": "c", "aud": issuer, "jti": rand.Text(),
		"iat": assertionNow.Unix(), "exp": assertionNow.Add(time.Minute).Unix()}
}

func sign(t *testing.T, k testKey, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.GetSigningMethod(k.alg), claims).SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func assertionForm(assertion string, kv ...string) []string {
	return append([]string{"grant_type", "client_credentials",
		"client_assertion_type", authserver.ClientAssertionType, "client_assertion", assertion}, kv...)
}

func TestPrivateKeyJWTAcceptedForEachAlgorithm(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256", "PS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			k := newKey(t, alg)
			as, ts := newKeyServer(t, k.public(), authserver.Options{})
			r := postToken(t, ts, form(assertionForm(sign(t, k, goodClaims(ts.URL)), "client_id", "c")...), nil)
			if r.status != http.StatusOK || r.body["access_token"] == nil {
				t.Fatalf("status %d %s", r.status, r.raw)
			}
			info, ok := as.Introspect(r.body["access_token"].(string))
			if !ok || info.ClientID != "c" {
				t.Errorf("introspection %+v, %v", info, ok)
			}
			got := as.Received()[0]
			if got.AuthMethod != authserver.MethodPrivateKeyJWT || got.ClientID != "c" || got.AssertionType != authserver.ClientAssertionType ||
				got.Assertion == nil || got.Assertion.Alg != alg || !got.Assertion.AudienceIsString || got.SecretInBody || got.BasicHeader {
				t.Errorf("received %+v (assertion %+v)", got, got.Assertion)
			}
		})
	}
}

func TestPrivateKeyJWTRefusals(t *testing.T) {
	es := newKey(t, "ES256")
	other := newKey(t, "ES256")
	rs := newKey(t, "RS256")
	tests := []struct {
		name     string
		opts     authserver.Options
		pub      crypto.PublicKey // registered for "c"; nil means es
		form     func(issuer string) []string
		status   int
		code     string
		wantDesc string
	}{
		{"wrong assertion type", authserver.Options{}, nil, func(iss string) []string {
			return []string{"grant_type", "client_credentials", "client_assertion_type", "urn:x", "client_assertion", sign(t, es, goodClaims(iss))}
		}, 400, "invalid_request", "client_assertion_type must be"},
		{"assertion missing", authserver.Options{}, nil, func(iss string) []string {
			return []string{"grant_type", "client_credentials", "client_assertion_type", authserver.ClientAssertionType}
		}, 400, "invalid_request", "client_assertion is missing"},
		{"assertion and secret", authserver.Options{Clients: map[string]string{"c": "s"}}, nil, func(iss string) []string {
			return assertionForm(sign(t, es, goodClaims(iss)), "client_id", "c", "client_secret", "s")
		}, 400, "invalid_request", "more than one client authentication method"},
		{"method not allowed", authserver.Options{Methods: []string{authserver.MethodBasic}}, nil, func(iss string) []string {
			return assertionForm(sign(t, es, goodClaims(iss)))
		}, 401, "invalid_client", "private_key_jwt is not allowed"},
		{"not a JWT", authserver.Options{}, nil, func(iss string) []string { return assertionForm("not.a-jwt") },
			401, "invalid_client", "not a well-formed JWT"},
		{"iss differs from sub", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			c["iss"] = "someone-else"
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", `iss "someone-else" and sub "c" must both be the client_id`},
		{"no iss", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			delete(c, "iss")
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", "iss and sub are required"},
		{"client_id parameter differs", authserver.Options{}, nil, func(iss string) []string {
			return assertionForm(sign(t, es, goodClaims(iss)), "client_id", "d")
		}, 401, "invalid_client", `client_id parameter "d" does not match sub "c"`},
		{"unknown client", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			c["iss"], c["sub"] = "nobody", "nobody"
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", `no public key is registered for client "nobody"`},
		{"alg not accepted", authserver.Options{SigningAlgs: []string{"RS256"}}, nil, func(iss string) []string {
			return assertionForm(sign(t, es, goodClaims(iss)))
		}, 401, "invalid_client", `alg "ES256" is not accepted (accepted: RS256)`},
		{"alg none", authserver.Options{}, nil, func(iss string) []string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, goodClaims(iss)).SignedString(jwt.UnsafeAllowNoneSignatureType)
			return assertionForm(s)
		}, 401, "invalid_client", `alg "none" is not accepted`},
		{"alg does not fit the key", authserver.Options{}, rs.public(), func(iss string) []string {
			return assertionForm(sign(t, es, goodClaims(iss)))
		}, 401, "invalid_client", "alg ES256 does not fit the client's registered key"},
		{"signed with another key", authserver.Options{}, nil, func(iss string) []string {
			return assertionForm(sign(t, other, goodClaims(iss)))
		}, 401, "invalid_client", "signature does not verify"},
		{"aud is the token endpoint", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			c["aud"] = iss + "/token"
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", "/token\" is not this server's issuer"},
		{"aud missing", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			delete(c, "aud")
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", "aud is required"},
		{"aud as an array", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			c["aud"] = []string{iss}
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", "aud must be a JSON string"},
		{"aud with a second value", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			c["aud"] = []string{iss, "https://evil.example"}
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", "sole value, got 2 values"},
		{"expired", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			c["iat"], c["exp"] = assertionNow.Add(-3*time.Minute).Unix(), assertionNow.Add(-2*time.Minute).Unix()
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", "expired at 2026-05-01T08:58:00Z"},
		{"no exp", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			delete(c, "exp")
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", "exp is required"},
		{"no iat", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			delete(c, "iat")
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", "iat is required"},
		{"iat in the future", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			c["iat"], c["exp"] = assertionNow.Add(2*time.Minute).Unix(), assertionNow.Add(3*time.Minute).Unix()
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", "is in the future"},
		{"lives too long", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			c["exp"] = assertionNow.Add(time.Hour).Unix()
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", "longer than 5m0s"},
		{"not yet valid", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			c["nbf"] = assertionNow.Add(2 * time.Minute).Unix()
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", "not valid before"},
		{"no jti", authserver.Options{}, nil, func(iss string) []string {
			c := goodClaims(iss)
			delete(c, "jti")
			return assertionForm(sign(t, es, c))
		}, 401, "invalid_client", "jti is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := tt.pub
			if pub == nil {
				pub = es.public()
			}
			as, ts := newKeyServer(t, pub, tt.opts)
			r := postToken(t, ts, form(tt.form(ts.URL)...), nil)
			desc, _ := r.body["error_description"].(string)
			if r.status != tt.status || r.body["error"] != tt.code || !strings.Contains(desc, tt.wantDesc) {
				t.Fatalf("got %d %s, want %d %s with %q", r.status, r.raw, tt.status, tt.code, tt.wantDesc)
			}
			if r.header.Get("Cache-Control") != "no-store" || r.header.Get("WWW-Authenticate") != "" {
				t.Errorf("headers %v", r.header)
			}
			if as.Received()[0].Result != tt.code {
				t.Errorf("received %+v", as.Received()[0])
			}
		})
	}
}

func TestPrivateKeyJWTReplayedJTIIsRefused(t *testing.T) {
	k := newKey(t, "EdDSA")
	as, ts := newKeyServer(t, k.public(), authserver.Options{})
	issuer := ts.URL
	assertion := sign(t, k, goodClaims(issuer))
	if r := postToken(t, ts, form(assertionForm(assertion)...), nil); r.status != 200 {
		t.Fatalf("first use: %d %s", r.status, r.raw)
	}
	r := postToken(t, ts, form(assertionForm(assertion)...), nil)
	if desc, _ := r.body["error_description"].(string); r.status != 401 || r.body["error"] != "invalid_client" || !strings.Contains(desc, "was already used") {
		t.Fatalf("replay: %d %s", r.status, r.raw)
	}
	// Another jti from the same client is fine, and a refused assertion does not use up its jti.
	c := goodClaims(issuer)
	c["aud"] = "https://elsewhere.example"
	refused := sign(t, k, c)
	if r := postToken(t, ts, form(assertionForm(refused)...), nil); r.status != 401 {
		t.Fatalf("wrong aud accepted: %s", r.raw)
	}
	c["aud"] = issuer
	if r := postToken(t, ts, form(assertionForm(sign(t, k, c))...), nil); r.status != 200 {
		t.Fatalf("same jti after a refusal: %d %s", r.status, r.raw)
	}
	if n := len(as.Received()); n != 4 {
		t.Errorf("%d requests recorded", n)
	}
}

func TestMetadataAdvertisesPrivateKeyJWT(t *testing.T) {
	_, ts := newKeyServer(t, newKey(t, "ES256").public(), authserver.Options{SigningAlgs: []string{"ES256", "EdDSA"}})
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/.well-known/oauth-authorization-server", nil)
	r := do(t, ts.Client(), req)
	methods, _ := r.body["token_endpoint_auth_methods_supported"].([]any)
	algs, _ := r.body["token_endpoint_auth_signing_alg_values_supported"].([]any)
	if !slices.Contains(methods, any(authserver.MethodPrivateKeyJWT)) || len(algs) != 2 || algs[0] != "ES256" || algs[1] != "EdDSA" {
		t.Errorf("metadata %s", r.raw)
	}

	// Without registered keys: neither the method nor the algorithms.
	_, ts = newTestServer(t, authserver.Options{})
	req, _ = http.NewRequest(http.MethodGet, ts.URL+"/.well-known/oauth-authorization-server", nil)
	r = do(t, ts.Client(), req)
	methods, _ = r.body["token_endpoint_auth_methods_supported"].([]any)
	if slices.Contains(methods, any(authserver.MethodPrivateKeyJWT)) || r.body["token_endpoint_auth_signing_alg_values_supported"] != nil {
		t.Errorf("metadata without keys %s", r.raw)
	}
}
