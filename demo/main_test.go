package demo

import (
	"testing"

	"go.uber.org/goleak"
)

// The fleet starts listeners, SSE streams and delays: after every Close no
// goroutine of it may survive.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
