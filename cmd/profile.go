package cmd

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles writes pprof profiles of the whole process when asked by
// the environment (docs/performance-history.md, "Profiling a whole process"):
// MCPWATCH_CPUPROFILE=FILE for CPU, MCPWATCH_MEMPROFILE=FILE for the heap
// (allocations over the run and what is in use at exit). Hidden: it is for
// measuring `check` from start to exit, which a Go benchmark cannot.
func startProfiles(getenv func(string) string, stderr io.Writer) (stop func()) {
	cpuPath, memPath := getenv("MCPWATCH_CPUPROFILE"), getenv("MCPWATCH_MEMPROFILE")
	var cpu *os.File
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "mcpwatch: MCPWATCH_CPUPROFILE: %v\n", err)
		} else {
			cpu = f
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			_ = cpu.Close()
		}
		if memPath == "" {
			return
		}
		f, err := os.Create(memPath)
		if err == nil {
			runtime.GC() // in-use figures as of the end of the run
			err = pprof.Lookup("heap").WriteTo(f, 0)
			_ = f.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "mcpwatch: MCPWATCH_MEMPROFILE: %v\n", err)
		}
	}
}
