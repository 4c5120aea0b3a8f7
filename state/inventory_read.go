package state

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/mcpwatch/mcpwatch/probe"
)

// decodeInventoryFile is what json.Unmarshal makes of the file as an
// inventoryFile, read faster when the file is as writeInventory writes it.
// encoding/json scans every byte twice with its state machine (to validate,
// then to decode): at 1,000 servers of replicas, 40 ms of each check for a
// file that repeats one inventory's items on every server. Here the layout
// around the items is read directly and each distinct items text is decoded
// once, by encoding/json (which validates it). Anything else in the file —
// whitespace, other keys or order, escapes in a name, a value of another
// type — and the whole file is decoded by encoding/json as before, so what
// a file reads as, or the error it gives, does not change.
func decodeInventoryFile(b []byte) (inventoryFile, error) {
	if f, ok := fastInventoryFile(b); ok {
		return f, nil
	}
	var f inventoryFile
	if err := json.Unmarshal(b, &f); err != nil {
		return f, err
	}
	shareItems(f.Servers) // the fast path shares equal items as it reads them
	return f, nil
}

func fastInventoryFile(b []byte) (f inventoryFile, ok bool) {
	r := invReader{b: b, items: map[string][]probe.InventoryItem{}}
	if !r.lit(`{"schema":`) {
		return f, false
	}
	if f.Schema, ok = r.str(); !ok || !r.lit(`,"servers":{`) {
		return f, false
	}
	f.Servers = map[string]probe.SavedInventory{}
	for first := true; !r.lit("}"); first = false {
		if !first && !r.lit(",") {
			return f, false
		}
		name, ok := r.str()
		if !ok || !r.lit(":{") {
			return f, false
		}
		var s probe.SavedInventory
		pinned := r.lit(`"pinned":`)
		if pinned {
			if s.Pinned, ok = r.inventory(); !ok {
				return f, false
			}
		}
		if !pinned || r.lit(",") {
			if r.lit(`"latest":`) {
				if s.Latest, ok = r.inventory(); !ok {
					return f, false
				}
			} else if pinned {
				return f, false // a comma and nothing after it
			}
		}
		if !r.lit("}") {
			return f, false
		}
		f.Servers[name] = s
	}
	return f, r.lit("}") && r.i == len(b)
}

// invReader reads the layout writeInventory writes, no space between
// tokens; ok false at anything else.
type invReader struct {
	b     []byte
	i     int
	items map[string][]probe.InventoryItem // decoded, by their text
}

func (r *invReader) peek() byte {
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

// lit consumes s if the input goes on with it.
func (r *invReader) lit(s string) bool {
	if !bytes.HasPrefix(r.b[r.i:], []byte(s)) {
		return false
	}
	r.i += len(s)
	return true
}

// str reads a string as json does: its bytes, or, with an escape, a control
// or invalid UTF-8 in it, what json.Unmarshal makes of it.
func (r *invReader) str() (string, bool) {
	q, ok := r.quoted()
	if !ok {
		return "", false
	}
	body := q[1 : len(q)-1]
	for _, c := range body {
		if c < 0x20 || c == '\\' {
			return r.unquote(q)
		}
	}
	if !utf8.Valid(body) {
		return r.unquote(q)
	}
	return string(body), true
}

func (r *invReader) unquote(q []byte) (string, bool) {
	var s string
	return s, json.Unmarshal(q, &s) == nil
}

// quoted is the next string's text, quotes included, as it stands.
func (r *invReader) quoted() ([]byte, bool) {
	if r.peek() != '"' {
		return nil, false
	}
	for j := r.i + 1; j < len(r.b); j++ {
		switch r.b[j] {
		case '\\':
			j++
		case '"':
			q := r.b[r.i : j+1]
			r.i = j + 1
			return q, true
		}
	}
	return nil, false
}

// inventory reads {"items":…,"sha256":"…","at":"…"}.
func (r *invReader) inventory() (*probe.Inventory, bool) {
	if !r.lit(`{"items":`) {
		return nil, false
	}
	text, ok := r.array()
	if !ok {
		return nil, false
	}
	inv := &probe.Inventory{}
	if inv.Items, ok = r.items[string(text)]; !ok {
		if json.Unmarshal(text, &inv.Items) != nil {
			return nil, false
		}
		r.items[string(text)] = inv.Items
	}
	if !r.lit(`,"sha256":`) {
		return nil, false
	}
	if inv.Hash, ok = r.str(); !ok || !r.lit(`,"at":`) {
		return nil, false
	}
	at, ok := r.quoted()
	if !ok || inv.At.UnmarshalJSON(at) != nil || !r.lit("}") {
		return nil, false
	}
	return inv, true
}

// array is the text of the next list (or null): up to its closing bracket,
// strings skipped whole. Its validity is json.Unmarshal's to judge.
func (r *invReader) array() ([]byte, bool) {
	if r.lit("null") {
		return []byte("null"), true
	}
	if r.peek() != '[' {
		return nil, false
	}
	depth := 0
	for j := r.i; j < len(r.b); j++ {
		switch r.b[j] {
		case '"':
			for j++; j < len(r.b) && r.b[j] != '"'; j++ {
				if r.b[j] == '\\' {
					j++
				}
			}
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				text := r.b[r.i : j+1]
				r.i = j + 1
				return text, true
			}
		}
	}
	return nil, false
}
