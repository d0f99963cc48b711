package learned

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mbrl/mbrl/autodiff"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// learnedPendulumModels returns an untrained dynamics model and a 3-member
// ensemble over pendulum observations with normalisers fitted to random
// transitions, so that the normalisers are not the identity.
func learnedPendulumModels(t testing.TB) (*nn.DynamicsModel, *nn.Ensemble) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	const n = 200
	obs, act, next := make([]float64, 3*n), make([]float64, n), make([]float64, 3*n)
	dyn := envs.PendulumDynamics{}
	x := make([]float64, 2)
	for i := range n {
		x[0], x[1] = rng.Float64()*2*math.Pi-math.Pi, rng.Float64()*4-2
		act[i] = rng.Float64()*4 - 2
		dyn.Obs(obs[3*i:3*i+3], x)
		dyn.Next(x, x, act[i:i+1])
		dyn.Obs(next[3*i:3*i+3], x)
	}
	arch := nn.DynamicsArch{ObsDim: 3, ActDim: 1, Hidden: []int{16, 16}, Activation: nn.Tanh}
	d, err := nn.NewDynamicsModel("dynamics", arch, rng)
	if err != nil {
		t.Fatal(err)
	}
	d.FitNormalisers(obs, act, next, n)
	e, err := nn.NewEnsemble("dynamics", nn.EnsembleArch{Members: 3, Member: arch}, rng)
	if err != nil {
		t.Fatal(err)
	}
	e.FitNormalisers(obs, act, next, n)
	return d, e
}

func TestJacobiansMatchFiniteDifferences(t *testing.T) {
	single, ens := learnedPendulumModels(t)
	low, high := []float64{-2}, []float64{2}
	cases := []struct {
		name  string
		model nn.Model
		each  bool
		u     float64
	}{
		{"single", single, false, 0.7},
		{"ensemble mean", ens, false, -1.3},
		{"ensemble each member", ens, true, 0.2},
		{"clipped action", single, false, 2.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lm, err := New(c.model, low, high, c.each)
			if err != nil {
				t.Fatal(err)
			}
			N, m := lm.StateDim(), lm.ActionDim()
			x := make([]float64, N)
			obs := []float64{0.6, -0.8, 1.7}
			lm.StateFromObs(x, obs)
			if c.each {
				// Members at different observations.
				for i := range x {
					x[i] += 0.05 * float64(i%5)
				}
			}
			u := []float64{c.u}
			fx, fu := make([]float64, N*N), make([]float64, N*m)
			lm.Jacobians(fx, fu, x, u)
			// Central differences of Next; step 1e-6, truncation and
			// rounding errors of order 1e-9 for these smooth tanh nets.
			nx := autodiff.NumericJacobian(func(dst, xx []float64) { lm.Next(dst, xx, u) }, N, x, 1e-6)
			nu := autodiff.NumericJacobian(func(dst, uu []float64) { lm.Next(dst, x, uu) }, N, u, 1e-6)
			for i := range fx {
				if math.Abs(fx[i]-nx[i]) > 1e-7 {
					t.Fatalf("fx[%d] = %.10g, finite differences %.10g", i, fx[i], nx[i])
				}
			}
			for i := range fu {
				if math.Abs(fu[i]-nu[i]) > 1e-7 {
					t.Fatalf("fu[%d] = %.10g, finite differences %.10g", i, fu[i], nu[i])
				}
			}
			if c.u > 2 && slices.ContainsFunc(fu, func(v float64) bool { return v != 0 }) {
				t.Fatalf("fu = %v outside the bounds, want zeros", fu)
			}
			if c.each {
				// Block-diagonal: member e's next state ignores the others.
				for e := range 3 {
					for f := range 3 {
						for i := range 3 {
							for j := range 3 {
								if v := fx[(3*e+i)*N+3*f+j]; e != f && v != 0 {
									t.Fatalf("fx block (%d,%d) not zero: %g", e, f, v)
								}
							}
						}
					}
				}
			}
		})
	}
}

func TestLearnedEnsembleMembersDifferAndPlannerScoresTheirMean(t *testing.T) {
	_, ens := learnedPendulumModels(t)
	low, high := []float64{-2}, []float64{2}
	lm, err := New(ens, low, high, true)
	if err != nil {
		t.Fatal(err)
	}
	if lm.StateDim() != 9 || lm.Members() != 3 || !lm.Stacked() {
		t.Fatalf("state %d, members %d, stacked %v", lm.StateDim(), lm.Members(), lm.Stacked())
	}
	obs := []float64{-0.9, 0.4, -0.5}
	x := make([]float64, 9)
	lm.StateFromObs(x, obs)
	next := make([]float64, 9)
	u := []float64{1.1}
	lm.Next(next, x, u)
	y := make([]float64, 3)
	for e := range 3 {
		ens.Member(e).Predict(y, obs, u)
		if !slices.Equal(next[3*e:3*e+3], y) {
			t.Fatalf("block %d = %v, member's prediction %v", e, next[3*e:3*e+3], y)
		}
	}
	if slices.Equal(next[0:3], next[3:6]) || slices.Equal(next[3:6], next[6:9]) {
		t.Fatal("members predict the same: no diversity")
	}
	// The cost iLQR (and CEM) assigns a plan is the mean over members of
	// each member's own rollout cost.
	base := control.PendulumObsCost{GaussNewton: true}
	cost := control.NewEnsembleCost(base, 3, 3, 1)
	const H = 15
	plan := make([][]float64, H)
	for t := range plan {
		plan[t] = []float64{2 * math.Sin(0.4*float64(t))}
	}
	il, err := control.NewILQR(lm, cost, H, &control.ILQRSettings{Low: low, High: high})
	if err != nil {
		t.Fatal(err)
	}
	if err := il.Init(x, plan); err != nil {
		t.Fatal(err)
	}
	var want float64
	zero := []float64{0}
	for e := range 3 {
		o := slices.Clone(obs)
		var J float64
		for _, ut := range plan {
			J += base.Cost(o, ut)
			ens.Member(e).Predict(o, o, ut)
		}
		J += base.Cost(o, zero)
		want += J / 3
	}
	if got := il.Solution().Cost; math.Abs(got-want) > 1e-12*math.Abs(want) {
		t.Fatalf("planner's plan cost %.15g, members' mean %.15g", got, want)
	}
	// A sampling planner (CEM) rolls plans out through Next and sums the
	// cost: the same mean.
	xs := slices.Clone(x)
	var roll float64
	for _, ut := range plan {
		roll += cost.Cost(xs, ut)
		lm.Next(xs, xs, ut)
	}
	roll += cost.Cost(xs, zero)
	if math.Abs(roll-want) > 1e-12*math.Abs(want) {
		t.Fatalf("rollout cost %.15g, members' mean %.15g", roll, want)
	}
	// Disagreement: positive across different members, zero for one model.
	if d := lm.Disagreement(obs, plan); !(d > 0) {
		t.Fatalf("disagreement %v, want > 0", d)
	}
	one, _ := New(ens.Member(0), low, high, true)
	if d := one.Disagreement(obs, plan); d != 0 {
		t.Fatalf("single model disagreement %v", d)
	}
	// Mean mode plans through the members' average prediction.
	mean, _ := New(ens, low, high, false)
	mn := make([]float64, 3)
	mean.Next(mn, obs, u)
	for i := range 3 {
		avg := (next[i] + next[3+i] + next[6+i]) / 3
		if math.Abs(mn[i]-avg) > 1e-15 {
			t.Fatalf("mean model %v, members' average at %d %v", mn, i, avg)
		}
	}
}

func TestNewErrors(t *testing.T) {
	single, _ := learnedPendulumModels(t)
	if _, err := New(nn.NewMLP("x", []int{2, 2}, nn.Tanh, rand.New(rand.NewPCG(1, 1))), nil, nil, false); err == nil {
		t.Fatal("an MLP is not a dynamics model")
	}
	if _, err := New(single, []float64{-1}, nil, false); err == nil {
		t.Fatal("one-sided bounds accepted")
	}
	if _, err := New(single, []float64{-1, -1}, []float64{1, 1}, false); err == nil {
		t.Fatal("bounds of the wrong width accepted")
	}
}

// TestGraphNextAndSampleNext: the graph form predicts what Next does, and
// sampled transitions come from the member rng picks.
func TestGraphNextAndSampleNext(t *testing.T) {
	single, ens := learnedPendulumModels(t)
	lm, err := New(single, nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	obs := []float64{0.6, -0.8, 1.5, -1, 0, -3}
	u := []float64{0.7, -1.9}
	g := G.NewGraph()
	xn := G.NewMatrix(g, G.Float64, G.WithShape(2, 3), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(obs))))
	un := G.NewMatrix(g, G.Float64, G.WithShape(2, 1), G.WithName("u"), G.WithValue(tensor.New(tensor.WithShape(2, 1), tensor.WithBacking(u))))
	out, err := lm.GraphNext(xn, un)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := out.Value().Data().([]float64)
	want := make([]float64, 3)
	for r := range 2 {
		lm.Next(want, obs[3*r:3*r+3], u[r:r+1])
		if d := autodiff.MaxRelError(got[3*r:3*r+3], want); d > 1e-12 {
			t.Fatalf("row %d: graph %v, Next %v", r, got[3*r:3*r+3], want)
		}
	}
	em, err := New(ens, nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := em.GraphNext(xn, un); err == nil {
		t.Fatal("an ensemble built a graph")
	}
	next, member := make([]float64, 3), make([]float64, 3)
	for s := range uint64(6) {
		em.SampleNext(next, obs[:3], u[:1], rand.New(rand.NewPCG(s, 1)))
		k := rand.New(rand.NewPCG(s, 1)).IntN(3)
		ens.Member(k).Predict(member, obs[:3], u[:1])
		if !slices.Equal(next, member) {
			t.Fatalf("seed %d: sampled %v, member %d predicts %v", s, next, k, member)
		}
	}
}
