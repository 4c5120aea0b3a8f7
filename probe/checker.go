package probe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/oauth"
	"github.com/mcpwatch/mcpwatch/tlsverify"
)

// Checker runs one check of one server at a time; it is safe for concurrent use.
type Checker struct {
	Tokens  *oauth.TokenCache // shared by every server of the process
	Version string            // reported as clientInfo.version
	Now     func() time.Time
	// Logger receives mcp-go's transport logs; nil discards them, so that
	// library chatter never lands on a dashboard or in check's output.
	Logger *slog.Logger
	// StdioGrace is how long a stdio server gets to exit after its stdin
	// closes, and again after SIGTERM. 0 means min(2s, the server's timeout).
	StdioGrace time.Duration
}

func (c *Checker) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// NewChecker returns a Checker with its own token cache.
func NewChecker(version string) *Checker {
	return &Checker{Tokens: oauth.NewTokenCache(oauth.Options{}), Version: version}
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Check runs the stages token → connect → handshake → liveness against srv and
// returns the verdict. It never panics on a misbehaving server and never
// returns a secret in any field.
func (c *Checker) Check(ctx context.Context, srv *config.Server) Result {
	res, _, _ := c.check(ctx, srv, nil, "", nil)
	return res
}

// check also returns the credential set used, so the pool can show live token
// state between checks. The set holds the secret: it stays inside probe.
// mem, when not nil, is the era an earlier check negotiated: go straight to it.
// priorIssuer is the authorization server credentials went to last time: a
// discovery that names another one is refused (see trustIssuer).
// forms are the check's secrets as scrubResult looks for them, so the pool
// can scrub what it shows between checks (live token state) the same way.
// lists is what the server's last lists returned, reused until their ttlMs.
func (c *Checker) check(ctx context.Context, srv *config.Server, mem *eraMemory, priorIssuer string, lists listCache) (res Result, creds oauth.Credentials, forms []string) {
	started := time.Now()
	// A bug in mcpwatch or a library must cost one verdict, not the process
	// that every viewer and every other server depends on.
	defer func() {
		if v := recover(); v != nil {
			res = Result{Server: srv.Name, Started: started, Status: StatusUnhealthy, Stage: res.Stage,
				Class: "internal.panic", Message: "mcpwatch failed while checking this server (a bug; please report it)",
				Detail: scrub(fmt.Sprint(v), secretForms(prepSecrets(srv)))}
			creds, forms = oauth.Credentials{}, nil
		}
	}()
	started = c.now()
	res = Result{Server: srv.Name, Started: started, Status: StatusUnknown}
	prep, skip := prepare(ctx, srv)
	if skip != nil {
		res.Status, res.Stage, res.Class, res.Message = StatusSkipped, skip.Stage, skip.Class, skip.Message
		return res, oauth.Credentials{}, nil
	}
	run := &checkRun{c: c, srv: srv, prep: prep, res: &res, mem: mem, priorIssuer: priorIssuer, lists: lists}
	run.execute(ctx)
	res.Total = c.now().Sub(started)
	secrets := prep.secrets()
	if run.token != nil {
		secrets = append(secrets, run.token.AccessToken)
	}
	forms = secretForms(secrets)
	scrubResult(&res, forms)
	return res, run.creds, forms
}

// checkRun is the state of one check: the current token and the stages done.
type checkRun struct {
	c     *Checker
	srv   *config.Server
	prep  *prepared
	res   *Result
	token *oauth.Token
	creds oauth.Credentials
	mem   *eraMemory // what an earlier check negotiated; dropped when it no longer works
	tried string     // the transport of the latest session attempt
	// priorIssuer is the authorization server an earlier check trusted;
	// issuer and issuerTrust are this check's (see trustIssuer).
	priorIssuer, issuer, issuerTrust string
	tls                              *tlsverify.Loaded // the server's TLS settings, files read (tls.go)
	authTLS                          *tlsverify.Loaded // the token endpoint's (auth.tls), for discovery
	lists                            listCache         // the inventory's last lists (inventory_list.go)
}

func (r *checkRun) execute(ctx context.Context) {
	if err := r.loadTLS(ctx); err != nil {
		r.fail(tlsConfigVerdict(err), err)
		return
	}
	for attempt := 0; ; attempt++ {
		r.res.Stages = r.res.Stages[:0]
		if r.prep.oauth != nil {
			if !r.tokenStage(ctx) {
				return
			}
		}
		err := r.sessionStages(ctx)
		if r.prep.oauth != nil {
			r.res.Token = r.tokenInfo()
		}
		var v *verdictErr
		if err == nil {
			r.judgeSpeed()
			return
		}
		if !errors.As(err, &v) {
			r.fail(verdict{Status: StatusUnhealthy, Stage: StageHandshake, Class: "internal", Message: err.Error()}, err)
			return
		}
		// A 401 with an OAuth token may mean the token was revoked or rotated
		// early: drop it and try once more with a fresh one.
		if v.Class == "http.401" && r.prep.oauth != nil && attempt == 0 {
			r.c.Tokens.Invalidate(r.creds, r.token)
			continue
		}
		if v.Class == "http.401" {
			v.Class, v.Message = r.unauthorizedMessage(ctx, attempt, v.Challenge)
		}
		r.fail(v.verdict, v.err)
		return
	}
}

// unauthorizedMessage names a 401 by what was sent and the server's reason (see token.go).
func (r *checkRun) unauthorizedMessage(ctx context.Context, attempt int, challenge string) (class, msg string) {
	why, wants := challengeReason(challenge, ": "), serverWants(challenge)
	switch {
	case r.prep.oauth != nil && attempt > 0:
		return "http.401", "server rejected the token" + why + " (HTTP 401, after one retry with a fresh token)" + wants
	case r.srv.Auth.Type == config.AuthNone || r.srv.Auth.Type == "":
		return "auth.required", r.authRequiredMessage(ctx, challenge)
	default:
		return "http.401", "server rejected the configured " + r.srv.Auth.Type + " credentials" + why + " (HTTP 401)" + wants
	}
}

// judgeSpeed turns a successful check into healthy or degraded.
func (r *checkRun) judgeSpeed() {
	var lat time.Duration
	for _, st := range r.res.Stages {
		if st.Stage != StageToken {
			lat += st.Duration
		}
	}
	r.res.Latency = lat
	r.res.Status, r.res.Stage, r.res.Class, r.res.Message = StatusHealthy, "", "", ""
	if r.srv.Slow > 0 && lat > r.srv.Slow {
		r.res.Status = StatusDegraded
		r.res.Class = "slow"
		r.res.Message = "answered in " + lat.Round(time.Millisecond).String() + ", slower than " + r.srv.Slow.String()
	}
}

func (r *checkRun) fail(v verdict, err error) {
	r.res.Status, r.res.Stage, r.res.Class, r.res.Message = v.Status, v.Stage, v.Class, v.Message
	if err != nil {
		r.res.Detail = err.Error()
	}
}

func (r *checkRun) timed(stage Stage, start time.Time, ok bool) {
	r.res.Stages = append(r.res.Stages, StageTiming{Stage: stage, Duration: r.c.now().Sub(start), OK: ok})
}

// stageCtx bounds one stage by the server's timeout.
func (r *checkRun) stageCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.srv.Timeout)
}

// verdictErr carries a classified failure out of the session stages.
type verdictErr struct {
	verdict
	err error
}

func (e *verdictErr) Error() string { return e.Message }
func (e *verdictErr) Unwrap() error { return e.err }

// baseTransport is a fresh transport per check: connect time and TLS are
// measured for real each time instead of hidden behind a pooled connection.
func (c *Checker) baseTransport() *http.Transport {
	// http.DefaultTransport's settings, made afresh rather than cloned: a
	// clone also copies whatever TLS config the default has picked up.
	return &http.Transport{
		Proxy:                 proxyFor,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// A check's requests (headers and body) and the headers of the
		// answers fit in 1 KB; the 4 KB defaults were a quarter of what a
		// probe allocated. Longer requests go out in more writes; bodies
		// read past the buffer straight into the reader's own.
		ReadBufferSize:  1 << 10,
		WriteBufferSize: 1 << 10,
	}
}

// proxyFor is http.DefaultTransport's proxy rule (read from the
// environment once), for the Transport and the lean client's wire alike.
var proxyFor = http.ProxyFromEnvironment

// dialer is http.DefaultTransport's without its 30 s timeout: every dial
// here is bounded by a stage's deadline, and a dialer's own timeout cost a
// context per dial.
var dialer = &net.Dialer{KeepAlive: 30 * time.Second}

// httpClient for requests outside a session (discovery), sharing r's transport rules.
func (c *Checker) plainClient(t *http.Transport) *http.Client {
	return &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // credentials never follow a redirect
	}}
}
