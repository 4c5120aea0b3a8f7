//go:build !unix

package probe

import (
	"os/exec"
	"syscall"
)

// Without process groups only the process itself can be ended, and only
// by killing it.

func ownGroup(*exec.Cmd) {}

func signalGroup(cmd *exec.Cmd, _ syscall.Signal) {
	_ = cmd.Process.Kill()
}
