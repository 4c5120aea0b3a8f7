// Command floor is the floor scripts/bench-sweep.sh sets mcpwatch beside:
// the least a client can do to check a stateless-era (2026-07-28) fleet.
// It fetches one client-credentials token, then for each server, on a fresh
// TCP connection, sends the two POSTs such a check needs (server/discover,
// tools/list) with the headers that era requires, reads both answers fully
// and checks they are JSON-RPC results; 32 servers at a time. No retries, no
// discovery, no era negotiation, no report beyond a count.
//
// The requests go through a net/http Transport of their own per server (a
// fresh connection, kept for both requests, closed after), as any Go client's
// would: the floor issue 12's table and targets were measured against. With
// -raw they are written to a dialled connection and the answers read from it
// with net/http's framing alone (Request.Write, ReadResponse): about 0.2 ms
// less CPU per server, the floor of the wire itself.
//
// Usage: floor -fleet floor.txt [-concurrency 32] [-secret-env NAME] [-raw]
// (floor.txt as scripts/benchfleet writes it). Exit 0 when every server
// answered both requests, 1 otherwise.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const protocolVersion = "2026-07-28"

type fleet struct {
	tokenURL, clientID, resource string
	urls                         []string
}

func main() {
	fleetFile := flag.String("fleet", "", "fleet file written by benchfleet (required)")
	concurrency := flag.Int("concurrency", 32, "servers checked at once")
	secretEnv := flag.String("secret-env", "MCPWATCH_BENCH_SECRET", "environment variable holding the client secret")
	timeout := flag.Duration("timeout", 10*time.Second, "per-server deadline, both requests")
	flag.BoolVar(&raw, "raw", false, "write the requests to the connection and read the answers from it directly, with no net/http Transport")
	flag.Parse()
	f, err := readFleet(*fleetFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(2)
	}
	start := time.Now()
	token, err := fetchToken(f, os.Getenv(*secretEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor: token:", err)
		os.Exit(1)
	}
	failed := sweep(f.urls, token, max(*concurrency, 1), *timeout)
	fmt.Printf("floor: %d servers, %d failed, %.3fs\n", len(f.urls), failed, time.Since(start).Seconds())
	if failed > 0 {
		os.Exit(1)
	}
}

func readFleet(path string) (*fleet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f := &fleet{}
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		key, value, _ := strings.Cut(line, " ")
		switch key {
		case "":
		case "token_url":
			f.tokenURL = value
		case "client_id":
			f.clientID = value
		case "resource":
			f.resource = value
		default:
			f.urls = append(f.urls, line)
		}
	}
	if f.tokenURL == "" || len(f.urls) == 0 {
		return nil, fmt.Errorf("%s: no token_url or no servers", path)
	}
	return f, nil
}

// fetchToken is one RFC 6749 client-credentials request (client_secret_basic).
func fetchToken(f *fleet, secret string) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {f.resource}}
	req, err := http.NewRequest(http.MethodPost, f.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(f.clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("HTTP %d, no access_token (%v)", resp.StatusCode, err)
	}
	return tr.AccessToken, nil
}

// sweep checks every server, concurrency at a time, and returns how many failed.
func sweep(urls []string, token string, concurrency int, timeout time.Duration) int {
	var next, failed atomic.Int64
	var firstErr sync.Once
	var wg sync.WaitGroup
	for range min(concurrency, len(urls)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(urls) {
					return
				}
				if err := check(urls[i], token, timeout); err != nil {
					failed.Add(1)
					firstErr.Do(func() { fmt.Fprintf(os.Stderr, "floor: %s: %v\n", urls[i], err) })
				}
			}
		})
	}
	wg.Wait()
	return int(failed.Load())
}

// body is a request in the 2026-07-28 era: the version, capabilities and
// client info travel in every request's _meta.
func body(id int, method string) []byte {
	return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":%q,"params":{"_meta":{`+
		`"io.modelcontextprotocol/protocolVersion":%q,`+
		`"io.modelcontextprotocol/clientCapabilities":{},`+
		`"io.modelcontextprotocol/clientInfo":{"name":"floor","version":"0"}}}}`, id, method, protocolVersion)
}

// raw writes to the connection with no net/http Transport (-raw).
var raw bool

// check is one server: a fresh connection, server/discover, tools/list.
func check(rawURL, token string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var roundTrip func(*http.Request) (*http.Response, error)
	if !raw {
		// A Transport of its own: a fresh connection, kept for both requests.
		t := &http.Transport{MaxIdleConnsPerHost: 1}
		defer t.CloseIdleConnections()
		roundTrip = t.RoundTrip
	} else {
		u, err := url.Parse(rawURL)
		if err != nil {
			return err
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return err
		}
		defer conn.Close()
		deadline, _ := ctx.Deadline()
		_ = conn.SetDeadline(deadline)
		br := bufio.NewReader(conn)
		roundTrip = func(req *http.Request) (*http.Response, error) {
			if err := req.Write(conn); err != nil {
				return nil, err
			}
			return http.ReadResponse(br, req)
		}
	}
	for id, method := range []string{"server/discover", "tools/list"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body(id+1, method)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", protocolVersion)
		req.Header.Set("Mcp-Method", method)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := roundTrip(req)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: HTTP %d: %.200s", method, resp.StatusCode, data)
		}
		var msg struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(data, &msg); err != nil {
			return fmt.Errorf("%s: %w: %.200s", method, err, data)
		}
		if msg.ID != id+1 || len(msg.Result) == 0 {
			return errors.New(method + ": not a result for this request: " + string(data[:min(len(data), 200)]))
		}
	}
	return nil
}
