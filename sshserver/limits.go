package sshserver

import (
	"net"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// Limits on connections that have not authenticated yet. Anyone who can
// reach the port can open one; each costs a goroutine, buffers and a key
// exchange, so they are capped in total and per source, rate limited per
// source, and must finish the handshake and authentication in time.
const (
	DefaultAuthTimeout                 = 10 * time.Second
	DefaultMaxUnauthenticated          = 64
	DefaultMaxUnauthenticatedPerSource = 8
	DefaultConnectsPerMinute           = 30
)

const (
	// maxChannelsPerConn bounds the session channels one authenticated
	// connection may hold open at once (OpenSSH's MaxSessions default):
	// each costs a goroutine and buffers before it even asks for a shell.
	maxChannelsPerConn = 10

	// The SSH library keeps every environment variable a session sends
	// before its shell, without limit; past these, "env" requests are
	// refused (as OpenSSH's sshd refuses those AcceptEnv does not name).
	// The dashboard reads a handful (NO_COLOR, COLORTERM, LANG, LC_* …).
	maxEnvVars  = 32
	maxEnvBytes = 4 << 10 // one variable's request, name and value

	// A flood of refusals must not become a flood of log lines: one line
	// per source every refusalLogEvery (counting the refusals it stands
	// for), and at most refusalLinesPerPeriod lines in all per period.
	refusalLogEvery       = 10 * time.Second
	refusalLinesPerPeriod = 20

	// maxSources bounds the per-source records kept for the rate limit.
	// Past it, records of sources with nothing in the handshake are
	// forgotten (their rate budget starts afresh); the caps still hold.
	maxSources = 4096
)

// Reasons a connection is refused before the handshake.
const (
	refusedRate        = "too many new connections from this source"
	refusedTotal       = "too many unauthenticated connections"
	refusedSourceTotal = "too many unauthenticated connections from this source"
)

// gate admits new connections into the handshake. A connection holds its
// slot until it authenticates or closes, whichever comes first.
type gate struct {
	maxTotal     int
	maxPerSource int
	perMinute    float64 // refill rate and burst of each source's budget

	mu          sync.Mutex
	total       int
	sources     map[string]*source
	periodStart time.Time
	periodLines int
}

// source is what the gate remembers about one source address.
type source struct {
	unauth  int       // connections in the handshake
	tokens  float64   // connection budget as of at
	at      time.Time // when tokens was last brought up to date
	refused int       // refusals since the last log line about this source
	logged  time.Time // the last log line about this source
}

func newGate(maxTotal, maxPerSource, perMinute int) *gate {
	return &gate{maxTotal: maxTotal, maxPerSource: maxPerSource, perMinute: float64(perMinute),
		sources: map[string]*source{}}
}

// refusal is a refused connection as the log should see it; log is false
// when a line about this source (or too many lines in all) went out lately.
type refusal struct {
	reason string
	count  int // refusals of this source that this line stands for
	log    bool
}

// admit takes a handshake slot for a new connection from key, or says why
// not. Every attempt that passes the rate limit spends from the source's
// budget, admitted or not.
func (g *gate) admit(key string, now time.Time) (ok bool, r refusal) {
	g.mu.Lock()
	defer g.mu.Unlock()
	src := g.sources[key]
	if src == nil {
		if len(g.sources) >= maxSources {
			g.forget(now)
		}
		src = &source{tokens: g.perMinute, at: now}
		g.sources[key] = src
	}
	src.tokens = min(g.perMinute, src.tokens+now.Sub(src.at).Minutes()*g.perMinute)
	src.at = now
	switch {
	case src.tokens < 1:
		r.reason = refusedRate
	case g.total >= g.maxTotal:
		src.tokens--
		r.reason = refusedTotal
	case src.unauth >= g.maxPerSource:
		src.tokens--
		r.reason = refusedSourceTotal
	default:
		src.tokens--
		src.unauth++
		g.total++
		return true, refusal{}
	}
	src.refused++
	if now.Sub(src.logged) < refusalLogEvery {
		return false, r
	}
	if now.Sub(g.periodStart) >= refusalLogEvery {
		g.periodStart, g.periodLines = now, 0
	}
	if g.periodLines >= refusalLinesPerPeriod {
		return false, r
	}
	g.periodLines++
	src.logged = now
	r.count, src.refused = src.refused, 0
	r.log = true
	return false, r
}

// release gives back the slot admit took for key.
func (g *gate) release(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.total--
	if src := g.sources[key]; src != nil {
		src.unauth--
	}
}

// unauthenticated is the number of connections in the handshake.
func (g *gate) unauthenticated() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.total
}

// forget drops the records of sources with nothing in the handshake: first
// those whose budget is full again and that were not logged lately (they
// would start from the same place), then, if the table is still full, every
// source with nothing in the handshake. Sources in the handshake number at
// most maxTotal, so the table cannot fill with them alone unless the
// operator set the total cap beyond maxSources.
func (g *gate) forget(now time.Time) {
	for k, src := range g.sources {
		full := src.tokens+now.Sub(src.at).Minutes()*g.perMinute >= g.perMinute
		if src.unauth == 0 && full && now.Sub(src.logged) >= refusalLogEvery {
			delete(g.sources, k)
		}
	}
	if len(g.sources) < maxSources {
		return
	}
	for k, src := range g.sources {
		if src.unauth == 0 {
			delete(g.sources, k)
		}
	}
}

// sourceKey is who a connection counts against: its IPv4 address, or the
// /64 of its IPv6 address (one host usually holds a whole /64, so counting
// single IPv6 addresses would let it dodge every per-source limit).
func sourceKey(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	if ip4 := tcp.IP.To4(); ip4 != nil {
		return ip4.String()
	}
	return (&net.IPNet{IP: tcp.IP.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// boundedEnv is a session channel whose "env" requests are limited to
// maxEnvVars of at most maxEnvBytes each; every other request passes as is.
type boundedEnv struct{ gossh.NewChannel }

func (c boundedEnv) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := c.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	out := make(chan *gossh.Request)
	go func() { // ends when the channel's requests do
		defer close(out)
		envs := 0
		for r := range reqs {
			if r.Type == "env" {
				if envs >= maxEnvVars || len(r.Payload) > maxEnvBytes {
					if r.WantReply {
						_ = r.Reply(false, nil)
					}
					continue
				}
				envs++
			}
			out <- r
		}
	}()
	return ch, out, nil
}
