package metrics

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcpwatch/mcpwatch/probe"
)

// The why and since-when of a server, for views that read Prometheus rather
// than the pool (mcpwatch --prometheus): the failure's stage and class, never
// its message, which is free text.
var (
	descFailure = newDesc("mcpwatch_server_failure_info",
		"1 while the server's last check failed or was slow, with the stage and the class of the failure (connect.refused, http.503, token.invalid_client, slow …); absent otherwise.",
		"server", "stage", "class")
	descSince = newDesc("mcpwatch_server_status_since_timestamp_seconds",
		"Unix time the server's current status began, as far as this instance knows (its state store keeps it across restarts); absent before the first verdict.",
		"server")
)

// classShape is what a class of ours looks like; anything else is "other".
var classShape = regexp.MustCompile(`^[a-z_]+(\.[a-z0-9_-]+)?$`)

// failureClass bounds a class for use as a label value. Classes are made by
// mcpwatch from fixed words, HTTP statuses and JSON-RPC error codes; a code
// is the peer's choice, so only the reserved range (-32768 to -32000) keeps
// its number and any other code is rpc.other.
func failureClass(class string) string {
	if code, ok := strings.CutPrefix(class, "rpc."); ok {
		return rpcClass(code)
	}
	if len(class) > 48 || !classShape.MatchString(class) {
		return "other"
	}
	return class
}

func rpcClass(code string) string {
	n, err := strconv.Atoi(code)
	if err != nil || n < -32768 || n > -32000 {
		return "rpc.other"
	}
	return "rpc." + strconv.Itoa(n)
}

func appendFailureMetrics(b *build, st *probe.ServerState) {
	switch st.Last.Status {
	case probe.StatusAuthError, probe.StatusUnhealthy, probe.StatusDegraded:
		b.metric(descFailure, prometheus.GaugeValue, 1, st.Name, string(st.Last.Stage), failureClass(st.Last.Class))
	}
	if !st.Since.IsZero() {
		b.metric(descSince, prometheus.GaugeValue, unixSeconds(st.Since), st.Name)
	}
}
