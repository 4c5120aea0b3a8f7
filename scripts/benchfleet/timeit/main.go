// Command timeit runs a command and reports what it cost, for
// scripts/bench-sweep.sh: wall time from start to exit, peak RSS
// (ru_maxrss), user and system CPU. The command's stdin, stdout and stderr
// are its own; the report is one line appended to -o:
//
//	wall_s=1.234567 maxrss_kb=45678 user_s=0.812 sys_s=0.301 exit=0
//
// Usage: timeit -o FILE [-timeout 10m] -- command [args...]
// A command still running at -timeout is killed (exit=-1 in the report).
// timeit exits with the command's status. Linux only (ru_maxrss in KiB).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	out := flag.String("o", "", "file to append the report line to (required)")
	timeout := flag.Duration("timeout", 10*time.Minute, "kill the command after this long")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: timeit -o FILE [-timeout D] -- command [args...]")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "timeit:", err)
		os.Exit(2)
	}
	timer := time.AfterFunc(*timeout, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	wall := time.Since(start)
	timer.Stop()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		fmt.Fprintln(os.Stderr, "timeit:", err)
		os.Exit(2)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		ru = &syscall.Rusage{}
	}
	code := cmd.ProcessState.ExitCode()
	line := fmt.Sprintf("wall_s=%.6f maxrss_kb=%d user_s=%.3f sys_s=%.3f exit=%d\n", wall.Seconds(), ru.Maxrss,
		time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds(), code)
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		_, err = f.WriteString(line)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "timeit:", err)
		os.Exit(2)
	}
	if code < 0 { // killed by a signal
		code = 1
	}
	os.Exit(code)
}
