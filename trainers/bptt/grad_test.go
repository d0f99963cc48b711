package bptt

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mbrl/mbrl/autodiff"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"gonum.org/v1/gonum/mat"
)

func pendulumPolicy(t testing.TB, hidden []int, seed uint64) *nn.DeterministicPolicy {
	t.Helper()
	p, err := nn.NewDeterministicPolicy("policy", nn.PolicyArch{
		ObsDim: 3, ActDim: 1, Hidden: hidden, Activation: nn.Tanh,
		Low: []float64{-2}, High: []float64{2},
	}, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pendulumStarts draws b start states from Pendulum-v1's reset distribution.
func pendulumStarts(b int, seed uint64) []float64 {
	env := envs.NewPendulum()
	rng := rand.New(rand.NewPCG(seed, 9))
	x := make([]float64, 0, 2*b)
	for range b {
		env.Reset(rng)
		x = append(x, env.State()...)
	}
	return x
}

func engineGradient(t testing.TB, e *Engine, pol Policy, x0 []float64, h, truncate int) (float64, [][]float64) {
	t.Helper()
	j, _, err := e.Forward(context.Background(), x0, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGrads(pol)
	if err := e.Backward(context.Background(), g, truncate, nil); err != nil {
		t.Fatal(err)
	}
	return j, g
}

func flat(g [][]float64) []float64 {
	var out []float64
	for _, s := range g {
		out = append(out, s...)
	}
	return out
}

// TestStepGraphEqualsUnrolled: chaining VJPs through one step graph gives
// the unrolled graph's gradient up to rounding (the two sum the same terms
// in different orders: ~1e-15 relative).
func TestStepGraphEqualsUnrolled(t *testing.T) {
	sys := TrueSystem{Dyn: envs.PendulumDynamics{}}
	pol := pendulumPolicy(t, []int{16, 16}, 3)
	const b = 8
	x0 := pendulumStarts(b, 1)
	e, err := NewEngine(sys, pol, b)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, h := range []int{1, 10, 25} {
		u, err := newUnrolled(sys, pol, b, h)
		if err != nil {
			t.Fatal(err)
		}
		ju, _, gu, err := u.gradient(x0)
		if err != nil {
			t.Fatal(err)
		}
		js, gs := engineGradient(t, e, pol, x0, h, 0)
		if math.Abs(ju-js) > 1e-12*math.Abs(ju) {
			t.Errorf("H=%d: cost unrolled %v step %v", h, ju, js)
		}
		if r := autodiff.MaxRelError(flat(gu), flat(gs)); r > 1e-12 {
			t.Errorf("H=%d: step-graph gradient differs from unrolled by %g", h, r)
		}
	}
}

// TestUnrolledPendulumMatchesFiniteDifferences checks the autodiff gradient
// of the unrolled pendulum graph (H = 10) against central differences of a
// plain-Go rollout (envs' Next and Cost, the policy's Act), an
// implementation that shares no code with the graph.
func TestUnrolledPendulumMatchesFiniteDifferences(t *testing.T) {
	sys := TrueSystem{Dyn: envs.PendulumDynamics{}}
	pol := pendulumPolicy(t, []int{8, 8}, 4)
	const b, h = 4, 10
	x0 := pendulumStarts(b, 2)
	u, err := newUnrolled(sys, pol, b, h)
	if err != nil {
		t.Fatal(err)
	}
	_, _, g, err := u.gradient(x0)
	if err != nil {
		t.Fatal(err)
	}
	cost := func() float64 { return goRollout(sys, pol, x0, b, h) }
	var worst float64
	for i, p := range pol.Params() {
		d := p.Data()
		f := func(_ []float64) float64 { return cost() }
		num := autodiff.NumericGradient(f, d, 1e-6)
		if r := autodiff.MaxRelError(g[i], num); r > worst {
			worst = r
		}
	}
	if worst > 1e-5 {
		t.Fatalf("autodiff vs finite differences: max relative error %g > 1e-5", worst)
	}
	t.Logf("max relative error vs central differences: %.2g", worst)
}

// goRollout is the H-step batch-summed cost computed row by row in Go.
func goRollout(sys System, pol Policy, x0 []float64, b, h int) float64 {
	n, m := sys.StateDim(), sys.ActionDim()
	x := make([]float64, n)
	in := make([]float64, sys.InputDim())
	u := make([]float64, m)
	var j float64
	for r := range b {
		copy(x, x0[r*n:(r+1)*n])
		for range h {
			sys.Input(in, x)
			pol.Act(u, in)
			j += sys.Cost(x, u)
			sys.Next(x, x, u)
		}
	}
	return j
}

// linearClosedForm returns dJ/dW and dJ/db for the linear policy u = x W + b
// at b = 0 (so u = K x with K = W^T) on x' = A x + B u with cost
// x'Qx + u'Ru (Q, R symmetric), J = Σ_starts Σ_{t<H} c(x_t, u_t). With
// M = A + B K, x_t = M^t x_0 and S = Q + K'RK:
//
//	dJ/dK = Σ_t [ 2 R K x_t x_t' + 2 Σ_{k<t} B' (M^k)' S x_t x_{t-1-k}' ]
//	dJ/db = Σ_t [ 2 R K x_t      + 2 Σ_{k<t} B' (M^k)' S x_t ]
//
// (the first terms are u_t's direct dependence on K and b, the sums the
// dependence of x_t through dx_t = Σ_k M^k B (dK x_{t-1-k} + db)).
func linearClosedForm(a, bm, q, r, k *mat.Dense, starts [][]float64, h int) (dW *mat.Dense, db *mat.VecDense) {
	n, m := a.RawMatrix().Rows, bm.RawMatrix().Cols
	var mm mat.Dense
	mm.Mul(bm, k)
	mm.Add(a, &mm)
	var kr, s mat.Dense
	kr.Mul(k.T(), r)
	s.Mul(&kr, k)
	s.Add(q, &s)
	pows := make([]*mat.Dense, h)
	pows[0] = identity(n)
	for i := 1; i < h; i++ {
		pows[i] = &mat.Dense{}
		pows[i].Mul(&mm, pows[i-1])
	}
	gK := mat.NewDense(m, n, nil)
	gb := mat.NewVecDense(m, nil)
	var rk mat.Dense
	rk.Mul(r, k)
	rk.Scale(2, &rk)
	for _, x0 := range starts {
		xs := make([]*mat.VecDense, h)
		xs[0] = mat.NewVecDense(n, append([]float64(nil), x0...))
		for t := 1; t < h; t++ {
			xs[t] = &mat.VecDense{}
			xs[t].MulVec(&mm, xs[t-1])
		}
		for t := range h {
			var outer mat.Dense
			outer.Outer(1, xs[t], xs[t])
			var term mat.Dense
			term.Mul(&rk, &outer)
			gK.Add(gK, &term)
			var v mat.VecDense
			v.MulVec(&rk, xs[t])
			gb.AddVec(gb, &v)
			var sx mat.VecDense
			sx.MulVec(&s, xs[t])
			for kk := 0; kk < t; kk++ {
				// w = 2 B' (M^k)' S x_t  [m]
				var w1, w mat.VecDense
				w1.MulVec(pows[kk].T(), &sx)
				w.MulVec(bm.T(), &w1)
				w.ScaleVec(2, &w)
				gb.AddVec(gb, &w)
				var o mat.Dense
				o.Outer(1, &w, xs[t-1-kk])
				gK.Add(gK, &o)
			}
		}
	}
	dW = mat.DenseCopyOf(gK.T())
	return dW, gb
}

func identity(n int) *mat.Dense {
	d := mat.NewDense(n, n, nil)
	for i := range n {
		d.Set(i, i, 1)
	}
	return d
}

func rows(v [][]float64) *mat.Dense {
	d := mat.NewDense(len(v), len(v[0]), nil)
	for i, r := range v {
		d.SetRow(i, r)
	}
	return d
}

// linearSetup returns the default linear system, a linear policy u = K x
// (an MLP without hidden layer, bias 0) and its closed-loop matrix's
// spectral radius.
func linearSetup(t testing.TB) (*envs.LinearDynamics, envs.LinearConfig, MLPPolicy, *mat.Dense) {
	t.Helper()
	cfg := envs.DefaultLinearConfig()
	env := envs.NewLinear(cfg)
	d, _ := envs.DynamicsOf(env)
	ld := d.(*envs.LinearDynamics)
	mlp := nn.NewMLP("policy", []int{2, 1}, nn.Identity, rand.New(rand.NewPCG(1, 0)))
	k := mat.NewDense(1, 2, []float64{-0.05, -0.1})
	copy(mlp.Params()[0].Data(), []float64{-0.05, -0.1}) // W [2,1] = K'
	clear(mlp.Params()[1].Data())
	return ld, cfg, MLPPolicy{mlp}, k
}

// growthRate is the leading-order growth of the linear-policy gradient
// with horizon: Σ_{t<H} t rho^(2t) (the k-sum of dJ/dK has t terms of
// size rho^k rho^t rho^(t-1-k), all ~ rho^(2t)).
func growthRate(rho float64, h int) float64 {
	var s float64
	for t := 1; t < h; t++ {
		s += float64(t) * math.Pow(rho, float64(2*t))
	}
	return math.Max(s, 1)
}

// TestLinearGradientMatchesClosedForm: on x' = Ax + Bu with u = Kx, the
// step-graph BPTT gradient equals the closed-form gradient to 1e-8 relative
// for H up to 80, and its norm follows the closed form's growth: with
// M = A + BK of spectral radius rho (1.078 here), x_t ~ rho^t, the cost at
// step t ~ rho^(2t) and the gradient ~ Σ_{t<H} t rho^(2t) ~ H rho^(2H)
// (the factor t from the t terms of dx_t/dK); |g(H)| over that settles.
func TestLinearGradientMatchesClosedForm(t *testing.T) {
	ld, cfg, pol, k := linearSetup(t)
	sys := TrueSystem{Dyn: ld}
	starts := [][]float64{{1, -0.5}, {0.3, 0.8}, {-0.7, 0.2}}
	var x0 []float64
	for _, s := range starts {
		x0 = append(x0, s...)
	}
	e, err := NewEngine(sys, pol, len(starts))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	a, bm, q, r := rows(cfg.A), rows(cfg.B), rows(cfg.Q), rows(cfg.R)
	var mm mat.Dense
	mm.Mul(bm, k)
	mm.Add(a, &mm)
	var eig mat.Eigen
	if !eig.Factorize(&mm, mat.EigenNone) {
		t.Fatal("eigen")
	}
	rho := 0.0
	for _, v := range eig.Values(nil) {
		rho = math.Max(rho, math.Hypot(real(v), imag(v)))
	}
	var ratios []float64
	for _, h := range []int{1, 2, 5, 10, 20, 30, 40, 50, 60, 80} {
		_, g := engineGradient(t, e, pol, x0, h, 0)
		dW, db := linearClosedForm(a, bm, q, r, k, starts, h)
		want := append(append([]float64(nil), dW.RawMatrix().Data...), db.RawVector().Data...)
		if rel := autodiff.MaxRelError(flat(g), want); rel > 1e-8 {
			t.Errorf("H=%d: autodiff vs closed form: relative error %g", h, rel)
		}
		norm := autodiff.GlobalNorm(g)
		ratio := norm / growthRate(rho, h)
		ratios = append(ratios, ratio)
		t.Logf("H=%3d |dJ/dtheta| = %10.4g (closed form %10.4g)  |g|/Σ_{t<H} t rho^(2t) = %.4g", h, norm, math.Hypot(mat.Norm(dW, 2), mat.Norm(db, 2)), ratio)
	}
	// Growth rate: measured over closed-form leading order settles (the
	// second eigenvalue's transient, 0.81^H, and the O(1/H) corrections
	// fade): within 10% between H = 60 and 80, while the norm itself
	// grows 29-fold.
	n := len(ratios)
	if d := math.Abs(ratios[n-1]/ratios[n-2] - 1); d > 0.1 {
		t.Errorf("|g|/Σ t rho^(2t) still changing by %.0f%% between H=60 and 80", 100*d)
	}
}

// TestModelSystemGradient: through a learned model (observation rollout,
// cost on atan2 of the predicted cos/sin), the step-graph gradient equals
// the unrolled graph's and both match central differences of a plain-Go
// rollout through the model's Predict and the env's cost.
func TestModelSystemGradient(t *testing.T) {
	m, err := nn.NewDynamicsModel("dynamics", nn.DynamicsArch{ObsDim: 3, ActDim: 1, Hidden: []int{16, 16}, Activation: nn.Tanh}, rand.New(rand.NewPCG(8, 0)))
	if err != nil {
		t.Fatal(err)
	}
	sys, err := NewModelSystem(m, envs.PendulumObsCost{})
	if err != nil {
		t.Fatal(err)
	}
	pol := pendulumPolicy(t, []int{8}, 6)
	const b, h = 4, 10
	x0 := DrawStarts(envs.NewPendulum(), sys, b, rand.New(rand.NewPCG(4, 0)))
	u, err := newUnrolled(sys, pol, b, h)
	if err != nil {
		t.Fatal(err)
	}
	_, _, gu, err := u.gradient(x0)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(sys, pol, b)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, gs := engineGradient(t, e, pol, x0, h, 0)
	if r := autodiff.MaxRelError(flat(gu), flat(gs)); r > 1e-12 {
		t.Errorf("step vs unrolled: %g", r)
	}
	var worst float64
	for i, p := range pol.Params() {
		num := autodiff.NumericGradient(func(_ []float64) float64 { return goRollout(sys, pol, x0, b, h) }, p.Data(), 1e-6)
		worst = math.Max(worst, autodiff.MaxRelError(gs[i], num))
	}
	if worst > 1e-5 {
		t.Fatalf("model BPTT vs finite differences: %g", worst)
	}
	t.Logf("model BPTT vs central differences: %.2g", worst)
}
