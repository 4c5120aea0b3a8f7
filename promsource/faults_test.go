package promsource

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFaults: each way Prometheus can fail leaves the last data on screen,
// with a notice that says what is wrong, and never a panic.
func TestFaults(t *testing.T) {
	const secret = "Bearer-Secret-9f8e7d"
	cases := []struct {
		name  string
		fault http.HandlerFunc
		want  string
	}{
		{"5xx", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
		}, "answered HTTP 503"},
		{"api error", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"parse error \u001b[31mred"}`))
		}, "refused the query (HTTP 400, bad_data): parse error red"},
		{"malformed JSON", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"status":"success","data":{`)) }, "not the API's JSON"},
		{"not a vector", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[]}}`))
		}, `is a "matrix", not an instant vector`},
		{"bad value", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"many"]}]}}`))
		}, `sample value "many" that is not a number`},
		{"auth refused", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"status":"error","error":"bad token ` + secret + `"}`))
		}, "refused our credentials (HTTP 401)"},
		{"forbidden echoing the secret", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"status":"error","errorType":"x","error":"you sent ` + secret + `"}`))
		}, "you sent [redacted]"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://elsewhere.invalid/", http.StatusFound)
		}, "redirected (HTTP 302 to http://elsewhere.invalid/)"},
		{"too large", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[`))
			chunk := []byte(strings.Repeat(" ", 1<<20))
			for range maxBody>>20 + 1 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, "larger than 1 MiB"},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client hang up
			<-r.Context().Done()
		}, "did not answer in time"},
	}
	defer func(was int64) { maxBody = was }(maxBody)
	maxBody = 1 << 20
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			tokFile := filepath.Join(dir, "token")
			if err := os.WriteFile(tokFile, []byte(secret+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			f := &fakeProm{data: twoVantages(), auth: "Bearer " + secret}
			s := newFakeSource(t, f, func(o *Options) { o.BearerFile, o.Timeout = tokFile, 10*time.Second })
			good := refresh(s)
			must(t, len(good.Servers) == 3 && good.Notice == "", "first read: %d servers, %q", len(good.Servers), good.Notice)
			f.set(func(f *fakeProm) { f.fault = c.fault })
			if c.name == "slow" {
				s.opts.Timeout = 300 * time.Millisecond // the good reads above and below may take their time
			}
			bad := refresh(s)
			s.opts.Timeout = 10 * time.Second
			must(t, strings.Contains(bad.Notice, c.want), "notice %q lacks %q", bad.Notice, c.want)
			must(t, strings.HasPrefix(bad.Notice, "Prometheus http://127.0.0.1:"), "notice %q does not say which Prometheus", bad.Notice)
			must(t, !strings.Contains(bad.Notice, secret) && !strings.Contains(bad.Notice, "\x1b"), "notice leaks: %q", bad.Notice)
			must(t, len(bad.Servers) == 3 && bad.Taken.Equal(good.Taken), "the last data was not kept: %d servers, %v", len(bad.Servers), bad.Taken)
			must(t, bad.Version > good.Version, "version did not move")
			f.set(func(f *fakeProm) { f.fault = nil })
			must(t, refresh(s).Notice == "", "the notice stays after recovery")
		})
	}
}

// TestDown: nothing listens; the first read says so, with no data yet.
func TestDown(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close()
	s, err := New(Options{URL: url, Refresh: time.Second, Timeout: time.Second})
	must(t, err == nil, "%v", err)
	snap := refresh(s)
	must(t, strings.Contains(snap.Notice, "cannot be reached") && strings.Contains(snap.Notice, "connection refused"), "notice %q", snap.Notice)
	must(t, snap.Taken.IsZero() && len(snap.Servers) == 0, "data from nowhere: %+v", snap)
}

// TestPartial: one query failing, or Prometheus warning of a partial
// answer, shows the data with a notice; no mcpwatch series says so.
func TestPartial(t *testing.T) {
	f := &fakeProm{data: twoVantages()}
	s := newFakeSource(t, f, nil)
	f.fault = func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		switch q := r.PostForm.Get("query"); {
		case strings.HasPrefix(q, "mcpwatch_token_expiry"):
			http.Error(w, "shard down", http.StatusBadGateway)
		case strings.HasPrefix(q, "mcpwatch_server_status"):
			writeVector(w, twoVantages()["mcpwatch_server_status"][:2], []string{"partial response: store eu-2 unreachable"})
		default:
			writeVector(w, nil, nil)
		}
	}
	snap := refresh(s)
	must(t, len(snap.Servers) == 1 && snap.Servers[0].Name == "alpha", "servers %+v", snap.Servers)
	must(t, strings.Contains(snap.Notice, "answered in part, without token expiry it answered HTTP 502"), "notice %q", snap.Notice)
	must(t, strings.Contains(snap.Notice, "Prometheus warns: partial response: store eu-2 unreachable"), "notice %q", snap.Notice)

	f.set(func(f *fakeProm) { f.fault = func(w http.ResponseWriter, r *http.Request) { writeVector(w, nil, nil) } })
	snap = refresh(s)
	must(t, strings.Contains(snap.Notice, `has no mcpwatch series{job="mcpwatch"}`), "notice %q", snap.Notice)
}

// TestDownTargets: a scrape target of mcpwatch that is down is named: its
// servers are missing, which must not pass for a smaller fleet.
func TestDownTargets(t *testing.T) {
	data := twoVantages()
	data["up"] = []series{{l("instance", "10.0.0.7:9855", "job", "mcpwatch"), "0"}}
	s := newFakeSource(t, &fakeProm{data: data}, nil)
	snap := refresh(s)
	must(t, strings.Contains(snap.Notice, "1 mcpwatch target(s) down (10.0.0.7:9855)"), "notice %q", snap.Notice)
}

// TestHostileLabels: label text from Prometheus is sanitized and bounded.
func TestHostileLabels(t *testing.T) {
	data := map[string][]series{"mcpwatch_server_status": {{l("server", "evil\x1b]0;pwned\x07\u202e"+strings.Repeat("x", 500), "status", "healthy"), "1"}}}
	snap := refresh(newFakeSource(t, &fakeProm{data: data}, nil))
	must(t, len(snap.Servers) == 1, "servers %+v", snap.Servers)
	n := snap.Servers[0].Name
	must(t, !strings.ContainsAny(n, "\x1b\x07\u202e") && len(n) <= maxName+3, "name %q", n)
}

// TestOptionProblems: bad flags are refused before any request, saying how to fix them.
func TestOptionProblems(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := Options{URL: "http://127.0.0.1:9090", Refresh: time.Second, Timeout: time.Second}
	cases := map[string]func(o *Options){
		"want the server's http:// or https:// URL":                   func(o *Options) { o.URL = "ftp://x" },
		"put no credentials in the URL":                               func(o *Options) { o.URL = "http://u:p@127.0.0.1:9090" },
		"want label matchers in braces":                               func(o *Options) { o.Selector = `job="x"` },
		"--prometheus-refresh must be at least 1s":                    func(o *Options) { o.Refresh = 0 },
		"needs --prometheus-user":                                     func(o *Options) { o.PasswordEnv = "X" },
		"exclude each other":                                          func(o *Options) { o.BearerEnv, o.BearerFile = "A", "b" },
		"env PROM_TOKEN_UNSET is not set":                             func(o *Options) { o.BearerEnv = "PROM_TOKEN_UNSET" },
		"--prometheus-bearer-file: open":                              func(o *Options) { o.BearerFile = "/nonexistent/token" },
		"--prometheus-bearer-env: env PROM_T":                         func(o *Options) { o.BearerEnv = "PROM_T" },
		"--prometheus-password-env: env PROM_P":                       func(o *Options) { o.User, o.PasswordEnv = "u", "PROM_P" },
		"--prometheus-password-file " + empty + ": the file is empty": func(o *Options) { o.User, o.PasswordFile = "u", empty },
		"--prometheus-bearer-file " + empty + ": the file is empty":   func(o *Options) { o.BearerFile = empty },
		"--prometheus-ca":                                             func(o *Options) { o.CAFile = "/nonexistent/ca.pem" },
		"go together":                                                 func(o *Options) { o.CertFile = "c.pem" },
	}
	for want, edit := range cases {
		o := ok
		o.Getenv = func(string) string { return "" }
		edit(&o)
		_, err := New(o)
		must(t, err != nil && strings.Contains(err.Error(), want), "%q: got %v", want, err)
	}
	// A selector cannot smuggle in a second expression.
	o := ok
	o.Selector = `{job="a"} or vector(1) or {x="y"}`
	_, err := New(o)
	must(t, err != nil, "a selector with a second expression was accepted")
}

// TestBasicAuth: user and password go as HTTP Basic, read from the env.
func TestBasicAuth(t *testing.T) {
	f := &fakeProm{data: twoVantages(), auth: "Basic dXNlcjpwYXNz"} // user:pass
	s := newFakeSource(t, f, func(o *Options) {
		o.User, o.PasswordEnv = "user", "PROM_PASS"
		o.Getenv = func(k string) string { return map[string]string{"PROM_PASS": "pass"}[k] }
	})
	snap := refresh(s)
	must(t, snap.Notice == "" && len(snap.Servers) == 3, "notice %q", snap.Notice)
}
