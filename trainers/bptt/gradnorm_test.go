package bptt

import (
	"context"
	"math"
	"testing"

	"github.com/mbrl/mbrl/autodiff"
	"github.com/mbrl/mbrl/envs"
	"gonum.org/v1/gonum/mat"
)

// TestStudyPerStartNorms: the per-start norms from the hand-written
// per-row reverse mode equal the norms of separate batch-1 BPTT runs.
func TestStudyPerStartNorms(t *testing.T) {
	sys := TrueSystem{Dyn: envs.PendulumDynamics{}}
	pol := pendulumPolicy(t, []int{16, 16}, 5)
	const nb = 5
	x0 := pendulumStarts(nb, 3)
	hs := []int{1, 7, 20}
	res, err := Study(context.Background(), sys, pol, x0, hs)
	if err != nil {
		t.Fatal(err)
	}
	e1, err := NewEngine(sys, pol, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer e1.Close()
	for i, h := range hs {
		var mean, mx float64
		for b := range nb {
			_, g := engineGradient(t, e1, pol, x0[2*b:2*b+2], h, 0)
			v := autodiff.GlobalNorm(g)
			mean += v / nb
			mx = math.Max(mx, v)
		}
		if math.Abs(mean-res.GradNorm[i]) > 1e-10*mean || math.Abs(mx-res.Max[i]) > 1e-10*mx {
			t.Errorf("H=%d: per-start mean %v max %v, study %v %v", h, mean, mx, res.GradNorm[i], res.Max[i])
		}
		if !(res.P10[i] <= res.GradNorm[i]*1.0000001 || res.P10[i] <= res.P90[i]) {
			t.Errorf("H=%d: percentiles out of order: %v %v", h, res.P10[i], res.P90[i])
		}
	}
	if len(res.StateGradNorm) != 20 || len(res.StatePredicted) != 20 {
		t.Fatalf("per-step lengths %d %d", len(res.StateGradNorm), len(res.StatePredicted))
	}
}

// TestStudyPredictedGrowthLinear: on the linear system with u = Kx the
// closed-loop Jacobian is M = A + BK at every step, so the predicted growth
// is σ_max(M^H) exactly.
func TestStudyPredictedGrowthLinear(t *testing.T) {
	ld, cfg, pol, k := linearSetup(t)
	sys := TrueSystem{Dyn: ld}
	hs := []int{1, 10, 50, 200}
	res, err := Study(context.Background(), sys, pol, []float64{1, -0.5, 0.3, 0.8}, hs)
	if err != nil {
		t.Fatal(err)
	}
	var mm mat.Dense
	mm.Mul(rows(cfg.B), k)
	mm.Add(rows(cfg.A), &mm)
	for i, h := range hs {
		var p mat.Dense
		p.Pow(&mm, h)
		var svd mat.SVD
		svd.Factorize(&p, mat.SVDNone)
		want := svd.Values(nil)[0]
		if r := math.Abs(res.Predicted[i]/want - 1); r > 1e-6 {
			t.Errorf("H=%d: predicted %v, σ_max(M^H) = %v", h, res.Predicted[i], want)
		}
		t.Logf("H=%3d measured %10.4g predicted σmax(M^H) %10.4g", h, res.GradNorm[i], res.Predicted[i])
	}
}
