package bptt

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/internal/cputime"
	"github.com/mbrl/mbrl/nn"
)

// BenchmarkIteration times one BPTT iteration (forward sweep, backward
// sweep, Adam step) at batch 32 with a 2x64 policy, through the true
// pendulum and through a 2x64 learned model. The step graph is built once
// per benchmark (its build time is reported as build_ms, flat in H); the
// iteration time and the heap in use after the forward sweep are linear in H.
func BenchmarkIteration(b *testing.B) {
	for _, kind := range []string{"true", "model"} {
		for _, h := range []int{10, 50, 200, 1000} {
			b.Run(fmt.Sprintf("%s/H=%d", kind, h), func(b *testing.B) {
				pol := pendulumPolicy(b, []int{64, 64}, 1)
				var sys System = TrueSystem{Dyn: envs.PendulumDynamics{}}
				if kind == "model" {
					m, err := nn.NewDynamicsModel("dynamics", nn.DynamicsArch{ObsDim: 3, ActDim: 1, Hidden: []int{64, 64}, Activation: nn.Tanh}, rand.New(rand.NewPCG(2, 0)))
					if err != nil {
						b.Fatal(err)
					}
					if sys, err = NewModelSystem(m, envs.PendulumObsCost{}); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				t0 := time.Now()
				tr, err := New(config.With(DefaultConfig(), func(c *Config) {
					c.Horizon = h
					c.Batch = 32
					c.ClipNorm = 1
					c.Seed = 1
				}), envs.NewPendulum(), sys, pol)
				if err != nil {
					b.Fatal(err)
				}
				build := time.Since(t0)
				defer tr.Close()
				var peak uint64
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cputime.Now()
				for i := 0; i < b.N; i++ {
					if _, err := tr.Iterate(context.Background(), i); err != nil {
						b.Fatal(err)
					}
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				}
				b.StopTimer()
				cputime.Report(b, cpu0)
				b.ReportMetric(float64(build.Microseconds())/1000, "build_ms")
				b.ReportMetric(float64(peak)/(1<<20), "heap_MB")
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(h), "ms/step")
			})
		}
	}
}
