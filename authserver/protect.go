package authserver

import (
	"net/http"
	"slices"
	"strings"
)

// Protection describes a resource server guarded by this authorization server's tokens.
type Protection struct {
	ResourceURL    string   // the resource's own URL; a token issued for another resource is refused
	MetadataURL    string   // RFC 9728 metadata URL advertised in challenges; "" advertises none
	RequiredScopes []string // every one must have been granted, else 403 insufficient_scope
	// ScopeInChallenge adds scope="<RequiredScopes>" to 401 challenges too (RFC 6750 §3 allows
	// it; the MCP authorization spec asks servers to name the scopes a client should request).
	ScopeInChallenge bool
}

// Protect lets a request through to next only with a valid bearer token from this server, and
// answers otherwise exactly as RFC 6750 §3 and RFC 9728 §5.1 describe, so a client can discover
// where to get a token from the challenge alone.
func (s *Server) Protect(next http.Handler, p Protection) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, given := bearerToken(r)
		if !given {
			// RFC 6750 §3.1: no error code when the request carried no token at all.
			challenge(w, http.StatusUnauthorized, p, p.scopeParam())
			return
		}
		info, ok := s.Introspect(token)
		if !ok {
			challenge(w, http.StatusUnauthorized, p, append([]string{
				`error="invalid_token"`, `error_description="the access token is unknown, expired or revoked"`}, p.scopeParam()...))
			return
		}
		if info.Resource != "" && p.ResourceURL != "" &&
			strings.TrimSuffix(info.Resource, "/") != strings.TrimSuffix(p.ResourceURL, "/") {
			// RFC 8707 audience restriction: a token minted for another resource is not ours.
			challenge(w, http.StatusUnauthorized, p, append([]string{
				`error="invalid_token"`, `error_description="the access token was issued for another resource"`}, p.scopeParam()...))
			return
		}
		for _, sc := range p.RequiredScopes {
			if !slices.Contains(info.Scopes, sc) {
				challenge(w, http.StatusForbidden, p, []string{
					`error="insufficient_scope"`, `scope=` + quote(strings.Join(p.RequiredScopes, " "))})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// scopeParam is the scope auth-param of a 401 challenge, when the protection names one there.
func (p Protection) scopeParam() []string {
	if !p.ScopeInChallenge || len(p.RequiredScopes) == 0 {
		return nil
	}
	return []string{`scope=` + quote(strings.Join(p.RequiredScopes, " "))}
}

// bearerToken extracts an RFC 6750 §2.1 Authorization: Bearer token. given is true when the
// request tried to present a bearer token, even an empty one.
func bearerToken(r *http.Request) (token string, given bool) {
	auth := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

func challenge(w http.ResponseWriter, status int, p Protection, params []string) {
	if p.MetadataURL != "" {
		params = append(params, "resource_metadata="+quote(p.MetadataURL))
	}
	value := "Bearer"
	if len(params) > 0 {
		value += " " + strings.Join(params, ", ")
	}
	w.Header().Set("WWW-Authenticate", value)
	http.Error(w, http.StatusText(status), status)
}

// quote makes an RFC 9110 quoted-string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
