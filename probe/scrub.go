package probe

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

const redacted = "[redacted]"

// scrubResult is the one choke point for secrets: every string in res that a
// peer or a library could have supplied (errors, server info, scopes, token
// endpoint, challenge text, stderr) is cleaned of every secret the check
// used, in each form a peer may echo it in (forms, from secretForms), before
// the result leaves probe. Peers echo what they receive: a bearer value into
// serverInfo.name, a client secret into the granted scope.
func scrubResult(res *Result, forms []string) {
	for _, s := range []*string{&res.Message, &res.Detail, &res.ServerName, &res.ServerVersion} {
		*s = scrub(*s, forms)
	}
	res.Capabilities = scrubAll(res.Capabilities, forms) // experimental.* names are the peer's
	res.TLS = scrubCert(res.TLS, forms)
	if res.Token != nil {
		t := *res.Token // the cache may share slices with other results: copy before writing
		scrubToken(&t, forms)
		res.Token = &t
	}
	scrubInventory(res.Inventory, forms)
}

// scrubToken cleans what a token endpoint or its metadata supplied.
func scrubToken(t *TokenInfo, forms []string) {
	t.LastError = scrub(t.LastError, forms)
	t.TokenURL = scrub(t.TokenURL, forms)
	t.Scopes = scrubAll(t.Scopes, forms)
	t.RequestedScopes = scrubAll(t.RequestedScopes, forms)
	t.TLS = scrubCert(t.TLS, forms)
}

// scrubCert cleans a certificate's peer-chosen names (a copy: it may be shared).
func scrubCert(c *CertInfo, forms []string) *CertInfo {
	if c == nil {
		return nil
	}
	cc := *c
	for _, s := range []*string{&cc.Subject, &cc.Issuer, &cc.ExpiresFirst, &cc.Name} {
		*s = scrub(*s, forms)
	}
	return &cc
}

func scrubAll(ss []string, forms []string) []string {
	out := ss
	for i, s := range ss {
		if c := scrub(s, forms); c != s {
			if &out[0] == &ss[0] {
				out = slices.Clone(ss)
			}
			out[i] = c
		}
	}
	return out
}

// secretForms lists each secret as sent and as a peer may echo it back:
// URL-encoded (form bodies, query strings) and base64 (a Basic credential
// carries user:secret, so the pair's own encoding is added where it is made,
// see prepare). Short values are left alone: scrubbing "ab" would garble
// every message while hiding nothing.
func secretForms(secrets []string) []string {
	if len(secrets) == 0 {
		return nil
	}
	key := strings.Join(secrets, "\x00")
	formsMemo.Lock()
	defer formsMemo.Unlock()
	if f, ok := formsMemo.m[key]; ok {
		return f
	}
	if formsMemo.m == nil || len(formsMemo.m) >= maxFormsMemo {
		formsMemo.m = map[string][]string{} // secrets rotate: never keep old ones long
	}
	f := makeSecretForms(secrets)
	formsMemo.m[key] = f
	return f
}

// formsMemo shares one forms slice (never modified) between the checks and
// servers with the same secrets: a fleet behind one token endpoint has the
// same client secret and token everywhere. Its memory holds secrets the
// pool holds anyway, and at most maxFormsMemo sets.
var formsMemo struct {
	sync.Mutex
	m map[string][]string
}

const maxFormsMemo = 64

func makeSecretForms(secrets []string) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 4 && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range secrets {
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		add(base64.StdEncoding.EncodeToString([]byte(s)))
		add(base64.RawURLEncoding.EncodeToString([]byte(s)))
	}
	// Longest first: a secret that contains another is replaced whole.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// basicCredential is the Basic form of user and secret as x/oauth2 and
// net/http send it (RFC 6749 §2.3.1 URL-encodes both for client_secret_basic).
func basicCredential(user, secret string, urlEncoded bool) string {
	if urlEncoded {
		user, secret = url.QueryEscape(user), url.QueryEscape(secret)
	}
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))
}

// clientBasicForms are the Basic forms of a client id and secret, URL
// encoded and not, as a client_secret_basic token request may send them:
// the last pair's, kept, since a fleet behind one token endpoint has one
// (two encodings a check saved). Never modified.
func clientBasicForms(clientID, secret string) []string {
	if f := lastClientForms.Load(); f != nil && f.id == clientID && f.secret == secret {
		return f.forms[:]
	}
	f := &clientForms{id: clientID, secret: secret,
		forms: [2]string{basicCredential(clientID, secret, true), basicCredential(clientID, secret, false)}}
	lastClientForms.Store(f)
	return f.forms[:]
}

type clientForms struct {
	id, secret string
	forms      [2]string
}

var lastClientForms atomic.Pointer[clientForms]

func scrub(s string, forms []string) string {
	for _, sec := range forms {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}
