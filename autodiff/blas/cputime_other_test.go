//go:build !unix

package blas

import "time"

// cpuTime is zero where getrusage is missing; the CPU-time metrics then
// read zero.
func cpuTime() time.Duration { return 0 }
