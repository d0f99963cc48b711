package lggps

import (
	"context"
	"testing"

	"github.com/mbrl/mbrl/control"
)

// benchTrainer returns a pendulum trainer (T = 200, 5 samples) after one
// iteration, so that condition 0 has samples, dynamics and a surrogate.
func benchTrainer(b *testing.B) *Trainer {
	mk, cost, pol := pendulumSetup(b, 1)
	cfg := DefaultConfig()
	cfg.Conditions, cfg.Samples, cfg.PolicyEpochs, cfg.Workers, cfg.Seed = 2, 5, 1, 1, 1
	tr, err := New(cfg, mk, cost, pol)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tr.Iterate(context.Background(), 0); err != nil {
		b.Fatal(err)
	}
	return tr
}

// BenchmarkDynamicsFit times the per-step fits of one condition (T = 200
// regressions of 5 transitions under the mixture prior).
func BenchmarkDynamicsFit(b *testing.B) {
	tr := benchTrainer(b)
	defer tr.Close()
	w := tr.workers[0]
	b.ResetTimer()
	for b.Loop() {
		for s := range tr.T {
			for i := range tr.N {
				tr.transition(w.pts[i], 0, i, s)
			}
			w.fit.fit(tr.dyn[0], s, w.pts, tr.gmm)
		}
	}
}

// BenchmarkLQGBackward times one maximum-entropy LQR backward pass over
// T = 200 steps (the inner loop of the eta search).
func BenchmarkLQGBackward(b *testing.B) {
	tr := benchTrainer(b)
	defer tr.Close()
	w := tr.workers[0]
	if err := tr.trajectoryStep(w, 0); err != nil { // w.qs: condition 0's surrogate
		b.Fatal(err)
	}
	if err := w.lqg.old.load(tr.ctrl[0], w.lqg.chM); err != nil {
		b.Fatal(err)
	}
	w.lqg.prepareKL()
	b.ResetTimer()
	for b.Loop() {
		if !w.lqg.backward(w.lqg.cand, tr.dyn[0], w.qs, 1e3) {
			b.Fatal("Q_uu not positive definite")
		}
	}
}

// BenchmarkLQGSolve times a whole KL-bounded trajectory step (eta search).
func BenchmarkLQGSolve(b *testing.B) {
	tr := benchTrainer(b)
	defer tr.Close()
	w := tr.workers[0]
	dst := control.NewLinearGaussianController(tr.n, tr.m, tr.T)
	b.ResetTimer()
	for b.Loop() {
		if _, err := w.lqg.Solve(dst, tr.ctrl[0], tr.dyn[0], w.qs, tr.x0[0], 0.2*float64(tr.T), 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGMMFit times the mixture over one iteration's 2000 transitions.
func BenchmarkGMMFit(b *testing.B) {
	tr := benchTrainer(b)
	defer tr.Close()
	b.ResetTimer()
	for b.Loop() {
		tr.fitPrior(0)
	}
}
