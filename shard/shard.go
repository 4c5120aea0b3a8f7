// Package shard splits one fleet between N instances that all read the same
// config: each keeps the servers whose name ranks it highest (rendezvous, or
// highest-random-weight, hashing). Going from N to N+1 shards moves only the
// servers the new shard now wins, about 1/(N+1) of them, and nothing else.
package shard

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/mcpwatch/mcpwatch/config"
)

// MaxShards bounds N: a typo like 1/10000000 must not cost a hash per shard
// per server on every reload.
const MaxShards = 4096

// Shard is this instance's share: K of N, 1-based. The zero value is "no
// sharding": every server.
type Shard struct{ K, N int }

// Parse reads "K/N" (1 ≤ K ≤ N ≤ MaxShards). Its error says how to fix it.
func Parse(s string) (Shard, error) {
	k, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	ki, err1 := strconv.Atoi(k)
	ni, err2 := strconv.Atoi(n)
	switch {
	case !ok || err1 != nil || err2 != nil:
		return Shard{}, fmt.Errorf("--shard %q: want K/N, this instance's number K of N instances, e.g. --shard 1/3", s)
	case ni < 1 || ni > MaxShards:
		return Shard{}, fmt.Errorf("--shard %q: N must be from 1 to %d", s, MaxShards)
	case ki < 1 || ki > ni:
		return Shard{}, fmt.Errorf("--shard %q: K must be from 1 to N (%d); shards are numbered 1/%d … %d/%d", s, ni, ni, ni, ni)
	}
	return Shard{K: ki, N: ni}, nil
}

// Enabled reports whether the fleet is split at all.
func (s Shard) Enabled() bool { return s.N > 1 }

// String is "K/N", or "" when not sharded.
func (s Shard) String() string {
	if s.N == 0 {
		return ""
	}
	return strconv.Itoa(s.K) + "/" + strconv.Itoa(s.N)
}

// Owner is the shard (1-based) of n that checks the server called name: the
// one with the highest weight hash(shard, name). Ties cannot favour a shard
// systematically: they need two equal 64-bit hashes.
func Owner(name string, n int) int {
	best, bestW := 1, uint64(0)
	for k := 1; k <= n; k++ {
		if w := weight(k, name); k == 1 || w > bestW {
			best, bestW = k, w
		}
	}
	return best
}

// weight is FNV-1a over the shard number and the name, then mixed: FNV alone
// differs little between names that differ in their last byte.
func weight(k int, name string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(k))
	_, _ = h.Write(b[:])
	_, _ = h.Write([]byte(name))
	return mix(h.Sum64())
}

// mix is the splitmix64 finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Owns reports whether this shard checks the server called name.
func (s Shard) Owns(name string) bool {
	return !s.Enabled() || Owner(name, s.N) == s.K
}

// Filter is f with only this shard's servers; f itself is not changed.
// Everything else (defaults, limits, digest) is kept, so the config watcher
// still compares against the file as read. Path gains " · shard K/N": it is
// the source every view names (the dashboard's header, check's JSON).
func (s Shard) Filter(f *config.File) *config.File {
	if !s.Enabled() || f == nil {
		return f
	}
	out := *f
	out.Path = f.Path + " · shard " + s.String()
	out.Servers = make([]config.Server, 0, len(f.Servers)/s.N+1)
	for _, srv := range f.Servers {
		if s.Owns(srv.Name) {
			out.Servers = append(out.Servers, srv)
		}
	}
	return &out
}
