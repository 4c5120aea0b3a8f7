package probe

import (
	"bytes"
	"encoding/json"
	"strconv"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
)

// Fast readers of the two answers every stateless-era check reads: the
// discover result and a list page. encoding/json read each with reflection
// (a tools/list page twice: liveness's shape check, then the inventory's
// listPage), a tenth of the client's CPU per probe. These read the layouts
// servers write in one walk and say ok only when json would have decoded
// the same values without an error; for anything else (a type json would
// refuse, a key matching a field only case-insensitively, a duplicate key,
// an escape in a string they keep, a capability they do not model) they
// give up and the caller decodes with json exactly as before.
// TestFastReadersAsJSON and FuzzFastReaders hold them to json.

// pageReads counts list pages read, for the test that a page is read once.
var pageReads atomic.Int64

// fastDiscover is discover's fast way: the InitializeResult discover
// makes of a result that lists a stateless-era version we speak.
func fastDiscover(raw []byte, version string) (*mcp.InitializeResult, bool) {
	init := &mcp.InitializeResult{ProtocolVersion: version}
	w := jsonWalk{b: raw}
	var seen [4]bool
	modern := false
	ok := w.object(func(key []byte) bool {
		i, ok := field(&w, key, seen[:], "supportedVersions", "capabilities", "instructions", "_meta")
		if i < 0 {
			return ok
		}
		switch i {
		case 0:
			return w.array(func() bool {
				s, plain, ok := w.str()
				if ok && plain && isModernVersion(s) {
					modern = true
				}
				return ok && plain
			})
		case 1:
			return fastCapabilities(&w, &init.Capabilities)
		case 2: // any string or null (jsonString)
			return w.null() || w.peek() == '"' && skipOK(&w)
		}
		return w.object(func(key []byte) bool {
			j, sure := fieldIndex(key, "io.modelcontextprotocol/serverInfo")
			if !sure {
				return false
			}
			v, ok := w.skip()
			if ok && j == 0 {
				init.ServerInfo = serverInfoOf(v)
			}
			return ok
		})
	})
	return init, ok && modern && w.peek() == 0
}

// isModernVersion: s is a stateless-era version we speak (pickVersions).
func isModernVersion(s []byte) bool {
	for _, v := range mcp.ValidProtocolVersions {
		if string(s) == v {
			return mcp.IsModernProtocol(v)
		}
	}
	return false
}

// fastCapabilities reads the capabilities most servers declare: tools,
// prompts, resources (their listChanged and subscribe), logging,
// completions, roots. Any other (experimental, extensions, sampling,
// elicitation, tasks) is json's.
func fastCapabilities(w *jsonWalk, c *mcp.ServerCapabilities) bool {
	var seen [6]bool
	return w.object(func(key []byte) bool {
		i, ok := field(w, key, seen[:], "tools", "prompts", "resources", "logging", "completions", "roots",
			"experimental", "extensions", "sampling", "elicitation", "tasks")
		if i < 0 {
			return ok
		}
		switch i {
		case 0:
			t := alloc(&c.Tools)
			return flags(w, &t.ListChanged, nil)
		case 1:
			p := alloc(&c.Prompts)
			return flags(w, &p.ListChanged, nil)
		case 2:
			r := alloc(&c.Resources)
			return flags(w, &r.ListChanged, &r.Subscribe)
		case 3:
			alloc(&c.Logging)
		case 4:
			alloc(&c.Completions)
		case 5:
			alloc(&c.Roots)
		}
		// An empty struct: json reads any object into it, and nothing else.
		return w.peek() == '{' && skipOK(w)
	})
}

func alloc[T any](p **T) *T {
	*p = new(T)
	return *p
}

func skipOK(w *jsonWalk) bool {
	_, ok := w.skip()
	return ok
}

// flags reads {"listChanged":bool,"subscribe":bool} (subscribe nil: not a field).
func flags(w *jsonWalk, listChanged, subscribe *bool) bool {
	names := []string{"listChanged", "subscribe"}
	if subscribe == nil {
		names = names[:1]
	}
	var seen [2]bool
	return w.object(func(key []byte) bool {
		i, ok := field(w, key, seen[:], names...)
		if i < 0 {
			return ok
		}
		v, ok := w.skip()
		if !ok || string(v) != "true" && string(v) != "false" {
			return false
		}
		if i == 0 {
			*listChanged = string(v) == "true"
		} else {
			*subscribe = string(v) == "true"
		}
		return true
	})
}

// serverInfoOf is the server's implementation as json reads it, decode
// errors ignored (discover's rule): {"name":…,"version":…} the fast way.
func serverInfoOf(raw []byte) mcp.Implementation {
	var info mcp.Implementation
	w := jsonWalk{b: raw}
	var seen [2]bool
	if w.object(func(key []byte) bool {
		i, ok := field(&w, key, seen[:], "name", "version", "title", "description", "websiteUrl", "icons")
		if i < 0 {
			return ok
		}
		s, plain, ok := w.str()
		if !ok || !plain {
			return false
		}
		if i == 0 {
			info.Name = string(s)
		} else {
			info.Version = string(s)
		}
		return true
	}) && w.peek() == 0 {
		return info
	}
	info = mcp.Implementation{}
	if json.Unmarshal(raw, &info) != nil {
		return mcp.Implementation{}
	}
	return info
}

// fastListPage is listKind's json.Unmarshal of a page into a listPage, and
// for a tools page also the promise that liveness's shape check passes
// (every tool an object or null, its name, title and description strings
// or null). Items are slices of raw, which the caller owns.
func fastListPage(raw []byte) (listPage, bool) {
	pageReads.Add(1)
	var p listPage
	w := jsonWalk{b: raw}
	if w.peek() != '{' {
		return p, false // json: a type error, or null (listKind refuses it)
	}
	var seen [5]bool
	ok := w.object(func(key []byte) bool {
		i, ok := field(&w, key, seen[:], "tools", "prompts", "resources", "nextCursor", "ttlMs")
		if i < 0 {
			return ok
		}
		switch i {
		case 3:
			if w.null() {
				return true
			}
			s, plain, ok := w.str()
			if ok && plain {
				c := string(s)
				p.NextCursor = &c
			}
			return ok && plain
		case 4:
			if w.null() {
				return true
			}
			v, ok := w.skip()
			n, err := strconv.ParseInt(string(v), 10, 64) // json's reading of an int64
			if !ok || err != nil {
				return false
			}
			p.TTLMs = &n
			return true
		}
		items := [3]*[]json.RawMessage{&p.Tools, &p.Prompts, &p.Resources}[i]
		if w.null() {
			return true
		}
		*items = []json.RawMessage{} // json's empty list, not nil
		return w.array(func() bool {
			v, ok := w.skip()
			if ok && i == 0 && !toolShapeOK(v) {
				return false
			}
			*items = append(*items, v)
			return ok
		})
	})
	return p, ok && w.peek() == 0
}

// toolShapeOK is liveness's check of one tool (lean.go) passing: null, or
// an object whose name, title and description are strings or null.
func toolShapeOK(v []byte) bool {
	if bytes.Equal(v, []byte("null")) {
		return true
	}
	w := jsonWalk{b: v}
	return w.peek() == '{' && w.object(func(key []byte) bool {
		i, sure := fieldIndex(key, "name", "title", "description")
		if !sure {
			return false
		}
		if i >= 0 && w.peek() != '"' && !bytes.HasPrefix(w.b[w.i:], []byte("null")) {
			return false
		}
		return skipOK(&w)
	})
}
