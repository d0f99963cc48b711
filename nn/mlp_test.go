package nn

import (
	"testing"

	"github.com/mbrl/mbrl/autodiff"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var mlpCases = []struct {
	name  string
	sizes []int
	act   Activation
}{
	{"tanh 4-16-16-3", []int{4, 16, 16, 3}, Tanh},
	{"relu 3-8-2", []int{3, 8, 2}, ReLU},
	{"identity 2-5-4", []int{2, 5, 4}, Identity},
	{"linear 3-1", []int{3, 1}, Tanh},
	{"wide out 2-8-6", []int{2, 8, 6}, Tanh},
}

func TestMLPGraphMatchesFast(t *testing.T) {
	for i, tc := range mlpCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRNG(uint64(i))
			m := NewMLP("net", tc.sizes, tc.act, rng)
			const n = 7
			x := randSlice(rng, n*m.In(), 1)
			got := runOnce(t, func(g *G.ExprGraph) (*G.Node, error) {
				out, _, err := m.Build(g, inputNode(g, "x", x, n, m.In()))
				return out, err
			})
			batch := make([]float64, n*m.Out())
			m.ForwardBatch(batch, x, n)
			row := make([]float64, n*m.Out())
			for r := range n {
				m.Forward(row[r*m.Out():(r+1)*m.Out()], x[r*m.In():(r+1)*m.In()])
			}
			if d := maxAbsDiff(got, batch); d > graphTol {
				t.Errorf("graph vs ForwardBatch: max diff %g", d)
			}
			if d := maxAbsDiff(got, row); d > graphTol {
				t.Errorf("graph vs Forward: max diff %g", d)
			}
		})
	}
}

// TestMLPGradientFiniteDifferences checks Gorgonia's gradient of the MSE
// with respect to every weight against central differences of the fast
// path.
func TestMLPGradientFiniteDifferences(t *testing.T) {
	for i, tc := range mlpCases {
		if tc.act == ReLU {
			continue // kinks make finite differences unreliable
		}
		t.Run(tc.name, func(t *testing.T) {
			rng := newRNG(uint64(100 + i))
			m := NewMLP("net", tc.sizes, tc.act, rng)
			for _, p := range m.Params() { // non-zero biases too
				for j := range p.Data() {
					p.Data()[j] += 0.1 * rng.NormFloat64()
				}
			}
			const n = 5
			x := randSlice(rng, n*m.In(), 1)
			y := randSlice(rng, n*m.Out(), 1)
			g := G.NewGraph()
			out, learn, err := m.Build(g, inputNode(g, "x", x, n, m.In()))
			if err != nil {
				t.Fatal(err)
			}
			loss := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(out, inputNode(g, "y", y, n, m.Out())))))))
			grads, err := G.Grad(loss, learn...)
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
			pred := make([]float64, n*m.Out())
			mse := func([]float64) float64 {
				m.ForwardBatch(pred, x, n)
				var s float64
				for k := range pred {
					d := pred[k] - y[k]
					s += d * d
				}
				return s / float64(len(pred))
			}
			for k, p := range m.Params() {
				if e := autodiff.CheckGradient(mse, got[k], p.Data(), 1e-6); e > fdTol {
					t.Errorf("%s: relative error %g", p.Name, e)
				}
			}
		})
	}
}

func TestMLPJacobianAndVJP(t *testing.T) {
	for i, tc := range mlpCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRNG(uint64(200 + i))
			m := NewMLP("net", tc.sizes, tc.act, rng)
			x := randSlice(rng, m.In(), 1)
			want := autodiff.NumericJacobian(m.Forward, m.Out(), x, 1e-6)
			got := make([]float64, m.Out()*m.In())
			m.Jacobian(got, x)
			if e := autodiff.MaxRelError(got, want); e > fdTol {
				t.Errorf("Jacobian relative error %g", e)
			}
			v := randSlice(rng, m.Out(), 1)
			vjp := make([]float64, m.In())
			m.VJP(vjp, x, v)
			wantVJP := make([]float64, m.In())
			for o := range m.Out() {
				for j := range m.In() {
					wantVJP[j] += v[o] * got[o*m.In()+j]
				}
			}
			if e := autodiff.MaxRelError(vjp, wantVJP); e > 1e-12 {
				t.Errorf("VJP vs Jacobian relative error %g", e)
			}
		})
	}
}

// TestWeightsSharedBetweenGraphs binds one MLP in two graphs of different
// batch sizes and checks that both see an in-place weight update.
func TestWeightsSharedBetweenGraphs(t *testing.T) {
	rng := newRNG(7)
	m := NewMLP("net", []int{3, 8, 2}, Tanh, rng)
	type bound struct {
		g   *G.ExprGraph
		vm  G.VM
		out *G.Node
		x   []float64
		n   int
		mn  *MLPNodes
	}
	var bs []bound
	for _, n := range []int{1, 4} {
		g := G.NewGraph()
		x := randSlice(rng, n*3, 1)
		mn := m.Bind(g)
		out, err := mn.Apply(inputNode(g, "x", x, n, 3))
		if err != nil {
			t.Fatal(err)
		}
		bs = append(bs, bound{g, G.NewTapeMachine(g), out, x, n, mn})
	}
	for _, b := range bs {
		for k, node := range b.mn.Learnables() {
			d := node.Value().(*tensor.Dense).Data().([]float64)
			if &d[0] != &m.Params()[k].Data()[0] {
				t.Fatalf("node %s does not alias the model's tensor", node.Name())
			}
		}
	}
	for round := range 2 {
		if round == 1 {
			for _, p := range m.Params() {
				for j := range p.Data() {
					p.Data()[j] *= 1.5
				}
			}
		}
		for _, b := range bs {
			if err := b.vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			want := make([]float64, b.n*2)
			m.ForwardBatch(want, b.x, b.n)
			if d := maxAbsDiff(b.out.Value().Data().([]float64), want); d > graphTol {
				t.Errorf("round %d batch %d: graph differs from fast path by %g", round, b.n, d)
			}
			b.vm.Reset()
		}
	}
}

func TestMLPCloneSharesNothing(t *testing.T) {
	m := NewMLP("net", []int{2, 4, 1}, Tanh, newRNG(1))
	c := m.Clone()
	x := []float64{0.3, -0.2}
	a, b := make([]float64, 1), make([]float64, 1)
	m.Forward(a, x)
	c.Forward(b, x)
	if a[0] != b[0] {
		t.Fatalf("clone output %v, original %v", b, a)
	}
	c.Params()[0].Data()[0] += 1
	m.Forward(b, x)
	if a[0] != b[0] {
		t.Fatal("changing the clone changed the original")
	}
}
