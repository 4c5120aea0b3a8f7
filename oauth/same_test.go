package oauth

import (
	"reflect"
	"testing"
)

// TestSameComparesEveryField: Same holds only for credentials equal in
// every field, unexported ones included; the memo of Keyed is not a field
// that counts. A new field must be added to Same (and here).
func TestSameComparesEveryField(t *testing.T) {
	base := keyTestCredentials()
	base.SigningAlgs = []string{"RS256"}
	if n := reflect.TypeFor[Credentials]().NumField(); n != 15 {
		t.Fatalf("Credentials has %d fields: compare the new one in Same and test it here", n)
	}
	if !base.Same(base.Keyed()) || !base.Keyed().Same(base) {
		t.Fatal("credentials and their Keyed copy are not the same")
	}
	for name, change := range map[string]func(*Credentials){
		"token_url":          func(c *Credentials) { c.TokenURL = "https://other.example/token" },
		"issuer":             func(c *Credentials) { c.Issuer = "https://other.example" },
		"client_id":          func(c *Credentials) { c.ClientID = "c2" },
		"secret":             func(c *Credentials) { c.ClientSecret = "other" },
		"method":             func(c *Credentials) { c.Method = ClientSecretPost },
		"scopes":             func(c *Credentials) { c.Scopes = []string{"a"} },
		"audience":           func(c *Credentials) { c.Audience = "other" },
		"resource":           func(c *Credentials) { c.Resource = "https://other.example/" },
		"private_key_file":   func(c *Credentials) { c.PrivateKeyFile = "/other.pem" },
		"assertion_audience": func(c *Credentials) { c.AssertionAudience = "https://other.example" },
		"signing_algs":       func(c *Credentials) { c.SigningAlgs = []string{"ES256"} },
		"tls":                func(c *Credentials) { c.TLS.CAFile = "/ca.pem" },
		"discovered":         func(c *Credentials) { c.discovered = true },
		"scope_source":       func(c *Credentials) { c.scopeSource = "challenge" },
	} {
		o := base
		o.Scopes, o.SigningAlgs = append([]string(nil), base.Scopes...), append([]string(nil), base.SigningAlgs...)
		change(&o)
		if base.Same(o) || o.Same(base) {
			t.Errorf("%s differs, yet Same", name)
		}
	}
}
