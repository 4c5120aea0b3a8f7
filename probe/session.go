package probe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/tlsverify"
)

// sessionStages runs connect → handshake → liveness over one MCP session and
// ends the session politely (mcp-go sends DELETE when a session id exists).
// With transport auto it falls back from streamable HTTP to legacy HTTP+SSE
// the way the spec's backwards-compatibility section says; with a remembered
// era that no longer works it negotiates afresh, within the same check.
func (r *checkRun) sessionStages(ctx context.Context) error {
	mark := len(r.res.Stages) // the token stage stays; session attempts replace theirs
	once := func() error {
		if r.srv.Transport == config.TransportStdio {
			return r.stdioStages(ctx)
		}
		return r.attempt(ctx, r.transportToTry())
	}
	err := once()
	if err != nil && r.mem != nil && renegotiable(err) {
		r.mem, r.res.EraRemembered = nil, time.Time{}
		r.res.Stages = r.res.Stages[:mark]
		err = once()
	}
	if err != nil && r.srv.Transport == config.TransportAuto && r.tried == config.TransportHTTP && legacyTransportHint(err) {
		httpErr, httpStages := err, slices.Clone(r.res.Stages[mark:])
		r.res.Stages = r.res.Stages[:mark]
		// An SSE session that got through its handshake and then failed is
		// the server's real state; otherwise the streamable HTTP answer says
		// more about a modern URL, and the SSE attempt is noted.
		if err = r.attempt(ctx, config.TransportSSE); err != nil && r.res.Transport != config.TransportSSE {
			r.res.Stages = append(r.res.Stages[:mark], httpStages...)
			var v, sv *verdictErr
			if errors.As(httpErr, &v) && errors.As(err, &sv) {
				v.Message += "; legacy HTTP+SSE at the same URL failed too (" + sv.Class + ")"
			}
			r.tried = config.TransportHTTP
			err = httpErr
		}
	}
	var v *verdictErr
	if errors.As(err, &v) && v.Class == "http.405" && r.srv.Transport == config.TransportHTTP {
		v.Message += ": a legacy HTTP+SSE endpoint answers POSTs that way; try transport: sse (or auto)"
	}
	return err
}

// maxMessage is the largest message the server may send.
func (r *checkRun) maxMessage() int64 {
	if r.srv.MaxMessageSize > 0 {
		return r.srv.MaxMessageSize
	}
	return config.DefaultMaxMessageSize
}

// transportToTry is the HTTP transport a check starts with.
func (r *checkRun) transportToTry() string {
	switch {
	case r.srv.Transport != config.TransportAuto:
		return r.srv.Transport
	case r.mem != nil:
		return r.mem.Transport
	}
	return config.TransportHTTP
}

// legacyTransportHint: a POST answered 400, 404 or 405 is how a legacy
// HTTP+SSE endpoint answers a streamable HTTP client (spec, backwards
// compatibility). 401 and 403 are about credentials, not transports.
func legacyTransportHint(err error) bool {
	var v *verdictErr
	if !errors.As(err, &v) || v.Stage != StageHandshake {
		return false
	}
	switch v.Class {
	case "http.400", "http.404", "http.405":
		return true
	}
	return false
}

// renegotiable: a handshake that failed by the protocol (not by the network,
// the clock or credentials) may have failed because the server changed era
// or transport since it was remembered.
func renegotiable(err error) bool {
	var v *verdictErr
	if !errors.As(err, &v) || v.Stage != StageHandshake {
		return false
	}
	if errors.Is(err, errLeanMiss) {
		return true
	}
	return !strings.HasPrefix(v.Class, "timeout.") && !strings.HasPrefix(v.Class, "connect.") &&
		!strings.HasPrefix(v.Class, "auth.") && v.Class != "http.401" && v.Class != "http.403"
}

// attempt is one session over transport tr (http or sse).
func (r *checkRun) attempt(ctx context.Context, tr string) error {
	if r.leanEligible(tr) {
		return r.leanAttempt(ctx)
	}
	return r.mcpAttempt(ctx, tr, nil)
}

// handover is a session the lean client began and mcp-go carries on: the
// same transport (and connection), recorder and start, and the discover
// exchange it had, replayed to mcp-go instead of sent again.
type handover struct {
	base     *http.Transport
	certs    *tlsverify.Recorder
	rec      *recorder
	start    time.Time // r.c's clock, for the stage timings
	deadline time.Time // the handshake stage's, on the real clock
}

// mcpAttempt is one session through mcp-go; h, when set, continues a lean one.
func (r *checkRun) mcpAttempt(ctx context.Context, tr string, h *handover) error {
	r.tried = tr
	var (
		base  *http.Transport
		certs *tlsverify.Recorder
		rec   *recorder
	)
	if h != nil {
		base, certs, rec = h.base, h.certs, h.rec
	} else {
		base, certs = r.transport()
		rec = &recorder{base: base, headers: r.prep.headers, auth: r.authHeader, max: r.maxMessage()}
	}
	defer base.CloseIdleConnections()
	hc := &http.Client{Transport: rec, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // never carry credentials across a redirect
	}}

	// The SSE stream lives on the context given to Start, so the session gets
	// one context spanning all stages; each stage has its own deadline inside.
	sessCtx, cancelSess := context.WithTimeout(ctx, 3*r.srv.Timeout)
	defer cancelSess()

	start := r.c.now()
	sctx, cancel := r.stageCtx(sessCtx)
	if h != nil {
		start = h.start
		cancel()
		sctx, cancel = context.WithDeadline(sessCtx, h.deadline)
	}
	cl, judge, init, err := r.handshake(sessCtx, sctx, hc, tr)
	cancel()
	connected := r.noteHandshake(rec, certs, start, err == nil && judge.firstLie() == nil)
	if err != nil || judge.firstLie() != nil || rec.tooLarge.Load() {
		if cl != nil {
			_ = cl.Close()
		}
		return r.sessionFailure(StageHandshake, err, rec, judge.firstLie(), connected)
	}
	defer cl.Close()
	if err := r.livenessStage(sessCtx, cl, init, tr); err != nil {
		return r.sessionFailure(StageLiveness, err, rec, judge.firstLie(), true)
	}
	return nil
}

// noteHandshake records the TLS facts and the connect and handshake
// timings of a session attempt that started at start, and reports whether
// a connection was made.
func (r *checkRun) noteHandshake(rec *recorder, certs *tlsverify.Recorder, start time.Time, ok bool) bool {
	connected, connectTime := rec.connected()
	if c := certs.Info(); c != nil {
		r.res.TLS = c // what the last handshake showed, refused or not
	}
	elapsed := r.c.now().Sub(start)
	if !connected {
		r.res.Stages = append(r.res.Stages, StageTiming{Stage: StageConnect, Duration: elapsed})
	} else {
		r.res.Stages = append(r.res.Stages,
			StageTiming{Stage: StageConnect, Duration: connectTime, OK: true},
			StageTiming{Stage: StageHandshake, Duration: elapsed - connectTime, OK: ok})
	}
	return connected
}

// sessionFailure names a failed stage: an oversized message first, then a
// lie the wire judge saw, then the failure itself.
func (r *checkRun) sessionFailure(stage Stage, err error, rec *recorder, lie *verdict, connected bool) error {
	switch {
	case rec.headersTooLarge.Load(): // no answer to hand anyone: its headers never ended
		return &verdictErr{verdict{Status: StatusUnhealthy, Stage: stage, Class: "protocol.too_large",
			Message: "server sent answer headers over " + sizeText(maxWireHeader) + "; connection closed"}, err}
	case rec.tooLarge.Load():
		return &verdictErr{tooLargeVerdict(stage, rec.max), err}
	case lie != nil && stage == StageHandshake:
		return &verdictErr{*lie, errors.Join(errors.New(lie.Message), err)}
	case lie != nil:
		l := *lie
		l.Stage = stage
		return &verdictErr{l, err}
	}
	return &verdictErr{classify(stage, err, rec.lastExchange(), connected, r.srv.Timeout), err}
}

// livenessStage records what the handshake learned, then runs and times
// the liveness stage; every transport shares it.
func (r *checkRun) livenessStage(sessCtx context.Context, cl *client.Client, init *mcp.InitializeResult, tr string) error {
	live := func(ctx context.Context) (string, error) { return liveness(ctx, cl, init) }
	return r.livenessWith(sessCtx, init, tr, live, listerOf(cl))
}

// livenessWith is livenessStage over any client: live runs the liveness
// request, l lists for the inventory (nil: no inventory).
func (r *checkRun) livenessWith(sessCtx context.Context, init *mcp.InitializeResult, tr string,
	live func(context.Context) (string, error), l lister) error {
	r.res.ProtocolVersion, r.res.Era, r.res.Transport = init.ProtocolVersion, eraOf(init.ProtocolVersion), tr
	r.res.ServerName, r.res.ServerVersion = init.ServerInfo.Name, init.ServerInfo.Version
	r.res.Capabilities = capabilityNames(init.Capabilities)
	if r.mem != nil {
		r.res.EraRemembered = r.mem.Since
	}
	start := r.c.now()
	ctx, cancel := r.stageCtx(sessCtx)
	defer cancel()
	method, err := live(ctx)
	r.timed(StageLiveness, start, err == nil)
	if err == nil {
		r.res.LivenessMethod = method
		r.inventoryStage(sessCtx, l, init) // never changes the verdict
	}
	return err
}

// discoverTimeout bounds mcp-go's server/discover probe: a server that
// ignores unknown methods would otherwise hold the handshake until the stage
// deadline, leaving no time for the initialize fallback.
func (r *checkRun) discoverTimeout() client.ClientOption {
	return client.WithDiscoverTimeout(min(5*time.Second, r.srv.Timeout/2))
}

// eraOptions pins the client to the remembered initialize-era version, so
// no server/discover is spent on a server known not to answer it.
func (r *checkRun) eraOptions() []client.ClientOption {
	opts := []client.ClientOption{r.discoverTimeout()}
	if r.mem != nil && r.mem.Era == EraInitialize {
		opts = append(opts, client.WithProtocolVersion(r.mem.Version))
	}
	return opts
}

// handshake connects over tr and negotiates the protocol era. sessCtx
// outlives the stage (SSE streams hang off it); stageCtx bounds this stage.
// The judge is returned even on failure: a lie it saw decides the verdict.
func (r *checkRun) handshake(sessCtx, stageCtx context.Context, hc *http.Client, tr string) (*client.Client, *wireJudge, *mcp.InitializeResult, error) {
	judge := &wireJudge{}
	opts := r.eraOptions()
	var err error
	if tr == config.TransportSSE {
		// Legacy HTTP+SSE predates the stateless era: skip the discover probe.
		opts = append(opts, client.WithProtocolVersion(mcp.LATEST_LEGACY_PROTOCOL_VERSION))
		judge.Interface, err = transport.NewSSE(r.srv.URL, transport.WithHTTPClient(hc),
			transport.WithEndpointTimeout(r.srv.Timeout), transport.WithSSELogger(r.c.logger()))
	} else {
		judge.Interface, err = transport.NewStreamableHTTP(r.srv.URL, transport.WithHTTPBasicClient(hc), transport.WithHTTPLogger(r.c.logger()))
	}
	if err != nil {
		return nil, judge, nil, err
	}
	cl := client.NewClient(httpWireJudge{judge}, opts...)
	if tr == config.TransportSSE {
		// Start opens the SSE stream and waits for its endpoint event: bound
		// the wait by the stage, while the stream itself lives on sessCtx.
		done := make(chan error, 1)
		go func() { done <- cl.Start(sessCtx) }()
		select {
		case err = <-done:
		case <-stageCtx.Done():
			_ = cl.Close()
			<-done
			err = stageCtx.Err()
		}
	} else {
		err = cl.Start(sessCtx)
	}
	if err != nil {
		_ = cl.Close()
		return nil, judge, nil, err
	}
	init, err := cl.Initialize(stageCtx, r.initializeRequest())
	if err != nil {
		_ = cl.Close()
		return nil, judge, nil, err
	}
	return cl, judge, init, nil
}

func (r *checkRun) initializeRequest() mcp.InitializeRequest {
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "mcpwatch", Version: r.c.Version}
	return req
}

// liveness proves the server answers requests after the handshake, with the
// cheapest method that means something in the negotiated era. It never calls
// tools/call: tools have side effects.
func liveness(ctx context.Context, cl *client.Client, init *mcp.InitializeResult) (string, error) {
	if mcp.IsModernProtocol(init.ProtocolVersion) {
		// No ping in this era (mcp-go's Ping sends nothing). server/discover
		// already answered during the handshake; tools/list proves more.
		if init.Capabilities.Tools == nil {
			return "server/discover", nil
		}
		_, err := cl.ListToolsByPage(ctx, mcp.ListToolsRequest{})
		return "tools/list", err
	}
	err := cl.Ping(ctx)
	if err == nil {
		return "ping", nil
	}
	if !unsupportedMethod(err) {
		return "", err
	}
	if _, lerr := cl.ListToolsByPage(ctx, mcp.ListToolsRequest{}); lerr != nil {
		return "", fmt.Errorf("ping unsupported (%v), and tools/list failed: %w", err, lerr)
	}
	return "tools/list", nil
}

// authHeader is the credential for the current attempt.
func (r *checkRun) authHeader() (string, string) {
	if r.prep.oauth != nil {
		if r.token == nil {
			return "", ""
		}
		return "Authorization", "Bearer " + r.token.AccessToken
	}
	return r.prep.authName, r.prep.authValue
}
