package oauth

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
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

func TestResourceCovers(t *testing.T) {
	tests := []struct {
		resource, server string
		want             bool
	}{
		// The same resource, spelled the ways people type it.
		{"https://mcp.example/api", "https://mcp.example/api", true},
		{"https://mcp.example/api", "https://mcp.example/api/", true},
		{"https://mcp.example/api/", "https://mcp.example/api", true},
		{"HTTPS://MCP.Example/api", "https://mcp.example/api", true},
		{"https://mcp.example:443/api", "https://mcp.example/api", true},
		{"https://mcp.example/api", "https://mcp.example:443/api", true},
		{"http://mcp.example:80/api", "http://mcp.example/api", true},
		{"https://mcp.example", "https://mcp.example/", true},
		{"https://mcp.example/api#frag", "https://mcp.example/api", true},
		{"https://[::1]:8443/api", "https://[::1]:8443/api", true},
		// A segment-wise prefix on the same origin (RFC 9728 §3.3 root metadata, the SDKs' rule).
		{"https://mcp.example", "https://mcp.example/mcp", true},
		{"https://mcp.example/", "https://mcp.example/mcp", true},
		{"https://MCP.example:443/", "https://mcp.example/mcp/v1", true},
		{"https://mcp.example/mcp", "https://mcp.example/mcp/v1", true},
		{"https://mcp.example/mcp/", "https://mcp.example/mcp/v1/", true},
		{"https://mcp.example/mcp", "https://mcp.example/mcp?tenant=a", true},
		// Not a segment-wise prefix.
		{"https://mcp.example/mcp", "https://mcp.example/mcpx", false},
		{"https://mcp.example/mc", "https://mcp.example/mcp", false},
		{"https://mcp.example/mcp/v1", "https://mcp.example/mcp", false},
		{"https://mcp.example/api", "https://mcp.example", false},
		{"https://mcp.example/API", "https://mcp.example/api", false},
		{"https://mcp.example/m%63p", "https://mcp.example/mcp/v1", false},
		{"https://mcp.example//", "https://mcp.example/mcp", false},
		// Another origin, however close.
		{"https://mcp.example/api", "http://mcp.example/api", false},
		{"http://mcp.example", "https://mcp.example/mcp", false},
		{"https://mcp.example:8443/api", "https://mcp.example/api", false},
		{"https://mcp.example", "https://mcp.example:8443/mcp", false},
		{"https://mcp.example/api", "https://mcp.example.evil/api", false},
		{"https://mcp.example.evil", "https://mcp.example/mcp", false},
		{"https://evil.example/", "https://mcp.example/mcp", false},
		// A query is part of the identifier: only an exact match.
		{"https://mcp.example/api?x=1", "https://mcp.example/api", false},
		{"https://mcp.example/?x=1", "https://mcp.example/api?x=1", false},
		{"https://mcp.example/api?x=1", "https://mcp.example/api?x=1", true},
		{"https://mcp.example/api?x=1", "https://mcp.example/api?x=2", false},
		// Not a URL we can compare, or one that names a user.
		{"https://user@mcp.example/", "https://mcp.example/mcp", false},
		{"", "", false},
		{"", "https://mcp.example/mcp", false},
		{"/api", "/api", false},
		{"/", "https://mcp.example/mcp", false},
		{"mcp.example", "https://mcp.example/mcp", false},
	}
	for _, tt := range tests {
		if got := resourceCovers(tt.resource, tt.server); got != tt.want {
			t.Errorf("resourceCovers(%q, %q) = %v, want %v", tt.resource, tt.server, got, tt.want)
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

func TestParseBearerChallenge(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		name   string
		values []string
		want   Challenge
	}{
		{"invalid_token with description",
			[]string{`Bearer error="invalid_token", error_description="token has invalid audience", resource_metadata="https://a/m"`},
			Challenge{Error: "invalid_token", ErrorDescription: "token has invalid audience", ResourceMetadata: "https://a/m"}},
		{"insufficient_scope with scope",
			[]string{`Bearer error="insufficient_scope", scope="mcp:read  mcp:tools"`},
			Challenge{Error: "insufficient_scope", Scope: []string{"mcp:read", "mcp:tools"}}},
		{"bare challenge", []string{`Bearer realm="mcp"`}, Challenge{}},
		{"scope only in a Basic challenge", []string{`Basic scope="admin"`}, Challenge{}},
		{"second header value", []string{`Basic realm="x"`, `Bearer scope="a b"`}, Challenge{Scope: []string{"a", "b"}}},
		{"escape sequences and newlines are no more", []string{"Bearer error=\"invalid_token\x1b[31m\", error_description=\"line one\r\nline two\x1b]0;pwned\x07 \u009b2J\""},
			Challenge{Error: "invalid_token", ErrorDescription: "line one line two"}},
		{"bidi controls are no more", []string{"Bearer error_description=\"evil\u202egnp.exe\u2066x\u2069\u200f\""},
			Challenge{ErrorDescription: "evilgnp.exex"}},
		{"invalid UTF-8", []string{"Bearer error_description=\"a\xffb\""}, Challenge{ErrorDescription: "ab"}},
		{"long description is cut on a rune boundary", []string{`Bearer error_description="` + long + `"`},
			Challenge{ErrorDescription: strings.Repeat("é", 100) + "…"}},
		{"scope tokens RFC 6749 does not allow are dropped", []string{`Bearer scope="ok:1 bad\"quote bad\\back ok:2"`},
			Challenge{Scope: []string{"ok:1", "ok:2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseBearerChallenge(tt.values)
			if got.Error != tt.want.Error || got.ErrorDescription != tt.want.ErrorDescription ||
				!slices.Equal(got.Scope, tt.want.Scope) || got.ResourceMetadata != tt.want.ResourceMetadata {
				t.Errorf("got %+q\nwant %+q", got, tt.want)
			}
		})
	}
}

func TestChallengeReason(t *testing.T) {
	for _, tt := range []struct {
		ch   Challenge
		want string
	}{
		{Challenge{Error: "invalid_token", ErrorDescription: "token has invalid audience"}, "invalid_token: token has invalid audience"},
		{Challenge{Error: "invalid_token"}, "invalid_token"},
		{Challenge{ErrorDescription: "expired"}, "expired"},
		{Challenge{}, ""},
	} {
		if got := tt.ch.Reason(); got != tt.want {
			t.Errorf("%+v.Reason() = %q, want %q", tt.ch, got, tt.want)
		}
	}
}

func TestScopeTokens(t *testing.T) {
	many := make([]string, 100)
	for i := range many {
		many[i] = "s" + strconv.Itoa(i)
	}
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"space separated, duplicates once", []string{"a b", "b  c"}, []string{"a", "b", "c"}},
		{"RFC 6749 §3.3 characters only", []string{"ok", "not\"ok", "not\\ok", "ctl\x01", "tab\tsplit", "ü"}, []string{"ok", "tab", "split"}},
		{"too long a token", []string{strings.Repeat("x", 201), "y"}, []string{"y"}},
		{"at most 32", many, many[:32]},
		{"nothing", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scopeTokens(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain text", 200, "plain text"},
		{"  runs\t of\n\nspace  ", 200, "runs of space"},
		{"\x1b[31mred\x1b[0m", 200, "red"}, // whole sequences go, not just their ESC
		{"\x1b]0;pwned\x07title \x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\", 200, "title link"},
		{"c1 \u0085next \u009b31mcsi", 200, "c1 next csi"},
		{"del\x7f", 200, "del"},
		{"rtl \u202eoverride \u2067isolate\u2069 \u200emark \u061c", 200, "rtl override isolate mark"},
		{"bad \xff utf8", 200, "bad utf8"},
		{strings.Repeat("ab", 10), 10, strings.Repeat("ab", 5) + "…"},
		{"ééé", 3, "é…"}, // never half a rune
	} {
		if got := oneLine(tt.in, tt.max); got != tt.want {
			t.Errorf("oneLine(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
