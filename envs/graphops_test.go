package envs

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

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
