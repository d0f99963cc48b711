package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Tolerances. graphTol: the graph and the fast path compute the same sums
// in different orders (gemm vs gemv); agreement is ~1e-15 relative.
// fdTol: central differences with eps 1e-6 are accurate to ~1e-9 relative
// for these smooth, order-1 functions.
const (
	graphTol = 1e-12
	fdTol    = 1e-6
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0xda7a)) }

func randSlice(rng *rand.Rand, n int, scale float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = scale * rng.NormFloat64()
	}
	return s
}

// inputNode makes a [rows, cols] input node backed by data.
func inputNode(g *G.ExprGraph, name string, data []float64, rows, cols int) *G.Node {
	return G.NewMatrix(g, G.Float64, G.WithShape(rows, cols), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(data))))
}

// runOnce builds a graph with build, runs it once and returns a copy of
// the output's data.
func runOnce(t testing.TB, build func(g *G.ExprGraph) (*G.Node, error)) []float64 {
	t.Helper()
	g := G.NewGraph()
	out, err := build(g)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	switch d := out.Value().Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case float64:
		return []float64{d}
	}
	t.Fatalf("unexpected output data %T", out.Value().Data())
	return nil
}

// maxAbsDiff returns max_i |a_i - b_i| (Inf on length mismatch or NaN).
func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		v := math.Abs(a[i] - b[i])
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		d = max(d, v)
	}
	return d
}
