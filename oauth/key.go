package oauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// keySalt makes secret digests in cache keys useless outside this process: a plain SHA-256 of
// a short secret can be brute-forced if a key is ever shown or logged.
var keySalt = func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return b
}()

// Key identifies equivalent credentials: same token URL, client, method, scopes (order and
// duplicates ignored), audience, resource, secret and TLS settings, and for private_key_jwt the key file and
// the assertion audience. Servers with equal keys share one token. The secret appears only as a
// salted SHA-256, so two secrets never share a token and the key reveals nothing about either.
//
// Every TokenCache call needs it (a pool snapshot asks once per server), and it costs an HMAC
// and a dozen allocations; credentials made by Keyed carry it, and it is reused for as long as
// every field it is made of is unchanged.
func (c Credentials) Key() string {
	if m := c.key; m != nil && m.in.sameKeyAs(c) {
		return m.key
	}
	return c.makeKey()
}

// Keyed returns c carrying its Key, so that later calls with the same credentials skip the
// HMAC. The secret is not copied: the memo compares with the string c already holds.
func (c Credentials) Keyed() Credentials {
	c.key = nil
	in := c
	in.Scopes = slices.Clone(c.Scopes) // the caller may reuse its slice
	in.SigningAlgs = nil
	c.key = &keyMemo{in: in, key: c.makeKey()}
	return c
}

// KeyedAs is Keyed reusing prev's Key when prev was keyed from credentials equal in every
// field the Key is made of (a fleet behind one token endpoint has the same credentials on every
// server: one HMAC for all). reused says whether it did.
func (c Credentials) KeyedAs(prev Credentials) (keyed Credentials, reused bool) {
	if m := prev.key; m != nil && m.in.sameKeyAs(c) {
		c.key = m
		return c, true
	}
	return c.Keyed(), false
}

// keyMemo is a Key and the credentials it was made from (never printed: Credentials print
// through redacted, which leaves it out).
type keyMemo struct {
	in  Credentials
	key string
}

// sameKeyAs reports whether every field Key reads is equal in c and o.
func (c Credentials) sameKeyAs(o Credentials) bool {
	return c.TokenURL == o.TokenURL && c.ClientID == o.ClientID && c.ClientSecret == o.ClientSecret &&
		c.Method == o.Method && slices.Equal(c.Scopes, o.Scopes) && c.Audience == o.Audience &&
		c.Resource == o.Resource && c.PrivateKeyFile == o.PrivateKeyFile &&
		c.AssertionAudience == o.AssertionAudience && c.Issuer == o.Issuer && c.TLS == o.TLS
}

func (c Credentials) makeKey() string {
	scopes := slices.Clone(c.Scopes)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	mac := hmac.New(sha256.New, keySalt)
	mac.Write([]byte(c.ClientSecret))
	parts := []string{
		strconv.Quote(c.TokenURL),
		strconv.Quote(c.ClientID),
		string(c.effectiveMethod()),
		strconv.Quote(strings.Join(scopes, " ")),
		strconv.Quote(c.Audience),
		strconv.Quote(c.Resource),
		hex.EncodeToString(mac.Sum(nil)[:16]),
	}
	if k := c.TLS.Key(); k != "" {
		// A client certificate is a client credential; another CA another trust.
		parts = append(parts, k)
	}
	if c.effectiveMethod() == PrivateKeyJWT {
		// Another key, or an assertion naming another audience, is another client credential.
		parts = append(parts, strconv.Quote(c.PrivateKeyFile), strconv.Quote(c.assertionAudience()))
	}
	return strings.Join(parts, " ")
}
