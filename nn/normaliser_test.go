package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestNormalisersOfEqualWidthStayApart: two normalisers of the same width
// and different statistics in one graph each use their own statistics
// (Gorgonia merges input nodes of equal name and shape, so shared names
// would make the second use the first one's).
func TestNormalisersOfEqualWidthStayApart(t *testing.T) {
	x := []float64{1, 2, 3, -4, 5, 6}
	a := &Normaliser{Mean: []float64{1, 1, 1}, Std: []float64{2, 2, 2}}
	b := &Normaliser{Mean: []float64{-1, 0, 1}, Std: []float64{0.5, 4, 8}}
	got := runOnce(t, func(g *G.ExprGraph) (*G.Node, error) {
		xn := inputNode(g, "x", x, 2, 3)
		za, err := a.ApplyNode("a", xn)
		if err != nil {
			return nil, err
		}
		zb, err := b.ApplyNode("b", xn)
		if err != nil {
			return nil, err
		}
		return G.Concat(1, za, zb)
	})
	for r := range 2 {
		for j := range 3 {
			v := x[r*3+j]
			if wa, ga := (v-a.Mean[j])/a.Std[j], got[r*6+j]; ga != wa {
				t.Errorf("a(%g) = %g, want %g", v, ga, wa)
			}
			if wb, gb := (v-b.Mean[j])/b.Std[j], got[r*6+3+j]; gb != wb {
				t.Errorf("b(%g) = %g, want %g", v, gb, wb)
			}
		}
	}
}

// TestPolicyAndModelInOneGraph: a normalised policy and a dynamics model
// whose delta normaliser has the policy's width (pendulum: 3), bound in one
// graph as BPTT through a learned model binds them, give the same actions
// and predictions as their plain-Go Act and Predict.
func TestPolicyAndModelInOneGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 1))
	pol, err := NewDeterministicPolicy("policy", PolicyArch{ObsDim: 3, ActDim: 1, Hidden: []int{8}, Activation: Tanh,
		Low: []float64{-2}, High: []float64{2}, ObsNorm: true}, rng)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := NewDynamicsModel("dynamics", DynamicsArch{ObsDim: 3, ActDim: 1, Hidden: []int{8}, Activation: Tanh}, rng)
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	obs := make([]float64, n*3)
	act := make([]float64, n)
	next := make([]float64, n*3)
	for i := range obs {
		obs[i] = 3 * rng.NormFloat64()
		next[i] = obs[i] + 0.1*rng.NormFloat64() - 0.5
	}
	for i := range act {
		act[i] = rng.NormFloat64()
	}
	pol.Normaliser().Fit(obs, n, 3)
	dyn.FitNormalisers(obs, act, next, n)
	if pol.Normaliser().Mean[0] == dyn.DeltaNormaliser().Mean[0] {
		t.Fatal("test needs different statistics")
	}
	got := runOnce(t, func(g *G.ExprGraph) (*G.Node, error) {
		on := inputNode(g, "obs", obs, n, 3)
		u, err := pol.Apply(pol.Bind(g), on)
		if err != nil {
			return nil, err
		}
		nx, err := dyn.ApplyNext(dyn.Bind(g), on, u)
		if err != nil {
			return nil, err
		}
		return G.Concat(1, u, nx)
	})
	u, p := make([]float64, 1), make([]float64, 3)
	for r := range n {
		o := obs[r*3 : r*3+3]
		pol.Act(u, o)
		dyn.Predict(p, o, u)
		if d := math.Abs(got[r*4] - u[0]); d > 1e-12 {
			t.Errorf("row %d: graph action %g, Act %g", r, got[r*4], u[0])
		}
		for j := range 3 {
			if d := math.Abs(got[r*4+1+j] - p[j]); d > 1e-9 {
				t.Errorf("row %d: graph next[%d] %g, Predict %g (the model uses the policy's statistics?)", r, j, got[r*4+1+j], p[j])
			}
		}
	}
}
