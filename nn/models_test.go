package nn

import (
	"math"
	"testing"

	"github.com/mbrl/mbrl/autodiff"
	"github.com/mbrl/mbrl/internal/cputime"
	G "gorgonia.org/gorgonia"
)

var dynArch = DynamicsArch{ObsDim: 3, ActDim: 1, Hidden: []int{16, 16}, Activation: Tanh}

// newFittedDynamics returns a dynamics model with non-trivial normalisers.
func newFittedDynamics(t testing.TB, seed uint64) *DynamicsModel {
	t.Helper()
	rng := newRNG(seed)
	d, err := NewDynamicsModel("dynamics", dynArch, rng)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	obs, act := randSlice(rng, n*3, 2), randSlice(rng, n, 1)
	next := make([]float64, n*3)
	for i := range next {
		next[i] = obs[i] + 0.1*rng.NormFloat64() + 0.05
	}
	d.FitNormalisers(obs, act, next, n)
	return d
}

// TestGraphMatchesFast checks the graph path of every model against its
// fast single-row path.
func TestGraphMatchesFast(t *testing.T) {
	const n = 5
	rng := newRNG(42)
	obs3, act1 := randSlice(rng, n*3, 1), randSlice(rng, n, 1)

	gp, err := NewGaussianPolicy("policy", GaussianPolicyArch{PolicyArch: policyCases[1].arch, InitLogStd: -0.5}, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	setNorm(gp.Normaliser(), 4)
	for i, v := range []float64{-0.3, 0.2} {
		gp.LogStdParam().Data()[i] = v
	}
	obs4, act2 := randSlice(rng, n*4, 1), randSlice(rng, n*2, 1)

	dyn := newFittedDynamics(t, 2)
	q, err := NewQNetwork("q", QArch{ObsDim: 3, NumActions: 4, Hidden: []int{8}, Activation: ReLU, ObsNorm: true}, newRNG(3))
	if err != nil {
		t.Fatal(err)
	}
	setNorm(q.Normaliser(), 5)
	rew, err := NewRewardModel("reward", RewardArch{ObsDim: 3, ActDim: 1, Hidden: []int{8}, Activation: Tanh}, newRNG(4))
	if err != nil {
		t.Fatal(err)
	}
	setNorm(rew.InputNormaliser(), 6)

	rows := func(out int, f func(dst []float64, r int)) []float64 {
		d := make([]float64, n*out)
		for r := range n {
			f(d[r*out:(r+1)*out], r)
		}
		return d
	}
	cases := []struct {
		name  string
		build func(g *G.ExprGraph) (*G.Node, error)
		want  []float64
	}{
		{"gaussian mean", func(g *G.ExprGraph) (*G.Node, error) {
			return gp.ApplyMean(gp.Bind(g), inputNode(g, "obs", obs4, n, 4))
		}, rows(2, func(d []float64, r int) { gp.Mean(d, obs4[r*4:r*4+4]) })},
		{"gaussian log-prob", func(g *G.ExprGraph) (*G.Node, error) {
			return gp.LogProb(gp.Bind(g), inputNode(g, "obs", obs4, n, 4), inputNode(g, "u", act2, n, 2))
		}, rows(1, func(d []float64, r int) { d[0] = gp.LogProbRow(obs4[r*4:r*4+4], act2[r*2:r*2+2]) })},
		{"dynamics next", func(g *G.ExprGraph) (*G.Node, error) {
			return dyn.ApplyNext(dyn.Bind(g), inputNode(g, "obs", obs3, n, 3), inputNode(g, "act", act1, n, 1))
		}, rows(3, func(d []float64, r int) { dyn.Predict(d, obs3[r*3:r*3+3], act1[r:r+1]) })},
		{"dynamics batch", func(g *G.ExprGraph) (*G.Node, error) {
			return dyn.ApplyNext(dyn.Bind(g), inputNode(g, "obs", obs3, n, 3), inputNode(g, "act", act1, n, 1))
		}, func() []float64 { d := make([]float64, n*3); dyn.PredictBatch(d, obs3, act1, n); return d }()},
		{"q values", func(g *G.ExprGraph) (*G.Node, error) {
			return q.Apply(q.Bind(g), inputNode(g, "obs", obs3, n, 3))
		}, rows(4, func(d []float64, r int) { q.Values(d, obs3[r*3:r*3+3]) })},
		{"reward", func(g *G.ExprGraph) (*G.Node, error) {
			return rew.Apply(rew.Bind(g), inputNode(g, "obs", obs3, n, 3), inputNode(g, "act", act1, n, 1))
		}, rows(1, func(d []float64, r int) { d[0] = rew.Predict(obs3[r*3:r*3+3], act1[r:r+1]) })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := runOnce(t, tc.build)
			if d := maxAbsDiff(got, tc.want); d > graphTol {
				t.Errorf("graph vs fast: max diff %g\ngraph %v\nfast  %v", d, got, tc.want)
			}
		})
	}
}

func TestGaussianPolicyLogProbGradient(t *testing.T) {
	gp, err := NewGaussianPolicy("policy", GaussianPolicyArch{PolicyArch: policyCases[0].arch, InitLogStd: 0.3}, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	rng := newRNG(2)
	obs, u := randSlice(rng, n*3, 1), randSlice(rng, n, 1)
	g := G.NewGraph()
	nodes := gp.Bind(g)
	lp, err := gp.LogProb(nodes, inputNode(g, "obs", obs, n, 3), inputNode(g, "u", u, n, 1))
	if err != nil {
		t.Fatal(err)
	}
	total := G.Must(G.Sum(lp))
	grads, err := G.Grad(total, nodes.Learnables()...)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := make([][]float64, len(grads))
	if err := autodiff.CopyGrads(got, grads); err != nil {
		t.Fatal(err)
	}
	f := func([]float64) float64 {
		var s float64
		for r := range n {
			s += gp.LogProbRow(obs[r*3:r*3+3], u[r:r+1])
		}
		return s
	}
	for k, p := range gp.Params() {
		if e := autodiff.CheckGradient(f, got[k], p.Data(), 1e-6); e > fdTol {
			t.Errorf("%s: relative error %g", p.Name, e)
		}
	}
}

func TestGaussianPolicySample(t *testing.T) {
	gp, err := NewGaussianPolicy("policy", GaussianPolicyArch{PolicyArch: policyCases[0].arch, InitLogStd: math.Log(0.5)}, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	obs := []float64{0.1, 0.2, 0.3}
	mean := make([]float64, 1)
	gp.Mean(mean, obs)
	rng := newRNG(9)
	const k = 20000
	var s, ss float64
	u := make([]float64, 1)
	for range k {
		gp.Sample(u, obs, rng)
		s += u[0]
		ss += u[0] * u[0]
	}
	m := s / k
	sd := math.Sqrt(ss/k - m*m)
	// Standard errors: 0.5/sqrt(20000) = 0.0035 for the mean, ~0.0025 for
	// the std; 5 standard errors.
	if math.Abs(m-mean[0]) > 0.02 || math.Abs(sd-0.5) > 0.015 {
		t.Fatalf("sample mean %v (want %v), std %v (want 0.5)", m, mean[0], sd)
	}
	if got := gp.Std(); math.Abs(got[0]-0.5) > 1e-15 {
		t.Fatalf("Std() = %v", got)
	}
}

func TestDynamicsJacobians(t *testing.T) {
	for _, act := range []Activation{Tanh, Identity} {
		t.Run(string(act), func(t *testing.T) {
			a := dynArch
			a.Activation = act
			rng := newRNG(11)
			d, err := NewDynamicsModel("dynamics", a, rng)
			if err != nil {
				t.Fatal(err)
			}
			setNorm(d.InputNormaliser(), 1)
			setNorm(d.DeltaNormaliser(), 2)
			obs, u := randSlice(rng, 3, 1), randSlice(rng, 1, 1)
			fx, fu := make([]float64, 9), make([]float64, 3)
			d.Jacobians(fx, fu, obs, u)
			wantX := autodiff.NumericJacobian(func(dst, x []float64) { d.Predict(dst, x, u) }, 3, obs, 1e-6)
			wantU := autodiff.NumericJacobian(func(dst, v []float64) { d.Predict(dst, obs, v) }, 3, u, 1e-6)
			if e := autodiff.MaxRelError(fx, wantX); e > fdTol {
				t.Errorf("fx relative error %g", e)
			}
			if e := autodiff.MaxRelError(fu, wantU); e > fdTol {
				t.Errorf("fu relative error %g", e)
			}
		})
	}
}

// TestDynamicsGraphVJP checks that the graph's gradient of v·next with
// respect to obs and act (what BPTT chains) equals v^T [fx fu].
func TestDynamicsGraphVJP(t *testing.T) {
	d := newFittedDynamics(t, 5)
	rng := newRNG(6)
	const n = 3
	obs, act, v := randSlice(rng, n*3, 1), randSlice(rng, n, 1), randSlice(rng, n*3, 1)
	g := G.NewGraph()
	obsN, actN := inputNode(g, "obs", obs, n, 3), inputNode(g, "act", act, n, 1)
	next, err := d.ApplyNext(d.Bind(g), obsN, actN)
	if err != nil {
		t.Fatal(err)
	}
	l := G.Must(G.Sum(G.Must(G.HadamardProd(next, inputNode(g, "v", v, n, 3)))))
	grads, err := G.Grad(l, obsN, actN)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	gx := grads[0].Value().Data().([]float64)
	gu := grads[1].Value().Data().([]float64)
	fx, fu := make([]float64, 9), make([]float64, 3)
	for r := range n {
		d.Jacobians(fx, fu, obs[r*3:r*3+3], act[r:r+1])
		wx, wu := make([]float64, 3), make([]float64, 1)
		for i := range 3 {
			for j := range 3 {
				wx[j] += v[r*3+i] * fx[i*3+j]
			}
			wu[0] += v[r*3+i] * fu[i]
		}
		if e := autodiff.MaxRelError(gx[r*3:r*3+3], wx); e > 1e-12 {
			t.Errorf("row %d: d/dobs relative error %g", r, e)
		}
		if e := autodiff.MaxRelError(gu[r:r+1], wu); e > 1e-12 {
			t.Errorf("row %d: d/dact relative error %g", r, e)
		}
	}
}

// TestDynamicsLearnsLinearSystem fits x' = A x + B u and checks the
// one-step error and the learned Jacobians against A and B.
func TestDynamicsLearnsLinearSystem(t *testing.T) {
	A := []float64{1, 0.1, 0, 0, 1, 0.1, 0, 0, 0.9}
	B := []float64{0, 0, 0.1}
	rng := newRNG(8)
	const n = 1024
	obs, act := randSlice(rng, n*3, 1), randSlice(rng, n, 1)
	next := make([]float64, n*3)
	for r := range n {
		for i := range 3 {
			v := B[i] * act[r]
			for j := range 3 {
				v += A[i*3+j] * obs[r*3+j]
			}
			next[r*3+i] = v
		}
	}
	a := dynArch
	a.Hidden = []int{32}
	d, err := NewDynamicsModel("dynamics", a, newRNG(9))
	if err != nil {
		t.Fatal(err)
	}
	d.FitNormalisers(obs, act, next, n)
	x, y := d.TrainingData(obs, act, next, n)
	r, err := NewRegressor(d, 4, 3, RegressorConfig{Batch: 128, Adam: Adam{LR: 3e-3}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Fit(x, y, n, 60, newRNG(10), 0.1, 0); err != nil {
		t.Fatal(err)
	}
	fx, fu := make([]float64, 9), make([]float64, 3)
	d.Jacobians(fx, fu, []float64{0.1, -0.2, 0.3}, []float64{0.2})
	// The deltas have std ~0.1, so 0.02 absolute error in the Jacobian
	// means the model has learned the linear map.
	if dx, du := maxAbsDiff(fx, A), maxAbsDiff(fu, B); dx > 0.02 || du > 0.02 {
		t.Fatalf("learned fx %v (want %v) fu %v (want %v)", fx, A, fu, B)
	}
}

func TestEnsemble(t *testing.T) {
	e, err := NewEnsemble("dynamics", EnsembleArch{Members: 3, Member: dynArch}, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	w0, w1 := e.Member(0).Params()[0].Data(), e.Member(1).Params()[0].Data()
	if w0[0] == w1[0] {
		t.Fatal("members share an initialisation")
	}
	if got := e.Member(2).Params()[0].Name; got != "dynamics.m2.l0.weight" {
		t.Fatalf("member tensor name %q", got)
	}
	rng := newRNG(2)
	const n = 64
	obs, act := randSlice(rng, n*3, 1), randSlice(rng, n, 1)
	next := make([]float64, n*3)
	for i := range next {
		next[i] = 0.9*obs[i] + 0.1*act[i/3]
	}
	regs, err := e.NewRegressors(RegressorConfig{Batch: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range regs {
			r.Close()
		}
	}()
	res, err := e.Fit(regs, obs, act, next, n, 3, newRNG(3), 0.2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[2].Epochs != 3 {
		t.Fatalf("fit results %+v", res)
	}
	all, mean := make([]float64, 9), make([]float64, 3)
	e.PredictAll(all, obs[:3], act[:1])
	e.Predict(mean, obs[:3], act[:1])
	for i := range 3 {
		want := (all[i] + all[3+i] + all[6+i]) / 3
		if math.Abs(mean[i]-want) > 1e-15 {
			t.Fatalf("mean %v, members %v", mean, all)
		}
	}
	fx, fu := make([]float64, 9), make([]float64, 3)
	e.Jacobians(fx, fu, obs[:3], act[:1])
	wantX := autodiff.NumericJacobian(func(dst, x []float64) { e.Predict(dst, x, act[:1]) }, 3, append([]float64(nil), obs[:3]...), 1e-6)
	if err := autodiff.MaxRelError(fx, wantX); err > fdTol {
		t.Fatalf("ensemble fx relative error %g", err)
	}
	if a := testing.AllocsPerRun(20, func() { e.Predict(mean, obs[:3], act[:1]) }); a != 0 {
		t.Fatalf("Ensemble.Predict allocates %v", a)
	}
}

func TestQNetworkGreedy(t *testing.T) {
	q, err := NewQNetwork("q", QArch{ObsDim: 2, NumActions: 3, Activation: Identity}, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	// A linear Q with known weights: Q = obs W + b.
	copy(q.Params()[0].Data(), []float64{1, 0, -1, 0, 1, 0})
	copy(q.Params()[1].Data(), []float64{0, 0, 0.5})
	cases := []struct {
		obs  []float64
		want int
	}{
		{[]float64{2, 0}, 0},
		{[]float64{0, 2}, 1},
		{[]float64{-2, 0}, 2},
		{[]float64{0, 0}, 2},
		{[]float64{0.5, 0.5}, 0}, // tie between 0 and 1: lowest index
	}
	for _, tc := range cases {
		if got := q.Greedy(tc.obs); got != tc.want {
			t.Errorf("Greedy(%v) = %d, want %d", tc.obs, got, tc.want)
		}
	}
}

func TestNormaliser(t *testing.T) {
	data := []float64{
		1, 5, 0,
		3, 5, 1e-9,
		5, 5, 0,
	}
	var nm Normaliser
	nm.Fit(data, 3, 3)
	wantMean := []float64{3, 5, 1e-9 / 3}
	wantStd := []float64{math.Sqrt(8.0 / 3), 1, 1} // constant and tiny-spread columns get 1
	if maxAbsDiff(nm.Mean, wantMean) > 1e-15 || maxAbsDiff(nm.Std, wantStd) > 1e-15 {
		t.Fatalf("mean %v std %v", nm.Mean, nm.Std)
	}
	z := make([]float64, len(data))
	nm.Apply(z, data)
	back := make([]float64, len(data))
	nm.Invert(back, z)
	if d := maxAbsDiff(back, data); d > 1e-15 {
		t.Fatalf("Invert(Apply(x)) differs by %g", d)
	}
	// Refitting keeps the slices (graphs alias them).
	mean0 := &nm.Mean[0]
	nm.Fit(data, 3, 3)
	if &nm.Mean[0] != mean0 {
		t.Fatal("Fit reallocated Mean")
	}
	got := runOnce(t, func(g *G.ExprGraph) (*G.Node, error) {
		zn, err := nm.ApplyNode("norm", inputNode(g, "x", data, 3, 3))
		if err != nil {
			return nil, err
		}
		return nm.InvertNode("norm", zn)
	})
	if d := maxAbsDiff(got, data); d > 1e-15 {
		t.Fatalf("graph round trip differs by %g", d)
	}
	var nilNorm *Normaliser
	nilNorm.Apply(z, data)
	if maxAbsDiff(z, data) != 0 {
		t.Fatal("nil normaliser is not the identity")
	}
}

func BenchmarkDynamicsJacobians(b *testing.B) {
	d, err := NewDynamicsModel("dynamics", DynamicsArch{ObsDim: 3, ActDim: 1, Hidden: []int{64, 64}, Activation: Tanh}, newRNG(1))
	if err != nil {
		b.Fatal(err)
	}
	obs, act := []float64{0.5, -0.3, 1.2}, []float64{0.4}
	fx, fu := make([]float64, 9), make([]float64, 3)
	b.ReportAllocs()
	cpu0 := cputime.Now()
	for b.Loop() {
		d.Jacobians(fx, fu, obs, act)
	}
	cputime.Report(b, cpu0)
}

// TestFastPathsAllocationFree checks every single-row fast path.
func TestFastPathsAllocationFree(t *testing.T) {
	gp, err := NewGaussianPolicy("policy", GaussianPolicyArch{PolicyArch: policyCases[1].arch}, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	dyn := newFittedDynamics(t, 2)
	q, err := NewQNetwork("q", QArch{ObsDim: 3, NumActions: 4, Hidden: []int{8}, Activation: ReLU, ObsNorm: true}, newRNG(3))
	if err != nil {
		t.Fatal(err)
	}
	rew, err := NewRewardModel("reward", RewardArch{ObsDim: 3, ActDim: 1, Hidden: []int{8}, Activation: Tanh}, newRNG(4))
	if err != nil {
		t.Fatal(err)
	}
	mlp := NewMLP("mlp", []int{3, 16, 16, 2}, Tanh, newRNG(5))
	obs4, obs3, act1 := []float64{0.1, 0.2, 0.3, 0.4}, []float64{0.1, 0.2, 0.3}, []float64{0.5}
	u2, x3, v4, y2 := make([]float64, 2), make([]float64, 3), make([]float64, 4), make([]float64, 2)
	fx, fu, jac := make([]float64, 9), make([]float64, 3), make([]float64, 6)
	rng := newRNG(6)
	cases := []struct {
		name string
		f    func()
	}{
		{"MLP.Forward", func() { mlp.Forward(y2, obs3) }},
		{"MLP.Jacobian", func() { mlp.Jacobian(jac, obs3) }},
		{"MLP.VJP", func() { mlp.VJP(x3, obs3, y2) }},
		{"GaussianPolicy.Mean", func() { gp.Mean(u2, obs4) }},
		{"GaussianPolicy.Sample", func() { gp.Sample(u2, obs4, rng) }},
		{"GaussianPolicy.LogProbRow", func() { _ = gp.LogProbRow(obs4, u2) }},
		{"DynamicsModel.Predict", func() { dyn.Predict(x3, obs3, act1) }},
		{"DynamicsModel.Jacobians", func() { dyn.Jacobians(fx, fu, obs3, act1) }},
		{"QNetwork.Values", func() { q.Values(v4, obs3) }},
		{"QNetwork.Greedy", func() { _ = q.Greedy(obs3) }},
		{"RewardModel.Predict", func() { _ = rew.Predict(obs3, act1) }},
	}
	for _, tc := range cases {
		if a := testing.AllocsPerRun(20, tc.f); a != 0 {
			t.Errorf("%s allocates %v times per call", tc.name, a)
		}
	}
}
