package oauth_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/oauth"
)

func TestCredentialsNeverPrintTheSecret(t *testing.T) {
	cr := oauth.Credentials{TokenURL: "https://as.example/token", ClientID: clientID, ClientSecret: secret, Scopes: []string{"a"}}
	assertNoSecrets(t, cr)
	assertNoSecrets(t, &cr)
	assertNoSecrets(t, []oauth.Credentials{cr})
	assertNoSecrets(t, struct{ C oauth.Credentials }{cr})
	assertNoSecrets(t, cr.Keyed()) // the memo of its Key refers to the secret too
	assertNoSecrets(t, struct{ C oauth.Credentials }{cr.Keyed()})
	b, _ := json.Marshal(cr)
	if !strings.Contains(string(b), `"client_secret":"[REDACTED]"`) || !strings.Contains(string(b), clientID) {
		t.Errorf("JSON %s", b)
	}
}

func TestTokenNeverPrintsTheAccessToken(t *testing.T) {
	tok := &oauth.Token{AccessToken: "at_SECRETTOKEN", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	assertNoSecrets(t, tok, "SECRETTOKEN")
	assertNoSecrets(t, *tok, "SECRETTOKEN")
	assertNoSecrets(t, []*oauth.Token{tok}, "SECRETTOKEN")
	if !strings.Contains(tok.String(), "REDACTED") {
		t.Errorf("String() = %q", tok.String())
	}
}
