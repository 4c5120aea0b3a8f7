package probe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mcpwatch/mcpwatch/oauth"
)

// tokenStage obtains a client-credentials token (from the shared cache when
// one is valid), discovering the token endpoint first when none is configured.
func (r *checkRun) tokenStage(ctx context.Context) bool {
	start := r.c.now()
	sctx, cancel := r.stageCtx(ctx)
	defer cancel()
	creds := *r.prep.oauth
	source := "configured"
	if creds.TokenURL == "" {
		hc, closeIdle := r.discoveryClient() // tls.go
		defer closeIdle()
		hdr := http.Header{}
		for k, v := range r.prep.headers {
			hdr.Set(k, v)
		}
		md, err := r.c.Tokens.Discovered(sctx, hc, r.srv.URL, hdr)
		if err != nil {
			r.timed(StageToken, start, false)
			r.res.Token = &TokenInfo{TokenURLSource: "discovered", LastError: safeMessage(err)}
			if len(creds.Scopes) > 0 { // else they would have come from discovery
				r.res.Token.RequestedScopes, r.res.Token.ScopeSource = slices.Clone(creds.Scopes), creds.ScopeSource()
			}
			r.fail(tokenVerdict(err, r.srv.URL), err)
			return false
		}
		trust, terr := trustIssuer(r.srv.URL, r.srv.Auth.Issuer, r.priorIssuer, md)
		if terr != nil {
			r.timed(StageToken, start, false)
			r.res.Token = &TokenInfo{TokenURLSource: "discovered", Issuer: md.Issuer, LastError: terr.Msg}
			r.fail(verdict{Status: StatusAuthError, Stage: StageToken, Class: terr.Class, Message: terr.Msg}, nil)
			return false
		}
		creds = creds.WithMetadata(md).Keyed()
		source = "discovered"
		r.issuer, r.issuerTrust = md.Issuer, trust
	}
	r.creds = creds
	tok, err := r.c.Tokens.Token(sctx, creds)
	r.timed(StageToken, start, err == nil)
	r.res.Token = r.tokenInfo()
	r.res.Token.TokenURLSource = source
	if err != nil {
		r.fail(tokenVerdict(err, r.srv.URL), err)
		return false
	}
	r.token = tok
	return true
}

// tokenInfo is what may be shown about the current credential set's token.
func (r *checkRun) tokenInfo() *TokenInfo {
	src := "configured"
	if r.prep.oauth.TokenURL == "" {
		src = "discovered"
	}
	ti := &TokenInfo{TokenURL: r.creds.TokenURL, TokenURLSource: src, Issuer: r.issuer, IssuerTrust: r.issuerTrust,
		RequestedScopes: slices.Clone(r.creds.Scopes), ScopeSource: r.creds.ScopeSource()}
	if info, ok := r.c.Tokens.Info(r.creds); ok {
		ti.Obtained, ti.Expiry, ti.ExpiryDefaulted = info.Obtained, info.Expiry, info.ExpiryDefaulted
		ti.Scopes, ti.Refreshing = info.Scopes, info.Refreshing
		ti.LastError, ti.LastErrorAt = info.LastError, info.LastErrorAt
		ti.TLS = info.TLS
	}
	return ti
}

// tokenVerdict names a token or discovery failure. A discovery request that
// could not reach the MCP server itself means the server is down, not that
// auth failed; one that could not reach the authorization server is auth's.
func tokenVerdict(err error, serverURL string) verdict {
	var oe *oauth.Error
	if errors.As(err, &oe) {
		var ue *url.Error
		if strings.HasPrefix(oe.Class, "discovery.") && errors.As(oe.Err, &ue) && hostOf(ue.URL) == hostOf(serverURL) {
			if c, m, ok := netClass(oe.Err); ok {
				return verdict{Status: StatusUnhealthy, Stage: StageConnect, Class: c, Message: m}
			}
		}
		return verdict{Status: StatusAuthError, Stage: StageToken, Class: oe.Class, Message: oe.Msg}
	}
	if isTimeout(err) {
		return verdict{Status: StatusAuthError, Stage: StageToken, Class: "token.timeout", Message: "token endpoint did not answer in time"}
	}
	return verdict{Status: StatusAuthError, Stage: StageToken, Class: "token.failed", Message: firstLine(err.Error())}
}

func safeMessage(err error) string {
	var oe *oauth.Error
	if errors.As(err, &oe) {
		return oe.Msg
	}
	return firstLine(err.Error())
}

// authRequiredMessage is the message of auth.required: the server answered 401 and no auth is
// configured. It names where to get credentials — the server's protected-resource metadata and
// the authorization servers it lists — read by discovery's rules (oauth.LookupResource: bounded
// size, the server's timeout, nothing sent to an authorization server, a document for another
// resource not believed).
func (r *checkRun) authRequiredMessage(ctx context.Context, challenge string) string {
	const msg = "server requires authorization (HTTP 401) and no auth is configured"
	ctx, cancel := r.stageCtx(ctx)
	defer cancel()
	t, _ := r.transport()
	defer t.CloseIdleConnections()
	hdr := http.Header{}
	for k, v := range r.prep.headers {
		hdr.Set(k, v)
	}
	info, err := oauth.LookupResource(ctx, r.c.plainClient(t), r.srv.URL, hdr, []string{challenge})
	var oe *oauth.Error
	switch {
	case err == nil:
		return msg + "; its resource metadata " + info.MetadataURL + " lists " + authServers(info.AuthorizationServers)
	case !errors.As(err, &oe):
		return msg
	case oe.Class == "discovery.resource_mismatch":
		return msg + "; its protected-resource metadata is for another resource, so the authorization servers it names are not shown"
	case oe.Class == "discovery.no_metadata":
		return msg + "; it publishes no protected-resource metadata"
	}
	return msg + "; its protected-resource metadata could not be read (" + oe.Class + ")"
}

// authServers lists at most three authorization servers for a message.
func authServers(as []string) string {
	const show = 3
	if len(as) == 1 {
		return "authorization server " + as[0]
	}
	s := "authorization servers " + strings.Join(as[:min(len(as), show)], ", ")
	if len(as) > show {
		s += fmt.Sprintf(" and %d more", len(as)-show)
	}
	return s
}
