package probe

import (
	"context"
	"math/rand/v2"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/oauth"
)

// HistoryLen is how many recent results each server keeps for sparklines and uptime.
const HistoryLen = 60

// tokenRefreshEvery is how often the pool refreshes tokens that are about to
// expire, so that a probe does not wait on the token endpoint.
const tokenRefreshEvery = 5 * time.Second

// Pool schedules checks of every configured server: a global limit of checks
// in flight, a per-host limit, a per-server interval with jitter, and rechecks
// that jump the queue. Views read it only through Snapshot.
type Pool struct {
	checker *Checker
	source  string
	global  chan struct{}
	perHost int

	mu      sync.Mutex
	entries []*entry
	byName  map[string]*entry
	hosts   map[string]*hostSlots // of hosts with checks waiting or in flight
	queue   schedule
	runq    runQueue // due servers waiting for one of Run's workers (runqueue.go)
	version uint64
	wake    chan struct{}
	wg      sync.WaitGroup

	observer func(Result) // set before Run; sees every result (metrics histograms need each one)
	onEvent  func(Event)  // set before Run; sees every transition (the state store keeps them)
	// onInventory hears pins and newest inventories (inventory_pool.go).
	onInventory func(string, SavedInventory)
	configErr   string                     // why the newest config was not applied; "" when it was
	lastSnap    *Snapshot                  // the copy of the current version, shared by every reader
	creds       *oauth.Credentials         // the credentials last kept, likewise (shareCreds)
	token       *TokenInfo                 // the token state last kept, likewise (shareToken)
	items       map[string][]InventoryItem // inventories' items by hash, for entries to share (inventory_pool.go)
}

// entry is the pool's state for one server. Guarded by Pool.mu.
type entry struct {
	// What a snapshot reads of every entry comes first, on as few cache
	// lines as may be: Snapshot walks all of them (stampLocked).
	state     *ServerState // e as the last snapshot showed it, while stamp still holds
	stamp     stateStamp
	checks    uint64 // completed checks, so views can tell a new result from an old one
	checking  bool
	next      time.Time
	since     time.Time      // when the current status began
	inv       *invState      // pinned and current inventory (inventory_pool.go)
	history   []HistoryPoint // replaced, never mutated: snapshots share it
	warnings  []Warning      // replaced, never mutated: snapshots share it
	liveToken bool           // creds name a client and the last result has a token (stampLocked)

	srv      *config.Server // into the applied config's Servers, never changed: a reload replaces it
	host     string
	last     *Result            // never nil; replaced, never changed: snapshots share it
	index    int                // position in the schedule heap
	creds    *oauth.Credentials // nil without client credentials; shared between equal ones (shareCreds)
	forms    []string           // the last check's secrets as scrubbed for, for live token state
	mem      *eraMemory         // the era, version and transport that last worked
	issuer   string             // the discovered authorization server last trusted with credentials
	removed  bool               // dropped by a reload while its check was in flight
	done     []chan Result      // waiters for the check in flight
	restored *Restored          // an earlier run's state, until the first result (restore.go)
}

// NewPool builds a pool over cfg. Nothing runs until Run or Sweep.
func NewPool(cfg *config.File, checker *Checker) *Pool {
	conc := max(cfg.Concurrency, 1)
	p := &Pool{
		checker: checker,
		source:  cfg.Path,
		global:  make(chan struct{}, conc),
		perHost: max(cfg.PerHost, 1),
		byName:  make(map[string]*entry, len(cfg.Servers)),
		hosts:   map[string]*hostSlots{},
		runq:    runQueue{hostQueue: newHostQueue[*entry](cfg.PerHost)},
		wake:    make(chan struct{}, 1),
	}
	for i := range cfg.Servers {
		s := &cfg.Servers[i] // shared with the config, not copied (10,000 servers: 7.8 MB)
		e := &entry{srv: s, host: hostOf(s.URL), index: -1, last: &Result{Server: s.Name, Status: StatusUnknown}}
		p.entries = append(p.entries, e)
		p.byName[s.Name] = e
	}
	return p
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host
}

// Run checks every server now and then on its interval until ctx ends. It
// returns after every goroutine it started has finished.
func (p *Pool) Run(ctx context.Context) {
	p.mu.Lock()
	now := time.Now()
	for _, e := range p.entries {
		e.next = now
		p.queue.push(e)
	}
	p.version++ // every NextCheck changed
	p.mu.Unlock()

	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.refreshTokens(ctx) }()

	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		p.dispatchDue(ctx, time.Now())
		p.mu.Lock()
		wait := time.Hour
		if e := p.queue.peek(); e != nil {
			wait = max(time.Until(e.next), 0)
		}
		p.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			p.mu.Lock()
			left := p.runq.drain()
			p.mu.Unlock()
			for _, e := range left {
				p.finish(e, Result{}, oauth.Credentials{}, nil, false) // its waiters hear there is no result
			}
			p.wg.Wait()
			return
		case <-timer.C:
		case <-p.wake:
		}
	}
}

// dispatchDue starts a check for every server whose time has come.
func (p *Pool) dispatchDue(ctx context.Context, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.staffLocked(ctx) // a reload may have changed the limits
	for {
		e := p.queue.peek()
		if e == nil || e.next.After(now) {
			return
		}
		p.queue.pop()
		p.startLocked(ctx, e)
	}
}

// startLocked queues a check of e for Run's workers unless one is in flight
// (or queued), in which case the request merges with it.
func (p *Pool) startLocked(ctx context.Context, e *entry) {
	if e.checking {
		return
	}
	e.checking = true
	p.version++
	p.enqueueLocked(ctx, e)
}

// runCheck waits for a per-host and a global slot, checks, and records.
// It returns the result recorded, and false when none was (ctx ended, or a
// reload removed the server meanwhile).
func (p *Pool) runCheck(ctx context.Context, e *entry) (Result, bool) {
	host, global := p.slots(e)
	defer p.unslot(host)
	select {
	case host.sem <- struct{}{}:
	case <-ctx.Done():
		return p.finish(e, Result{}, oauth.Credentials{}, nil, false)
	}
	defer func() { <-host.sem }()
	select {
	case global <- struct{}{}:
	case <-ctx.Done():
		return p.finish(e, Result{}, oauth.Credentials{}, nil, false)
	}
	defer func() { <-global }()
	p.mu.Lock()
	srv := e.srv // a reload replaces e.srv; this check keeps the config it started with
	mem, issuer := e.mem.usable(time.Now()), e.issuer
	var lists listCache
	if e.inv != nil {
		lists = e.inv.lists
	}
	p.mu.Unlock()
	res, creds, forms := p.checker.check(ctx, srv, mem, issuer, lists)
	return p.finish(e, res, creds, forms, ctx.Err() == nil)
}

// hostSlots is the per-host semaphore of the checks of one host, kept
// while some check uses it: a semaphore per host of a 10,000-host fleet
// held for good cost 2 MB.
type hostSlots struct {
	name  string
	sem   chan struct{}
	users int // guarded by Pool.mu
}

// slots returns the semaphores a check of e must hold; unslot gives the
// host's back. A reload may replace them; a check in flight keeps and
// releases the ones it took.
func (p *Pool) slots(e *entry) (host *hostSlots, global chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.hosts[e.host] // under the lock: a reload may move e
	if h == nil {
		h = &hostSlots{name: e.host, sem: make(chan struct{}, p.perHost)}
		p.hosts[e.host] = h
	}
	h.users++
	return h, p.global
}

func (p *Pool) unslot(h *hostSlots) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h.users--; h.users == 0 && p.hosts[h.name] == h {
		delete(p.hosts, h.name)
	}
}

// Observe registers fn to receive every completed result, outside the pool's
// lock. Views poll snapshots instead; this is for consumers that must count
// each check, such as metrics histograms. Call it before Run or Sweep.
func (p *Pool) Observe(fn func(Result)) { p.observer = fn }

// TokenRequests counts the token requests the pool's checks have made, by
// result ("ok", "error").
func (p *Pool) TokenRequests() map[string]int64 { return p.checker.Tokens.Requests() }

// finish records a result (when ok) and schedules the next check with
// jitter. It returns the result as recorded and whether it was.
func (p *Pool) finish(e *entry, res Result, creds oauth.Credentials, forms []string, ok bool) (Result, bool) {
	if ok && p.observer != nil {
		p.observer(res)
	}
	var events []Event
	var saves []savedFor
	defer func() { p.emit(events); p.save(saves) }() // after the lock is released
	p.mu.Lock()
	defer p.mu.Unlock()
	e.checking = false
	p.version++
	waiters := e.done
	e.done = nil
	if !ok || e.removed {
		for _, w := range waiters {
			close(w)
		}
		return Result{}, false
	}
	prev := e.previousLocked() // after a restart, the restored state stands in for unknown
	events = resultEvents(prev, &res)
	invEvents, invSaves := p.noteInventoryLocked(e, &res)
	events, saves = append(events, invEvents...), invSaves
	res.Inventory = res.Inventory.summary() // the items live in e.inv only
	if res.Status != prev.Status || e.since.IsZero() {
		e.since = res.Started
	}
	res.Token = p.shareToken(res.Token)
	e.last, e.creds, e.forms = &res, p.shareCreds(creds), forms // equal forms are one slice already (secretForms)
	e.mem = remember(e.mem, &res, time.Now())
	if res.Token != nil && res.Token.Issuer != "" && res.Token.IssuerTrust != "" {
		e.issuer = res.Token.Issuer // credentials went there: a change must be refused
	}
	e.checks++
	e.history = appendHistory(e.history, Point(res.Started, res.Status, res.Latency))
	events = append(events, p.rejudgeLocked(e, time.Now())...)
	e.next = time.Now().Add(jitter(e.srv.Interval))
	if e.index < 0 {
		p.queue.push(e)
	} else {
		p.queue.fix(e)
	}
	for _, w := range waiters {
		w <- res
		close(w)
	}
	p.signal()
	return res, true
}

// shareCreds keeps one copy of equal credentials, as secretForms keeps one
// slice of equal secret forms: the copy kept already, with its key memo
// (oauth.Credentials.Keyed), stands for credentials the same in every field.
// Entries hold a pointer to it: the 296-byte struct in each entry put a
// 10,000-server pool's entries in the 1,024-byte size class.
func (p *Pool) shareCreds(c oauth.Credentials) *oauth.Credentials {
	if c.ClientID == "" {
		return nil
	}
	if p.creds != nil && c.Same(*p.creds) {
		return p.creds
	}
	p.creds = &c
	return p.creds
}

// shareToken keeps one copy of equal token states: servers sharing a client
// share its token, and each check made its own copy of the state.
func (p *Pool) shareToken(t *TokenInfo) *TokenInfo {
	if t == nil {
		return nil
	}
	if p.token != nil && sameToken(p.token, t) {
		return p.token
	}
	p.token = t
	return t
}

func sameToken(a, b *TokenInfo) bool {
	return a.TokenURL == b.TokenURL && a.TokenURLSource == b.TokenURLSource && a.Issuer == b.Issuer &&
		a.IssuerTrust == b.IssuerTrust && a.Obtained.Equal(b.Obtained) && a.Expiry.Equal(b.Expiry) &&
		a.ExpiryDefaulted == b.ExpiryDefaulted && slices.Equal(a.Scopes, b.Scopes) &&
		slices.Equal(a.RequestedScopes, b.RequestedScopes) && a.ScopeSource == b.ScopeSource &&
		a.Refreshing == b.Refreshing && a.LastError == b.LastError && a.LastErrorAt.Equal(b.LastErrorAt) &&
		a.TLS == b.TLS // a certificate's state is another request's: shared only when it is the same
}

// jitter spreads checks ±10% around the interval so a fleet started together
// does not stay in lock step.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		d = 30 * time.Second
	}
	spread := int64(d) / 5
	return d - time.Duration(spread/2) + time.Duration(rand.Int64N(spread+1))
}

func appendHistory(h []HistoryPoint, pt HistoryPoint) []HistoryPoint {
	start := max(0, len(h)+1-HistoryLen)
	out := make([]HistoryPoint, 0, len(h)+1-start)
	out = append(out, h[start:]...)
	return append(out, pt)
}

func (p *Pool) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Version changes whenever a Snapshot taken now could differ from the last
// one; reading it is much cheaper than taking a snapshot.
func (p *Pool) Version() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version
}

// Recheck moves the named server to the front of the queue; a check already
// in flight absorbs the request. It reports whether the server exists.
func (p *Pool) Recheck(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.byName[name]
	if !ok {
		return false
	}
	p.requeueLocked(e)
	p.signal()
	return true
}

// RecheckAll moves every server to the front of the queue.
func (p *Pool) RecheckAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.entries {
		p.requeueLocked(e)
	}
	p.signal()
}

func (p *Pool) requeueLocked(e *entry) {
	if e.checking {
		return
	}
	e.next = time.Time{} // before anything already due
	if e.index >= 0 {
		p.queue.fix(e)
	} else {
		p.queue.push(e)
	}
	p.version++
}

// refreshTokens keeps client-credentials tokens fresh ahead of expiry.
func (p *Pool) refreshTokens(ctx context.Context) {
	t := time.NewTicker(tokenRefreshEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			before := p.checker.Tokens.Requests().Total()
			p.checker.Tokens.RefreshDue(ctx)
			// Warnings move between checks: a refresh fails, an old token runs
			// out. Only a round that asked the token endpoint can change them,
			// besides a refresh warning already up (its countdown, its end):
			// reading every server's token state each round would cost a
			// 10,000-server fleet a key computation per server every 5 s.
			var events []Event
			p.mu.Lock()
			asked := p.checker.Tokens.Requests().Total() != before
			if asked {
				p.version++ // a token was refreshed, or failed to be
			}
			now := time.Now()
			for _, e := range p.entries {
				if e.creds != nil && (asked || hasWarning(e.warnings, WarnTokenRefresh)) {
					events = append(events, p.rejudgeLocked(e, now)...)
				}
			}
			p.mu.Unlock()
			p.emit(events)
		}
	}
}

// rejudgeLocked recomputes e's warnings and returns the events for what changed.
func (p *Pool) rejudgeLocked(e *entry, now time.Time) []Event {
	tok := p.liveTokenLocked(e)
	ws := warningsOf(tok, e.history, now)
	ws = append(ws, tlsWarnings(e.srv, e.last, tok, now)...) // tls.go
	ws = append(ws, e.inventoryWarnings()...)                // inventory_pool.go
	if slices.Equal(warningClasses(ws), warningClasses(e.warnings)) {
		if len(ws) > 0 && !slices.Equal(ws, e.warnings) {
			e.warnings = ws // same classes, fresher words (how long the token holds)
			p.version++
		}
		return nil
	}
	evs := warningEvents(e.srv.Name, e.warnings, ws, now)
	e.warnings = ws
	p.version++
	return evs
}
