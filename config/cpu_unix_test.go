//go:build unix

package config

import (
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// BenchmarkParseCPU is Parse of 10,000 servers beside yaml.v3's own
// Unmarshal of the same bytes (the reference issue 12 names), one after the
// other in each iteration, timed by the CPU the process spent (user and
// system, the collector's included) as well as by the clock: on a shared
// machine the clock moves with the other work, the CPU less, and the ratio
// of the two in one loop least.
func BenchmarkParseCPU(b *testing.B) {
	b.Setenv("MCPW_BENCH_SECRET", "s3cret")
	data := benchConfig(10000)
	var parseCPU, yamlCPU, parseWall, yamlWall time.Duration
	n := 0
	for b.Loop() {
		t0, c0 := time.Now(), processCPU()
		if _, _, err := Parse("bench.yaml", data); err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), processCPU()
		var v map[string]any
		if err := yaml.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
		t2, c2 := time.Now(), processCPU()
		parseCPU, yamlCPU = parseCPU+c1-c0, yamlCPU+c2-c1
		parseWall, yamlWall = parseWall+t1.Sub(t0), yamlWall+t2.Sub(t1)
		n++
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	b.ReportMetric(ms(parseCPU), "parse-cpu-ms")
	b.ReportMetric(ms(yamlCPU), "yaml-cpu-ms")
	b.ReportMetric(ms(parseWall), "parse-ms")
	b.ReportMetric(ms(yamlWall), "yaml-ms")
	b.ReportMetric(float64(parseCPU)/float64(yamlCPU), "cpu-ratio")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
