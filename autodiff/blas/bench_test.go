package blas

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmShapes are the products of a 4-64-64-3 MLP step at batch 256 and 32
// (forward X·W, backward dY·Wᵀ and Xᵀ·dY), a square 512 and a single row.
var gemmShapes = []struct {
	name    string
	tA, tB  gblas.Transpose
	m, n, k int
}{
	{"256x64x64_NN", gblas.NoTrans, gblas.NoTrans, 256, 64, 64},
	{"256x64x64_NT", gblas.NoTrans, gblas.Trans, 256, 64, 64},
	{"64x64x256_TN", gblas.Trans, gblas.NoTrans, 64, 64, 256},
	{"256x64x4_NN", gblas.NoTrans, gblas.NoTrans, 256, 64, 4},
	{"256x3x64_NN", gblas.NoTrans, gblas.NoTrans, 256, 3, 64},
	{"256x64x3_NT", gblas.NoTrans, gblas.Trans, 256, 64, 3},
	{"64x3x256_TN", gblas.Trans, gblas.NoTrans, 64, 3, 256},
	{"32x64x3_NN", gblas.NoTrans, gblas.NoTrans, 32, 64, 3},
	{"32x64x64_NN", gblas.NoTrans, gblas.NoTrans, 32, 64, 64},
	{"64x64x32_TN", gblas.Trans, gblas.NoTrans, 64, 64, 32},
	{"1x64x64_NN", gblas.NoTrans, gblas.NoTrans, 1, 64, 64},
	{"2x64x64_NN", gblas.NoTrans, gblas.NoTrans, 2, 64, 64},
	{"3x64x64_NN", gblas.NoTrans, gblas.NoTrans, 3, 64, 64},
	{"4x64x64_NN", gblas.NoTrans, gblas.NoTrans, 4, 64, 64},
	{"8x8x8_NN", gblas.NoTrans, gblas.NoTrans, 8, 8, 8},
	{"16x16x16_NN", gblas.NoTrans, gblas.NoTrans, 16, 16, 16},
	{"512x512x512_NN", gblas.NoTrans, gblas.NoTrans, 512, 512, 512},
}

// BenchmarkDgemm times gonum's Dgemm and this package's at each shape and
// reports GFLOP/s (2·m·n·k flops per call).
func BenchmarkDgemm(b *testing.B) {
	impls := []struct {
		name string
		impl gblas.Float64
	}{{"gonum", gonum.Implementation{}}, {"fast", New()}}
	for _, s := range gemmShapes {
		rng := rand.New(rand.NewPCG(1, 1))
		rand := func(n int) []float64 {
			x := make([]float64, n)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			return x
		}
		a, bb, c := rand(s.m*s.k), rand(s.k*s.n), rand(s.m*s.n)
		lda, ldb := s.k, s.n
		if s.tA == gblas.Trans {
			lda = s.m
		}
		if s.tB == gblas.Trans {
			ldb = s.k
		}
		for _, im := range impls {
			b.Run(fmt.Sprintf("%s/%s", s.name, im.name), func(b *testing.B) {
				b.ReportAllocs()
				cpu0 := cpuTime()
				for b.Loop() {
					im.impl.Dgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				}
				reportFlops(b, 2*float64(s.m*s.n*s.k), cpu0)
			})
		}
	}
}

// BenchmarkKernel times the micro-kernel alone on L1-resident panels, the
// ceiling of the packed Dgemm.
func BenchmarkKernel(b *testing.B) {
	if !haveKernel {
		b.Skip("no micro-kernel on this CPU")
	}
	for _, k := range []int{4, 64, 256} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			a, bb, c := make([]float64, mr*k), make([]float64, nr*k), make([]float64, mr*nr)
			cpu0 := cpuTime()
			for b.Loop() {
				kernel6x8(k, &a[0], &bb[0], &c[0], nr, 1, 1)
			}
			reportFlops(b, 2*float64(mr*nr*k), cpu0)
		})
	}
}

// reportFlops reports GFLOP/s by wall time and by CPU time (the steadier
// figure on a loaded machine) and the CPU time per operation, for an
// operation of the given flops whose loop started at CPU time cpu0.
func reportFlops(b *testing.B, flops float64, cpu0 time.Duration) {
	cpu := (cpuTime() - cpu0).Seconds()
	n := float64(b.N)
	b.ReportMetric(flops*n/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		b.ReportMetric(flops*n/cpu/1e9, "cpu-GFLOP/s")
		b.ReportMetric(cpu/n*1e9, "cpu-ns/op")
	}
}
