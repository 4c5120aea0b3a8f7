package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/oauth"
	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/state"
	"github.com/mcpwatch/mcpwatch/textsafe"
)

var osGetenv = os.Getenv

type checkCmd struct {
	URL    string   `arg:"" optional:"" help:"Check this one URL without a config file (ad-hoc mode)."`
	Config string   `short:"c" placeholder:"FILE" help:"Config file (default $XDG_CONFIG_HOME/mcpwatch/config.yaml)."`
	Server []string `short:"s" placeholder:"NAME" help:"Check only this server (repeatable)."`
	Output string   `short:"o" enum:"table,json" default:"table" help:"Output format: table or json."`
	// StateDir: only the inventory pins are read from it (inventory.changed).
	StateDir string `placeholder:"DIR" xor:"state" help:"State dir whose inventory pins the check compares with (default $XDG_STATE_HOME/mcpwatch, else ~/.local/state/mcpwatch); the check records its inventories there only when no dashboard or serve holds the dir."`
	NoState  bool   `xor:"state" help:"Compare with no inventory pins and record none: the check writes nothing."`
	Strict   bool   `help:"Skipped servers fail the check too."`
	Verbose  bool   `short:"v" help:"Log each result to stderr."`
	Shard    string `placeholder:"K/N" help:"Check only shard K of N of the config (as serve --shard K/N does)."`

	adhocFlags `embed:"" group:"Ad-hoc mode (with URL)"`
}

// adhocFlags describe one server on the command line, for checks without a config file.
type adhocFlags struct {
	Transport        string        `enum:"auto,http,sse" default:"auto" help:"Transport: auto (streamable HTTP, else legacy SSE), http (streamable) or sse."`
	Header           []string      `short:"H" placeholder:"'K: V'" help:"Extra request header (repeatable)."`
	BearerEnv        string        `placeholder:"VAR" help:"Send 'Authorization: Bearer $VAR'."`
	ClientID         string        `placeholder:"ID" help:"OAuth2 client-credentials client id."`
	ClientSecretEnv  string        `placeholder:"VAR" help:"Env var holding the client secret."`
	ClientSecretFile string        `placeholder:"FILE" help:"File holding the client secret."`
	TokenURL         string        `placeholder:"URL" help:"Token endpoint (discovered from the server when absent)."`
	Scope            []string      `placeholder:"S" help:"Scope to request (repeatable)."`
	Audience         string        `placeholder:"A" help:"Audience parameter some providers need."`
	AuthMethod       string        `enum:",client_secret_basic,client_secret_post,private_key_jwt" default:"" placeholder:"METHOD" help:"Client authentication: client_secret_basic, client_secret_post or private_key_jwt (default: from metadata, else basic)."`
	PrivateKey       string        `placeholder:"FILE" help:"PEM private key that signs the client assertion (with --auth-method private_key_jwt)."`
	AssertionAud     string        `name:"assertion-audience" placeholder:"URL" help:"aud of the client assertion (default: the discovered issuer, else the token URL)."`
	Issuer           string        `placeholder:"URL" help:"Authorization server that discovery may send credentials to when it is not on the server's origin (pin it)."`
	Timeout          time.Duration `default:"10s" help:"Per-stage timeout."`
	Slow             time.Duration `default:"2s" help:"Slower than this is degraded."`
}

func (c *checkCmd) Run(e *env) error {
	cfg, err := c.load(e)
	if err != nil {
		return err
	}
	for _, n := range c.Server {
		if !hasServer(cfg, n) {
			return usageErr(e, fmt.Sprintf("--server %s: no such server in %s (have: %s)", n, cfg.Path, serverNames(cfg)))
		}
	}
	if cfg, err = c.cutShard(e, cfg); err != nil { // check_shard.go
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	defer sweepGC(len(cfg.Servers), e.getenv)() // check_gc.go
	pool := probe.NewPool(cfg, probe.NewChecker(version()))
	pins := c.restorePins(e, pool)
	results := pool.Sweep(ctx, c.Server...)
	pins.save(e.stderr)
	snap := pool.Snapshot()

	if c.Verbose {
		log := slog.New(slog.NewTextHandler(e.stderr, nil))
		for _, r := range results {
			log.Info("checked", "server", r.Server, "status", r.Status, "stage", r.Stage, "class", r.Class,
				"message", r.Message, "latency", r.Latency)
		}
	}
	code := verdictCode(results, c.Strict)
	if c.Output == "json" {
		err = writeJSON(e.stdout, snap, results, code)
	} else {
		err = writeTable(e.stdout, snap, results)
	}
	if err != nil {
		return err
	}
	return exitCode(code)
}

// restorePins compares inventories with the pins of the state dir. The
// check's inventories are written back only when no dashboard or serve
// holds the dir (that one records its own): so check run from cron pins a
// first inventory, and `mcpwatch pin` can accept the newest.
func (c *checkCmd) restorePins(e *env, pool *probe.Pool) *checkPins {
	cp := &checkPins{dir: c.StateDir, seen: map[string]probe.SavedInventory{}}
	if c.NoState {
		return &checkPins{}
	}
	if cp.dir == "" {
		cp.dir = state.DefaultDir(e.getenv)
	}
	if cp.dir == "" {
		return cp
	}
	saved, err := state.ReadInventories(cp.dir)
	if err != nil {
		// Verdicts do not depend on the pins: the check goes on, and says
		// what it could not do. The file is left for the operator (and is
		// not merged into: nothing recorded there is lost).
		fmt.Fprintf(e.stderr, "mcpwatch check: inventory pins not read from %s: %s; inventory changes are not compared this run (fix or remove the file; a dashboard or serve on this dir moves an unreadable one aside)\n",
			textsafe.Line(filepath.Join(cp.dir, state.InventoryFileName), 0), textsafe.Line(err.Error(), 0))
		return &checkPins{}
	}
	pool.RestoreInventory(saved)
	var mu sync.Mutex
	pool.OnInventory(func(server string, s probe.SavedInventory) {
		mu.Lock()
		cp.seen[server] = s
		mu.Unlock()
	})
	return cp
}

type checkPins struct {
	dir  string
	seen map[string]probe.SavedInventory
}

// save writes what the sweep saw; a dir it cannot write costs nothing but
// the pins (check's verdicts do not depend on them), and is said on stderr.
func (cp *checkPins) save(stderr io.Writer) {
	if cp.dir == "" {
		return
	}
	if _, err := state.MergeInventories(cp.dir, cp.seen); err != nil {
		fmt.Fprintf(stderr, "mcpwatch check: inventory pins not recorded in %s: %s\n",
			textsafe.Line(cp.dir, 0), textsafe.Line(err.Error(), 0))
	}
}

// load reads the config file, or builds a one-server config from the ad-hoc flags.
func (c *checkCmd) load(e *env) (*config.File, error) {
	if c.URL != "" {
		if c.Config != "" || len(c.Server) > 0 {
			return nil, usageErr(e, "give either a URL or --config/--server, not both")
		}
		srv, err := c.adhocServer()
		if err != nil {
			return nil, usageErr(e, err.Error())
		}
		return &config.File{Path: "command line", Concurrency: 1, PerHost: 1, Servers: []config.Server{*srv}}, nil
	}
	if c.usedAdhocFlags() {
		return nil, usageErr(e, "ad-hoc flags (--client-id, --header …) need a URL argument")
	}
	cfg, _, err := loadConfigFlag(e, c.Config)
	return cfg, err
}

func (c *checkCmd) usedAdhocFlags() bool {
	a := c.adhocFlags
	return len(a.Header) > 0 || a.BearerEnv != "" || a.ClientID != "" || a.ClientSecretEnv != "" ||
		a.ClientSecretFile != "" || a.TokenURL != "" || len(a.Scope) > 0 || a.Audience != "" || a.AuthMethod != "" ||
		a.PrivateKey != "" || a.AssertionAud != "" || a.Issuer != ""
}

// adhocServer turns the flags into a server, validated like one from a file.
func (c *checkCmd) adhocServer() (*config.Server, error) {
	a := c.adhocFlags
	srv := &config.Server{
		Name: c.URL, URL: c.URL, Transport: a.Transport, Headers: map[string]config.Secret{},
		Interval: config.DefaultInterval, Timeout: a.Timeout, Slow: a.Slow,
		Auth: config.Auth{Type: config.AuthNone},
	}
	for _, h := range a.Header {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--header %q: want 'Name: value'", h)
		}
		srv.Headers[strings.TrimSpace(k)] = config.Secret{Literal: strings.TrimSpace(v)}
	}
	switch {
	case a.BearerEnv != "" && a.ClientID != "":
		return nil, errors.New("--bearer-env and --client-id exclude each other: pick one kind of auth")
	case a.BearerEnv != "":
		srv.Auth = config.Auth{Type: config.AuthBearer, Token: config.Secret{Env: a.BearerEnv}}
	case a.ClientID != "":
		if err := a.checkClientAuth(); err != nil {
			return nil, err
		}
		srv.Auth = config.Auth{
			Type: config.AuthOAuth2, Flow: config.FlowClientCredentials, ClientID: a.ClientID,
			ClientSecret: config.Secret{Env: a.ClientSecretEnv, File: a.ClientSecretFile},
			TokenURL:     a.TokenURL, Scopes: a.Scope, Audience: a.Audience, Method: a.AuthMethod,
			PrivateKeyFile: a.PrivateKey, AssertionAudience: a.AssertionAud, Issuer: a.Issuer,
		}
	case a.ClientSecretEnv != "" || a.ClientSecretFile != "" || a.TokenURL != "" || len(a.Scope) > 0 || a.Audience != "" ||
		a.AuthMethod != "" || a.PrivateKey != "" || a.AssertionAud != "" || a.Issuer != "":
		return nil, errors.New("OAuth2 flags need --client-id")
	}
	if err := srv.Validate(); err != nil {
		return nil, err
	}
	// On the command line a secret that cannot be read is a usage error, not
	// a skip: the operator named it just now and wants this server checked.
	for flag, sec := range map[string]config.Secret{"--bearer-env": srv.Auth.Token, "--client-secret-env/--client-secret-file": srv.Auth.ClientSecret} {
		if _, err := sec.Resolve(); !sec.IsZero() && err != nil {
			return nil, fmt.Errorf("%s: %v", flag, err)
		}
	}
	// The same goes for the key: read and parsed now as every token request will.
	if a.PrivateKey != "" {
		if err := oauth.CheckPrivateKeyFile(a.PrivateKey); err != nil {
			return nil, fmt.Errorf("--private-key: %v", err)
		}
	}
	return srv, nil
}

// checkClientAuth requires exactly one client credential for --client-id: a secret, or a
// private key with --auth-method private_key_jwt.
func (a adhocFlags) checkClientAuth() error {
	given := 0
	for _, v := range []string{a.ClientSecretEnv, a.ClientSecretFile, a.PrivateKey} {
		if v != "" {
			given++
		}
	}
	jwt := a.AuthMethod == config.MethodPrivateKeyJWT
	switch {
	case given != 1:
		return errors.New("--client-id needs exactly one of --client-secret-env VAR, --client-secret-file FILE or --private-key FILE")
	case a.PrivateKey != "" && !jwt:
		return errors.New("--private-key needs --auth-method private_key_jwt")
	case jwt && a.PrivateKey == "":
		return errors.New("--auth-method private_key_jwt needs --private-key FILE instead of a client secret")
	case a.AssertionAud != "" && !jwt:
		return errors.New("--assertion-audience needs --auth-method private_key_jwt")
	}
	return nil
}

// verdictCode: 0 when every checked server is healthy or degraded (skipped
// ones only fail with --strict), 1 when any is unhealthy or has an auth error.
func verdictCode(results []probe.Result, strict bool) int {
	for _, r := range results {
		if r.Status.Failing() || (strict && (r.Status == probe.StatusSkipped || r.Status == probe.StatusUnknown)) {
			return ExitFailing
		}
	}
	return ExitOK
}

func usageErr(e *env, msg string) error {
	fmt.Fprintf(e.stderr, "mcpwatch check: %s\n", textsafe.Line(msg, 0))
	return exitCode(ExitUsage)
}

func hasServer(cfg *config.File, name string) bool {
	for _, s := range cfg.Servers {
		if s.Name == name {
			return true
		}
	}
	return false
}

func serverNames(cfg *config.File) string {
	names := make([]string, len(cfg.Servers))
	for i, s := range cfg.Servers {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}
