package autodiff

import (
	"math"
	"testing"

	"github.com/mbrl/mbrl/autodiff/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// rewindNet is a graph that exercises the ops the project's graphs use
// (matrix products, broadcast bias adds, tanh, clamp, angle wrap, slicing
// by a constant product, reshape, concat, sums, a Hadamard product with an
// input) with gradients with respect to an input and the weights, so that a
// machine run with Rewind can be compared with one run with Reset.
type rewindNet struct {
	g     *G.ExprGraph
	xBuf  []float64
	grads G.Nodes
	loss  *G.Node
	vm    G.VM
}

func newRewindNet(t *testing.T, w1, w2 []float64) *rewindNet {
	t.Helper()
	const b, in, hid = 5, 3, 7
	r := &rewindNet{g: G.NewGraph(), xBuf: make([]float64, b*in)}
	dense := func(shape tensor.Shape, data []float64, name string) *G.Node {
		return G.NewTensor(r.g, G.Float64, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))))
	}
	x := dense(tensor.Shape{b, in}, r.xBuf, "x")
	W1 := dense(tensor.Shape{in, hid}, append([]float64(nil), w1...), "w1")
	W2 := dense(tensor.Shape{hid, 2}, append([]float64(nil), w2...), "w2")
	bias := dense(tensor.Shape{hid}, make([]float64, hid), "b1")
	must := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	h := must(G.Mul(x, W1))
	h = must(G.BroadcastAdd(h, bias, nil, []byte{0}))
	h = must(G.Tanh(h))
	o := must(G.Mul(h, W2))
	o = must(Clamp(o, -0.8, 0.8))
	sel := G.NewConstant(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 0})))
	a := must(G.Mul(o, sel))
	a = must(WrapAngle(must(G.Mul(a, G.NewConstant(5.0)))))
	a = must(G.Reshape(a, tensor.Shape{b, 1}))
	c := must(G.Concat(1, a, o))
	sq := must(G.HadamardProd(c, c))
	r.loss = must(G.Add(must(G.Sum(sq)), must(G.Sum(must(G.HadamardProd(x, x))))))
	var err error
	if r.grads, err = GradWRT(r.loss, x, W1, W2, bias); err != nil {
		t.Fatal(err)
	}
	r.vm = G.NewTapeMachine(r.g)
	return r
}

// TestRewindBitIdentical runs the same graph with Rewind and with Reset
// between runs over several inputs and asserts that the loss and every
// gradient agree bit for bit, and that Rewind stops the per-op output
// allocations.
func TestRewindBitIdentical(t *testing.T) {
	w1 := make([]float64, 3*7)
	w2 := make([]float64, 7*2)
	for i := range w1 {
		w1[i] = math.Sin(float64(3*i + 1))
	}
	for i := range w2 {
		w2[i] = math.Cos(float64(5*i + 2))
	}
	reset, rewind := newRewindNet(t, w1, w2), newRewindNet(t, w1, w2)
	defer reset.vm.Close()
	defer rewind.vm.Close()
	if _, ok := tapeOf(rewind.vm); !ok {
		t.Fatal("Rewind does not recognise Gorgonia's tape machine: it would fall back to Reset")
	}
	for run := range 6 {
		for i := range reset.xBuf {
			v := math.Sin(float64(run*31+i)) * 2
			reset.xBuf[i], rewind.xBuf[i] = v, v
		}
		if err := reset.vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := rewind.vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		want, got := make([][]float64, 4), make([][]float64, 4)
		if err := CopyGrads(want, reset.grads); err != nil {
			t.Fatal(err)
		}
		if err := CopyGrads(got, rewind.grads); err != nil {
			t.Fatal(err)
		}
		lw, lg := reset.loss.Value().Data().(float64), rewind.loss.Value().Data().(float64)
		if math.Float64bits(lw) != math.Float64bits(lg) {
			t.Fatalf("run %d: loss %v with Rewind, %v with Reset", run, lg, lw)
		}
		for k := range want {
			for i := range want[k] {
				if math.Float64bits(want[k][i]) != math.Float64bits(got[k][i]) {
					t.Fatalf("run %d: gradient %d[%d] = %v with Rewind, %v with Reset", run, k, i, got[k][i], want[k][i])
				}
			}
		}
		reset.vm.Reset()
		Rewind(rewind.vm)
	}
	allocs := func(vm G.VM, again func(G.VM)) float64 {
		return testing.AllocsPerRun(20, func() {
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			again(vm)
		})
	}
	aReset := allocs(reset.vm, func(vm G.VM) { vm.Reset() })
	aRewind := allocs(rewind.vm, Rewind)
	if aRewind >= aReset {
		t.Errorf("allocations per run: %v with Rewind, %v with Reset; want fewer", aRewind, aReset)
	}
	t.Logf("allocations per run: %v with Rewind, %v with Reset", aRewind, aReset)
}

// TestRewindOtherMachine checks that Rewind falls back to Reset on a
// machine that is not a tape machine.
func TestRewindOtherMachine(t *testing.T) {
	g := G.NewGraph()
	x := G.NewScalar(g, G.Float64, G.WithValue(2.0))
	y := G.Must(G.Mul(x, x))
	vm := G.NewLispMachine(g, G.ExecuteFwdOnly())
	defer vm.Close()
	if _, ok := tapeOf(vm); ok {
		t.Fatal("a LispMachine was taken for a tape machine")
	}
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	Rewind(vm)
	if got := y.Value().Data().(float64); got != 4 {
		t.Fatalf("y = %v, want 4", got)
	}
}

// TestExactBLASInstalled checks that importing autodiff installs the
// bit-exact Dgemm under Gorgonia.
func TestExactBLASInstalled(t *testing.T) {
	if _, ok := G.WhichBLAS().(blas.Exact); !ok {
		t.Fatalf("Gorgonia's BLAS is %T, want blas.Exact", G.WhichBLAS())
	}
}

// TestRewindProtectsInputs checks that after Rewind no register of the
// machine shares memory with an input of the graph (the input itself or a
// reshaped view of it), so that the next run cannot write into an input,
// and that reruns keep giving the right values.
func TestRewindProtectsInputs(t *testing.T) {
	g := G.NewGraph()
	xd := []float64{1, 2, 3, 4, 5, 6}
	x := G.NewMatrix(g, G.Float64, G.WithShape(2, 3), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(xd))))
	// (Gorgonia itself, Reset or Rewind, writes into x if the view y feeds
	// an elementwise op with a scalar, which it computes in place: a
	// matrix product does not.)
	y := G.Must(G.Reshape(x, tensor.Shape{3, 2}))
	w := G.NewMatrix(g, G.Float64, G.WithShape(2, 1), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(2, 1), tensor.WithBacking([]float64{1, 2}))))
	z := G.Must(G.Mul(y, w))
	s := G.Must(G.Sum(z))
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	for run := range 3 {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		// y = [[1 2] [3 4] [5 6]], y w = [5 11 17].
		if got := s.Value().Data().(float64); got != 33 {
			t.Fatalf("run %d: sum %v, want 33", run, got)
		}
		Rewind(vm)
		m, ok := tapeOf(vm)
		if !ok {
			t.Fatal("not a tape machine")
		}
		in := memOf(x.Value())
		for i, v := range *m.cpumem {
			if v != nil && overlapsAny(memOf(v), []memRange{in}) {
				t.Fatalf("run %d: register %d shares the input's memory after Rewind", run, i)
			}
		}
		for i, v := range xd {
			if v != float64(i+1) {
				t.Fatalf("run %d: input changed to %v", run, xd)
			}
		}
	}
}
