package tui

import "github.com/mcpwatch/mcpwatch/probe"

// readOnly is a Source that cannot check anything itself, such as a view of
// the fleet read back from Prometheus. ReadOnly says why r and R do
// nothing, in words for the footer.
type readOnly interface{ ReadOnly() string }

// refuseReadOnly flashes why a recheck cannot happen, and reports whether
// it did (then nothing else must).
func (m *Model) refuseReadOnly() bool {
	ro, ok := m.src.(readOnly)
	if !ok {
		return false
	}
	why := ro.ReadOnly()
	if why == "" {
		return false
	}
	m.setFlash(why, false)
	return true
}

// offerOnlyWhatWorks takes out of the help the keys this view cannot act
// on: r and R over a read-only source, a where pins cannot be accepted (an
// SSH viewer). Pressed, they still say why.
func (m *Model) offerOnlyWhatWorks(k *KeyMap) {
	if ro, ok := m.src.(readOnly); ok && ro.ReadOnly() != "" {
		k.Recheck.SetEnabled(false)
		k.RecheckAll.SetEnabled(false)
	}
	if _, ok := m.src.(InventoryAccepter); !ok || !m.opts.AcceptPins {
		k.Accept.SetEnabled(false)
	}
}

// sourceNoticeLine is the snapshot's notice about its own source, after
// the age of the data still shown (Taken is when it was read): the age
// first, as the notice may be cut at the screen's edge.
func (m *Model) sourceNoticeLine(n string) string {
	text := "no data yet: " + clean(n)
	if !m.snap.Taken.IsZero() {
		text = "data from " + ago(m.snap.Taken, m.now()) + ": " + clean(n)
	}
	return m.fitLine(m.styles.forStatus(probe.StatusDegraded).render(text))
}
