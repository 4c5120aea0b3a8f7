package tui

import (
	"fmt"
	"strings"

	"github.com/mcpwatch/mcpwatch/probe"
)

// InventoryAccepter is a Source that can pin a server's current inventory
// (probe.Pool can). It is optional: fakes without it keep working, and the
// key then says it cannot accept here.
type InventoryAccepter interface {
	AcceptInventory(names ...string) []string
}

// maxShownChanges bounds the diff in the detail view: a server that swapped
// a thousand tools is summarized, not listed.
const maxShownChanges = 20

// inventorySection shows what the server advertises against its pin: the
// counts, and for a drift every changed item with its old and new text
// (peer text: sanitized like every other).
func (m *Model) inventorySection(d *detailWriter, st *probe.ServerState) {
	inv := st.Inventory
	if inv == nil {
		return
	}
	d.section("Inventory")
	if cur := inv.Current; cur != nil {
		d.field("Advertises", fmt.Sprintf("%d tools, %d prompts, %d resources",
			cur.Count(probe.KindTool), cur.Count(probe.KindPrompt), cur.Count(probe.KindResource)))
	}
	if p := inv.Pinned; p != nil && !p.At.IsZero() {
		d.field("Pinned", "the inventory of "+clockTime(p.At, m.clock())+" ("+ago(p.At, m.clock())+")")
	}
	if f := inv.Failure; f != nil {
		d.field("List error", clean(f.Message)+" ("+clean(f.Class)+")")
	}
	if len(inv.Changes) == 0 {
		return
	}
	if m.opts.AcceptPins {
		d.field("Changed", "press a to accept the current inventory as the pin")
	} else {
		d.field("Changed", "read-only here: accept with mcpwatch pin on the host")
	}
	for i, c := range inv.Changes {
		if i == maxShownChanges {
			d.line(fmt.Sprintf("  … and %d more (mcpwatch check -o json lists all)", len(inv.Changes)-i))
			break
		}
		m.changeLines(d, c)
	}
}

func (m *Model) changeLines(d *detailWriter, c probe.InventoryChange) {
	name := clean(c.Kind) + " `" + clean(c.Name) + "`"
	switch c.Change {
	case probe.ItemAdded:
		d.line("  " + m.styles.warn.render("+") + " " + name + " added")
		if c.New != nil && c.New.Description != "" {
			d.hang("      new: ", cleanBlock(c.New.Description))
		}
	case probe.ItemRemoved:
		d.line("  " + m.styles.warn.render("−") + " " + name + " removed")
	default:
		d.line("  " + m.styles.warn.render("~") + " " + name + ": " + strings.Join(c.Fields, ", ") + " changed")
		if c.Old == nil || c.New == nil {
			return
		}
		for _, f := range c.Fields {
			old, cur := fieldText(c.Old, f), fieldText(c.New, f)
			if old == cur {
				continue
			}
			d.hang("      old: ", cleanBlock(old))
			d.hang("      new: ", cleanBlock(cur))
		}
	}
}

func fieldText(it *probe.InventoryItem, field string) string {
	switch field {
	case "description":
		return it.Description
	case "input":
		return it.Input
	case "output":
		return it.Output
	case "annotations":
		return it.Annotations
	}
	return ""
}

// acceptInventory pins the selected server's current inventory, where this
// dashboard may (the local one; SSH viewers are read-only, docs/ssh.md).
func (m *Model) acceptInventory() {
	acc, ok := m.src.(InventoryAccepter)
	if !m.opts.AcceptPins || !ok {
		m.setFlash("read-only here: accept the inventory with mcpwatch pin --server "+clean(m.selected)+" on the host", true)
		return
	}
	if got := acc.AcceptInventory(m.selected); len(got) == 0 {
		m.setFlash(clean(m.selected)+": nothing to accept, the inventory matches its pin", false)
		return
	}
	m.setFlash(clean(m.selected)+": current inventory pinned", false)
}
