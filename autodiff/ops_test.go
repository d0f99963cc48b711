package autodiff

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestClampWrapAngle checks values and gradients of the custom ops,
// including points exactly on the clamp bounds (gradient 0 there).
func TestClampWrapAngle(t *testing.T) {
	in := []float64{-3, -2, -1.5, 0, 1.999, 2, 7, 4, -7}
	g := G.NewGraph()
	x := G.NewVector(g, G.Float64, G.WithShape(len(in)), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(len(in)), tensor.WithBacking(append([]float64(nil), in...)))))
	c := G.Must(Clamp(x, -2, 2))
	w := G.Must(WrapAngle(x))
	// L = sum(k .* clamp(x)) + sum(k^2 .* wrap(x)) with k = 1..len: the
	// gradient is k * 1{-2 < x < 2} + k^2.
	k := make([]float64, len(in))
	for i := range k {
		k[i] = float64(i + 1)
	}
	k2 := make([]float64, len(in))
	for i := range k2 {
		k2[i] = k[i] * k[i]
	}
	kn := G.NewConstant(tensor.New(tensor.WithShape(len(in)), tensor.WithBacking(k)), G.WithName("k"))
	k2n := G.NewConstant(tensor.New(tensor.WithShape(len(in)), tensor.WithBacking(k2)), G.WithName("k2"))
	l := G.Must(G.Add(G.Must(G.Sum(G.Must(G.HadamardProd(kn, c)))),
		G.Must(G.Sum(G.Must(G.HadamardProd(k2n, w))))))
	grads, err := G.Grad(l, x)
	if err != nil {
		t.Fatal(err)
	}
	var cv, wv, gv G.Value
	G.Read(c, &cv)
	G.Read(w, &wv)
	G.Read(grads[0], &gv)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	cs, ws, gs := cv.Data().([]float64), wv.Data().([]float64), gv.Data().([]float64)
	for i, v := range in {
		if want := math.Min(math.Max(v, -2), 2); cs[i] != want {
			t.Errorf("Clamp(%g) = %g, want %g", v, cs[i], want)
		}
		if want := AngleNormalize(v); ws[i] != want {
			t.Errorf("WrapAngle(%g) = %g, want %g", v, ws[i], want)
		}
		want := k[i] * k[i]
		if -2 < v && v < 2 {
			want += k[i]
		}
		if gs[i] != want {
			t.Errorf("gradient at %g = %g, want %g", v, gs[i], want)
		}
	}
	if _, err := Clamp(x, 1, -1); err == nil {
		t.Error("Clamp accepted lo > hi")
	}
}

func TestAtan2MatchesFiniteDifferences(t *testing.T) {
	g := G.NewGraph()
	ys := []float64{0.3, -0.2, 1e-3, -0.9, 0.7}
	xs := []float64{0.9, -0.95, -1.0, 0.1, -0.4}
	yN := G.NewVector(g, G.Float64, G.WithShape(5), G.WithName("y"), G.WithValue(tensor.New(tensor.WithShape(5), tensor.WithBacking(ys))))
	xN := G.NewVector(g, G.Float64, G.WithShape(5), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(5), tensor.WithBacking(xs))))
	a, err := Atan2(yN, xN)
	if err != nil {
		t.Fatal(err)
	}
	// A nonlinear scalar of the angles: Σ w_i atan2(y_i, x_i)^2.
	w := G.NewConstant(tensor.New(tensor.WithShape(5), tensor.WithBacking([]float64{1, 2, 3, 4, 5})))
	sq, _ := G.Square(a)
	s, _ := G.HadamardProd(sq, w)
	loss, _ := G.Sum(s)
	grads, err := G.Grad(loss, yN, xN)
	if err != nil {
		t.Fatal(err)
	}
	// Read the angles out during the run: later ops may reuse their memory.
	angles := make([]float64, 5)
	var av G.Value = tensor.New(tensor.WithShape(5), tensor.WithBacking(angles))
	G.Read(a, &av)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	for i := range ys {
		if got := angles[i]; got != math.Atan2(ys[i], xs[i]) {
			t.Fatalf("atan2 %d = %v", i, got)
		}
	}
	out := make([][]float64, 2)
	if err := CopyGrads(out, grads); err != nil {
		t.Fatal(err)
	}
	f := func(_ []float64) float64 {
		var v float64
		for i := range ys {
			th := math.Atan2(ys[i], xs[i])
			v += float64(i+1) * th * th
		}
		return v
	}
	if r := CheckGradient(f, out[0], ys, 1e-6); r > 1e-8 {
		t.Errorf("d/dy: relative error %g", r)
	}
	if r := CheckGradient(f, out[1], xs, 1e-6); r > 1e-8 {
		t.Errorf("d/dx: relative error %g", r)
	}
}

// TestAngleNormalizeFastPath checks that AngleNormalize, which skips
// math.Mod for |x+pi| < 2pi, is bit-identical to the plain formula
// ((x+pi) mod 2pi) - pi with Python's modulo, on the boundaries of the fast
// path and their neighbours, on special values and on many random angles of
// the ranges the environments produce and beyond.
func TestAngleNormalizeFastPath(t *testing.T) {
	ref := func(x float64) float64 {
		m := math.Mod(x+math.Pi, 2*math.Pi)
		if m < 0 {
			m += 2 * math.Pi
		}
		return m - math.Pi
	}
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
	}
	var xs []float64
	for _, k := range []float64{-7, -5, -3, -1, 1, 3, 5, 7} {
		c := k * math.Pi
		xs = append(xs, c)
		lo, hi := c, c
		for range 4 {
			lo, hi = math.Nextafter(lo, math.Inf(-1)), math.Nextafter(hi, math.Inf(1))
			xs = append(xs, lo, hi)
		}
	}
	xs = append(xs, 0, math.Copysign(0, -1), 1e-300, -1e-300, 5e-324, -5e-324, 1e300, -1e300,
		math.MaxFloat64, -math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN())
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 200000 {
		xs = append(xs, (2*rng.Float64()-1)*4*math.Pi, (2*rng.Float64()-1)*1e4)
		if i%10 == 0 {
			xs = append(xs, math.Float64frombits(rng.Uint64()))
		}
	}
	for _, x := range xs {
		if got, want := AngleNormalize(x), ref(x); !same(got, want) {
			t.Fatalf("AngleNormalize(%v) = %v (%#x), want %v (%#x)", x, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
}
