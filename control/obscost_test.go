package control

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mbrl/mbrl/autodiff"
	"github.com/mbrl/mbrl/envs"
)

func TestEnsembleCostDerivatives(t *testing.T) {
	cost := NewEnsembleCost(PendulumObsCost{}, 2, 3, 1)
	x := []float64{0.3, 0.9, -1, -0.7, -0.6, 2}
	u := []float64{0.4}
	d := envs.NewCostDerivs(6, 1)
	cost.CostDerivs(d, x, u)
	if math.Abs(d.L-cost.Cost(x, u)) > 1e-15 {
		t.Fatalf("L %v != Cost %v", d.L, cost.Cost(x, u))
	}
	gx := autodiff.NumericGradient(func(xx []float64) float64 { return cost.Cost(xx, u) }, x, 1e-6)
	gu := autodiff.NumericGradient(func(uu []float64) float64 { return cost.Cost(x, uu) }, u, 1e-6)
	if e := autodiff.MaxRelError(d.Lx, gx); e > 1e-6 {
		t.Fatalf("Lx %v vs %v (rel err %g)", d.Lx, gx, e)
	}
	if e := autodiff.MaxRelError(d.Lu, gu); e > 1e-6 {
		t.Fatalf("Lu %v vs %v", d.Lu, gu)
	}
	hx := autodiff.NumericJacobian(func(dst, xx []float64) {
		dd := envs.NewCostDerivs(6, 1)
		cost.CostDerivs(dd, xx, u)
		copy(dst, dd.Lx)
	}, 6, x, 1e-6)
	if e := autodiff.MaxRelError(d.Lxx, hx); e > 1e-5 {
		t.Fatalf("Lxx vs finite differences of Lx: rel err %g", e)
	}
}

func TestPendulumObsCost(t *testing.T) {
	dyn := envs.PendulumDynamics{}
	rng := rand.New(rand.NewPCG(3, 3))
	d := envs.NewCostDerivs(3, 1)
	gn := envs.NewCostDerivs(3, 1)
	obs := make([]float64, 3)
	for range 50 {
		// On the unit circle it is the env's cost.
		x := []float64{rng.Float64()*6 - 3, rng.Float64()*16 - 8}
		u := []float64{rng.Float64()*6 - 3}
		dyn.Obs(obs, x)
		if got, want := (PendulumObsCost{}).Cost(obs, u), dyn.Cost(x, u); math.Abs(got-want) > 1e-12 {
			t.Fatalf("cost %v, env %v at %v %v", got, want, x, u)
		}
		// Off the circle, the analytic derivatives match finite differences.
		o := []float64{obs[0] * (0.7 + 0.6*rng.Float64()), obs[1] * (0.7 + 0.6*rng.Float64()), obs[2]}
		uu := []float64{rng.Float64()*3.8 - 1.9}
		PendulumObsCost{}.CostDerivs(d, o, uu)
		g := autodiff.NumericGradient(func(v []float64) float64 { return PendulumObsCost{}.Cost(v, uu) }, o, 1e-6)
		if e := autodiff.MaxRelError(d.Lx, g); e > 1e-6 {
			t.Fatalf("Lx %v, finite differences %v at %v", d.Lx, g, o)
		}
		h := autodiff.NumericJacobian(func(dst, v []float64) {
			dd := envs.NewCostDerivs(3, 1)
			PendulumObsCost{}.CostDerivs(dd, v, uu)
			copy(dst, dd.Lx)
		}, 3, o, 1e-6)
		if e := autodiff.MaxRelError(d.Lxx, h); e > 1e-5 {
			t.Fatalf("Lxx %v, finite differences %v at %v", d.Lxx, h, o)
		}
		// Gauss-Newton: same gradient, positive semidefinite Hessian.
		PendulumObsCost{GaussNewton: true}.CostDerivs(gn, o, uu)
		if !slices.Equal(gn.Lx, d.Lx) {
			t.Fatal("Gauss-Newton changed the gradient")
		}
		a, b, c := gn.Lxx[0], gn.Lxx[1], gn.Lxx[4]
		if a < 0 || c < 0 || a*c-b*b < -1e-12*(a*c+b*b) {
			t.Fatalf("Gauss-Newton Hessian not PSD: %v", gn.Lxx)
		}
		// The generic numerical cost agrees with the Gauss-Newton one.
		oc, err := NewObsCost(dyn)
		if err != nil {
			t.Fatal(err)
		}
		num := envs.NewCostDerivs(3, 1)
		oc.CostDerivs(num, o, uu)
		if math.Abs(num.L-gn.L) > 1e-12 || autodiff.MaxRelError(num.Lx, gn.Lx) > 1e-6 || autodiff.MaxRelError(num.Lxx, gn.Lxx) > 1e-5 ||
			autodiff.MaxRelError(num.Lu, gn.Lu) > 1e-12 || autodiff.MaxRelError(num.Luu, gn.Luu) > 1e-12 {
			t.Fatalf("generic observation cost %+v, analytic %+v", num, gn)
		}
	}
}
