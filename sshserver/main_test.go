package sshserver

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: sessions, connections (also
// those still in the handshake), resize loops and the listener all end
// when Serve returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
