package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpwatch/mcpwatch/oauth"
	"github.com/mcpwatch/mcpwatch/textsafe"
	"github.com/mcpwatch/mcpwatch/tlsverify"
)

// verdict is a failure named for people and machines.
type verdict struct {
	Status  Status
	Stage   Stage
	Class   string
	Message string
	// Challenge is the WWW-Authenticate of the 401 behind an http.401 verdict, for the
	// message the check then writes (it knows what credentials were sent).
	Challenge string
}

// classify names a failure of the connect, handshake or liveness stage.
// The HTTP exchange the recorder saw is trusted over mcp-go's error value,
// because mcp-go maps several distinct statuses onto one sentinel.
func classify(stage Stage, err error, last exchange, everConnected bool, timeout time.Duration) verdict {
	if !everConnected {
		stage = StageConnect
	}
	v := verdict{Status: StatusUnhealthy, Stage: stage}
	switch {
	case errors.Is(err, transport.ErrSessionTerminated):
		v.Class, v.Message = "session.terminated", "server ended the session (404 on an established session)"
		return v
	case last.Status == 401 || last.Unauthorized != nil:
		if last.Status != 401 {
			last = *last.Unauthorized
		}
		v.Status, v.Class, v.Challenge = StatusAuthError, "http.401", last.WWWAuth
		v.Message = "server rejected the credentials (HTTP 401" + challengeReason(last.WWWAuth, ": ") + ")" + serverWants(last.WWWAuth)
		return v
	case last.Status == 403:
		v.Status, v.Class = StatusAuthError, "http.403"
		v.Message = "server refused access (HTTP 403" + challengeReason(last.WWWAuth, " ") + ")"
		if ch := oauth.ParseBearerChallenge([]string{last.WWWAuth}); ch.Error == "insufficient_scope" {
			v.Message = "token lacks a required scope (HTTP 403 " + ch.Reason() + ")"
		}
		v.Message += serverWants(last.WWWAuth)
		return v
	case last.Status == 404:
		v.Class, v.Message = "http.404", "no MCP endpoint at this URL (HTTP 404)"
		return v
	case last.Status >= 400:
		v.Class = fmt.Sprintf("http.%d", last.Status)
		v.Message = fmt.Sprintf("server answered HTTP %d", last.Status)
		return v
	case last.Status >= 200 && last.Status < 300 && last.ContentType != "" &&
		last.ContentType != "application/json" && last.ContentType != "text/event-stream":
		v.Class = "protocol.not_mcp"
		v.Message = fmt.Sprintf("answered with %s, not MCP (JSON or event stream)", last.ContentType)
		return v
	}
	if isTimeout(err) {
		v.Class = "timeout." + string(stage)
		v.Message = fmt.Sprintf("no answer within %s", timeout)
		if stage == StageConnect {
			v.Message = fmt.Sprintf("could not connect within %s", timeout)
		}
		return v
	}
	if c, m, ok := netClass(err); ok {
		v.Stage, v.Class, v.Message = StageConnect, c, m
		if c == "connect.reset" && everConnected {
			v.Stage = stage
		}
		return v
	}
	if code, ok := rpcCode(err); ok {
		v.Class = fmt.Sprintf("rpc.%d", code)
		v.Message = fmt.Sprintf("JSON-RPC error %d on %s: %s", code, stage, firstLine(rootMessage(err)))
		return v
	}
	var unsupported mcp.UnsupportedProtocolVersionError
	if errors.As(err, &unsupported) {
		v.Class = "protocol.version"
		v.Message = fmt.Sprintf("server speaks no protocol version we know (%q)", unsupported.Version)
		return v
	}
	if strings.Contains(err.Error(), "unmarshal") || strings.Contains(err.Error(), "invalid character") {
		v.Class, v.Message = "protocol.bad_json", "server sent a reply that is not valid MCP JSON"
		return v
	}
	v.Class = string(stage) + ".failed"
	v.Message = firstLine(rootMessage(err))
	return v
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// netClass names transport-level failures: the server was never really reached.
func netClass(err error) (class, msg string, ok bool) {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	var refused *tlsverify.CertError
	var opErr *net.OpError
	switch {
	case errors.As(err, &refused):
		msg := "TLS " + refused.Msg
		if refused.UnknownAuthority() {
			msg += "; set tls.ca_file to the CA that signed it"
		}
		return "connect.tls", msg, true
	case errors.As(err, &opErr) && opErr.Op == "remote error": // crypto/tls: the server sent an alert
		return "connect.tls", remoteTLSAlert(opErr.Err.Error()), true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connect.refused", "connection refused: nothing listens there", true
	case errors.As(err, &dnsErr):
		return "connect.dns", "host name does not resolve: " + dnsErr.Name, true
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return "connect.tls", "TLS certificate not trusted: " + firstLine(rootMessage(err)), true
	case errors.As(err, &recordErr):
		return "connect.tls", "TLS handshake failed: server does not speak TLS there", true
	case errors.As(err, &alert):
		return "connect.tls", "TLS handshake failed: " + alert.Error(), true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connect.reset", "connection closed by the server before it answered", true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "connect.unreachable", "host unreachable", true
	}
	return "", "", false
}

// rpcCode recovers the JSON-RPC error code from mcp-go's sentinel errors.
func rpcCode(err error) (int, bool) {
	for sentinel, code := range map[error]int{
		mcp.ErrParseError:         mcp.PARSE_ERROR,
		mcp.ErrInvalidRequest:     mcp.INVALID_REQUEST,
		mcp.ErrMethodNotFound:     mcp.METHOD_NOT_FOUND,
		mcp.ErrInvalidParams:      mcp.INVALID_PARAMS,
		mcp.ErrInternalError:      mcp.INTERNAL_ERROR,
		mcp.ErrRequestInterrupted: mcp.REQUEST_INTERRUPTED,
		mcp.ErrResourceNotFound:   mcp.RESOURCE_NOT_FOUND,
	} {
		if errors.Is(err, sentinel) {
			return code, true
		}
	}
	return 0, false
}

// unsupportedMethod reports a JSON-RPC answer that means "I don't do that":
// many servers answer ping with -32601 or, wrongly, -32603.
func unsupportedMethod(err error) bool {
	return errors.Is(err, mcp.ErrMethodNotFound) || errors.Is(err, mcp.ErrInternalError)
}

// rootMessage drops mcp-go's "transport error: " wrapping noise.
func rootMessage(err error) string {
	s := err.Error()
	for _, p := range []string{"transport error: ", "failed to send request: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}

// firstLine is s's first line through the one sanitizer (textsafe.Line), at most 200 bytes.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return textsafe.Line(s, 200)
}

// challengeReason is the RFC 6750 error and error_description of a challenge, sanitized
// (oauth.ParseBearerChallenge), after sep; "" when it names neither.
func challengeReason(wwwAuth, sep string) string {
	if r := oauth.ParseBearerChallenge([]string{wwwAuth}).Reason(); r != "" {
		return sep + r
	}
	return ""
}

// serverWants names the scopes an insufficient_scope challenge asks for.
func serverWants(wwwAuth string) string {
	ch := oauth.ParseBearerChallenge([]string{wwwAuth})
	if ch.Error != "insufficient_scope" || len(ch.Scope) == 0 {
		return ""
	}
	return "; server wants: " + strings.Join(ch.Scope, " ")
}
