package oauth

import (
	"context"
	"net/http"
)

// ResourceInfo is what a protected resource's RFC 9728 metadata says about it, for telling an
// operator which authorization server to get a client from. Every string is made safe to show.
type ResourceInfo struct {
	MetadataURL          string   // where the document was found
	Resource             string   // its `resource`, which covers the server URL
	AuthorizationServers []string // its `authorization_servers`, in order
	ScopesSupported      []string // its `scopes_supported` (valid scope tokens only)
}

// LookupResource reads the protected-resource metadata of the MCP server at serverURL after the
// server answered 401 with the WWW-Authenticate values in challenge. No ping is sent: the
// document is the one the challenge's resource_metadata names, else the well-known URLs, by the
// same rules as Discover (1 MiB, https for https servers, headers only to the server's origin,
// a `resource` that covers serverURL, else discovery.resource_mismatch and no servers listed).
// Nothing is sent to an authorization server. ctx bounds the lookup; errors are *Error.
func LookupResource(ctx context.Context, hc *http.Client, serverURL string, headers http.Header, challenge []string) (*ResourceInfo, error) {
	d, derr := newDiscovery(hc, serverURL, headers)
	if derr != nil {
		return nil, derr
	}
	prm, found, derr := d.protectedResource(ctx, bearerParam(challenge, "resource_metadata"), http.StatusUnauthorized)
	if derr != nil {
		return nil, derr
	}
	info := &ResourceInfo{MetadataURL: oneLine(found.url, 200), Resource: oneLine(prm.Resource, 200),
		ScopesSupported: scopeTokens(prm.ScopesSupported)}
	for _, as := range prm.AuthorizationServers[:min(len(prm.AuthorizationServers), MaxAuthorizationServers)] {
		info.AuthorizationServers = append(info.AuthorizationServers, oneLine(as, 200))
	}
	return info, nil
}
