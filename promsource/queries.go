package promsource

import "strings"

// The queries of one read. Each is an instant query narrowed by the
// selector; all are read at the same time so they describe one moment.
const (
	qStatus   = "status"
	qLast     = "last check"
	qExpiry   = "token expiry"
	qWarning  = "warnings"
	qSkipped  = "skip reasons"
	qFailure  = "failure classes"
	qSince    = "status since"
	qLatency  = "latency"
	qInstance = "instances"
	qDown     = "targets"
)

// queries are the PromQL of one read, by name. inner is the selector
// without its braces.
func queries(inner string) map[string]string {
	m := func(name, extra string) string {
		parts := make([]string, 0, 2)
		for _, p := range []string{extra, inner} {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		return name + "{" + strings.Join(parts, ",") + "}"
	}
	const h = "mcpwatch_probe_stage_duration_seconds"
	return map[string]string{
		qStatus:  m("mcpwatch_server_status", "") + " == 1",
		qLast:    m("mcpwatch_last_check_timestamp_seconds", ""),
		qExpiry:  m("mcpwatch_token_expiry_timestamp_seconds", ""),
		qWarning: m("mcpwatch_server_warning", "") + " == 1",
		qSkipped: m("mcpwatch_server_skipped", ""),
		qFailure: m("mcpwatch_server_failure_info", ""),
		qSince:   m("mcpwatch_server_status_since_timestamp_seconds", ""),
		// Latency is what "slow" is judged on: handshake + liveness, the
		// mean over 5 minutes (the exact last value is not exported).
		qLatency: "sum without (stage) (rate(" + m(h+"_sum", `stage=~"handshake|liveness"`) + "[5m]))" +
			" / sum without (stage) (rate(" + m(h+"_count", `stage="handshake"`) + "[5m]))",
		qInstance: m("mcpwatch_instance_info", ""),
		// Targets down in a job that has mcpwatch instances: their servers
		// are missing from every other query.
		qDown: "(" + m("up", "") + " == 0) and on (job) group by (job) (" + m("mcpwatch_build_info", "") + ")",
	}
}
