package probe

import (
	"fmt"
	"strings"

	"github.com/mcpwatch/mcpwatch/textsafe"
)

// Inventory change kinds.
const (
	ItemAdded   = "added"
	ItemRemoved = "removed"
	ItemChanged = "changed"
)

// InventoryChange is one item that differs between the pinned inventory
// and the current one. Old and New are the item as pinned and as now
// advertised (nil when added or removed); Fields names what changed.
type InventoryChange struct {
	Kind   string         `json:"kind"`
	Name   string         `json:"name"`
	Change string         `json:"change"`           // added | removed | changed
	Fields []string       `json:"fields,omitempty"` // description, input, output, annotations
	Old    *InventoryItem `json:"old,omitempty"`
	New    *InventoryItem `json:"new,omitempty"`
}

// diffInventory lists the items that differ from old to cur, in kind and
// name order (both inventories are sorted).
func diffInventory(old, cur *Inventory) []InventoryChange {
	key := func(it *InventoryItem) string { return it.Kind + "\x00" + it.Name }
	before := make(map[string]*InventoryItem, len(old.Items))
	for i := range old.Items {
		before[key(&old.Items[i])] = &old.Items[i]
	}
	var out []InventoryChange
	seen := make(map[string]bool, len(cur.Items))
	for i := range cur.Items {
		n := &cur.Items[i]
		k := key(n)
		seen[k] = true
		o, ok := before[k]
		switch {
		case !ok:
			out = append(out, InventoryChange{Kind: n.Kind, Name: n.Name, Change: ItemAdded, New: n})
		case o.Hash != n.Hash:
			out = append(out, InventoryChange{Kind: n.Kind, Name: n.Name, Change: ItemChanged, Fields: changedFields(o, n), Old: o, New: n})
		}
	}
	for i := range old.Items {
		o := &old.Items[i]
		if !seen[key(o)] {
			out = append(out, InventoryChange{Kind: o.Kind, Name: o.Name, Change: ItemRemoved, Old: o})
		}
	}
	return out
}

// changedFields names the texts that differ. The texts are bounded, so two
// items can differ only past the bound: that is "definition".
func changedFields(o, n *InventoryItem) []string {
	var fs []string
	for _, f := range []struct {
		name     string
		old, new string
	}{{"description", o.Description, n.Description}, {"input", o.Input, n.Input}, {"output", o.Output, n.Output}, {"annotations", o.Annotations, n.Annotations}} {
		if f.old != f.new {
			fs = append(fs, f.name)
		}
	}
	if len(fs) == 0 {
		fs = []string{"definition"}
	}
	return fs
}

// maxSummaryChanged is how many changed items the one-line summary names.
const maxSummaryChanged = 3

// summarizeChanges is the warning's one line, e.g.
// "tools: +2 −1, description of `search` changed".
func summarizeChanges(changes []InventoryChange) string {
	var parts []string
	for _, kind := range InventoryKinds {
		var add, rm int
		for _, c := range changes {
			if c.Kind == kind && c.Change == ItemAdded {
				add++
			} else if c.Kind == kind && c.Change == ItemRemoved {
				rm++
			}
		}
		switch {
		case add > 0 && rm > 0:
			parts = append(parts, fmt.Sprintf("%ss: +%d −%d", kind, add, rm))
		case add > 0:
			parts = append(parts, fmt.Sprintf("%ss: +%d", kind, add))
		case rm > 0:
			parts = append(parts, fmt.Sprintf("%ss: −%d", kind, rm))
		}
	}
	named := 0
	for _, c := range changes {
		if c.Change != ItemChanged {
			continue
		}
		named++
		if named > maxSummaryChanged {
			continue
		}
		what := strings.Join(fieldWords(c.Fields), " and ")
		parts = append(parts, fmt.Sprintf("%s of %s `%s` changed", what, c.Kind, textsafe.Line(c.Name, 64)))
	}
	if named > maxSummaryChanged {
		parts = append(parts, fmt.Sprintf("%d more changed", named-maxSummaryChanged))
	}
	return strings.Join(parts, ", ")
}

func fieldWords(fs []string) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		switch f {
		case "input":
			out[i] = "input schema"
		case "output":
			out[i] = "output schema"
		default:
			out[i] = f
		}
	}
	return out
}
