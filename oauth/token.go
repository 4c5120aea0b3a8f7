package oauth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/mcpwatch/mcpwatch/tlsverify"
)

// Token is an access token and what we know about it. The access token itself is never
// printed: String, Format, MarshalJSON and LogValue all leave it out.
type Token struct {
	AccessToken     string
	TokenType       string // as the server said, normalised by x/oauth2 ("bearer" → "Bearer")
	Obtained        time.Time
	Expiry          time.Time
	ExpiryDefaulted bool     // the response had no usable expires_in; Expiry = Obtained + default lifetime
	Scopes          []string // granted scopes: the response's `scope`, else those requested
}

// Valid reports whether the token can still be used at now.
func (t *Token) Valid(now time.Time) bool {
	return t != nil && t.AccessToken != "" && now.Before(t.Expiry)
}

// Lifetime is how long the token was issued for.
func (t *Token) Lifetime() time.Duration { return t.Expiry.Sub(t.Obtained) }

func (t *Token) clone() *Token {
	c := *t
	c.Scopes = slices.Clone(t.Scopes)
	return &c
}

type redactedToken struct {
	TokenType       string    `json:"token_type"`
	Obtained        time.Time `json:"obtained"`
	Expiry          time.Time `json:"expiry"`
	ExpiryDefaulted bool      `json:"expiry_defaulted,omitempty"`
	Scopes          []string  `json:"scopes,omitempty"`
}

func (t Token) redacted() redactedToken {
	return redactedToken{t.TokenType, t.Obtained, t.Expiry, t.ExpiryDefaulted, t.Scopes}
}

// String describes the token without the access token.
func (t Token) String() string {
	return fmt.Sprintf("Token{AccessToken:%s TokenType:%s Expiry:%s ExpiryDefaulted:%t Scopes:%q}",
		redacted, t.TokenType, t.Expiry.Format(time.RFC3339), t.ExpiryDefaulted, t.Scopes)
}

// GoString keeps %#v from printing the access token.
func (t Token) GoString() string { return "oauth." + t.String() }

// Format makes every fmt verb print the redacted form.
func (t Token) Format(f fmt.State, verb rune) {
	s := t.String()
	if verb == 'v' && f.Flag('#') {
		s = t.GoString()
	}
	_, _ = f.Write([]byte(s))
}

// MarshalJSON encodes everything but the access token.
func (t Token) MarshalJSON() ([]byte, error) { return json.Marshal(t.redacted()) }

// LogValue keeps slog from walking the struct's fields.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

// Info is the displayable state of one cached credential set: no secret, no token.
// "refresh failed, valid 1m more" is RefreshFailed() plus Expiry minus now.
type Info struct {
	TokenURL        string
	TokenURLSource  string // "configured" or "discovered"
	Obtained        time.Time
	Expiry          time.Time // zero when no token has been obtained yet
	ExpiryDefaulted bool
	Scopes          []string
	Refreshing      bool      // a token request is in flight
	LastError       string    // the most recent failure's message; cleared by the next success
	LastErrorClass  string    // its Error.Class
	LastErrorAt     time.Time // when it happened
	// TLS is the token endpoint's certificate as the latest token request
	// saw it (https only); the peer's text, to be scrubbed before showing.
	TLS *tlsverify.CertInfo
}

// HasToken reports whether a token was ever obtained for these credentials.
func (i Info) HasToken() bool { return !i.Obtained.IsZero() }

// RefreshFailed reports that a token exists but the latest attempt to replace it failed.
func (i Info) RefreshFailed() bool { return i.HasToken() && i.LastError != "" }
