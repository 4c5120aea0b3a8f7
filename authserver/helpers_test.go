package authserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/authserver"
)

// newTestServer serves as over httptest and sets the issuer to its URL.
func newTestServer(t *testing.T, opts authserver.Options) (*authserver.Server, *httptest.Server) {
	t.Helper()
	as := authserver.New(opts)
	ts := httptest.NewServer(as)
	as.SetIssuer(ts.URL)
	t.Cleanup(func() {
		ts.Client().CloseIdleConnections()
		ts.Close()
	})
	return as, ts
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// postToken sends a form to the token endpoint; basic, if non-nil, is {id, secret} encoded the
// RFC 6749 §2.3.1 way (form-urlencoded, then HTTP Basic).
func postToken(t *testing.T, ts *httptest.Server, form url.Values, basic []string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	return do(t, ts.Client(), req)
}

func do(t *testing.T, c *http.Client, req *http.Request) reply {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
