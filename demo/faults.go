package demo

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault injectors: each wraps a real MCP server and breaks it the way real
// servers break, so the probe meets the fault on the wire.

// slowly delays every request by d. The wait ends early when the client gives
// up or the fleet closes (both cancel the request's context).
func slowly(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		next.ServeHTTP(w, r)
	})
}

// flapper alternates between passing requests through (for up) and answering
// 503 (for down), by the clock rather than by request count: a check makes
// several requests, and counting them would split checks down the middle.
type flapper struct {
	up, down time.Duration
	start    time.Time
	now      func() time.Time
	next     http.Handler
}

func newFlapper(up, down time.Duration, now func() time.Time, next http.Handler) *flapper {
	return &flapper{up: up, down: down, start: now(), now: now, next: next}
}

// downFor reports how much longer the server stays down; 0 while it is up.
func (fl *flapper) downFor() time.Duration {
	into := fl.now().Sub(fl.start) % (fl.up + fl.down)
	if into < fl.up {
		return 0
	}
	return fl.up + fl.down - into
}

func (fl *flapper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	left := fl.downFor()
	if left == 0 {
		fl.next.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(left.Seconds()))))
	http.Error(w, "upstream unavailable: the CI backend is restarting", http.StatusServiceUnavailable)
}

// legacyEra makes a server of the 2025 era whose ping was never implemented:
// server/discover and ping both answer JSON-RPC -32601, so a client must fall
// back to initialize, and a health check must prove liveness another way.
func legacyEra(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		// A batch or a notification fails to match and passes through.
		if json.Unmarshal(body, &msg) != nil || len(msg.ID) == 0 ||
			(msg.Method != "server/discover" && msg.Method != "ping") {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"jsonrpc": "2.0",
			"id":      msg.ID,
			"error":   map[string]any{"code": -32601, "message": "Method not found: " + msg.Method},
		})
	})
}

// requireBearer lets through only requests bearing token, and challenges the
// rest as RFC 6750 §3 says (no resource_metadata: a static token cannot be
// discovered).
func requireBearer(token, realm string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if strings.EqualFold(scheme, "Bearer") &&
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1 {
			next.ServeHTTP(w, r)
			return
		}
		challenge := `Bearer realm="` + realm + `"`
		if strings.EqualFold(scheme, "Bearer") {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
		http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
	})
}
