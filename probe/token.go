package probe

import (
	"context"
	"errors"
	"net/http"
	"net/url"
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
		t := r.c.baseTransport()
		defer t.CloseIdleConnections()
		hdr := http.Header{}
		for k, v := range r.prep.headers {
			hdr.Set(k, v)
		}
		md, err := r.c.Tokens.Discovered(sctx, r.c.plainClient(t), r.srv.URL, hdr)
		if err != nil {
			r.timed(StageToken, start, false)
			r.res.Token = &TokenInfo{TokenURLSource: "discovered", LastError: safeMessage(err)}
			r.fail(tokenVerdict(err, r.srv.URL), err)
			return false
		}
		creds = creds.WithMetadata(md)
		source = "discovered"
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
	ti := &TokenInfo{TokenURL: r.creds.TokenURL, TokenURLSource: src}
	if info, ok := r.c.Tokens.Info(r.creds); ok {
		ti.Obtained, ti.Expiry, ti.ExpiryDefaulted = info.Obtained, info.Expiry, info.ExpiryDefaulted
		ti.Scopes, ti.Refreshing = info.Scopes, info.Refreshing
		ti.LastError, ti.LastErrorAt = info.LastError, info.LastErrorAt
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
