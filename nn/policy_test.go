package nn

import (
	"math"
	"testing"

	"github.com/mbrl/mbrl/autodiff"
	"github.com/mbrl/mbrl/internal/cputime"
	G "gorgonia.org/gorgonia"
)

var policyCases = []struct {
	name string
	arch PolicyArch
}{
	{"pendulum 3-64-64-1", PolicyArch{ObsDim: 3, ActDim: 1, Hidden: []int{64, 64}, Activation: Tanh, Low: []float64{-2}, High: []float64{2}}},
	{"normalised 4-16-2 relu", PolicyArch{ObsDim: 4, ActDim: 2, Hidden: []int{16}, Activation: ReLU, Low: []float64{-1, 0}, High: []float64{1, 3}, ObsNorm: true}},
	{"linear 2-3", PolicyArch{ObsDim: 2, ActDim: 3, Activation: Identity, Low: []float64{-1, -1, -5}, High: []float64{1, 2, 5}, ObsNorm: true}},
}

// setNorm gives a policy's normaliser non-trivial statistics.
func setNorm(nm *Normaliser, seed uint64) {
	if nm == nil {
		return
	}
	rng := newRNG(seed)
	for i := range nm.Mean {
		nm.Mean[i] = rng.NormFloat64()
		nm.Std[i] = 0.5 + rng.Float64()
	}
}

func TestDeterministicPolicyGraphMatchesFast(t *testing.T) {
	for i, tc := range policyCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRNG(uint64(i))
			p, err := NewDeterministicPolicy("policy", tc.arch, rng)
			if err != nil {
				t.Fatal(err)
			}
			setNorm(p.Normaliser(), 9)
			const n = 6
			obs := randSlice(rng, n*tc.arch.ObsDim, 2)
			got := runOnce(t, func(g *G.ExprGraph) (*G.Node, error) {
				out, _, err := p.Build(g, inputNode(g, "obs", obs, n, tc.arch.ObsDim))
				return out, err
			})
			want := make([]float64, n*tc.arch.ActDim)
			m := tc.arch.ActDim
			for r := range n {
				p.Act(want[r*m:(r+1)*m], obs[r*tc.arch.ObsDim:(r+1)*tc.arch.ObsDim])
				for j := range m {
					if u := want[r*m+j]; u < tc.arch.Low[j] || u > tc.arch.High[j] {
						t.Errorf("action %v outside [%v, %v]", u, tc.arch.Low[j], tc.arch.High[j])
					}
				}
			}
			if d := maxAbsDiff(got, want); d > graphTol {
				t.Errorf("graph vs Act: max diff %g", d)
			}
		})
	}
}

func TestDeterministicPolicyActionJacobian(t *testing.T) {
	for i, tc := range policyCases {
		if tc.arch.Activation == ReLU {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			rng := newRNG(uint64(10 + i))
			p, err := NewDeterministicPolicy("policy", tc.arch, rng)
			if err != nil {
				t.Fatal(err)
			}
			setNorm(p.Normaliser(), 3)
			obs := randSlice(rng, tc.arch.ObsDim, 1)
			got := make([]float64, tc.arch.ActDim*tc.arch.ObsDim)
			p.ActionJacobian(got, obs)
			want := autodiff.NumericJacobian(p.Act, tc.arch.ActDim, obs, 1e-6)
			if e := autodiff.MaxRelError(got, want); e > fdTol {
				t.Errorf("relative error %g", e)
			}
		})
	}
}

// TestActAndJacobianBitIdentical: the one-pass action and Jacobian are
// Act's and ActionJacobian's bits, for the policy and for its plain MLP.
func TestActAndJacobianBitIdentical(t *testing.T) {
	for i, tc := range policyCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRNG(uint64(20 + i))
			p, err := NewDeterministicPolicy("policy", tc.arch, rng)
			if err != nil {
				t.Fatal(err)
			}
			setNorm(p.Normaliser(), 3)
			na, no := tc.arch.ActDim, tc.arch.ObsDim
			for range 5 {
				obs := randSlice(rng, no, 2)
				a, j := make([]float64, na), make([]float64, na*no)
				wa, wj := make([]float64, na), make([]float64, na*no)
				p.ActAndJacobian(a, j, obs)
				p.Act(wa, obs)
				p.ActionJacobian(wj, obs)
				mo, mj := make([]float64, na), make([]float64, na*no)
				p.net.ForwardJacobian(mo, mj, obs)
				wo, wmj := make([]float64, na), make([]float64, na*no)
				p.net.Forward(wo, obs)
				p.net.Jacobian(wmj, obs)
				for k, pair := range [][2][]float64{{a, wa}, {j, wj}, {mo, wo}, {mj, wmj}} {
					for e := range pair[0] {
						if math.Float64bits(pair[0][e]) != math.Float64bits(pair[1][e]) {
							t.Fatalf("output %d element %d: one pass %v, separate calls %v", k, e, pair[0][e], pair[1][e])
						}
					}
				}
			}
		})
	}
}

func TestPolicyArchErrors(t *testing.T) {
	base := policyCases[0].arch
	cases := []struct {
		name string
		mod  func(a *PolicyArch)
	}{
		{"zero obs", func(a *PolicyArch) { a.ObsDim = 0 }},
		{"bounds length", func(a *PolicyArch) { a.Low = nil }},
		{"inverted bounds", func(a *PolicyArch) { a.Low, a.High = []float64{1}, []float64{-1} }},
		{"bad activation", func(a *PolicyArch) { a.Activation = "sigmoid" }},
		{"bad hidden", func(a *PolicyArch) { a.Hidden = []int{0} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := base
			tc.mod(&a)
			if _, err := NewDeterministicPolicy("p", a, newRNG(1)); err == nil {
				t.Fatal("accepted a bad architecture")
			}
		})
	}
}

func TestPolicyActAllocationFree(t *testing.T) {
	p, err := NewDeterministicPolicy("policy", policyCases[0].arch, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	obs, u := []float64{0.5, -0.3, 1.2}, make([]float64, 1)
	jac := make([]float64, 3)
	if a := testing.AllocsPerRun(100, func() { p.Act(u, obs) }); a != 0 {
		t.Errorf("Act allocates %v times per call", a)
	}
	if a := testing.AllocsPerRun(100, func() { p.ActionJacobian(jac, obs) }); a != 0 {
		t.Errorf("ActionJacobian allocates %v times per call", a)
	}
}

// TestBehaviourCloning fits a policy to a known bounded controller.
func TestBehaviourCloning(t *testing.T) {
	arch := PolicyArch{ObsDim: 2, ActDim: 1, Hidden: []int{16}, Activation: Tanh, Low: []float64{-2}, High: []float64{2}}
	p, err := NewDeterministicPolicy("policy", arch, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	rng := newRNG(2)
	const n = 256
	obs := randSlice(rng, 2*n, 1)
	act := make([]float64, n)
	for i := range act {
		act[i] = 2 * math.Tanh(0.8*obs[2*i]-0.5*obs[2*i+1])
	}
	r, err := NewRegressor(p, 2, 1, RegressorConfig{Batch: 32, Adam: Adam{LR: 1e-2}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.Fit(obs, act, n, 60, newRNG(3), 0.1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.BestValLoss > 1e-2 {
		t.Fatalf("behaviour cloning validation MSE %g", res.BestValLoss)
	}
}

func BenchmarkPolicyAct(b *testing.B) {
	p, err := NewDeterministicPolicy("policy", policyCases[0].arch, newRNG(1))
	if err != nil {
		b.Fatal(err)
	}
	obs, u := []float64{0.5, -0.3, 1.2}, make([]float64, 1)
	b.ReportAllocs()
	cpu0 := cputime.Now()
	for b.Loop() {
		p.Act(u, obs)
	}
	cputime.Report(b, cpu0)
}
