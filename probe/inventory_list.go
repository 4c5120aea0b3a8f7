package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// Bounds on listing one server's inventory (per check). Each message is
// also bounded by max_message_size, like every message.
const (
	maxListPages     = 50      // per kind: a cursor that never ends is a fault, not a long list
	maxListBytes     = 8 << 20 // all pages of all kinds together
	maxListTTL       = time.Hour
	inventoryClassTL = "inventory.too_large"
	inventoryClassEL = "inventory.endless"
)

// Inventory warning and change classes.
const (
	WarnInventoryChanged = "inventory.changed" // what the server advertises differs from the pinned inventory
	WarnInventoryFailed  = "inventory.failed"  // a list failed while the server was otherwise healthy
	ChangeInventory      = "inventory"         // the advertised inventory changed (an event per change)
	ChangeInventoryPin   = "inventory.pinned"  // an operator accepted the current inventory
)

// InventoryResult is what one check learned of the server's inventory.
// Only a check whose handshake and liveness passed lists anything; a list
// failure never changes the verdict (it is the inventory.failed warning).
type InventoryResult struct {
	Tools     int       `json:"tools"`
	Prompts   int       `json:"prompts"`
	Resources int       `json:"resources"`
	Hash      string    `json:"sha256,omitempty"`
	Requests  int       `json:"requests"`         // list requests this check sent
	Cached    []string  `json:"cached,omitempty"` // kinds not re-listed: their ttlMs had not expired
	FetchedAt time.Time `json:"fetched_at,omitzero"`
	// Error is why the inventory could not be read; the counts are then 0.
	Error *InventoryError `json:"error,omitempty"`

	inv   *Inventory // every item, for the pool
	lists listCache  // per kind, what the next check may reuse
}

// InventoryError is a list that failed.
type InventoryError struct {
	Kind    string `json:"kind"`
	Class   string `json:"class"`
	Message string `json:"message"`
}

// listCache is what the last lists of a server returned, per kind, with
// the ttlMs expiry the server gave; a kind without ttlMs is not kept.
// Replaced, never mutated.
type listCache map[string]*listMemory

type listMemory struct {
	items   []InventoryItem
	expires time.Time
}

func listMethod(kind string) string {
	switch kind {
	case KindTool:
		return string(mcp.MethodToolsList)
	case KindPrompt:
		return string(mcp.MethodPromptsList)
	}
	return string(mcp.MethodResourcesList)
}

func advertises(c mcp.ServerCapabilities, kind string) bool {
	switch kind {
	case KindTool:
		return c.Tools != nil
	case KindPrompt:
		return c.Prompts != nil
	}
	return c.Resources != nil
}

// inventoryStage lists what the server advertises, after liveness passed.
// A kind whose ttlMs has not expired is taken from the last list; the
// tools/list page liveness already fetched is reused. It is bounded by the
// server's timeout like a stage, and its time is not part of Latency.
func (r *checkRun) inventoryStage(sessCtx context.Context, l lister, init *mcp.InitializeResult) {
	var first json.RawMessage
	var firstRead *listPage
	if l != nil && r.res.LivenessMethod == string(mcp.MethodToolsList) {
		first, firstRead = l.takeList()
	}
	if r.srv.NoInventory || l == nil {
		return
	}
	// The stage's deadline, made for the first request it sends: a check
	// whose only list is liveness's page sends none (a timer saved).
	var ctx context.Context
	cancel := context.CancelFunc(func() {})
	stage := func() context.Context {
		if ctx == nil {
			ctx, cancel = r.stageCtx(sessCtx)
		}
		return ctx
	}
	defer func() { cancel() }()
	now := r.c.now()
	res := &InventoryResult{lists: listCache{}, FetchedAt: now}
	r.res.Inventory = res
	var items []InventoryItem
	budget := maxListBytes
	for _, kind := range InventoryKinds {
		if !advertises(init.Capabilities, kind) {
			continue
		}
		if m := r.lists[kind]; m != nil && now.Before(m.expires) {
			items = append(items, m.items...)
			res.lists[kind] = m
			res.Cached = append(res.Cached, kind)
			continue
		}
		var reuse json.RawMessage
		var reuseRead *listPage
		if kind == KindTool {
			reuse, reuseRead = first, firstRead
		}
		got, ttl, err := r.listKind(stage, l, kind, reuse, reuseRead, &budget, len(items), &res.Requests)
		if err != nil {
			res.Error = err
			res.lists = nil
			return
		}
		if ttl > 0 { // without a hint nothing is reused: keep no copy
			res.lists[kind] = &listMemory{items: got, expires: now.Add(min(ttl, maxListTTL))}
		}
		items = append(items, got...)
	}
	res.inv = newInventory(items, now)
	res.Hash = res.inv.Hash
	res.Tools, res.Prompts, res.Resources = res.inv.Count(KindTool), res.inv.Count(KindPrompt), res.inv.Count(KindResource)
}

// listPage is the part of a list result the inventory reads.
type listPage struct {
	NextCursor *string           `json:"nextCursor"`
	TTLMs      *int64            `json:"ttlMs"`
	Tools      []json.RawMessage `json:"tools"`
	Prompts    []json.RawMessage `json:"prompts"`
	Resources  []json.RawMessage `json:"resources"`
}

func (p *listPage) items(kind string) []json.RawMessage {
	switch kind {
	case KindTool:
		return p.Tools
	case KindPrompt:
		return p.Prompts
	}
	return p.Resources
}

// readListPage reads a list result as json.Unmarshal into a listPage does
// (fastListPage when it can); ok false for what is not a list result.
func readListPage(raw json.RawMessage) (p listPage, ok bool) {
	if p, ok := fastListPage(raw); ok { // leanread.go
		return p, true
	}
	if err := json.Unmarshal(raw, &p); err != nil || bytes.TrimSpace(raw)[0] != '{' {
		return p, false
	}
	return p, true
}

// listKind follows one kind's pages, each request under stage's deadline.
// reuse, when set, is its first page,
// already fetched, and reuseRead what was read of it, when it was. have is
// the number of items of earlier kinds. The ttl is the shortest any page
// gave (0: none).
func (r *checkRun) listKind(stage func() context.Context, l lister, kind string, reuse json.RawMessage, reuseRead *listPage,
	budget *int, have int, requests *int) (items []InventoryItem, ttl time.Duration, ierr *InventoryError) {
	fail := func(class, msg string) ([]InventoryItem, time.Duration, *InventoryError) {
		return nil, 0, &InventoryError{Kind: kind, Class: class, Message: listMethod(kind) + ": " + msg}
	}
	seen := map[string]bool{}
	cursor := ""
	for page := 0; ; page++ {
		if page >= maxListPages {
			return fail(inventoryClassEL, fmt.Sprintf("still paging after %d pages; stopped", maxListPages))
		}
		raw := reuse
		if page > 0 || raw == nil {
			*requests++
			var err error
			raw, err = l.list(stage(), kind, cursor)
			// An answer mcp-go could not type is still judged here, as raw JSON.
			if err != nil && raw == nil {
				if errors.Is(err, errTooLarge) {
					return fail(inventoryClassTL, "a page was over "+sizeText(r.maxMessage())+" (max_message_size)")
				}
				v := classify(StageLiveness, err, exchange{}, true, r.srv.Timeout)
				return fail(v.Class, v.Message)
			}
		}
		if *budget -= len(raw); *budget < 0 {
			return fail(inventoryClassTL, "the lists passed "+sizeText(maxListBytes)+" in all; stopped")
		}
		var p listPage
		ok := true
		if page == 0 && reuseRead != nil {
			p = *reuseRead
		} else if p, ok = readListPage(raw); !ok {
			return fail("protocol.invalid_result", "result is not a list result")
		}
		for _, rawItem := range p.items(kind) {
			if it, ok := fingerprintMemo(kind, rawItem); ok {
				items = append(items, it)
			}
		}
		if have+len(items) > maxInventoryItems {
			return fail(inventoryClassTL, fmt.Sprintf("more than %d items in all; stopped", maxInventoryItems))
		}
		// The shortest hint of any page; a page without one (0) makes the
		// list uncacheable.
		var hint time.Duration
		if p.TTLMs != nil && *p.TTLMs > 0 {
			hint = time.Duration(min(*p.TTLMs, int64(maxListTTL/time.Millisecond))) * time.Millisecond
		}
		if page == 0 || hint < ttl {
			ttl = hint
		}
		if p.NextCursor == nil || *p.NextCursor == "" {
			return items, ttl, nil
		}
		cursor = *p.NextCursor
		if seen[cursor] {
			return fail(inventoryClassEL, fmt.Sprintf("the server sent the same cursor twice (page %d); stopped", page+1))
		}
		seen[cursor] = true
	}
}

// lister fetches list pages for the inventory: mcp-go's session (mcpLister)
// or the lean client's (lean.go).
type lister interface {
	// list sends one list request; raw is the result as sent, kept even
	// when err says the client could not type it.
	list(ctx context.Context, kind, cursor string) (raw json.RawMessage, err error)
	// takeList hands over the latest list result (liveness's tools/list
	// page) once, with what was read of it (nil: not read).
	takeList() (json.RawMessage, *listPage)
}

// mcpLister lists through mcp-go (it adds the era's _meta and headers); the
// raw result is read from the wire judge, because mcp-go's typed results
// drop schema keys and filter tools.
type mcpLister struct {
	cl *client.Client
	*wireJudge
}

func (m mcpLister) list(ctx context.Context, kind, cursor string) (json.RawMessage, error) {
	err := sendList(ctx, m.cl, kind, cursor)
	return m.wireJudge.takeList(), err
}

func (m mcpLister) takeList() (json.RawMessage, *listPage) { return m.wireJudge.takeList(), nil }

// listerOf is cl's lister, nil when cl has no wire judge.
func listerOf(cl *client.Client) lister {
	if j := judgeOf(cl); j != nil {
		return mcpLister{cl, j}
	}
	return nil
}

// sendList sends one list request through mcp-go.
func sendList(ctx context.Context, cl *client.Client, kind, cursor string) error {
	pr := mcp.PaginatedRequest{Params: mcp.PaginatedParams{Cursor: mcp.Cursor(cursor)}}
	var err error
	switch kind {
	case KindTool:
		_, err = cl.ListToolsByPage(ctx, mcp.ListToolsRequest{PaginatedRequest: pr})
	case KindPrompt:
		_, err = cl.ListPromptsByPage(ctx, mcp.ListPromptsRequest{PaginatedRequest: pr})
	default:
		_, err = cl.ListResourcesByPage(ctx, mcp.ListResourcesRequest{PaginatedRequest: pr})
	}
	return err
}

// judgeOf is the wire judge under cl (every client the probe builds has one).
func judgeOf(cl *client.Client) *wireJudge {
	switch t := cl.GetTransport().(type) {
	case *wireJudge:
		return t
	case httpWireJudge:
		return t.wireJudge
	}
	return nil
}

// isListMethod: the judge keeps the raw result of these for the inventory.
func isListMethod(m string) bool {
	return m == string(mcp.MethodToolsList) || m == string(mcp.MethodPromptsList) || m == string(mcp.MethodResourcesList)
}

// keepList and takeList hand the raw result of the latest list request
// from the judge to the inventory.
func (j *wireJudge) keepList(raw json.RawMessage) {
	j.mu.Lock()
	j.list = raw
	j.mu.Unlock()
}

func (j *wireJudge) takeList() json.RawMessage {
	j.mu.Lock()
	defer j.mu.Unlock()
	raw := j.list
	j.list = nil
	return raw
}
