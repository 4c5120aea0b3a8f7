package probe

import (
	"syscall"
	"unsafe"
)

// waitExitNoReap blocks until the process pid has exited, leaving it a
// zombie (waitid with WNOWAIT), so that its pid is not reused until it is
// reaped. os.Process does the same before its own Wait.
func waitExitNoReap(pid int) error {
	const pPID = 1     // P_PID
	var info [128]byte // siginfo_t
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info)), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if errno != syscall.EINTR {
			if errno != 0 {
				return errno
			}
			return nil
		}
	}
}
