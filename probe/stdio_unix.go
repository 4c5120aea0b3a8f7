//go:build unix

package probe

import (
	"os/exec"
	"syscall"
)

// ownGroup starts the process as the leader of a new process group, so that
// one signal reaches everything it starts (npx's node, a script's children).
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup signals the process group the leader of cmd leads; ESRCH
// (nobody left) is fine.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
