package probe

import (
	"context"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// prepared is a server's config resolved for one check: secrets read, headers built.
type prepared struct {
	headers   map[string]string
	authName  string // static credential header (bearer, header, basic auth)
	authValue string
	oauth     *oauth.Credentials // client-credentials set, TokenURL empty when it must be discovered
	env       []string           // stdio: the configured variables, KEY=value, secrets read
	secretSet []string           // every resolved secret value, for scrubbing
}

func (p *prepared) secrets() []string { return p.secretSet }

// prepSecrets resolves srv's secrets for scrubbing only, when a check could
// not keep its own list (after a panic).
func prepSecrets(srv *config.Server) []string {
	if p, _ := prepare(context.Background(), srv); p != nil {
		return p.secretSet
	}
	return nil
}

// skipInfo is why a server is deliberately not probed: something a person can act on.
type skipInfo struct {
	Stage   Stage
	Class   string
	Message string
}

// prepare is the config stage. It resolves secrets now rather than at load
// time, so that fixing an env var or secret file takes effect on the next check.
// Reading secret files is bounded by ctx and the server's timeout (a file
// that hangs costs the check, not the pool).
func prepare(ctx context.Context, srv *config.Server) (*prepared, *skipInfo) {
	if srv.Disabled {
		return nil, &skipInfo{StageConfig, "skip.disabled", "disabled in config"}
	}
	deadline := time.Now().Add(srv.Timeout)
	if srv.Transport == config.TransportStdio {
		return prepareStdio(ctx, srv, deadline)
	}
	p := &prepared{}
	if len(srv.Headers) > 0 { // read only, through range and index: nil is none
		p.headers = make(map[string]string, len(srv.Headers))
	}
	resolve := func(s config.Secret) (string, *skipInfo) {
		v, err := resolveBy(ctx, s, deadline)
		if err != nil {
			return "", &skipInfo{StageConfig, "skip.secret", err.Error()}
		}
		if !s.IsZero() {
			p.secretSet = append(p.secretSet, v)
		}
		return v, nil
	}
	// Sorted: with two unset variables the skip reason must not flap
	// between them from one check to the next.
	for _, name := range slices.Sorted(maps.Keys(srv.Headers)) {
		s := srv.Headers[name]
		v, skip := resolve(s)
		if skip != nil {
			return nil, skip
		}
		p.headers[name] = v
	}
	a := &srv.Auth
	switch a.Type {
	case config.AuthBearer:
		v, skip := resolve(a.Token)
		if skip != nil {
			return nil, skip
		}
		p.authName, p.authValue = "Authorization", "Bearer "+v
	case config.AuthHeader:
		v, skip := resolve(a.Value)
		if skip != nil {
			return nil, skip
		}
		p.authName, p.authValue = a.Header, v
	case config.AuthBasic:
		v, skip := resolve(a.Password)
		if skip != nil {
			return nil, skip
		}
		enc := basicCredential(a.Username, v, false)
		p.authName, p.authValue = "Authorization", "Basic "+enc
		p.secretSet = append(p.secretSet, enc)
	case config.AuthOAuth2:
		if a.Flow == config.FlowAuthorizationCode {
			return nil, &skipInfo{StageConfig, "skip.user_login", "oauth2 authorization_code needs a user login"}
		}
		// A private_key_jwt client has no secret: its key file is read by oauth for every
		// token request, and a bad key is an auth_error there (token.bad_key), not a skip.
		clientID, err := config.ExpandEnv(a.ClientID)
		if err != nil {
			return nil, &skipInfo{StageConfig, "skip.secret", "client_id " + err.Error()}
		}
		creds := oauth.Credentials{
			TokenURL: a.TokenURL, ClientID: clientID, Method: oauth.Method(a.Method),
			Scopes: a.Scopes, Audience: a.Audience, Resource: a.Resource,
			PrivateKeyFile: a.PrivateKeyFile, AssertionAudience: a.AssertionAudience,
			TLS: TLSSettings(a.TLS),
		}
		if creds.Resource == "" {
			creds.Resource = srv.URL
		}
		if !a.ClientSecret.IsZero() {
			v, skip := resolve(a.ClientSecret)
			if skip != nil {
				return nil, skip
			}
			creds.ClientSecret = v
			// client_secret_basic sends this pair; a peer may echo it whole.
			p.secretSet = append(p.secretSet, clientBasicForms(clientID, v)...)
		}
		creds = keyed(creds) // the token cache and every snapshot look it up by its Key
		p.oauth = &creds
	}
	return p, nil
}

// prepareStdio gates stdio servers behind allow_stdio and reads their env.
// Only values from ${ENV} references are scrubbed from output: literal
// values are settings (LOG_LEVEL: debug), and scrubbing them would garble
// the stderr lines shown on failure.
func prepareStdio(ctx context.Context, srv *config.Server, deadline time.Time) (*prepared, *skipInfo) {
	if !srv.Stdio.Allowed {
		return nil, &skipInfo{StageConfig, "skip.stdio", "stdio servers are not enabled (allow_stdio)"}
	}
	p := &prepared{}
	for _, name := range slices.Sorted(maps.Keys(srv.Stdio.Env)) { // a stable reason and environment
		s := srv.Stdio.Env[name]
		v, err := resolveBy(ctx, s, deadline)
		if err != nil {
			return nil, &skipInfo{StageConfig, "skip.secret", err.Error()}
		}
		if s.Literal == "" {
			p.secretSet = append(p.secretSet, v)
		}
		p.env = append(p.env, name+"="+v)
	}
	return p, nil
}

// resolveBy resolves s, a file read bounded by deadline too. Only a file
// gets a context of its own: env and literal secrets, the common ones,
// need none (a timer a check saved).
func resolveBy(ctx context.Context, s config.Secret, deadline time.Time) (string, error) {
	if s.File == "" {
		return s.ResolveContext(ctx)
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	return s.ResolveContext(ctx)
}

// lastKeyed is the credentials prepare keyed last: the next server's are
// most often the same (one token endpoint for the fleet), and then share its Key.
var lastKeyed atomic.Pointer[oauth.Credentials]

func keyed(c oauth.Credentials) oauth.Credentials {
	if prev := lastKeyed.Load(); prev != nil {
		if k, reused := c.KeyedAs(*prev); reused {
			return k
		}
	}
	k := c.Keyed()
	lastKeyed.Store(&k)
	return k
}
