package dp

import (
	"fmt"
	"math"
	"testing"

	"github.com/mbrl/mbrl/envs"
)

// BenchmarkSolve times a full 200-step solve of the pendulum (transition
// table and every backward step) on a small and on the default grid.
func BenchmarkSolve(b *testing.B) {
	for _, n := range []int{128, 512} {
		b.Run(fmt.Sprintf("%dx%d", n, n+1), func(b *testing.B) {
			cfg := smallConfig(n, n+1, 41)
			for b.Loop() {
				if _, err := SolveEnv(envs.NewPendulum(), cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBackup times one Bellman backup over the default grid on one
// goroutine, the hot loop of Solve.
func BenchmarkBackup(b *testing.B) {
	s := &Solution{dyn: envs.PendulumDynamics{}, g: newGrid(pendulumBox(), DefaultConfig().Points), actions: evenly(-2, 2, 41)}
	tr := s.transitions(1)
	cur, next := make([]float64, s.g.size), make([]float64, s.g.size)
	for i := range next {
		next[i] = math.Sin(float64(i))
	}
	for b.Loop() {
		tr.backup(cur, next, 0, s.g.n[0])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(tr.cost)), "ns/action")
}

// BenchmarkPolicyAct times one greedy action (41 evaluations of f, c and an
// interpolation) on the exact state.
func BenchmarkPolicyAct(b *testing.B) {
	sol, err := SolveEnv(envs.NewPendulum(), smallConfig(64, 65, 41))
	if err != nil {
		b.Fatal(err)
	}
	p := sol.NewPolicy()
	obs, a := []float64{math.Cos(2.5), math.Sin(2.5), 0.3}, make([]float64, 1)
	b.ReportAllocs()
	for b.Loop() {
		p.ActAt(a, 100, obs)
	}
}
