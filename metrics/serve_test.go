package metrics

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitUp polls url until it answers.
func waitUp(t *testing.T, url string) *http.Response {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			return resp
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered: %v", url, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServeUntilContextEnds(t *testing.T) {
	addr := freeAddr(t)
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/", New(newPool(srv("a", closedURL(t)))).Handler())
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, addr, mux) }()

	resp := waitUp(t, "http://"+addr+"/healthz")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Fatalf("/healthz: %d %q", resp.StatusCode, body)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: %v %v", resp, err)
	}
	resp.Body.Close()

	// A scrape in flight when ctx ends still gets its answer.
	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- string(b)
	}()
	time.Sleep(50 * time.Millisecond) // let /slow arrive
	cancel()
	time.Sleep(50 * time.Millisecond) // Serve is now shutting down, waiting on /slow
	close(release)
	if got := <-slow; got != "finished" {
		t.Errorf("request in flight at shutdown got %q", got)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve after a clean shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after ctx ended")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("still listening after Serve returned")
	}
}

func TestServeAddressTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	done := make(chan error, 1)
	go func() { done <- Serve(context.Background(), addr, http.NotFoundHandler()) }()
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Serve on a taken address did not return")
	}
	if err == nil {
		t.Fatal("Serve on a taken address returned nil")
	}
	for _, want := range []string{addr, "already in use", "--metrics", "stop the process"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestServeBadAddress(t *testing.T) {
	err := Serve(context.Background(), "no-port-here", http.NotFoundHandler())
	if err == nil || !strings.Contains(err.Error(), "no-port-here") || !strings.Contains(err.Error(), "HOST:PORT") {
		t.Fatalf("error %v should name the address and the expected form", err)
	}
}
