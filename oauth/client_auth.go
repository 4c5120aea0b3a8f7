package oauth

import (
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// clientAuth is one client authentication method (RFC 6749 §2.3, RFC 7523). It is applied to
// the x/oauth2 config for each token request, so a method can mint per-request material:
// privateKeyJWT (private_key_jwt.go) signs a fresh assertion every time. cfg.EndpointParams is
// non-nil when configure is called. An error returned as *Error keeps its class; nothing has
// been sent yet.
//
// Every method sets AuthStyle explicitly: x/oauth2's AuthStyleAutoDetect would spend a failed
// request on the other style and report the second failure instead of the first.
type clientAuth interface {
	configure(cfg *clientcredentials.Config, cr Credentials) error
}

// authFor returns the implementation of m ("" meaning the default). now is the cache's clock,
// for the times in a client assertion.
func authFor(m Method, now func() time.Time) (clientAuth, *Error) {
	switch m {
	case "", ClientSecretBasic:
		return secretBasic{}, nil
	case ClientSecretPost:
		return secretPost{}, nil
	case PrivateKeyJWT:
		return privateKeyJWT{now: now}, nil
	}
	return nil, &Error{Class: "token.unsupported_method",
		Msg: "client authentication method " + oneLine(string(m), 64) + " is not supported"}
}

// secretBasic is client_secret_basic: HTTP Basic with id and secret form-urlencoded first
// (RFC 6749 §2.3.1), which x/oauth2 does.
type secretBasic struct{}

func (secretBasic) configure(cfg *clientcredentials.Config, cr Credentials) error {
	cfg.AuthStyle = oauth2.AuthStyleInHeader
	cfg.ClientSecret = cr.ClientSecret
	return nil
}

// secretPost is client_secret_post: client_id and client_secret in the form body.
type secretPost struct{}

func (secretPost) configure(cfg *clientcredentials.Config, cr Credentials) error {
	cfg.AuthStyle = oauth2.AuthStyleInParams
	cfg.ClientSecret = cr.ClientSecret
	return nil
}
