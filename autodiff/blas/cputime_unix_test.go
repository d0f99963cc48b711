//go:build unix

package blas

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user + system CPU time. On a shared,
// overloaded machine the CPU time per operation is steadier than the wall
// time; run benchmarks with GOMAXPROCS=1 so it is one thread's.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
