package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/authserver"
)

func TestStartAndClose(t *testing.T) {
	as := authserver.New(authserver.Options{Clients: map[string]string{"c": "s"}})
	base := as.Start()
	if as.Issuer() != base {
		t.Errorf("Start should set the issuer: %q vs %q", as.Issuer(), base)
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, base+"/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("c", "s")
	if r := do(t, client, req); r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
	as.Close()
	as.Close() // idempotent
	req2, _ := http.NewRequest(http.MethodPost, base+"/token", nil)
	if resp, err := client.Do(req2); err == nil {
		resp.Body.Close()
		t.Fatal("request after Close succeeded; the listener should be closed")
	}
}
