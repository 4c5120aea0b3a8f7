package oauth

import (
	"testing"
)

func keyTestCredentials() Credentials {
	return Credentials{TokenURL: "https://as.example/token", Issuer: "https://as.example", ClientID: "c1",
		ClientSecret: "s3cret", Method: PrivateKeyJWT, Scopes: []string{"b", "a"}, Audience: "aud",
		Resource: "https://mcp.example/", PrivateKeyFile: "/k.pem"}
}

// A Keyed credential set reuses its Key without recomputing it.
func TestKeyedKeyIsReused(t *testing.T) {
	cr := keyTestCredentials()
	k := cr.Keyed()
	if k.Key() != cr.Key() {
		t.Fatalf("Keyed Key %q, want %q", k.Key(), cr.Key())
	}
	if n := testing.AllocsPerRun(100, func() { _ = k.Key() }); n != 0 {
		t.Errorf("Key of Keyed credentials allocates %v times; want the memo (0)", n)
	}
}

// Changing any field a Key is made of after Keyed changes the Key, as it does without the memo:
// a stale key would share one token between two credential sets.
func TestKeyedKeyFollowsEveryField(t *testing.T) {
	for name, change := range map[string]func(*Credentials){
		"token_url":          func(c *Credentials) { c.TokenURL = "https://other.example/token" },
		"client_id":          func(c *Credentials) { c.ClientID = "c2" },
		"secret":             func(c *Credentials) { c.ClientSecret = "other" },
		"method":             func(c *Credentials) { c.Method = ClientSecretPost },
		"scopes":             func(c *Credentials) { c.Scopes = []string{"a"} },
		"scope in place":     func(c *Credentials) { c.Scopes[0] = "z" },
		"audience":           func(c *Credentials) { c.Audience = "other" },
		"resource":           func(c *Credentials) { c.Resource = "https://other.example/" },
		"private_key_file":   func(c *Credentials) { c.PrivateKeyFile = "/other.pem" },
		"assertion_audience": func(c *Credentials) { c.AssertionAudience = "https://aud.example" },
		"issuer":             func(c *Credentials) { c.Issuer = "https://issuer.example" },
		"tls ca_file":        func(c *Credentials) { c.TLS.CAFile = "/other-ca.pem" },
		"tls client cert":    func(c *Credentials) { c.TLS.CertFile, c.TLS.KeyFile = "/c.pem", "/k.pem" },
	} {
		t.Run(name, func(t *testing.T) {
			k := keyTestCredentials().Keyed()
			before := k.Key()
			change(&k)
			fresh := k
			fresh.key = nil
			if got, want := k.Key(), fresh.makeKey(); got != want || got == before {
				t.Errorf("after the change Key is %q, want %q (before: %q)", got, want, before)
			}
		})
	}
}

// KeyedAs shares the Key of equal credentials, and of no others: a shared key would share
// one token between two credential sets.
func TestKeyedAs(t *testing.T) {
	prev := keyTestCredentials().Keyed()
	same, reused := keyTestCredentials().KeyedAs(prev)
	if !reused || same.Key() != prev.Key() {
		t.Fatalf("equal credentials: reused %v, key %q, want the memo of %q", reused, same.Key(), prev.Key())
	}
	other := keyTestCredentials()
	other.ClientSecret = "rotated"
	k, reused := other.KeyedAs(prev)
	fresh := other
	if reused || k.Key() != fresh.makeKey() || k.Key() == prev.Key() {
		t.Fatalf("another secret: reused %v, key %q, want its own %q", reused, k.Key(), fresh.makeKey())
	}
}

// BenchmarkKey is the cost of Credentials.Key, which every TokenCache call (Token, Info,
// Invalidate) computes: made afresh, and reused from Keyed credentials.
func BenchmarkKey(b *testing.B) {
	cr := Credentials{TokenURL: "http://127.0.0.1:39999/token", ClientID: "bench-client", ClientSecret: "s3cret-s3cret-s3cret",
		Scopes: []string{"mcp:read", "mcp:tools"}, Resource: "https://fleet.example/"}
	for name, c := range map[string]Credentials{"fresh": cr, "keyed": cr.Keyed()} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = c.Key()
			}
		})
	}
}
