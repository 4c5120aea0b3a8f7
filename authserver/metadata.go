package authserver

import (
	"encoding/json"
	"net/http"
	"slices"
)

// MetadataHandler serves the RFC 8414 authorization-server metadata document. ServeHTTP routes
// /.well-known/oauth-authorization-server to it; mount it yourself for an issuer with a path,
// or at an OpenID Connect discovery path.
func (s *Server) MetadataHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		issuer := s.issuerFor(r)
		doc := map[string]any{
			"issuer":                                issuer,
			"token_endpoint":                        issuer + "/token",
			"token_endpoint_auth_methods_supported": slices.Clone(s.methods),
			"grant_types_supported":                 []string{"client_credentials"},
			"response_types_supported":              []string{}, // no authorization endpoint
		}
		if s.scopes != nil {
			doc["scopes_supported"] = slices.Clone(s.scopes)
		}
		if slices.Contains(s.methods, MethodPrivateKeyJWT) {
			doc["token_endpoint_auth_signing_alg_values_supported"] = slices.Clone(s.algs)
		}
		serveDocument(w, r, doc)
	})
}

// ProtectedResourceMetadata serves an RFC 9728 protected-resource metadata document naming the
// authorization servers whose tokens the resource accepts.
func ProtectedResourceMetadata(resource string, authServers ...string) http.Handler {
	doc := map[string]any{
		"resource":                 resource,
		"authorization_servers":    slices.Clone(authServers),
		"bearer_methods_supported": []string{"header"},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveDocument(w, r, doc) })
}

// ProtectedResourceMetadataWithScopes is ProtectedResourceMetadata with scopes_supported (RFC
// 9728 §2), which MCP clients request when the server's challenge names no scope.
func ProtectedResourceMetadataWithScopes(resource string, scopes []string, authServers ...string) http.Handler {
	doc := map[string]any{
		"resource":                 resource,
		"authorization_servers":    slices.Clone(authServers),
		"scopes_supported":         slices.Clone(scopes),
		"bearer_methods_supported": []string{"header"},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveDocument(w, r, doc) })
}

func serveDocument(w http.ResponseWriter, r *http.Request, doc map[string]any) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_ = json.NewEncoder(w).Encode(doc)
	}
}
