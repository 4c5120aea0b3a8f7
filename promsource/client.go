package promsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/textsafe"
)

// maxBody bounds one API answer. A fleet of 10^5 servers seen from three
// vantage points is about 300,000 samples of ~200 bytes for the largest
// query; more than this is not a fleet but a mistake or an attack. A
// variable so that the test of the bound need not send 64 MiB.
var maxBody int64 = 64 << 20

// maxSamples bounds the samples kept from one answer, for the same reason.
const maxSamples = 1_000_000

// sample is one series of an instant vector.
type sample struct {
	labels map[string]string
	value  float64
}

// client speaks the part of the Prometheus HTTP API the dashboard needs:
// instant queries. Every answer is hostile: bounded in size and time, its
// text sanitized, and its words scrubbed of our own credentials.
type client struct {
	base    *url.URL // …/api/v1/query is resolved against it
	http    *http.Client
	auth    func(*http.Request)
	secrets []string // never shown: scrubbed from any error text
}

// apiAnswer is the API's envelope (docs: prometheus.io/docs/prometheus/latest/querying/api).
type apiAnswer struct {
	Status    string   `json:"status"`
	ErrorType string   `json:"errorType"`
	Error     string   `json:"error"`
	Warnings  []string `json:"warnings"`
	Infos     []string `json:"infos"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string  `json:"metric"`
			Value  [2]json.RawMessage `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// query runs one instant query at t and returns its samples and the
// warnings Prometheus attached (a partial answer).
func (c *client) query(ctx context.Context, q string, t time.Time) ([]sample, []string, error) {
	u := c.base.JoinPath("api/v1/query")
	v := url.Values{"query": {q}, "time": {strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(v.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.auth != nil {
		c.auth(req)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, nil, c.transportError(ctx, err)
	}
	if int64(len(body)) > maxBody {
		return nil, nil, fmt.Errorf("its answer is larger than %d MiB", maxBody>>20)
	}
	var a apiAnswer
	jsonErr := json.Unmarshal(body, &a)
	switch {
	case (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) && c.auth == nil:
		return nil, nil, fmt.Errorf("it wants credentials (HTTP %d); pass --prometheus-bearer-file/-env, or --prometheus-user with --prometheus-password-file/-env", resp.StatusCode)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, nil, fmt.Errorf("it refused our credentials (HTTP %d); check the --prometheus-bearer-* or --prometheus-user/password flags", resp.StatusCode)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, nil, fmt.Errorf("it redirected (HTTP %d to %s); give that URL instead", resp.StatusCode, c.clean(resp.Header.Get("Location"), 120))
	case jsonErr == nil && a.Status == "error":
		return nil, nil, fmt.Errorf("it refused the query (HTTP %d, %s): %s", resp.StatusCode, c.clean(a.ErrorType, 40), c.clean(a.Error, 200))
	case resp.StatusCode != http.StatusOK:
		return nil, nil, fmt.Errorf("it answered HTTP %d", resp.StatusCode)
	case jsonErr != nil:
		return nil, nil, fmt.Errorf("its answer is not the API's JSON (%s)", c.clean(jsonErr.Error(), 120))
	case a.Status != "success":
		return nil, nil, fmt.Errorf("its answer has status %q, not success", c.clean(a.Status, 20))
	case a.Data.ResultType != "vector":
		return nil, nil, fmt.Errorf("its answer is a %q, not an instant vector", c.clean(a.Data.ResultType, 20))
	case len(a.Data.Result) > maxSamples:
		return nil, nil, fmt.Errorf("its answer has %d series, more than %d", len(a.Data.Result), maxSamples)
	}
	out := make([]sample, 0, len(a.Data.Result))
	for _, r := range a.Data.Result {
		var s string
		if err := json.Unmarshal(r.Value[1], &s); err != nil {
			return nil, nil, errors.New("its answer has a sample whose value is not a string")
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("its answer has a sample value %q that is not a number", c.clean(s, 20))
		}
		if math.IsNaN(f) {
			continue // a rate over no checks
		}
		out = append(out, sample{labels: r.Metric, value: f})
	}
	warns := make([]string, 0, len(a.Warnings))
	for _, w := range a.Warnings {
		warns = append(warns, c.clean(w, 200))
	}
	return out, warns, nil
}

// transportError words a failed request: slow (our deadline), or unreachable.
func (c *client) transportError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return errors.New("it did not answer in time")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is on screen already
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err // "connect: connection refused", without the address again
	}
	return fmt.Errorf("it cannot be reached (%s)", c.clean(err.Error(), 160))
}

// clean makes peer text safe for a terminal: our secrets out, controls out,
// one bounded line.
func (c *client) clean(s string, max int) string {
	for _, sec := range c.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return textsafe.Line(s, max)
}
