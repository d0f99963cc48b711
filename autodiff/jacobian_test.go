package autodiff

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mlp is a tanh MLP applied row-wise to [x, u]: sizes[0] = dx + du inputs,
// tanh hidden layers, a linear output layer. Weights are [in, out]
// row-major, as in Gorgonia's x W.
type mlp struct {
	dx, du int
	sizes  []int
	ws, bs [][]float64
}

func newMLP(seed uint64, dx, du int, hidden []int, nOut int) *mlp {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := &mlp{dx: dx, du: du, sizes: append(append([]int{dx + du}, hidden...), nOut)}
	for l := 0; l+1 < len(m.sizes); l++ {
		in, out := m.sizes[l], m.sizes[l+1]
		w := make([]float64, in*out)
		for i := range w {
			w[i] = rng.NormFloat64() / math.Sqrt(float64(in))
		}
		b := make([]float64, out)
		for i := range b {
			b[i] = 0.1 * rng.NormFloat64()
		}
		m.ws, m.bs = append(m.ws, w), append(m.bs, b)
	}
	return m
}

// forward writes the output for one row: z = [x, u].
func (m *mlp) forward(dst, z []float64) {
	a := z
	for l := range m.ws {
		in, out := m.sizes[l], m.sizes[l+1]
		next := make([]float64, out)
		for j := 0; j < out; j++ {
			s := m.bs[l][j]
			for i := 0; i < in; i++ {
				s += a[i] * m.ws[l][i*out+j]
			}
			if l+1 < len(m.ws) {
				s = math.Tanh(s)
			}
			next[j] = s
		}
		a = next
	}
	copy(dst, a)
}

// mlpGraph builds m over inputs x [B, dx] and u [B, du] in a new graph,
// with input values from xs and us.
func (m *mlp) graph(B int, xs, us []float64) (g *G.ExprGraph, out, x, u *G.Node) {
	g = G.NewGraph()
	mat := func(name string, r, c int, d []float64) *G.Node {
		return G.NewMatrix(g, tensor.Float64, G.WithShape(r, c), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(r, c), tensor.WithBacking(append([]float64(nil), d...)))))
	}
	x, u = mat("x", B, m.dx, xs), mat("u", B, m.du, us)
	a := G.Must(G.Concat(1, x, u))
	for l := range m.ws {
		in, n := m.sizes[l], m.sizes[l+1]
		w := mat(fmt.Sprintf("w%d", l), in, n, m.ws[l])
		b := G.NewVector(g, tensor.Float64, G.WithShape(n), G.WithName(fmt.Sprintf("b%d", l)),
			G.WithValue(tensor.New(tensor.WithShape(n), tensor.WithBacking(append([]float64(nil), m.bs[l]...)))))
		a = G.Must(G.BroadcastAdd(G.Must(G.Mul(a, w)), b, nil, []byte{0}))
		if l+1 < len(m.ws) {
			a = G.Must(G.Tanh(a))
		}
	}
	return g, a, x, u
}

func randRows(rng *rand.Rand, n int) []float64 {
	d := make([]float64, n)
	for i := range d {
		d[i] = rng.Float64()*2 - 1
	}
	return d
}

func TestJacobianMLP(t *testing.T) {
	for _, tc := range []struct {
		name   string
		B      int
		dx, du int
		hidden []int
		nOut   int
	}{
		{"5-64-64-3 B=8", 8, 3, 2, []int{64, 64}, 3},
		{"B=1", 1, 3, 2, []int{16}, 3},
		{"wide out 4-8-5", 4, 2, 2, []int{8}, 5},
		{"one action dim", 3, 4, 1, []int{10, 10}, 4},
	} {
		m := newMLP(7, tc.dx, tc.du, tc.hidden, tc.nOut)
		rng := rand.New(rand.NewPCG(11, 2))
		xs, us := randRows(rng, tc.B*tc.dx), randRows(rng, tc.B*tc.du)
		g, out, x, u := m.graph(tc.B, xs, us)
		jac, err := NewJacobian(g, out, x, u)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if jac.Batch() != tc.B || jac.OutDim() != tc.nOut || jac.InDims()[0] != tc.dx || jac.InDims()[1] != tc.du {
			t.Errorf("%s: sizes %d %d %v", tc.name, jac.Batch(), jac.OutDim(), jac.InDims())
		}
		if jac.Output() != nil {
			t.Errorf("%s: Output before Compute is not nil", tc.name)
		}
		for pass := 0; pass < 2; pass++ {
			if pass == 1 {
				// New inputs, fed by writing into the input values.
				xs, us = randRows(rng, tc.B*tc.dx), randRows(rng, tc.B*tc.du)
				xd, _ := valueData(x)
				ud, _ := valueData(u)
				copy(xd, xs)
				copy(ud, us)
			}
			J, err := jac.Compute()
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			outV := jac.Output()
			dz := tc.dx + tc.du
			for b := 0; b < tc.B; b++ {
				z := append(append([]float64(nil), xs[b*tc.dx:(b+1)*tc.dx]...), us[b*tc.du:(b+1)*tc.du]...)
				wantOut := make([]float64, tc.nOut)
				m.forward(wantOut, z)
				if e := MaxRelError(outV[b*tc.nOut:(b+1)*tc.nOut], wantOut); e > 1e-13 {
					t.Errorf("%s pass %d row %d: output rel err %g", tc.name, pass, b, e)
				}
				// Central differences on the Go reference: error ~1e-10.
				num := NumericJacobian(m.forward, tc.nOut, z, 1e-6)
				numX := make([]float64, 0, tc.nOut*tc.dx)
				numU := make([]float64, 0, tc.nOut*tc.du)
				for k := 0; k < tc.nOut; k++ {
					numX = append(numX, num[k*dz:k*dz+tc.dx]...)
					numU = append(numU, num[k*dz+tc.dx:(k+1)*dz]...)
				}
				gotX := J[0][b*tc.nOut*tc.dx : (b+1)*tc.nOut*tc.dx]
				gotU := J[1][b*tc.nOut*tc.du : (b+1)*tc.nOut*tc.du]
				if e := MaxRelError(gotX, numX); e > 1e-7 {
					t.Errorf("%s pass %d row %d: d out/d x rel err %g\n got  %v\n want %v", tc.name, pass, b, e, gotX, numX)
				}
				if e := MaxRelError(gotU, numU); e > 1e-7 {
					t.Errorf("%s pass %d row %d: d out/d u rel err %g\n got  %v\n want %v", tc.name, pass, b, e, gotU, numU)
				}
			}
		}
		if err := jac.Close(); err != nil {
			t.Errorf("%s: Close: %v", tc.name, err)
		}
	}
}

func TestJacobianErrors(t *testing.T) {
	m := newMLP(3, 2, 1, []int{4}, 2)
	g, out, x, u := m.graph(3, make([]float64, 6), make([]float64, 3))
	other, _, ox, _ := m.graph(3, make([]float64, 6), make([]float64, 3))
	_ = other
	unused := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 2), G.WithName("unused"),
		G.WithValue(tensor.New(tensor.WithShape(3, 2), tensor.WithBacking(make([]float64, 6)))))
	short := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 2), G.WithName("short"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking(make([]float64, 4)))))
	sum := G.Must(G.Sum(out))
	for _, tc := range []struct {
		name string
		g    *G.ExprGraph
		out  *G.Node
		ins  G.Nodes
	}{
		{"nil graph", nil, out, G.Nodes{x}},
		{"no inputs", g, out, nil},
		{"scalar out", g, sum, G.Nodes{x}},
		{"other graph out", other, out, G.Nodes{x}},
		{"other graph in", g, out, G.Nodes{ox}},
		{"nil in", g, out, G.Nodes{x, nil}},
		{"twice", g, out, G.Nodes{x, x}},
		{"rows", g, out, G.Nodes{short}},
		{"unused input", g, out, G.Nodes{u, unused}},
	} {
		_, err := NewJacobian(tc.g, tc.out, tc.ins...)
		if err == nil || !strings.HasPrefix(err.Error(), "autodiff: NewJacobian:") {
			t.Errorf("%s: err = %v, want an autodiff: NewJacobian: error", tc.name, err)
		}
	}
	if _, err := NewJacobian(g, out, x, u); err != nil {
		t.Fatal(err)
	}
	if _, err := NewJacobian(g, out, x); !errors.Is(err, ErrDifferentiated) {
		t.Errorf("second Jacobian on a graph: err = %v, want ErrDifferentiated", err)
	}
}

func BenchmarkJacobian(b *testing.B) {
	for _, B := range []int{32, 256} {
		b.Run(fmt.Sprintf("mlp5-64-64-3/B=%d", B), func(b *testing.B) {
			m := newMLP(1, 3, 2, []int{64, 64}, 3)
			rng := rand.New(rand.NewPCG(2, 3))
			g, out, x, u := m.graph(B, randRows(rng, B*3), randRows(rng, B*2))
			jac, err := NewJacobian(g, out, x, u)
			if err != nil {
				b.Fatal(err)
			}
			defer jac.Close()
			dst := make([][]float64, 2)
			b.ReportAllocs()
			for b.Loop() {
				if err := jac.ComputeInto(dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
