package authserver

import (
	"crypto/rand"
	"slices"
	"time"
)

// TokenInfo is what the server knows about an access token it issued (RFC 7662 in spirit).
type TokenInfo struct {
	ClientID string
	Scopes   []string
	Resource string // RFC 8707 resource the token was requested for, "" if none
	Audience string // vendor `audience` parameter, "" if none
	Expiry   time.Time
}

type record struct {
	info TokenInfo
}

// pruneEvery bounds the token map: expired tokens are dropped once this many are stored, so a
// long-running demo fleet does not grow without limit.
const pruneEvery = 1024

// issue stores a new random opaque token. Callers hold no lock.
func (s *Server) issue(info TokenInfo) string {
	// 128 bits from crypto/rand: unguessable, so a probe can only pass with a token we issued.
	token := "at_" + rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.tokens) >= pruneEvery {
		now := s.now()
		for t, r := range s.tokens {
			if !now.Before(r.info.Expiry) {
				delete(s.tokens, t)
			}
		}
	}
	s.tokens[token] = record{info: info}
	return token
}

// Introspect reports what the token was issued for; false if it is unknown, expired or revoked.
func (s *Server) Introspect(token string) (TokenInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.tokens[token]
	if !ok || !s.now().Before(r.info.Expiry) {
		return TokenInfo{}, false
	}
	info := r.info
	info.Scopes = slices.Clone(info.Scopes)
	return info, true
}

// Revoke makes one token invalid at once (a resource server will then answer 401).
func (s *Server) Revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

// RevokeAll makes every issued token invalid.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}
