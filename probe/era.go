package probe

import (
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// The protocol eras a handshake can settle on.
const (
	EraStateless  = "stateless"  // 2026-07-28 and later: server/discover, no session, no ping
	EraInitialize = "initialize" // up to 2025-11-25: initialize → notifications/initialized
)

// renegotiateEvery bounds how long a remembered era is trusted, so that a
// server upgraded in place is seen within the hour.
const renegotiateEvery = time.Hour

// eraMemory is what the last good check of a server settled on. Later checks
// go straight to it: an initialize-era server is not sent a server/discover
// it cannot answer on every check, and an auto transport is not re-probed.
type eraMemory struct {
	Era       string
	Version   string
	Transport string // http | sse | stdio: what worked on the wire
	Since     time.Time
}

// eraOf names the era of a negotiated protocol version.
func eraOf(version string) string {
	if mcp.IsModernProtocol(version) {
		return EraStateless
	}
	return EraInitialize
}

// remember returns the memory a check's result leaves for the next one: the
// same memory when the check went by it (Since keeps saying when it was
// negotiated), a new one after a fresh negotiation, nil when the check did
// not get through (the next check negotiates from scratch).
func remember(old *eraMemory, res *Result, now time.Time) *eraMemory {
	if res.ProtocolVersion == "" || res.Transport == "" || (res.Status != StatusHealthy && res.Status != StatusDegraded) {
		return nil
	}
	if old != nil && !res.EraRemembered.IsZero() {
		return old
	}
	return &eraMemory{Era: res.Era, Version: res.ProtocolVersion, Transport: res.Transport, Since: now}
}

// usable is the memory a check may rely on now, or nil when there is none or
// it is due for renegotiation.
func (m *eraMemory) usable(now time.Time) *eraMemory {
	if m == nil || now.Sub(m.Since) >= renegotiateEvery {
		return nil
	}
	return m
}
