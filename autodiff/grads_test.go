package autodiff

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// quadGraph builds cost = sum(w ⊙ w) + a·a for w [2,3] and scalar a, whose
// gradients are 2w and 2a.
func quadGraph(t *testing.T) (*G.ExprGraph, G.Nodes, []float64, float64) {
	t.Helper()
	g := G.NewGraph()
	wv := []float64{1, -2, 3, 0.5, 0, -1}
	av := 1.5
	w := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(append([]float64(nil), wv...)))))
	a := G.NewScalar(g, tensor.Float64, G.WithName("a"), G.WithValue(av))
	cost := G.Must(G.Add(G.Must(G.Sum(G.Must(G.HadamardProd(w, w)))), G.Must(G.Mul(a, a))))
	grads, err := G.Grad(cost, w, a)
	if err != nil {
		t.Fatal(err)
	}
	return g, grads, wv, av
}

func TestCopyAddGrads(t *testing.T) {
	g, grads, wv, av := quadGraph(t)
	want := [][]float64{make([]float64, len(wv)), {2 * av}}
	for i, v := range wv {
		want[0][i] = 2 * v
	}

	if err := CopyGrads(make([][]float64, 2), grads); err == nil || !strings.HasPrefix(err.Error(), "autodiff:") {
		t.Errorf("CopyGrads before a run: err = %v, want an autodiff: error", err)
	}

	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	wrongLen := []float64{7, 8}
	dst := [][]float64{nil, wrongLen}
	if err := CopyGrads(dst, grads); err != nil {
		t.Fatal(err)
	}
	if MaxRelError(dst[0], want[0]) != 0 || MaxRelError(dst[1], want[1]) != 0 {
		t.Errorf("CopyGrads = %v, want %v", dst, want)
	}
	if len(dst[1]) != 1 || wrongLen[0] != 7 {
		t.Errorf("CopyGrads kept or wrote into a slice of the wrong length")
	}
	// The copy must not alias the machine's memory.
	dst[0][0] = 99
	if d, _ := valueData(grads[0]); d[0] == 99 {
		t.Errorf("CopyGrads result aliases the node value")
	}

	sum := [][]float64{nil, {10}}
	for run := 0; run < 3; run++ {
		if run > 0 {
			vm.Reset()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
		}
		if err := AddGrads(sum, grads); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range want[0] {
		if sum[0][i] != 3*v {
			t.Errorf("AddGrads: sum[0][%d] = %v, want %v", i, sum[0][i], 3*v)
		}
	}
	if sum[1][0] != 10+3*want[1][0] {
		t.Errorf("AddGrads: sum[1] = %v, want %v", sum[1][0], 10+3*want[1][0])
	}

	for _, tc := range []struct {
		name string
		err  error
	}{
		{"Copy count", CopyGrads(make([][]float64, 1), grads)},
		{"Add count", AddGrads(make([][]float64, 3), grads)},
		{"Add length", AddGrads([][]float64{{1}, nil}, grads)},
		{"Copy nil node", CopyGrads(make([][]float64, 1), G.Nodes{nil})},
	} {
		if tc.err == nil || !strings.HasPrefix(tc.err.Error(), "autodiff:") {
			t.Errorf("%s: err = %v, want an autodiff: error", tc.name, tc.err)
		}
	}
}

func TestCopyGradsFloat32(t *testing.T) {
	g := G.NewGraph()
	x := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithValue(tensor.New(tensor.WithBacking([]float32{1, 2}))))
	if err := CopyGrads(make([][]float64, 1), G.Nodes{x}); err == nil || !strings.Contains(err.Error(), "float64") {
		t.Errorf("float32 value: err = %v, want a dtype error", err)
	}
}
