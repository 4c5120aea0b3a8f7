package probe

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
)

// The kinds of item a server advertises, in the order views list them.
const (
	KindTool     = "tool"
	KindPrompt   = "prompt"
	KindResource = "resource"
)

// InventoryKinds lists every kind in display order.
var InventoryKinds = [...]string{KindTool, KindPrompt, KindResource}

// Bounds on what one server's inventory may cost. A hostile server
// controls every byte of it, and the pool keeps the pinned and the current
// inventory of every server in memory.
const (
	maxInventoryItems = 1000    // per server, all kinds together
	maxItemText       = 2 << 10 // bytes kept of one description or schema text
)

// InventoryItem is the fingerprint of one tool, prompt or resource: the
// sha256 of the canonical JSON (sorted keys) of what an agent is told about
// it: name, title, description, input and output schemas, annotations (a
// prompt's arguments, a resource's URI and MIME type). _meta is left out: it
// carries volatile bookkeeping, not what the item does. The texts are kept,
// bounded and scrubbed of the check's secrets, so a view can show old and
// new side by side; they are peer text (sanitize before display).
type InventoryItem struct {
	Kind        string `json:"kind"`
	Name        string `json:"name"` // a resource's URI
	Hash        string `json:"sha256"`
	Description string `json:"description,omitempty"`
	Input       string `json:"input,omitempty"`       // inputSchema; a prompt's arguments
	Output      string `json:"output,omitempty"`      // outputSchema
	Annotations string `json:"annotations,omitempty"` // annotations; a resource's name, title, mimeType too
}

// Inventory is what a server advertised at one check, items sorted by kind
// and name. Hash covers every item's kind, name and hash.
type Inventory struct {
	Items []InventoryItem `json:"items"`
	Hash  string          `json:"sha256"`
	At    time.Time       `json:"at"`
}

// Count is the number of items of kind.
func (inv *Inventory) Count(kind string) int {
	if inv == nil {
		return 0
	}
	n := 0
	for i := range inv.Items {
		if inv.Items[i].Kind == kind {
			n++
		}
	}
	return n
}

// fingerprint picks the fields of one raw item that define it. keys are
// the fields of its kind; the item's identity is key.
type itemShape struct {
	identity string
	fields   []string
	input    string
	output   string
	notes    []string
}

var shapes = map[string]itemShape{
	KindTool:     {identity: "name", fields: []string{"name", "title", "description", "inputSchema", "outputSchema", "annotations"}, input: "inputSchema", output: "outputSchema", notes: []string{"annotations", "title"}},
	KindPrompt:   {identity: "name", fields: []string{"name", "title", "description", "arguments"}, input: "arguments", notes: []string{"title"}},
	KindResource: {identity: "uri", fields: []string{"uri", "name", "title", "description", "mimeType", "annotations"}, notes: []string{"name", "title", "mimeType", "annotations"}},
}

// itemMemo holds fingerprints by the bytes of the raw item: a server's
// items are the same check after check (and often server after server),
// and making a fingerprint was most of what the inventory cost a check.
// It is bounded: past maxItemMemo items it starts afresh.
var itemMemo struct {
	sync.Mutex
	m map[itemKey]InventoryItem
}

type itemKey struct {
	kind string
	sum  [sha256.Size]byte
}

const maxItemMemo = 1024

// fingerprintMemo is fingerprintItem, remembered.
func fingerprintMemo(kind string, raw json.RawMessage) (InventoryItem, bool) {
	k := itemKey{kind, sha256.Sum256(raw)}
	itemMemo.Lock()
	it, ok := itemMemo.m[k]
	itemMemo.Unlock()
	if ok {
		return it, true
	}
	it, ok = fingerprintItem(kind, raw)
	if !ok {
		return it, false
	}
	itemMemo.Lock()
	if itemMemo.m == nil || len(itemMemo.m) >= maxItemMemo {
		itemMemo.m = make(map[itemKey]InventoryItem)
	}
	itemMemo.m[k] = it
	itemMemo.Unlock()
	return it, true
}

// fingerprintItem reads one raw item of kind. ok is false for an item that
// is not a JSON object with a string identity (it is skipped, as a client
// would skip it).
func fingerprintItem(kind string, raw json.RawMessage) (InventoryItem, bool) {
	shape := shapes[kind]
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers keep their text: 1.0 and 1 stay different, as sent
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return InventoryItem{}, false
	}
	id, ok := obj[shape.identity].(string)
	if !ok {
		return InventoryItem{}, false
	}
	picked := map[string]any{}
	for _, f := range shape.fields {
		if v, ok := obj[f]; ok {
			picked[f] = v
		}
	}
	canon, err := json.Marshal(picked) // map keys sort, at every depth
	if err != nil {
		return InventoryItem{}, false
	}
	sum := sha256.Sum256(canon)
	it := InventoryItem{Kind: kind, Name: boundText(id), Hash: hex.EncodeToString(sum[:])}
	if d, ok := obj["description"].(string); ok {
		it.Description = boundText(d)
	}
	it.Input = canonicalText(obj, shape.input)
	it.Output = canonicalText(obj, shape.output)
	notes := map[string]any{}
	for _, f := range shape.notes {
		if v, ok := obj[f]; ok {
			notes[f] = v
		}
	}
	if len(notes) > 0 {
		b, _ := json.Marshal(notes)
		it.Annotations = boundText(string(b))
	}
	return it, true
}

// canonicalText is field of obj as canonical JSON, bounded; "" when absent.
func canonicalText(obj map[string]any, field string) string {
	v, ok := obj[field]
	if field == "" || !ok {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return boundText(string(b))
}

// boundText keeps at most maxItemText bytes of s, cut on a rune boundary.
func boundText(s string) string {
	if len(s) <= maxItemText {
		return s
	}
	cut := maxItemText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// newInventory sorts items and computes the inventory's hash.
func newInventory(items []InventoryItem, at time.Time) *Inventory {
	slices.SortFunc(items, func(a, b InventoryItem) int {
		if c := kindOrder(a.Kind) - kindOrder(b.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Hash, b.Hash)
	})
	h := sha256.New()
	for _, it := range items {
		h.Write([]byte(it.Kind + "\x00" + it.Name + "\x00" + it.Hash + "\n"))
	}
	return &Inventory{Items: items, Hash: hex.EncodeToString(h.Sum(nil)), At: at}
}

func kindOrder(k string) int { return slices.Index(InventoryKinds[:], k) }

// scrubInventory cleans the check's secrets out of every text the server
// supplied: a peer echoes what it receives, into descriptions too.
func scrubInventory(res *InventoryResult, forms []string) {
	if res == nil {
		return
	}
	if res.Error != nil {
		e := *res.Error
		e.Message = scrub(e.Message, forms)
		res.Error = &e
	}
	if res.inv == nil || len(forms) == 0 {
		return
	}
	for i := range res.inv.Items {
		it := &res.inv.Items[i]
		for _, s := range []*string{&it.Name, &it.Description, &it.Input, &it.Output, &it.Annotations} {
			*s = scrub(*s, forms)
		}
	}
}

// capabilityNames lists the capabilities a server declared, sorted, with
// the sub-features that change what a client may do (listChanged,
// subscribe). Experimental and extension names are the peer's: a few,
// bounded, are kept.
func capabilityNames(c mcp.ServerCapabilities) []string {
	var out []string
	add := func(name string, present bool) {
		if present {
			out = append(out, name)
		}
	}
	if c.Tools != nil {
		add("tools", true)
		add("tools.listChanged", c.Tools.ListChanged)
	}
	if c.Prompts != nil {
		add("prompts", true)
		add("prompts.listChanged", c.Prompts.ListChanged)
	}
	if c.Resources != nil {
		add("resources", true)
		add("resources.listChanged", c.Resources.ListChanged)
		add("resources.subscribe", c.Resources.Subscribe)
	}
	add("logging", c.Logging != nil)
	add("completions", c.Completions != nil)
	add("tasks", c.Tasks != nil)
	var peer []string
	for name := range c.Experimental {
		peer = append(peer, "experimental."+firstLine(name))
	}
	for name := range c.Extensions {
		peer = append(peer, "extensions."+firstLine(name))
	}
	slices.Sort(peer)
	for i, name := range peer {
		if i == maxPeerCapabilities {
			out = append(out, fmt.Sprintf("…%d more", len(peer)-i))
			break
		}
		out = append(out, boundName(name))
	}
	slices.Sort(out)
	return out
}

const maxPeerCapabilities = 8

func boundName(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
