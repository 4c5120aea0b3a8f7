package oauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// knownCodes are the RFC 6749 §5.2 (and RFC 8707 invalid_target) codes that become their own
// class. Anything else a server invents becomes token.http_<status>, so a server cannot create
// unbounded metric label values.
var knownCodes = map[string]bool{
	"invalid_request": true, "invalid_client": true, "invalid_grant": true, "unauthorized_client": true,
	"unsupported_grant_type": true, "invalid_scope": true, "invalid_target": true,
	"access_denied": true, "server_error": true, "temporarily_unavailable": true,
}

// classifyToken turns whatever x/oauth2 or the transport returned into an *Error. fctx is the
// context the request ran under: when it ended, that (not the transport's wording) decides.
func classifyToken(fctx context.Context, err error, tokenURL string) *Error {
	host := hostOf(tokenURL)
	var re *oauth2.RetrieveError
	switch {
	case fctx.Err() != nil:
		return ctxError("token", "token endpoint "+host, context.Cause(fctx))
	case errors.As(err, &re):
		return retrieveError(re)
	case strings.Contains(err.Error(), "server response missing access_token"):
		return &Error{Class: "token.no_access_token", Msg: "token endpoint answered without an access_token", Err: err}
	case strings.HasPrefix(err.Error(), "oauth2: cannot parse"):
		// x/oauth2's wording for a 2xx body that is not JSON (or not a form, for text/plain).
		return &Error{Class: "token.bad_json", Msg: "token endpoint answered with a body that is not valid JSON", Err: err}
	}
	if e := transportError("token", "token endpoint "+host, err); e != nil {
		return e
	}
	// Like every other message, name the host only: a token URL's path or
	// query is no business of a status line (and a query may carry a key).
	msg := strings.ReplaceAll(err.Error(), tokenURL, host)
	return &Error{Class: "token.error", Msg: "token request failed: " + oneLine(msg, 200), Err: err}
}

// retrieveError reads a non-2xx answer, or a 2xx one carrying an RFC 6749 error code. The body
// is deliberately dropped: it may echo anything.
func retrieveError(re *oauth2.RetrieveError) *Error {
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	e := &Error{Status: status, Code: oneLine(re.ErrorCode, 64), Description: oneLine(re.ErrorDescription, 200),
		Err: fmt.Errorf("token endpoint answered HTTP %d", status)}
	e.Class = fmt.Sprintf("token.http_%d", status)
	if knownCodes[re.ErrorCode] {
		e.Class = "token." + re.ErrorCode
	}
	switch {
	case e.Code != "" && e.Description != "":
		e.Msg = fmt.Sprintf("token endpoint refused: %s (%s), HTTP %d", e.Code, e.Description, status)
	case e.Code != "":
		e.Msg = fmt.Sprintf("token endpoint refused: %s, HTTP %d", e.Code, status)
	case status >= 300 && status < 400:
		e.Msg = fmt.Sprintf("token endpoint answered HTTP %d (redirects are not followed)", status)
	default:
		e.Msg = fmt.Sprintf("token endpoint answered HTTP %d %s", status, http.StatusText(status))
	}
	return e
}

// ctxError classifies a request cut short by its context: deadline → <stage>.timeout,
// cancellation → <stage>.canceled.
func ctxError(stage, what string, cause error) *Error {
	if errors.Is(cause, context.DeadlineExceeded) {
		return &Error{Class: stage + ".timeout", Msg: what + " did not answer before the deadline", Err: cause}
	}
	return &Error{Class: stage + ".canceled", Msg: what + ": request canceled", Err: cause}
}

// transportError classifies failures below HTTP; nil if err is none of them.
func transportError(stage, what string, err error) *Error {
	var (
		dnsErr  *net.DNSError
		opErr   *net.OpError
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		unkAuth x509.UnknownAuthorityError
		hostErr x509.HostnameError
		recErr  tls.RecordHeaderError
	)
	if ce := certError(stage, what, err); ce != nil {
		return ce // tls.go: a certificate refused, with its dates
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return &Error{Class: stage + ".timeout", Msg: what + " did not answer before the deadline", Err: err}
	case errors.As(err, &dnsErr):
		return &Error{Class: stage + ".unreachable", Msg: what + ": host not found", Err: err}
	case errors.As(err, &certErr) || errors.As(err, &unkAuth) || errors.As(err, &hostErr) || errors.As(err, &recErr):
		return &Error{Class: stage + ".tls", Msg: what + ": TLS failed: " + oneLine(tlsReason(err), 160), Err: err}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return &Error{Class: stage + ".unreachable", Msg: what + ": " + oneLine(opErr.Err.Error(), 120), Err: err}
	case errors.As(err, &opErr) || errors.As(err, &netErr):
		return &Error{Class: stage + ".network", Msg: what + ": connection failed: " + oneLine(innermost(err).Error(), 120), Err: err}
	}
	return nil
}

func tlsReason(err error) string {
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) && certErr.Err != nil {
		return certErr.Err.Error()
	}
	return innermost(err).Error()
}

func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
