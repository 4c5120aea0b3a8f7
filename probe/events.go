package probe

import (
	"strings"
	"time"
)

// Event is a transition of one server: its status changed, a warning was
// raised or cleared, or what it runs changed (server version, protocol era,
// transport). The pool hands events to OnEvent; the state store keeps them
// and views read the timeline from there.
type Event struct {
	At     time.Time `json:"at"`
	Server string    `json:"server"`
	Kind   string    `json:"kind"`            // status | warning | change
	From   string    `json:"from,omitempty"`  // status, warning class or value before ("" when raised or first seen)
	To     string    `json:"to,omitempty"`    // after ("" when a warning cleared)
	Class  string    `json:"class,omitempty"` // failure class (status), warning class, or what changed (change)
	Reason string    `json:"reason,omitempty"`
}

// Event kinds.
const (
	EventStatus  = "status"
	EventWarning = "warning"
	EventChange  = "change"
)

// Change classes: what about a server changed between two good checks.
const (
	ChangeServer       = "server.version"   // serverInfo version (from and to carry the name too)
	ChangeServerName   = "server.name"      // serverInfo name
	ChangeProtocol     = "protocol.version" // negotiated protocol version
	ChangeEra          = "era"              // stateless or initialize
	ChangeTransport    = "transport"        // the transport that answered (auto)
	ChangeCapabilities = "capabilities"     // the capabilities the server declared
)

// resultEvents are the events between two consecutive results of a server.
// The first result after start (prev unknown) is a status event too: it is
// when the server's current state began, as far as this process knows.
func resultEvents(prev, cur *Result) []Event {
	var evs []Event
	if cur.Status != prev.Status {
		evs = append(evs, Event{At: cur.Started, Server: cur.Server, Kind: EventStatus,
			From: string(prev.Status), To: string(cur.Status), Class: cur.Class, Reason: cur.Message})
	}
	if !answered(prev) || !answered(cur) {
		return evs
	}
	change := func(class, from, to string) {
		if from != to {
			evs = append(evs, Event{At: cur.Started, Server: cur.Server, Kind: EventChange, From: from, To: to, Class: class})
		}
	}
	change(ChangeServerName, prev.ServerName, cur.ServerName)
	if prev.ServerVersion != cur.ServerVersion { // named, so the timeline reads "sw 1.0.0 → sw 2.4.0"
		change(ChangeServer, prev.ServerName+" "+prev.ServerVersion, cur.ServerName+" "+cur.ServerVersion)
	}
	change(ChangeProtocol, prev.ProtocolVersion, cur.ProtocolVersion)
	change(ChangeEra, prev.Era, cur.Era)
	change(ChangeTransport, prev.Transport, cur.Transport)
	if prev.Capabilities != nil || cur.Capabilities != nil { // a restored result has none
		change(ChangeCapabilities, strings.Join(prev.Capabilities, " "), strings.Join(cur.Capabilities, " "))
	}
	return evs
}

// answered: the check got through the handshake, so what it learned is real.
func answered(r *Result) bool { return r.ProtocolVersion != "" }

// OnEvent registers fn to receive every event, in order, outside the pool's
// lock. Call it before Run or Sweep.
func (p *Pool) OnEvent(fn func(Event)) { p.onEvent = fn }

func (p *Pool) emit(evs []Event) {
	if p.onEvent == nil {
		return
	}
	for _, ev := range evs {
		p.onEvent(ev)
	}
}
