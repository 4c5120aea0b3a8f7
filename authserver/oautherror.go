package authserver

import (
	"encoding/json"
	"net/http"
)

// RFC 6749 §5.2 error codes this server answers with.
const (
	errInvalidRequest       = "invalid_request"
	errInvalidClient        = "invalid_client"
	errUnsupportedGrantType = "unsupported_grant_type"
	errInvalidScope         = "invalid_scope"
)

// tokenError is an RFC 6749 §5.2 error response.
type tokenError struct {
	status      int
	code        string
	description string
	basicUsed   bool // invalid_client after HTTP Basic must carry a Basic challenge (§5.2)
}

func (e *tokenError) write(w http.ResponseWriter) {
	if e.basicUsed && e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="token", charset="UTF-8"`)
	}
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.description})
}

// writeJSON writes v with the headers RFC 6749 §5.1 requires on token responses: nothing here
// may be cached, since it carries tokens or says why none was given.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
