package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Message size bounds: max_message_size caps one message from a server (a
// JSON body, an SSE event, a stdio line); over it the check fails
// protocol.too_large and the connection is closed. Real answers to the
// requests a health check sends are a few KiB; tool lists of large servers
// stay well under a MiB.
const (
	DefaultMaxMessageSize = 4 << 20
	minMessageSize        = 4 << 10  // smaller would refuse ordinary initialize answers
	maxMessageSize        = 64 << 20 // larger defeats the point: one check could hold this much
)

const sizeHint = "a size like 4MiB, 512KiB or 1048576 (bytes), from 4KiB to 64MiB"

// parseSize reads a byte count: digits, optionally followed by B, KB, KiB,
// MB or MiB (KB and MB are decimal, KiB and MiB binary), case-insensitive.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t) - len(strings.TrimLeft(t, "0123456789"))
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := map[string]int64{"": 1, "b": 1, "kb": 1000, "kib": 1 << 10, "mb": 1000 * 1000, "mib": 1 << 20}[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > maxMessageSize {
		return 0, fmt.Errorf("size %q is over 64MiB", s)
	}
	return n * mult, nil
}

// size sets *dst from a size key; it reports whether the key was set.
func (m *mapping) size(key string, dst *int64) bool {
	s, e, ok := m.scalar(key, "a size")
	if !ok {
		return false
	}
	v, err := parseSize(s)
	switch {
	case err != nil:
		m.d.errorf(e.valPos, joinPath(m.path, key), err.Error(), sizeHint)
		return false
	case v < minMessageSize || v > maxMessageSize:
		m.d.errorf(e.valPos, joinPath(m.path, key), fmt.Sprintf("must be from 4KiB to 64MiB, got %q", s), sizeHint)
		return false
	}
	*dst = v
	return true
}
