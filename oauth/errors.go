package oauth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/mcpwatch/mcpwatch/textsafe"
)

// Error is every token and discovery failure. Class is short and stable (for status lines and
// metrics); Msg is one line for people. Neither, nor Error(), ever holds the client secret or an
// access token: messages are built from known parts and scrubbed of both on the way out.
type Error struct {
	Class       string // token.invalid_client, token.http_500, token.timeout, discovery.resource_mismatch, …
	Status      int    // HTTP status, 0 when no response arrived
	Code        string // RFC 6749 §5.2 `error`
	Description string // RFC 6749 §5.2 `error_description`
	Msg         string // e.g. "token endpoint refused: invalid_client (client authentication failed), HTTP 401"
	Err         error  // the underlying cause, for errors.Is/As; never a response body
}

// Error returns Msg, which is safe to show.
func (e *Error) Error() string { return e.Msg }

// Unwrap exposes the cause, so errors.Is(err, context.DeadlineExceeded) keeps working.
func (e *Error) Unwrap() error { return e.Err }

// GoString keeps %#v from printing Err's internals.
func (e Error) GoString() string {
	return fmt.Sprintf("&oauth.Error{Class:%q, Status:%d, Code:%q, Description:%q, Msg:%q}",
		e.Class, e.Status, e.Code, e.Description, e.Msg)
}

// Format prints Msg for every verb except %#v.
func (e Error) Format(f fmt.State, verb rune) {
	s := e.Msg
	if verb == 'v' && f.Flag('#') {
		s = e.GoString()
	}
	_, _ = f.Write([]byte(s))
}

// MarshalJSON encodes the displayable fields only.
func (e Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Class       string `json:"class"`
		Status      int    `json:"status,omitempty"`
		Code        string `json:"error,omitempty"`
		Description string `json:"error_description,omitempty"`
		Msg         string `json:"message"`
	}{e.Class, e.Status, e.Code, e.Description, e.Msg})
}

// scrub removes every occurrence of the given strings from the displayable fields. Defence in
// depth: a token endpoint that echoes the secret in error_description must not get it onto the
// screen. Callers pass every form a secret travels in (see secretForms).
func (e *Error) scrub(secrets ...string) *Error {
	var pairs []string
	for _, s := range secrets {
		if s != "" {
			pairs = append(pairs, s, redacted)
		}
	}
	if len(pairs) == 0 {
		return e
	}
	r := strings.NewReplacer(pairs...)
	e.Msg = r.Replace(e.Msg)
	e.Code = r.Replace(e.Code)
	e.Description = r.Replace(e.Description)
	return e
}

// secretForms is the client secret as it travels: raw, form-urlencoded (client_secret_post and
// inside Basic), and the whole Basic credential as base64 (RFC 6749 §2.3.1).
func secretForms(cr Credentials) []string {
	if cr.ClientSecret == "" {
		return nil
	}
	basic := url.QueryEscape(cr.ClientID) + ":" + url.QueryEscape(cr.ClientSecret)
	return []string{
		cr.ClientSecret,
		url.QueryEscape(cr.ClientSecret),
		base64.StdEncoding.EncodeToString([]byte(basic)),
	}
}

// oneLine is the sanitizer for server-supplied text on its way into a message: it cannot break
// a status line, fake extra lines or steer a terminal. It is textsafe.Line: controls, whole
// escape sequences (7- and 8-bit), bidi controls and invalid UTF-8 are removed, runs of space
// collapse, and the result is cut to at most max bytes on a rune boundary, marked with "…".
func oneLine(s string, max int) string { return textsafe.Line(s, max) }
