package authserver

import "time"

// FaultKind names a way the token endpoint misbehaves.
type FaultKind int

const (
	FaultNone          FaultKind = iota
	FaultStatus500               // 500 with a plain-text body and no RFC 6749 error code
	FaultBadJSON                 // 200 application/json whose body is not JSON
	FaultNoAccessToken           // 200 JSON without access_token
	FaultNoExpiresIn             // a real token, but the response omits expires_in
	FaultSlow                    // wait Delay (or until the client gives up), then answer normally
	FaultEchoSecret              // a real token, but the granted scope echoes the client secret it was sent
)

// Fault is injected into every following token request until replaced; the zero Fault is none.
//
// There is no "refused" fault: to make the endpoint refuse connections, close its listener
// (httptest.Server.Close, or Server.Close after Start) and keep using its URL.
type Fault struct {
	Kind  FaultKind
	Delay time.Duration // for FaultSlow
}

// SetFault replaces the current fault.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

func (s *Server) currentFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault
}

func (k FaultKind) String() string {
	switch k {
	case FaultNone:
		return "none"
	case FaultStatus500:
		return "status_500"
	case FaultBadJSON:
		return "bad_json"
	case FaultNoAccessToken:
		return "no_access_token"
	case FaultNoExpiresIn:
		return "no_expires_in"
	case FaultSlow:
		return "slow"
	case FaultEchoSecret:
		return "echo_secret"
	}
	return "unknown"
}
