package blas_test

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/mbrl/mbrl/autodiff/blas"
	"github.com/mbrl/mbrl/nn"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// BenchmarkRegressorStep times nn's BenchmarkRegressorStep workload (one
// Adam step of a 4-64-64-3 tanh MLP on an MSE loss, batch 256) with gonum's
// BLAS and with this package's installed under Gorgonia. Run it with
// GOMAXPROCS=1 and compare cpu-µs/op, which a loaded machine disturbs less
// than the wall time.
func BenchmarkRegressorStep(b *testing.B) {
	for _, bc := range []struct {
		name string
		use  func()
	}{
		{"gonum", func() { G.Use(gonum.Implementation{}) }},
		{"fast", func() { blas.Use() }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.use()
			defer G.Use(gonum.Implementation{})
			const bs = 256
			m := nn.NewMLP("dynamics", []int{4, 64, 64, 3}, nn.Tanh, rand.New(rand.NewPCG(1, 0xda7a)))
			r, err := nn.NewRegressor(m, 4, 3, nn.RegressorConfig{Batch: bs})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			rng := rand.New(rand.NewPCG(2, 0xda7a))
			x, y := make([]float64, bs*4), make([]float64, bs*3)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			for i := range y {
				y[i] = rng.NormFloat64()
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := r.Step(x, y); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// cpuTime returns the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
