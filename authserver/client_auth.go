package authserver

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// authenticate identifies the client per RFC 6749 §2.3. It returns the client_id and the method
// the request used. A request using more than one method is refused (§2.3: "MUST NOT use more
// than one authentication method in each request").
func (s *Server) authenticate(r *http.Request, form url.Values) (clientID, method string, terr *tokenError) {
	basicID, basicSecret, hasBasic, basicOK := basicCredentials(r)
	_, hasPostSecret := form["client_secret"]
	_, hasAssertion := form["client_assertion"]
	_, hasAssertionType := form["client_assertion_type"]
	jwtUsed := hasAssertion || hasAssertionType
	switch {
	case jwtUsed && (hasBasic || hasPostSecret):
		return "", "", &tokenError{status: 400, code: errInvalidRequest,
			description: "more than one client authentication method", basicUsed: hasBasic}
	case jwtUsed:
		id, terr := s.authenticateAssertion(r, form)
		return id, MethodPrivateKeyJWT, terr
	case hasBasic && hasPostSecret:
		return "", "", &tokenError{status: 400, code: errInvalidRequest,
			description: "more than one client authentication method", basicUsed: true}
	case hasBasic && !basicOK:
		return basicID, MethodBasic, &tokenError{status: 401, code: errInvalidClient, basicUsed: true,
			description: "Authorization header credentials are not form-urlencoded (RFC 6749 section 2.3.1)"}
	case hasBasic:
		if id := form.Get("client_id"); id != "" && id != basicID {
			return "", MethodBasic, &tokenError{status: 400, code: errInvalidRequest,
				description: "client_id parameter does not match the Authorization header"}
		}
		return basicID, MethodBasic, s.checkSecret(basicID, basicSecret, MethodBasic)
	case hasPostSecret:
		id := form.Get("client_id")
		return id, MethodPost, s.checkSecret(id, form.Get("client_secret"), MethodPost)
	}
	return form.Get("client_id"), "none", &tokenError{status: 401, code: errInvalidClient,
		description: "no client authentication included"}
}

// basicCredentials decodes RFC 6749 §2.3.1 HTTP Basic: the id and secret are each
// form-urlencoded before base64, so "a+b" means "a b" and "%3A" a colon.
// present reports a Basic header; valid reports that its parts decoded.
func basicCredentials(r *http.Request) (id, secret string, present, valid bool) {
	rawID, rawSecret, ok := r.BasicAuth()
	if !ok {
		// A malformed Basic header is still an attempt at Basic, which gets a Basic challenge.
		auth := r.Header.Get("Authorization")
		return "", "", len(auth) >= 6 && strings.EqualFold(auth[:6], "basic "), false
	}
	id, err1 := url.QueryUnescape(rawID)
	secret, err2 := url.QueryUnescape(rawSecret)
	if err1 != nil || err2 != nil {
		return rawID, "", true, false
	}
	return id, secret, true, true
}

func (s *Server) checkSecret(clientID, secret, method string) *tokenError {
	basic := method == MethodBasic
	if !slices.Contains(s.methods, method) {
		return &tokenError{status: 401, code: errInvalidClient, basicUsed: basic,
			description: "client authentication method " + method + " is not allowed"}
	}
	s.mu.Lock()
	want, known := s.clients[clientID]
	s.mu.Unlock()
	// Compare even for unknown clients so timing does not reveal which client ids exist.
	match := subtle.ConstantTimeCompare([]byte(secret), []byte(want)) == 1
	if !known || !match {
		return &tokenError{status: 401, code: errInvalidClient, basicUsed: basic,
			description: "client authentication failed"}
	}
	return nil
}
