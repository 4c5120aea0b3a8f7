// Command benchfleet serves the fleet scripts/bench-sweep.sh measures
// mcpwatch against: N mcp-go streamable-HTTP servers, each on its own
// 127.x.y.z loopback address (so per-host limits behave as in production),
// all behind one OAuth2 client-credentials token endpoint (one shared
// resource, so one token serves them all).
//
// It writes, into -dir:
//
//	config.yaml  the mcpwatch config for the fleet (client secret by ${ENV} reference)
//	floor.txt    the same fleet for the floor client (scripts/benchfleet/floor)
//
// prints one "ready" line on stdout once every server listens, counts the
// requests and connections it is sent (GET /stats on the token endpoint's
// address answers "token=… conns=… posts=… other=… discover=… tools_list=…
// initialize=… ping=…"),
// and exits on SIGTERM or SIGINT, or by itself after -lifetime or when the
// process that started it is gone.
//
// It lives outside the product's packages: only the benchmark uses it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpwatch/mcpwatch/authserver"
)

// Names shared with bench-sweep.sh and the floor.
const (
	clientID  = "mcpwatch-bench"
	resource  = "https://fleet.bench.invalid/mcp" // one resource for all: one token
	mcpPath   = "/mcp"
	statsPath = "/stats"
)

func main() {
	n := flag.Int("n", 100, "number of MCP servers")
	dir := flag.String("dir", "", "directory to write config.yaml and floor.txt into (required)")
	secretEnv := flag.String("secret-env", "MCPWATCH_BENCH_SECRET", "environment variable holding the client secret")
	lifetime := flag.Duration("lifetime", time.Hour, "exit by itself after this long")
	flag.Parse()
	if *dir == "" || *n < 1 || *n > maxServers {
		fmt.Fprintf(os.Stderr, "usage: benchfleet -n 1..%d -dir DIR\n", maxServers)
		os.Exit(2)
	}
	secret := os.Getenv(*secretEnv)
	if secret == "" {
		fmt.Fprintf(os.Stderr, "benchfleet: %s is not set\n", *secretEnv)
		os.Exit(2)
	}
	if err := run(*n, *dir, *secretEnv, secret, *lifetime); err != nil {
		fmt.Fprintln(os.Stderr, "benchfleet:", err)
		os.Exit(1)
	}
}

// maxServers is how many addresses serverAddr hands out below 127.255.
const maxServers = 62500 * 250

// serverAddr is server i's own loopback address: 127.1.0.1, 127.1.0.2, …
// 127.1.0.250, 127.1.1.1, …; never 127.0.0.x, where the token endpoint is.
func serverAddr(i int) string {
	return fmt.Sprintf("127.%d.%d.%d", 1+i/62500, (i/250)%250, 1+i%250)
}

// raiseFileLimit lifts the soft open-file limit to the hard one and says
// whether that is enough for want descriptors.
func raiseFileLimit(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, err
		}
	}
	if lim.Cur < want {
		return lim.Cur, fmt.Errorf("open-file limit %d (hard) is below the %d this fleet needs; raise it (ulimit -Hn)", lim.Cur, want)
	}
	return lim.Cur, nil
}

// counters are what the fleet was sent, for bench-sweep.sh to tell the
// floor's requests from mcpwatch's.
type counters struct {
	conns                               atomic.Int64 // connections accepted by the MCP servers
	posts, other                        atomic.Int64 // MCP-endpoint requests: POSTs, anything else (GET, DELETE)
	discover, toolsList, initialize, pg atomic.Int64 // POSTs by Mcp-Method header (initialize-era requests carry none)
}

func (c *counters) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			c.other.Add(1)
		} else {
			c.posts.Add(1)
			switch r.Header.Get(mcp.HeaderMethod) {
			case "server/discover":
				c.discover.Add(1)
			case "tools/list":
				c.toolsList.Add(1)
			case "initialize":
				c.initialize.Add(1)
			case "ping":
				c.pg.Add(1)
			}
		}
		next.ServeHTTP(w, r)
	})
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// newServer is one fleet member: its own mcp-go server with two tools, so
// that tools/list answers what a small real server would.
func newServer(i int) http.Handler {
	s := server.NewMCPServer(fmt.Sprintf("bench-%05d", i), "1.0.0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("search", mcp.WithDescription("Full-text search over the documents"),
		mcp.WithString("query", mcp.Required())), canned)
	s.AddTool(mcp.NewTool("get_document", mcp.WithDescription("Fetch a document by its id"),
		mcp.WithString("id", mcp.Required())), canned)
	return server.NewStreamableHTTPServer(s, server.WithStreamableHTTPLogger(discard))
}

func canned(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return mcp.NewToolResultText("bench fleet: no data"), nil
}

func run(n int, dir, secretEnv, secret string, lifetime time.Duration) error {
	// One listener per server, plus their connections (32 in flight, a few
	// closing), the token endpoint and the runtime's own.
	limit, err := raiseFileLimit(uint64(n) + 1024)
	if err != nil {
		return err
	}

	as := authserver.New(authserver.Options{Clients: map[string]string{clientID: secret}, Lifetime: time.Hour})
	asLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	issuer := "http://" + asLn.Addr().String()
	as.SetIssuer(issuer)
	var c counters
	mux := http.NewServeMux()
	mux.HandleFunc(statsPath, func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "token=%d conns=%d posts=%d other=%d discover=%d tools_list=%d initialize=%d ping=%d\n",
			as.Requests(), c.conns.Load(), c.posts.Load(), c.other.Load(), c.discover.Load(), c.toolsList.Load(), c.initialize.Load(), c.pg.Load())
	})
	mux.Handle("/", as)
	servers := []*http.Server{{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = servers[0].Serve(asLn) }()

	urls := make([]string, 0, n)
	for i := range n {
		ln, err := net.Listen("tcp", serverAddr(i)+":0")
		if err != nil {
			closeAll(servers)
			return fmt.Errorf("listen on %s: %w", serverAddr(i), err)
		}
		m := http.NewServeMux()
		m.Handle(mcpPath, c.wrap(as.Protect(newServer(i), authserver.Protection{ResourceURL: resource})))
		srv := &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second,
			ConnState: func(_ net.Conn, st http.ConnState) {
				if st == http.StateNew {
					c.conns.Add(1)
				}
			}}
		servers = append(servers, srv)
		go func() { _ = srv.Serve(ln) }()
		urls = append(urls, "http://"+ln.Addr().String()+mcpPath)
	}
	defer closeAll(servers)

	cfgPath := filepath.Join(dir, "config.yaml")
	if err := writeFile(cfgPath, func(w *bufio.Writer) { writeConfig(w, urls, issuer, secretEnv) }); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "floor.txt"), func(w *bufio.Writer) { writeFloor(w, urls, issuer) }); err != nil {
		return err
	}
	fmt.Printf("ready: %d servers (%s … %s), token endpoint %s/token, stats %s%s, config %s, open-file limit %d\n",
		n, serverAddr(0), serverAddr(n-1), issuer, issuer, statsPath, cfgPath, limit)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	orphaned := watchParent()
	select {
	case <-ctx.Done():
	case <-orphaned:
		return errors.New("the process that started the fleet is gone, exiting by itself")
	case <-time.After(lifetime):
		return errors.New("lifetime over, exiting by itself")
	}
	return nil
}

// watchParent closes its channel when the fleet's parent (bench-sweep.sh)
// has gone without stopping it (killed with SIGKILL, say): the fleet is then
// re-parented, and no one would ever send it SIGTERM.
func watchParent() <-chan struct{} {
	done := make(chan struct{})
	parent := os.Getppid()
	go func() {
		for range time.Tick(time.Second) {
			if os.Getppid() != parent {
				close(done)
				return
			}
		}
	}()
	return done
}

func closeAll(servers []*http.Server) {
	for _, s := range servers {
		_ = s.Close()
	}
}

func writeFile(path string, write func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	write(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeConfig writes the mcpwatch config: every server behind the one token
// endpoint with the one resource, the secret as a ${ENV} reference.
func writeConfig(w *bufio.Writer, urls []string, issuer, secretEnv string) {
	fmt.Fprintf(w, "# bench fleet of %d servers, written by scripts/benchfleet for scripts/bench-sweep.sh\n", len(urls))
	w.WriteString("concurrency: 32\nper_host: 4\nservers:\n")
	for i, u := range urls {
		fmt.Fprintf(w, "  - name: bench-%05d\n    url: %s\n", i, u)
		fmt.Fprintf(w, "    auth:\n      type: oauth2\n      token_url: %s/token\n      client_id: %s\n", issuer, clientID)
		fmt.Fprintf(w, "      client_secret: ${%s}\n      resource: %s\n", secretEnv, resource)
	}
}

// writeFloor writes the fleet for the floor client: three "key value"
// lines, then one URL a line.
func writeFloor(w *bufio.Writer, urls []string, issuer string) {
	fmt.Fprintf(w, "token_url %s/token\nclient_id %s\nresource %s\n", issuer, clientID, resource)
	for _, u := range urls {
		w.WriteString(u + "\n")
	}
}
