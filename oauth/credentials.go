package oauth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"

	"github.com/mcpwatch/mcpwatch/tlsverify"
)

// Method is an OAuth client authentication method, named as in RFC 8414 metadata.
type Method string

const (
	ClientSecretBasic Method = "client_secret_basic"
	ClientSecretPost  Method = "client_secret_post"
	PrivateKeyJWT     Method = "private_key_jwt"
)

// Credentials say how to get a client-credentials token. They hold the resolved secret, so
// every way of printing or encoding them leaves it out.
type Credentials struct {
	TokenURL     string // "" until discovered; see Discover and WithMetadata
	Issuer       string // authorization server issuer if known (the private_key_jwt audience)
	ClientID     string
	ClientSecret string // resolved secret value; never printed, logged or encoded
	Method       Method // "" picks from discovered metadata, else client_secret_basic
	Scopes       []string
	Audience     string // vendor extra parameter `audience`, sent when non-empty
	Resource     string // RFC 8707 `resource` parameter, sent when non-empty

	// private_key_jwt (RFC 7523). The key file is read for every token request, so the key
	// itself is never held here; the path may be shown.
	PrivateKeyFile    string   // PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)
	AssertionAudience string   // the assertion's aud; "" means Issuer, else TokenURL
	SigningAlgs       []string // token_endpoint_auth_signing_alg_values_supported (WithMetadata); empty: the key's natural alg

	// TLS for the token endpoint (a private CA, a client certificate). Its
	// files are read for every token request, like the private key.
	TLS tlsverify.Settings

	discovered  bool     // TokenURL came from metadata (set by WithMetadata), for Info.TokenURLSource
	scopeSource string   // set by WithMetadata when it chose the scopes; see ScopeSource
	key         *keyMemo // set by Keyed; see Key
}

// effectiveMethod resolves "" to the default, client_secret_basic (RFC 8414 §2's default too).
func (c Credentials) effectiveMethod() Method {
	if c.Method == "" {
		return ClientSecretBasic
	}
	return c.Method
}

// WithMetadata fills what is not configured from discovered metadata: the token URL, the
// issuer, the authentication method (see ChooseMethod), the signing algorithms the server
// accepts for private_key_jwt, and the scopes (Metadata.SuggestedScopes; ScopeSource says
// which). Configured values win.
func (c Credentials) WithMetadata(md *Metadata) Credentials {
	c.Scopes = slices.Clone(c.Scopes)
	c.SigningAlgs = slices.Clone(c.SigningAlgs)
	c.scopeSource = c.ScopeSource()
	if md == nil {
		return c
	}
	if c.scopeSource == ScopesNone {
		c.Scopes, c.scopeSource = md.SuggestedScopes()
	}
	if len(c.SigningAlgs) == 0 {
		c.SigningAlgs = slices.Clone(md.SigningAlgs)
	}
	if c.TokenURL == "" {
		c.TokenURL = md.TokenEndpoint
		c.discovered = true
	}
	if c.Issuer == "" {
		c.Issuer = md.Issuer
	}
	if c.Method == "" {
		c.Method = ChooseMethod(md.AuthMethods)
	}
	return c
}

// ChooseMethod picks a client authentication method from an authorization server's
// token_endpoint_auth_methods_supported: basic, then post, then private_key_jwt; basic when the
// list is empty (RFC 8414 §2's default) or names nothing we know.
func ChooseMethod(supported []string) Method {
	for _, m := range []Method{ClientSecretBasic, ClientSecretPost, PrivateKeyJWT} {
		if slices.Contains(supported, string(m)) {
			return m
		}
	}
	return ClientSecretBasic
}

// redactedCredentials is what Credentials look like to fmt, encoding/json and slog.
type redactedCredentials struct {
	TokenURL     string   `json:"token_url,omitempty"`
	Issuer       string   `json:"issuer,omitempty"`
	ClientID     string   `json:"client_id,omitempty"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Method       Method   `json:"method,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
	Audience     string   `json:"audience,omitempty"`
	Resource     string   `json:"resource,omitempty"`
	// The path only: the key is never read for display.
	PrivateKeyFile    string `json:"private_key_file,omitempty"`
	AssertionAudience string `json:"assertion_audience,omitempty"`
}

const redacted = "[REDACTED]"

func (c Credentials) redacted() redactedCredentials {
	r := redactedCredentials{c.TokenURL, c.Issuer, c.ClientID, "", c.Method, c.Scopes, c.Audience, c.Resource,
		c.PrivateKeyFile, c.AssertionAudience}
	if c.ClientSecret != "" {
		r.ClientSecret = redacted
	}
	return r
}

// String describes the credentials without the secret.
func (c Credentials) String() string {
	r := c.redacted()
	return fmt.Sprintf("Credentials{TokenURL:%q ClientID:%q ClientSecret:%q Method:%q Scopes:%q Audience:%q Resource:%q PrivateKeyFile:%q AssertionAudience:%q}",
		r.TokenURL, r.ClientID, r.ClientSecret, r.Method, r.Scopes, r.Audience, r.Resource, r.PrivateKeyFile, r.AssertionAudience)
}

// GoString keeps %#v from printing the secret field by field.
func (c Credentials) GoString() string { return "oauth." + c.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %x …) print the redacted form.
func (c Credentials) Format(f fmt.State, verb rune) {
	s := c.String()
	if verb == 'v' && f.Flag('#') {
		s = c.GoString()
	}
	_, _ = f.Write([]byte(s))
}

// MarshalJSON encodes the credentials with the secret replaced by a marker.
func (c Credentials) MarshalJSON() ([]byte, error) { return json.Marshal(c.redacted()) }

// LogValue keeps slog from walking the struct's fields.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }
