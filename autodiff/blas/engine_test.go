package blas

import (
	"math"
	"math/rand/v2"
	"testing"

	gblas "gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func randDense(rng *rand.Rand, shape ...int) *tensor.Dense {
	t := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(shape...))
	for i := range t.Float64s() {
		t.Float64s()[i] = 3 * rng.NormFloat64()
	}
	return t
}

// TestEngineTanhOptions checks Engine.Tanh under every option Gorgonia's
// tanh op uses (none, unsafe, reuse) and the ones handed to the standard
// engine (incr, a view).
func TestEngineTanhOptions(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	e := Engine{}
	want := func(a *tensor.Dense) []float64 {
		w := make([]float64, a.Shape().TotalSize())
		Tanh(w, a.Float64s())
		return w
	}
	same := func(name string, got tensor.Tensor, w []float64, tol float64) {
		t.Helper()
		g := got.Data().([]float64)
		if len(g) != len(w) {
			t.Fatalf("%s: %d elements, want %d", name, len(g), len(w))
		}
		for i := range w {
			if math.Abs(g[i]-w[i]) > tol {
				t.Fatalf("%s: element %d = %v, want %v", name, i, g[i], w[i])
			}
		}
	}

	a := randDense(rng, 5, 7)
	orig := a.Clone().(*tensor.Dense)
	w := want(a)
	got, err := e.Tanh(a)
	if err != nil {
		t.Fatal(err)
	}
	same("safe", got, w, 0)
	same("safe leaves input", a, orig.Float64s(), 0)
	if got == tensor.Tensor(a) || !got.Shape().Eq(a.Shape()) {
		t.Fatalf("safe: returned the input or shape %v", got.Shape())
	}

	r := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(5, 7))
	if got, err = e.Tanh(a, tensor.WithReuse(r)); err != nil || got != tensor.Tensor(r) {
		t.Fatalf("reuse: %v, returned reuse: %v", err, got == tensor.Tensor(r))
	}
	same("reuse", r, w, 0)

	if got, err = e.Tanh(a, tensor.UseUnsafe()); err != nil || got != tensor.Tensor(a) {
		t.Fatalf("unsafe: %v, returned input: %v", err, got == tensor.Tensor(a))
	}
	same("unsafe", a, w, 0)

	// Incr falls back to the standard engine (math.Tanh, within 3 ulp).
	b := orig.Clone().(*tensor.Dense)
	inc := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(5, 7))
	for i := range inc.Float64s() {
		inc.Float64s()[i] = 1
	}
	if _, err = e.Tanh(b, tensor.WithIncr(inc)); err != nil {
		t.Fatal(err)
	}
	wInc := make([]float64, len(w))
	for i := range w {
		wInc[i] = 1 + w[i]
	}
	same("incr", inc, wInc, 1e-15)

	// A view (a column slice) goes to the standard engine too.
	view, err := orig.Slice(nil, G.S(2))
	if err != nil {
		t.Fatal(err)
	}
	got, err = e.Tanh(view)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		x := orig.Float64s()[i*7+2]
		v, err := got.At(i)
		if err != nil {
			t.Fatal(err)
		}
		if g := v.(float64); math.Abs(g-math.Tanh(x)) > 1e-15 {
			t.Fatalf("view: element %d = %v, want tanh(%v) = %v", i, g, x, math.Tanh(x))
		}
	}
}

// TestEngineGraph runs a small tanh MLP with gradients on a tape machine
// with Engine and on one with the standard engine: the outputs agree to a
// few ulp, the gradients to a few ulp relative to their scale, and with
// Engine the hidden activations are Tanh's bits.
func TestEngineGraph(t *testing.T) {
	type result struct{ h, out, gx, gw []float64 }
	run := func(opts ...G.VMOpt) result {
		rng := rand.New(rand.NewPCG(7, 7))
		g := G.NewGraph()
		x := G.NewMatrix(g, G.Float64, G.WithShape(16, 4), G.WithName("x"), G.WithValue(randDense(rng, 16, 4)))
		w := G.NewMatrix(g, G.Float64, G.WithShape(4, 8), G.WithName("w"), G.WithValue(randDense(rng, 4, 8)))
		pre := G.Must(G.Mul(x, w))
		h := G.Must(G.Tanh(pre))
		out := G.Must(G.Tanh(G.Must(G.Mul(h, G.Must(G.Transpose(w))))))
		cost := G.Must(G.Sum(G.Must(G.Square(out))))
		var hv, outv G.Value
		G.Read(h, &hv)
		G.Read(out, &outv)
		grads, err := G.Grad(cost, x, w)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g, opts...)
		defer vm.Close()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		cp := func(v G.Value) []float64 { return append([]float64(nil), v.Data().([]float64)...) }
		return result{cp(hv), cp(outv), cp(grads[0].Value()), cp(grads[1].Value())}
	}
	std, fast := run(), run(G.WithEngine(Engine{}))
	for _, c := range []struct {
		name string
		a, b []float64
		tol  float64
	}{
		{"hidden", std.h, fast.h, 4e-16},
		{"output", std.out, fast.out, 4e-16},
		{"grad x", std.gx, fast.gx, 1e-14},
		{"grad w", std.gw, fast.gw, 1e-14},
	} {
		scale := 0.0
		for _, v := range c.a {
			scale = max(scale, math.Abs(v))
		}
		for i := range c.a {
			if math.Abs(c.a[i]-c.b[i]) > c.tol*max(scale, 1) {
				t.Fatalf("%s[%d]: standard %v, Engine %v", c.name, i, c.a[i], c.b[i])
			}
		}
	}
	// The hidden layer is tanh of x·w: recompute it with Tanh and
	// compare bits.
	rng := rand.New(rand.NewPCG(7, 7))
	xv, wv := randDense(rng, 16, 4), randDense(rng, 4, 8)
	pre := make([]float64, 16*8)
	G.WhichBLAS().Dgemm(gblas.NoTrans, gblas.NoTrans, 16, 8, 4, 1, xv.Float64s(), 4, wv.Float64s(), 8, 0, pre, 8)
	Tanh(pre, pre)
	for i := range pre {
		if math.Float64bits(pre[i]) != math.Float64bits(fast.h[i]) {
			t.Fatalf("hidden[%d] = %v, Tanh gives %v", i, fast.h[i], pre[i])
		}
	}
}
