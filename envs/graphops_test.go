package envs

import (
	"math"
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

// TestGraphObsGradient checks the gradient of sum(w .* GraphObs(x)) against
// central differences of Obs.
func TestGraphObsGradient(t *testing.T) {
	rng := newRNG(51)
	for _, d := range []Dynamics{PendulumDynamics{}, CartPoleDynamics{}, NewLinear(DefaultLinearConfig()).Dynamics()} {
		n, o := d.StateDim(), d.ObsDim()
		const bsz = 5
		xs, ws := make([]float64, bsz*n), make([]float64, bsz*o)
		for i := range xs {
			xs[i] = 2 * rng.NormFloat64()
		}
		for i := range ws {
			ws[i] = rng.NormFloat64()
		}
		g := G.NewGraph()
		x := G.NewMatrix(g, G.Float64, G.WithShape(bsz, n), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(bsz, n), tensor.WithBacking(append([]float64(nil), xs...)))))
		w := G.NewMatrix(g, G.Float64, G.WithShape(bsz, o), G.WithName("w"),
			G.WithValue(tensor.New(tensor.WithShape(bsz, o), tensor.WithBacking(ws))))
		obs, err := d.GraphObs(x)
		if err != nil {
			t.Fatal(err)
		}
		grads, err := G.Grad(G.Must(G.Sum(G.Must(G.HadamardProd(w, obs)))), x)
		if err != nil {
			t.Fatal(err)
		}
		var gv G.Value
		G.Read(grads[0], &gv)
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Close()
		got := gv.Data().([]float64)
		p, q := make([]float64, o), make([]float64, o)
		for b := 0; b < bsz; b++ {
			xb := append([]float64(nil), xs[b*n:(b+1)*n]...)
			want := make([]float64, n)
			for j := 0; j < n; j++ {
				old := xb[j]
				xb[j] = old + fdStep
				d.Obs(p, xb)
				xb[j] = old - fdStep
				d.Obs(q, xb)
				xb[j] = old
				for i := 0; i < o; i++ {
					want[j] += ws[b*o+i] * (p[i] - q[i]) / (2 * fdStep)
				}
			}
			checkSlice(t, "d sum(w.*obs)/dx", got[b*n:(b+1)*n], want, 1e-6)
		}
	}
}
