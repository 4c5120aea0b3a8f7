package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/mcpwatch/mcpwatch/probe"
)

// On-disk encodings. Results are the bulk, so they are packed: a few bytes
// each. Events are rare and kept as JSON, which stays readable to anyone
// opening the file with bbolt's own tools.

const resultsFormat = 1 // first byte of a results batch

// statusCode is a status as one byte: its place in probe.Statuses, plus one.
func statusCode(st probe.Status) byte {
	for i, s := range probe.Statuses {
		if s == st {
			return byte(i + 1)
		}
	}
	return 0
}

func statusOf(b byte) probe.Status {
	if b == 0 || int(b) > len(probe.Statuses) {
		return probe.StatusUnknown
	}
	return probe.Statuses[b-1]
}

// appendResult packs one result: server id, start relative to the batch
// key (milliseconds), status, latency (microseconds), class.
func appendResult(buf []byte, id uint32, base int64, r *resultRec) []byte {
	buf = binary.AppendUvarint(buf, uint64(id))
	buf = binary.AppendVarint(buf, r.at/int64(time.Millisecond)-base/int64(time.Millisecond))
	buf = append(buf, r.status)
	buf = binary.AppendUvarint(buf, uint64(max(r.latency, 0)/time.Microsecond))
	buf = binary.AppendUvarint(buf, uint64(len(r.class)))
	return append(buf, r.class...)
}

var errBadRecord = errors.New("bad results record")

// decodeResults unpacks a batch written at key (Unix nanoseconds) and calls
// fn for each result.
func decodeResults(key int64, v []byte, names map[uint32]string, fn func(resultRec)) error {
	if len(v) == 0 || v[0] != resultsFormat {
		return fmt.Errorf("%w: format %d", errBadRecord, firstByte(v))
	}
	v = v[1:]
	baseMs := key / int64(time.Millisecond)
	for len(v) > 0 {
		id, n := binary.Uvarint(v)
		if n <= 0 {
			return errBadRecord
		}
		v = v[n:]
		delta, n := binary.Varint(v)
		if n <= 0 || len(v) < n+1 {
			return errBadRecord
		}
		st := v[n]
		v = v[n+1:]
		lat, n := binary.Uvarint(v)
		if n <= 0 {
			return errBadRecord
		}
		v = v[n:]
		cl, n := binary.Uvarint(v)
		if n <= 0 || uint64(len(v)-n) < cl {
			return errBadRecord
		}
		class := string(v[n : n+int(cl)])
		v = v[n+int(cl):]
		fn(resultRec{server: names[uint32(id)], at: (baseMs + delta) * int64(time.Millisecond), status: st,
			latency: time.Duration(lat) * time.Microsecond, class: class})
	}
	return nil
}

func firstByte(v []byte) int {
	if len(v) == 0 {
		return -1
	}
	return int(v[0])
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// bucketKey is a bucket index then a server id: the buckets of one period
// sit together, so a snapshot touches few pages and pruning cuts a prefix.
func bucketKey(idx int32, id uint32) []byte {
	return binary.BigEndian.AppendUint32(u32(uint32(idx)), id)
}

func counts(up, checked uint32) []byte {
	return binary.BigEndian.AppendUint32(u32(up), checked)
}

// eventKey orders events by time; seq keeps two at the same instant apart.
func eventKey(at time.Time, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(u64(uint64(max(at.UnixNano(), 0))), seq)
}

// Limits on what an event may carry into the store. Reasons are one line
// for a person already (probe bounds them); these only keep a hostile or
// broken peer from filling the disk through a version string.
const (
	maxReason = 512
	maxField  = 200
)

// cut shortens s to at most n bytes without splitting a rune.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// boundEvent is ev as the store keeps it.
func boundEvent(ev probe.Event) probe.Event {
	ev.Server = cut(ev.Server, maxField)
	ev.Kind = cut(ev.Kind, maxField)
	ev.From = cut(ev.From, maxField)
	ev.To = cut(ev.To, maxField)
	ev.Class = cut(ev.Class, maxField)
	ev.Reason = cut(ev.Reason, maxReason)
	return ev
}

// cleanClass keeps a failure class to what classes are made of (letters,
// digits, . _ - :), 64 bytes at most: it is stored with every failed result.
func cleanClass(c string) string {
	if len(c) > 64 {
		c = c[:64]
	}
	for i := 0; i < len(c); i++ {
		if !classByte(c[i]) {
			b := []byte(c)
			for j := i; j < len(b); j++ {
				if !classByte(b[j]) {
					b[j] = '_'
				}
			}
			return string(b)
		}
	}
	return c
}

func classByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-' || b == ':'
}

func encodeEvent(ev *probe.Event) ([]byte, error) { return json.Marshal(ev) }

func decodeEvent(v []byte) (probe.Event, error) {
	var ev probe.Event
	err := json.Unmarshal(v, &ev)
	return ev, err
}

// lastRow is a server's last state: status, since and seen (Unix nanoseconds).
func lastRow(ls LastState) []byte {
	b := []byte{statusCode(ls.Status)}
	b = binary.BigEndian.AppendUint64(b, uint64(max(ls.Since.UnixNano(), 0)))
	return binary.BigEndian.AppendUint64(b, uint64(max(ls.Seen.UnixNano(), 0)))
}

func decodeLastRow(v []byte) (LastState, bool) {
	if len(v) != 17 {
		return LastState{}, false
	}
	ls := LastState{Status: statusOf(v[0])}
	if ns := int64(binary.BigEndian.Uint64(v[1:9])); ns > 0 {
		ls.Since = time.Unix(0, ns)
	}
	if ns := int64(binary.BigEndian.Uint64(v[9:17])); ns > 0 {
		ls.Seen = time.Unix(0, ns)
	}
	return ls, true
}
