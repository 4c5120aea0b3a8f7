package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"
)

// shutdownGrace is how long Serve lets scrapes in flight finish once ctx ends.
const shutdownGrace = 5 * time.Second

// Serve listens on addr (HOST:PORT; ":PORT" for every interface), serves h
// until ctx ends, then shuts down, letting requests in flight finish for a
// few seconds. It returns nil after a clean shutdown, and at once with an
// error saying what failed, where and what to do when addr cannot be bound.
func Serve(ctx context.Context, addr string, h http.Handler) error {
	ln, err := Listen(ctx, addr)
	if err != nil {
		return err
	}
	return ServeOn(ctx, ln, h)
}

// Listen binds addr, with the same clear errors as Serve. A command that owns
// the terminal (the dashboard) binds first, so a taken port is reported
// before the screen is taken over.
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, listenError(addr, err)
	}
	return ln, nil
}

// ServeOn serves h on ln until ctx ends, like Serve.
func ServeOn(ctx context.Context, ln net.Listener, h http.Handler) error {
	var err error
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served: // only on a failure: Shutdown has not been called
		return fmt.Errorf("metrics: serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		srv.Close()
		return fmt.Errorf("metrics: shutting down the server on %s: %w", ln.Addr(), err)
	}
	return nil
}

func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("metrics: cannot listen on %s: the address is already in use "+
			"(another process, perhaps another mcpwatch, holds it); pick another port with --metrics HOST:PORT "+
			"or stop the process that holds it (ss -ltnp shows which): %w", addr, err)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("metrics: cannot listen on %s: permission denied "+
			"(ports below 1024 need privileges); use a port above 1024, e.g. --metrics 127.0.0.1:9855: %w", addr, err)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("metrics: cannot listen on %s: no interface of this machine has that address; "+
			"use one of its addresses, 127.0.0.1 for this machine only, or :PORT for every interface: %w", addr, err)
	}
	return fmt.Errorf("metrics: cannot listen on %s: %w; --metrics takes HOST:PORT, e.g. 127.0.0.1:9855 or :9855", addr, err)
}
