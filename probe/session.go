package probe

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpwatch/mcpwatch/config"
)

// sessionStages runs connect → handshake → liveness over one MCP session and
// ends the session politely (mcp-go sends DELETE when a session id exists).
func (r *checkRun) sessionStages(ctx context.Context) error {
	if r.srv.Transport == config.TransportStdio {
		return r.stdioStages(ctx)
	}
	base := r.c.baseTransport()
	defer base.CloseIdleConnections()
	rec := &recorder{base: base, headers: r.prep.headers, auth: r.authHeader}
	hc := &http.Client{Transport: rec, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // never carry credentials across a redirect
	}}

	// The SSE stream lives on the context given to Start, so the session gets
	// one context spanning all stages; each stage has its own deadline inside.
	sessCtx, cancelSess := context.WithTimeout(ctx, 3*r.srv.Timeout)
	defer cancelSess()

	start := r.c.now()
	sctx, cancel := r.stageCtx(sessCtx)
	cl, init, err := r.handshake(sessCtx, sctx, hc)
	cancel()
	connected, connectTime := rec.connected()
	elapsed := r.c.now().Sub(start)
	if !connected {
		r.res.Stages = append(r.res.Stages, StageTiming{Stage: StageConnect, Duration: elapsed})
	} else {
		r.res.Stages = append(r.res.Stages,
			StageTiming{Stage: StageConnect, Duration: connectTime, OK: true},
			StageTiming{Stage: StageHandshake, Duration: elapsed - connectTime, OK: err == nil})
	}
	if err != nil {
		return &verdictErr{classify(StageHandshake, err, rec.lastExchange(), connected, r.srv.Timeout), err}
	}
	defer cl.Close()
	if err := r.livenessStage(sessCtx, cl, init); err != nil {
		return &verdictErr{classify(StageLiveness, err, rec.lastExchange(), true, r.srv.Timeout), err}
	}
	return nil
}

// livenessStage records what the handshake learned, then runs and times
// the liveness stage; every transport shares it.
func (r *checkRun) livenessStage(sessCtx context.Context, cl *client.Client, init *mcp.InitializeResult) error {
	r.res.ProtocolVersion = init.ProtocolVersion
	r.res.ServerName, r.res.ServerVersion = init.ServerInfo.Name, init.ServerInfo.Version
	start := r.c.now()
	ctx, cancel := r.stageCtx(sessCtx)
	defer cancel()
	method, err := liveness(ctx, cl, init)
	r.timed(StageLiveness, start, err == nil)
	if err == nil {
		r.res.LivenessMethod = method
	}
	return err
}

// handshake connects and negotiates the protocol era. sessCtx outlives the
// stage (SSE streams hang off it); stageCtx bounds this stage.
func (r *checkRun) handshake(sessCtx, stageCtx context.Context, hc *http.Client) (*client.Client, *mcp.InitializeResult, error) {
	return r.initialize(sessCtx, stageCtx, hc, r.discoverTimeout())
}

// discoverTimeout bounds mcp-go's server/discover probe: a server that
// ignores unknown methods would otherwise hold the handshake until the stage
// deadline, leaving no time for the initialize fallback.
func (r *checkRun) discoverTimeout() client.ClientOption {
	return client.WithDiscoverTimeout(min(5*time.Second, r.srv.Timeout/2))
}

func (r *checkRun) initialize(sessCtx, stageCtx context.Context, hc *http.Client, opts ...client.ClientOption) (*client.Client, *mcp.InitializeResult, error) {
	var tr transport.Interface
	var err error
	if r.srv.Transport == config.TransportSSE {
		// Legacy HTTP+SSE predates the stateless era: skip the discover probe.
		opts = append(opts, client.WithProtocolVersion(mcp.LATEST_LEGACY_PROTOCOL_VERSION))
		tr, err = transport.NewSSE(r.srv.URL, transport.WithHTTPClient(hc),
			transport.WithEndpointTimeout(r.srv.Timeout), transport.WithSSELogger(r.c.logger()))
	} else {
		var st *transport.StreamableHTTP
		st, err = transport.NewStreamableHTTP(r.srv.URL, transport.WithHTTPBasicClient(hc), transport.WithHTTPLogger(r.c.logger()))
		tr = httpDiscoverGuard{discoverGuard{st}}
	}
	if err != nil {
		return nil, nil, err
	}
	cl := client.NewClient(tr, opts...)
	startCtx := sessCtx
	if r.srv.Transport == config.TransportSSE {
		// Start opens the SSE stream and waits for its endpoint event: bound
		// the wait by the stage, while the stream itself lives on sessCtx.
		done := make(chan error, 1)
		go func() { done <- cl.Start(startCtx) }()
		select {
		case err = <-done:
		case <-stageCtx.Done():
			_ = cl.Close()
			<-done
			err = stageCtx.Err()
		}
	} else {
		err = cl.Start(startCtx)
	}
	if err != nil {
		_ = cl.Close()
		return nil, nil, err
	}
	init, err := cl.Initialize(stageCtx, r.initializeRequest())
	if err != nil {
		_ = cl.Close()
		return nil, nil, err
	}
	return cl, init, nil
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
