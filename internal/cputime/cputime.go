// Package cputime reports CPU time for benchmarks: on a shared, loaded
// machine the CPU time an operation takes is steadier than its wall time.
// Run such benchmarks with GOMAXPROCS=1, so that the process's CPU time is
// one thread's (plus the runtime's background work, GC included).
//
//	cpu0 := cputime.Now()
//	for i := 0; i < b.N; i++ { ... }
//	cputime.Report(b, cpu0)   // adds a cpu-µs/op metric
package cputime

import (
	"testing"
	"time"
)

// Report adds the metric cpu-µs/op: the process CPU time since cpu0 (a
// value of Now) divided by b.N.
func Report(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64((Now()-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
}
