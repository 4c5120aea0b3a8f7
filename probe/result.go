// Package probe is the engine: one check of one server, the shared token cache,
// the worker pool that schedules checks, and the immutable snapshots views read.
package probe

import (
	"time"
)

// Status is the verdict of one check. The order of the constants is severity order.
type Status string

const (
	StatusAuthError Status = "auth_error" // token endpoint refused or failed, or the server rejected our token
	StatusUnhealthy Status = "unhealthy"  // reached (or tried to reach) the server and it failed
	StatusDegraded  Status = "degraded"   // answered correctly but slower than its slow threshold
	StatusHealthy   Status = "healthy"
	StatusSkipped   Status = "skipped" // deliberately not probed; always with a SkipReason
	StatusUnknown   Status = "unknown" // not checked yet — never "decided not to check"
)

// Statuses lists every status in severity order (most severe first).
var Statuses = [...]Status{StatusAuthError, StatusUnhealthy, StatusDegraded, StatusHealthy, StatusSkipped, StatusUnknown}

// Severity is 0 for the most severe status; unknown strings sort last.
func (s Status) Severity() int {
	for i, v := range Statuses {
		if v == s {
			return i
		}
	}
	return len(Statuses)
}

// Failing reports whether the status should fail `check` and alerting.
func (s Status) Failing() bool { return s == StatusAuthError || s == StatusUnhealthy }

// Stage is a step of one check. Each is timed; a failure names the stage it happened in.
type Stage string

const (
	StageConfig    Stage = "config"
	StageToken     Stage = "token"
	StageConnect   Stage = "connect"
	StageHandshake Stage = "handshake"
	StageLiveness  Stage = "liveness"
)

// StageTiming is how long one stage took and whether it succeeded.
type StageTiming struct {
	Stage    Stage         `json:"stage"`
	Duration time.Duration `json:"duration_ns"`
	OK       bool          `json:"ok"`
}

// TokenInfo is what may be shown about a server's token: never the token itself.
type TokenInfo struct {
	TokenURL       string `json:"token_url,omitempty"`
	TokenURLSource string `json:"token_url_source,omitempty"` // configured | discovered
	// Issuer is the discovered authorization server, and IssuerTrust why
	// credentials may go to it: pinned (auth.issuer) or same_origin (the MCP
	// server's own origin). Empty when the token endpoint is configured.
	Issuer          string    `json:"issuer,omitempty"`
	IssuerTrust     string    `json:"issuer_trust,omitempty"`
	Obtained        time.Time `json:"obtained_at,omitzero"`
	Expiry          time.Time `json:"expires_at,omitzero"`
	ExpiryDefaulted bool      `json:"expiry_defaulted,omitempty"` // the endpoint sent no expires_in
	Scopes          []string  `json:"scopes,omitempty"`           // granted: the token response's scope, else those requested
	// RequestedScopes are the scopes asked for, and ScopeSource why: configured, challenge (the
	// server's 401 named them), scopes_supported (its protected-resource metadata listed them)
	// or none (see oauth.Credentials.ScopeSource).
	RequestedScopes []string  `json:"requested_scopes,omitempty"`
	ScopeSource     string    `json:"scope_source,omitempty"`
	Refreshing      bool      `json:"refreshing,omitempty"`
	LastError       string    `json:"last_error,omitempty"`
	LastErrorAt     time.Time `json:"last_error_at,omitzero"`

	// TLS is the token endpoint's certificate as the latest token request
	// saw it (a cached token makes no request); nil for plain http.
	TLS *CertInfo `json:"tls,omitempty"`
}

// Result is the outcome of one check of one server.
type Result struct {
	Server  string `json:"server"`
	Status  Status `json:"status"`
	Stage   Stage  `json:"stage,omitempty"`   // where it failed; empty when it did not
	Class   string `json:"class,omitempty"`   // short machine class, e.g. connect.refused, http.403, rpc.-32601
	Message string `json:"message,omitempty"` // one line for a person (the skip reason for skipped servers)
	Detail  string `json:"detail,omitempty"`  // the full error chain, secrets scrubbed

	Started time.Time     `json:"started_at"`
	Latency time.Duration `json:"latency_ns"` // handshake + liveness: what "slow" is judged on
	Total   time.Duration `json:"total_ns"`   // every stage, token included
	Stages  []StageTiming `json:"stages,omitempty"`

	ProtocolVersion string `json:"protocol_version,omitempty"`
	ServerName      string `json:"server_name,omitempty"`
	ServerVersion   string `json:"server_version,omitempty"`
	LivenessMethod  string `json:"liveness_method,omitempty"` // ping | tools/list | server/discover
	Era             string `json:"era,omitempty"`             // stateless | initialize
	Transport       string `json:"transport,omitempty"`       // http | sse | stdio: what was spoken on the wire
	// EraRemembered is when the era, version and transport this check went
	// straight to were negotiated; zero when this check negotiated them.
	EraRemembered time.Time  `json:"era_remembered_since,omitzero"`
	Token         *TokenInfo `json:"token,omitempty"`

	// TLS is the server's certificate as this check's last handshake saw
	// it, also when it was refused; nil for plain http and stdio.
	TLS *CertInfo `json:"tls,omitempty"`

	// Inventory: what the server advertises (inventory.go). Capabilities
	// are the capability names it declared, sorted; a change is an event.
	Capabilities []string         `json:"capabilities,omitempty"`
	Inventory    *InventoryResult `json:"inventory,omitempty"`
}

// stage returns the timing entry of s, if that stage ran.
func (r *Result) stage(s Stage) (StageTiming, bool) {
	for _, t := range r.Stages {
		if t.Stage == s {
			return t, true
		}
	}
	return StageTiming{}, false
}
