package oauth

import (
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// clientAuth is one client authentication method (RFC 6749 §2.3, RFC 7523). It is applied to
// the x/oauth2 config for each token request, so a method can mint per-request material: adding
// private_key_jwt means one new type that signs an assertion (iss = sub = client_id,
// aud = Credentials.Issuer, or the token URL when no issuer is known; fresh jti; short exp),
// sets AuthStyleInParams with no secret, and puts client_assertion and client_assertion_type
// into EndpointParams.
//
// Every method sets AuthStyle explicitly: x/oauth2's AuthStyleAutoDetect would spend a failed
// request on the other style and report the second failure instead of the first.
type clientAuth interface {
	configure(cfg *clientcredentials.Config, cr Credentials) error
}

// authFor returns the implementation of m ("" meaning the default).
func authFor(m Method) (clientAuth, *Error) {
	switch m {
	case "", ClientSecretBasic:
		return secretBasic{}, nil
	case ClientSecretPost:
		return secretPost{}, nil
	case PrivateKeyJWT:
		return nil, &Error{Class: "token.unsupported_method", Msg: "private_key_jwt is not supported yet"}
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
