//go:build unix

package boundedfile

import "syscall"

// O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting
// for a writer. O_NOCTTY: a terminal opened here never becomes ours.
// Regular files ignore both.
const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY
