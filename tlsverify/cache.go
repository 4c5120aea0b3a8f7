package tlsverify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io/fs"
	"os"
	"sync"
)

// Every check loads its server's TLS files, so that a rotated certificate is
// used from the next check on. What was parsed is kept per file while the
// file stays the same one, of the same size and modification time: a fleet
// sharing one CA bundle parses it once, not once per check, and a rewrite or
// a rename over the file (how Kubernetes rotates mounted secrets) is seen.
// A rewrite that keeps the size and the modification time to the
// filesystem's granularity is not; no rotation tool does that.
var parsed = struct {
	mu    sync.Mutex
	roots map[string]cachedRoots
	pairs map[[2]string]cachedPair
}{roots: map[string]cachedRoots{}, pairs: map[[2]string]cachedPair{}}

// maxCached bounds each map; past it the map starts afresh. A config names
// a handful of distinct TLS files; more means paths built per server.
const maxCached = 256

type cachedRoots struct {
	stamp fs.FileInfo
	pool  *x509.CertPool
}

type cachedPair struct {
	cert, key fs.FileInfo
	pair      []tls.Certificate
}

// same reports whether a and b describe the same, unchanged file.
func same(a, b fs.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// stat stats paths, bounded by ctx like the reads (a hung mount must not
// hold a check). A path that cannot be stat'ed gets nil: Load reads it and
// reports why.
func stat(ctx context.Context, paths ...string) []fs.FileInfo {
	out := make([]fs.FileInfo, len(paths))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, p := range paths {
			if fi, err := os.Stat(p); err == nil {
				out[i] = fi
			}
		}
	}()
	select {
	case <-done:
		return out
	case <-ctx.Done():
		return make([]fs.FileInfo, len(paths))
	}
}

func cachedRootsFor(path string, st fs.FileInfo) *x509.CertPool {
	parsed.mu.Lock()
	defer parsed.mu.Unlock()
	if c, ok := parsed.roots[path]; ok && same(c.stamp, st) {
		return c.pool
	}
	return nil
}

func keepRoots(path string, st fs.FileInfo, pool *x509.CertPool) {
	if st == nil {
		return
	}
	parsed.mu.Lock()
	defer parsed.mu.Unlock()
	if len(parsed.roots) >= maxCached {
		clear(parsed.roots)
	}
	parsed.roots[path] = cachedRoots{stamp: st, pool: pool}
}

func cachedPairFor(cert, key string, cst, kst fs.FileInfo) []tls.Certificate {
	parsed.mu.Lock()
	defer parsed.mu.Unlock()
	if c, ok := parsed.pairs[[2]string{cert, key}]; ok && same(c.cert, cst) && same(c.key, kst) {
		return c.pair
	}
	return nil
}

func keepPair(cert, key string, cst, kst fs.FileInfo, pair []tls.Certificate) {
	if cst == nil || kst == nil {
		return
	}
	parsed.mu.Lock()
	defer parsed.mu.Unlock()
	if len(parsed.pairs) >= maxCached {
		clear(parsed.pairs)
	}
	parsed.pairs[[2]string{cert, key}] = cachedPair{cert: cst, key: kst, pair: pair}
}
