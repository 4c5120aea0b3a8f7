package probe

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(stdioServerEnv); mode != "" {
		os.Exit(runStdioTestServer(mode)) // the test binary as a stdio server
	}
	if n := os.Getenv(benchFleetEnv); n != "" {
		os.Exit(runBenchFleet(n)) // the test binary as BenchmarkProbeClient's fleet
	}
	goleak.VerifyTestMain(m)
}
