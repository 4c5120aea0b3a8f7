package oauth

import (
	"net/url"
	"slices"
	"testing"
	"time"
)

func TestBearerParam(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"simple", []string{`Bearer resource_metadata="https://a.example/m"`}, "https://a.example/m"},
		{"with error first", []string{`Bearer error="invalid_token", error_description="expired", resource_metadata="https://a/m"`}, "https://a/m"},
		{"case-insensitive scheme and name", []string{`bearer Resource_Metadata="https://a/m"`}, "https://a/m"},
		{"unquoted", []string{`Bearer resource_metadata=https://a/m`}, "https://a/m"},
		{"after another challenge", []string{`Basic realm="x", Bearer resource_metadata="https://a/m"`}, "https://a/m"},
		{"token68 challenge first", []string{`Negotiate abc==, Bearer resource_metadata="https://a/m"`}, "https://a/m"},
		{"second header", []string{`Basic realm="x"`, `Bearer realm="r", resource_metadata="https://a/m"`}, "https://a/m"},
		{"escaped quote", []string{`Bearer resource_metadata="https://a/m\"x"`}, `https://a/m"x`},
		{"only in Basic", []string{`Basic resource_metadata="https://evil/m"`}, ""},
		{"none", []string{`Bearer realm="r"`}, ""},
		{"garbage", []string{`,,, ="=" Bearer`, `"unterminated`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bearerParam(tt.values, "resource_metadata"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseChallenges(f *testing.F) {
	f.Add(`Bearer resource_metadata="https://a/m", error="invalid_token"`)
	f.Add(`Basic realm="x", Negotiate abc==`)
	f.Fuzz(func(t *testing.T, s string) {
		parseChallenges(s) // must terminate without panicking
	})
}

func TestSameResource(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://mcp.example/api", "https://mcp.example/api", true},
		{"https://mcp.example/api", "https://mcp.example/api/", true},
		{"HTTPS://MCP.Example/api", "https://mcp.example/api", true},
		{"https://mcp.example:443/api", "https://mcp.example/api", true},
		{"http://mcp.example:80/api", "http://mcp.example/api", true},
		{"https://mcp.example", "https://mcp.example/", true},
		{"https://mcp.example/api#frag", "https://mcp.example/api", true},
		{"https://mcp.example/API", "https://mcp.example/api", false},
		{"https://mcp.example/api", "http://mcp.example/api", false},
		{"https://mcp.example:8443/api", "https://mcp.example/api", false},
		{"https://mcp.example/api", "https://mcp.example.evil/api", false},
		{"https://mcp.example/api?x=1", "https://mcp.example/api", false},
		{"https://mcp.example/api", "https://mcp.example", false},
		{"", "", false},
		{"/api", "/api", false},
	}
	for _, tt := range tests {
		if got := sameResource(tt.a, tt.b); got != tt.want {
			t.Errorf("sameResource(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestWellKnownURLs(t *testing.T) {
	u := func(s string) *url.URL { v, _ := url.Parse(s); return v }
	if got, want := protectedResourceURLs(u("https://h.example/mcp/v1/")), []string{
		"https://h.example/.well-known/oauth-protected-resource/mcp/v1",
		"https://h.example/.well-known/oauth-protected-resource",
	}; !slices.Equal(got, want) {
		t.Errorf("protected resource: %q", got)
	}
	if got := protectedResourceURLs(u("https://h.example")); !slices.Equal(got, []string{"https://h.example/.well-known/oauth-protected-resource"}) {
		t.Errorf("protected resource without path: %q", got)
	}
	if got, want := authorizationServerURLs(u("https://as.example/tenant/1/")), []string{
		"https://as.example/.well-known/oauth-authorization-server/tenant/1",
		"https://as.example/.well-known/openid-configuration/tenant/1",
		"https://as.example/tenant/1/.well-known/openid-configuration",
	}; !slices.Equal(got, want) {
		t.Errorf("authorization server: %q", got)
	}
	if got, want := authorizationServerURLs(u("https://as.example")), []string{
		"https://as.example/.well-known/oauth-authorization-server",
		"https://as.example/.well-known/openid-configuration",
	}; !slices.Equal(got, want) {
		t.Errorf("authorization server without path: %q", got)
	}
}

func TestChooseMethod(t *testing.T) {
	tests := []struct {
		supported []string
		want      Method
	}{
		{nil, ClientSecretBasic},
		{[]string{"client_secret_post", "client_secret_basic"}, ClientSecretBasic},
		{[]string{"private_key_jwt", "client_secret_post"}, ClientSecretPost},
		{[]string{"private_key_jwt"}, PrivateKeyJWT},
		{[]string{"tls_client_auth"}, ClientSecretBasic},
	}
	for _, tt := range tests {
		if got := ChooseMethod(tt.supported); got != tt.want {
			t.Errorf("ChooseMethod(%q) = %q, want %q", tt.supported, got, tt.want)
		}
	}
	configured := Credentials{Method: ClientSecretPost}.WithMetadata(&Metadata{AuthMethods: []string{"client_secret_basic"}})
	if configured.Method != ClientSecretPost {
		t.Errorf("configured method overridden by metadata")
	}
}

func TestRefreshWindow(t *testing.T) {
	c := NewTokenCache(Options{})
	tests := []struct{ lifetime, want time.Duration }{
		{time.Hour, 12 * time.Minute},        // 20%
		{3 * time.Minute, time.Minute},       // at least 1m
		{40 * time.Second, 20 * time.Second}, // never more than half
	}
	for _, tt := range tests {
		if got := c.refreshWindow(tt.lifetime); got != tt.want {
			t.Errorf("refreshWindow(%v) = %v, want %v", tt.lifetime, got, tt.want)
		}
	}
}
