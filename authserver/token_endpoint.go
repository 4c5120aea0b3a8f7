package authserver

import (
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// TokenRequest is what arrived at the token endpoint, kept so tests can assert on the wire
// format a client really used. It never holds the client secret or a client assertion.
type TokenRequest struct {
	AuthMethod     string // client_secret_basic, client_secret_post, private_key_jwt, none, or "" if the request was refused before
	ClientID       string
	BasicHeader    bool           // an Authorization: Basic header was present
	ClientIDInBody bool           // a client_id form parameter was present
	SecretInBody   bool           // a client_secret form parameter was present
	AssertionType  string         // client_assertion_type, "" if absent
	Assertion      *AssertionInfo // the client_assertion decoded (not verified, not kept); nil if absent or not a JWT
	GrantType      string
	Scopes         []string
	Resources      []string // RFC 8707 allows several
	Audience       string
	Result         string // "ok", an RFC 6749 error code, or "fault:<kind>"
}

// keepReceived bounds the request log.
const keepReceived = 256

// Received returns the most recent token requests, oldest first.
func (s *Server) Received() []TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
}

func (s *Server) record(tr TokenRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.received) >= keepReceived {
		s.received = slices.Delete(s.received, 0, 1)
	}
	s.received = append(s.received, tr)
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in,omitempty"`
	Scope       string `json:"scope,omitempty"`
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	tr := TokenRequest{}
	defer func() { s.record(tr) }()

	// Parse (and so fully read the body) before a slow fault waits: net/http only notices a
	// client that gave up, and cancels r.Context(), once the body has been consumed.
	terr := s.parseTokenRequest(r, &tr)
	fault := s.currentFault()
	if fault.Kind == FaultSlow && !s.wait(r, fault.Delay) {
		tr.Result = "fault:slow (client gave up)"
		return
	}
	if terr == nil && s.injectFault(w, fault.Kind) {
		tr.Result = "fault:" + fault.Kind.String()
		return
	}
	if terr == nil {
		var method string
		tr.ClientID, method, terr = s.authenticate(r, r.PostForm)
		tr.AuthMethod = method
	}
	if terr == nil {
		terr = checkGrant(tr.GrantType)
	}
	var granted []string
	if terr == nil {
		granted, terr = s.grantScopes(tr.Scopes)
	}
	if terr != nil {
		tr.Result = terr.code
		terr.write(w)
		return
	}

	lifetime := s.lifetime
	info := TokenInfo{ClientID: tr.ClientID, Scopes: granted, Audience: tr.Audience, Expiry: s.now().Add(lifetime)}
	if len(tr.Resources) > 0 {
		info.Resource = tr.Resources[0]
	}
	resp := tokenResponse{
		AccessToken: s.issue(info),
		TokenType:   "Bearer",
		ExpiresIn:   int64(lifetime / time.Second),
		Scope:       strings.Join(granted, " "),
	}
	if fault.Kind == FaultNoExpiresIn {
		resp.ExpiresIn = 0 // omitted from the JSON; the token still expires server-side
	}
	if fault.Kind == FaultEchoSecret {
		_, secret, _, _ := basicCredentials(r)
		if secret == "" {
			secret = r.PostForm.Get("client_secret")
		}
		resp.Scope += " " + secret
	}
	tr.Result = "ok"
	writeJSON(w, http.StatusOK, resp)
}

// parseTokenRequest enforces the request format of RFC 6749 §3.2 and fills tr from it.
func (s *Server) parseTokenRequest(r *http.Request, tr *TokenRequest) *tokenError {
	_, _, tr.BasicHeader, _ = basicCredentials(r)
	if r.Method != http.MethodPost {
		return &tokenError{status: http.StatusMethodNotAllowed, code: errInvalidRequest,
			description: "the token endpoint accepts POST only"}
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return &tokenError{status: 400, code: errInvalidRequest,
			description: "body must be application/x-www-form-urlencoded"}
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return &tokenError{status: 400, code: errInvalidRequest, description: "malformed form body"}
	}
	form := r.PostForm
	for name, values := range form {
		// §3.2: parameters MUST NOT repeat; RFC 8707 makes `resource` the exception.
		if len(values) > 1 && name != "resource" {
			return &tokenError{status: 400, code: errInvalidRequest, description: "parameter " + name + " repeated"}
		}
	}
	_, tr.ClientIDInBody = form["client_id"]
	_, tr.SecretInBody = form["client_secret"]
	tr.AssertionType = form.Get("client_assertion_type")
	if a := form.Get("client_assertion"); a != "" {
		tr.Assertion = describeAssertion(a)
	}
	tr.GrantType = form.Get("grant_type")
	tr.Scopes = strings.Fields(form.Get("scope"))
	tr.Resources = slices.Clone(form["resource"])
	tr.Audience = form.Get("audience")
	if tr.GrantType == "" {
		return &tokenError{status: 400, code: errInvalidRequest, description: "grant_type is missing"}
	}
	return nil
}

func checkGrant(grantType string) *tokenError {
	if grantType != "client_credentials" {
		return &tokenError{status: 400, code: errUnsupportedGrantType,
			description: "only client_credentials is supported"}
	}
	return nil
}

// grantScopes grants exactly what was asked, or every known scope when nothing was asked
// (RFC 6749 §3.3 lets the server apply a default).
func (s *Server) grantScopes(requested []string) ([]string, *tokenError) {
	if len(requested) == 0 {
		return slices.Clone(s.scopes), nil
	}
	if s.scopes != nil {
		for _, sc := range requested {
			if !slices.Contains(s.scopes, sc) {
				return nil, &tokenError{status: 400, code: errInvalidScope, description: "unknown scope " + sc}
			}
		}
	}
	return slices.Clone(requested), nil
}

// wait sleeps for a slow fault; false if the client went away or the server closed first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closed:
		return false
	}
}

// injectFault writes a broken response for the faults that replace the answer entirely.
func (s *Server) injectFault(w http.ResponseWriter, k FaultKind) bool {
	switch k {
	case FaultStatus500:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("internal server error\n"))
	case FaultBadJSON:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`{"access_token": "at_trunc`))
	case FaultNoAccessToken:
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600})
	default:
		return false
	}
	return true
}
