package gps

import (
	"context"
	"testing"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/internal/cputime"
)

// benchTrainer is the default pendulum setup of 'mbrl train gps' with K =
// 16 conditions, T = 200 and a 64-64 tanh policy, after its first
// iteration (the multi-start initial trajectories).
func benchTrainer(b testing.TB) *Trainer {
	b.Helper()
	env, sys, pol := pendulumSetup(b, []int{64, 64}, 1)
	tr, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.Conditions = 16
		c.Seed = 1
		c.Init = []control.Generator{control.ZeroPlan{}, control.PendulumSwingUp()}
	}), env, sys, pol)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tr.Close)
	if _, err := tr.Iterate(context.Background(), 0); err != nil {
		b.Fatal(err)
	}
	return tr
}

// BenchmarkIteration times one GPS iteration on pendulum (K = 16, T = 200):
// iLQR on the augmented Lagrangian for every condition (warm-started, in
// parallel on GOMAXPROCS workers), the policy step (20 epochs over 3200
// rows, batch 256) and the dual step with the policy-alone rollouts.
func BenchmarkIteration(b *testing.B) {
	tr := benchTrainer(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Now()
	for i := range b.N {
		if _, err := tr.Iterate(context.Background(), i+1); err != nil {
			b.Fatal(err)
		}
	}
	cputime.Report(b, cpu0)
}

// BenchmarkPolicyStep times the policy step alone (K = 16, T = 200: 20
// epochs of 13 minibatches of 256 rows through the regression graph).
func BenchmarkPolicyStep(b *testing.B) {
	tr := benchTrainer(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Now()
	for range b.N {
		if _, err := tr.policyStep(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	cputime.Report(b, cpu0)
}

// BenchmarkLagrangianAdd times the iLQR extra cost at one (x, u): policy
// forward, its Jacobian through the observation map and the derivative
// assembly (64-64 tanh policy on pendulum).
func BenchmarkLagrangianAdd(b *testing.B) {
	_, sys, pol := pendulumSetup(b, []int{64, 64}, 1)
	l := NewLagrangian(sys, pol)
	l.Lambda, l.Rho = [][]float64{{0.3}}, []float64{2}
	d := envs.NewCostDerivs(2, 1)
	x, u := []float64{2.1, -0.4}, []float64{0.5}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		l.Add(0, x, u, d)
	}
}
