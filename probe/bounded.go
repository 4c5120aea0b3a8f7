package probe

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
)

// errTooLarge is what a bounded body returns once a message passes its limit.
var errTooLarge = errors.New("message too large")

// boundedBody caps what may be read from a peer: the whole body, or with sse
// set each event (bytes between blank lines) or with lines set each line. On
// passing the cap it closes the underlying body at once (the connection goes
// with it) and reports through tripped, so the verdict does not depend on how
// a library wraps the read error.
type boundedBody struct {
	rc      io.ReadCloser
	max     int64
	sse     bool // reset the count at each blank line (an SSE event ends)
	lines   bool // reset the count at each newline (a stdio message ends)
	n       int64
	prevNL  bool // the last byte ended a line
	prevCR  bool // the last byte was \r (a \r\n pair is one line end)
	tripped *atomic.Bool
	err     error
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	if !b.sse && !b.lines { // a whole body: no byte needs looking at
		if b.n+int64(n) <= b.max {
			b.n += int64(n)
			return n, err
		}
		keep := int(b.max - b.n)
		b.n = b.max + 1
		return keep, b.trip()
	}
	for i := 0; i < n; i++ {
		if b.count(p[i]) {
			return i, b.trip()
		}
	}
	return n, err
}

// trip ends the body: the message passed the cap.
func (b *boundedBody) trip() error {
	b.err = fmt.Errorf("%w: over %s", errTooLarge, sizeText(b.max))
	b.tripped.Store(true)
	_ = b.rc.Close()
	return b.err
}

// count takes one byte and reports whether the current message is over the cap.
func (b *boundedBody) count(c byte) bool {
	switch {
	case b.lines && c == '\n':
		b.n = 0
		return false
	case b.sse && (c == '\n' || c == '\r'):
		pair := c == '\n' && b.prevCR
		b.prevCR = c == '\r'
		if pair {
			return false
		}
		if b.prevNL {
			b.n = 0 // a blank line: the event is complete
		}
		b.prevNL = true
		return false
	}
	b.prevNL, b.prevCR = false, false
	b.n++
	return b.n > b.max
}

func (b *boundedBody) Close() error { return b.rc.Close() }

func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// tooLargeVerdict is the failure of a check whose peer sent an oversized message.
func tooLargeVerdict(stage Stage, max int64) verdict {
	return verdict{Status: StatusUnhealthy, Stage: stage, Class: "protocol.too_large",
		Message: "server sent a message over " + sizeText(max) + " (max_message_size); connection closed"}
}
