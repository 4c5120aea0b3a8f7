package oauth

import (
	"slices"
	"strings"
)

// Why the scopes of a token request are what they are (Credentials.ScopeSource). With no
// scopes configured, the MCP authorization spec's scope selection applies: the scope the
// server's 401 challenge names, else the protected-resource metadata's scopes_supported, else
// no scope parameter at all.
const (
	ScopesConfigured    = "configured"       // the operator listed them
	ScopesFromChallenge = "challenge"        // the server's 401 Bearer challenge named them (RFC 6750 §3)
	ScopesFromMetadata  = "scopes_supported" // the protected-resource metadata's scopes_supported (RFC 9728 §2)
	ScopesNone          = "none"             // none configured and none named by the server
)

// SuggestedScopes is what to request when no scopes are configured, and why: the challenge's
// scope, else scopes_supported, else none.
func (m *Metadata) SuggestedScopes() ([]string, string) {
	switch {
	case m == nil:
	case len(m.ChallengeScopes) > 0:
		return slices.Clone(m.ChallengeScopes), ScopesFromChallenge
	case len(m.ScopesSupported) > 0:
		return slices.Clone(m.ScopesSupported), ScopesFromMetadata
	}
	return nil, ScopesNone
}

// ScopeSource says where Scopes came from: ScopesConfigured, ScopesFromChallenge,
// ScopesFromMetadata (both set by WithMetadata) or ScopesNone.
func (c Credentials) ScopeSource() string {
	switch {
	case c.scopeSource != "":
		return c.scopeSource
	case len(c.Scopes) > 0:
		return ScopesConfigured
	}
	return ScopesNone
}

// Bounds on scopes a server names: they are sent to the authorization server and shown.
const (
	maxScopes   = 32
	maxScopeLen = 200
)

// scopeTokens splits space-separated scope lists into RFC 6749 §3.3 scope tokens (printable
// ASCII except space, '"' and '\'), dropping anything else and duplicates, at most maxScopes.
func scopeTokens(lists []string) []string {
	var out []string
	for _, l := range lists {
		for _, s := range strings.Fields(l) {
			if len(out) == maxScopes {
				return out
			}
			if len(s) <= maxScopeLen && validScopeToken(s) && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

func validScopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}
