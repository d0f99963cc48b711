package envs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Helpers shared by the tests of every environment with known dynamics.

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

// closeRel reports whether a and b agree to tol relative to max(1, |a|, |b|).
func closeRel(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func checkSlice(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range got {
		if !closeRel(got[i], want[i], tol) {
			t.Errorf("%s[%d] = %.17g, want %.17g (diff %.3g)", what, i, got[i], want[i], got[i]-want[i])
		}
	}
}

// fdStep is the central finite-difference step. With f smooth on the scale
// of 1, the truncation error is ~h^2 = 1e-10 and the rounding error ~1e-16/h
// = 1e-11, well inside the 1e-6 tolerance of the derivative checks.
const fdStep = 1e-5

// fdJacobians estimates df/dx [n, n] and df/du [n, m] by central differences.
func fdJacobians(d Dynamics, x, u []float64) (fx, fu []float64) {
	n, m := d.StateDim(), d.ActionDim()
	fx, fu = make([]float64, n*n), make([]float64, n*m)
	p, q := make([]float64, n), make([]float64, n)
	diff := func(v []float64, j, cols int, out []float64, xx, uu []float64) {
		old := v[j]
		v[j] = old + fdStep
		d.Next(p, xx, uu)
		v[j] = old - fdStep
		d.Next(q, xx, uu)
		v[j] = old
		for i := 0; i < n; i++ {
			out[i*cols+j] = (p[i] - q[i]) / (2 * fdStep)
		}
	}
	xx, uu := append([]float64(nil), x...), append([]float64(nil), u...)
	for j := 0; j < n; j++ {
		diff(xx, j, n, fx, xx, uu)
	}
	for j := 0; j < m; j++ {
		diff(uu, j, m, fu, xx, uu)
	}
	return fx, fu
}

// checkDerivs compares Jacobians and CostDerivs with central differences at
// (x, u), which must be away from clip kinks.
func checkDerivs(t *testing.T, d Dynamics, x, u []float64) {
	t.Helper()
	const tol = 1e-6
	n, m := d.StateDim(), d.ActionDim()
	fx, fu := make([]float64, n*n), make([]float64, n*m)
	d.Jacobians(fx, fu, x, u)
	wx, wu := fdJacobians(d, x, u)
	at := fmt.Sprintf("x=%v u=%v", x, u)
	checkSlice(t, "fx "+at, fx, wx, tol)
	checkSlice(t, "fu "+at, fu, wu, tol)

	cd := NewCostDerivs(n, m)
	d.CostDerivs(cd, x, u)
	if c := d.Cost(x, u); c != cd.L {
		t.Errorf("CostDerivs L = %g, Cost = %g at %s", cd.L, c, at)
	}
	xx, uu := append([]float64(nil), x...), append([]float64(nil), u...)
	// First derivatives from Cost, second derivatives from the first.
	grad := func(v []float64, j int, f func() float64) float64 {
		old := v[j]
		v[j] = old + fdStep
		p := f()
		v[j] = old - fdStep
		q := f()
		v[j] = old
		return (p - q) / (2 * fdStep)
	}
	cost := func() float64 { return d.Cost(xx, uu) }
	lx, lu := make([]float64, n), make([]float64, m)
	for j := range lx {
		lx[j] = grad(xx, j, cost)
	}
	for j := range lu {
		lu[j] = grad(uu, j, cost)
	}
	checkSlice(t, "Lx "+at, cd.Lx, lx, tol)
	checkSlice(t, "Lu "+at, cd.Lu, lu, tol)
	tmp := NewCostDerivs(n, m)
	lxx, luu, lux := make([]float64, n*n), make([]float64, m*m), make([]float64, m*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			lxx[i*n+j] = grad(xx, j, func() float64 { d.CostDerivs(tmp, xx, uu); return tmp.Lx[i] })
		}
	}
	for i := 0; i < m; i++ {
		for j := 0; j < m; j++ {
			luu[i*m+j] = grad(uu, j, func() float64 { d.CostDerivs(tmp, xx, uu); return tmp.Lu[i] })
		}
		for j := 0; j < n; j++ {
			lux[i*n+j] = grad(xx, j, func() float64 { d.CostDerivs(tmp, xx, uu); return tmp.Lu[i] })
		}
	}
	checkSlice(t, "Lxx "+at, cd.Lxx, lxx, tol)
	checkSlice(t, "Luu "+at, cd.Luu, luu, tol)
	checkSlice(t, "Lux "+at, cd.Lux, lux, tol)
}

// graphResult holds what runGraph computed for a batch.
type graphResult struct {
	next, cost, obs []float64 // [B, n], [B], [B, obsDim]
	gx, gu          []float64 // dL/dx [B, n], dL/du [B, m]
}

// runGraph builds GraphNext, GraphCost and GraphObs on a batch, and the
// gradient of L = sum(cost) + sum(wn .* next) w.r.t. x and u.
func runGraph(t *testing.T, d Dynamics, xs, us, wn []float64) graphResult {
	t.Helper()
	n, m, o := d.StateDim(), d.ActionDim(), d.ObsDim()
	bsz := len(xs) / n
	g := G.NewGraph()
	x := G.NewMatrix(g, G.Float64, G.WithShape(bsz, n), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(bsz, n), tensor.WithBacking(append([]float64(nil), xs...)))))
	u := G.NewMatrix(g, G.Float64, G.WithShape(bsz, m), G.WithName("u"),
		G.WithValue(tensor.New(tensor.WithShape(bsz, m), tensor.WithBacking(append([]float64(nil), us...)))))
	w := G.NewMatrix(g, G.Float64, G.WithShape(bsz, n), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(bsz, n), tensor.WithBacking(append([]float64(nil), wn...)))))
	next, err := d.GraphNext(x, u)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := d.GraphCost(x, u)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := d.GraphObs(x)
	if err != nil {
		t.Fatal(err)
	}
	if s := next.Shape(); !s.Eq(tensor.Shape{bsz, n}) {
		t.Fatalf("GraphNext shape %v, want [%d %d]", s, bsz, n)
	}
	if s := cost.Shape(); !s.Eq(tensor.Shape{bsz}) {
		t.Fatalf("GraphCost shape %v, want [%d]", s, bsz)
	}
	if s := obs.Shape(); !s.Eq(tensor.Shape{bsz, o}) {
		t.Fatalf("GraphObs shape %v, want [%d %d]", s, bsz, o)
	}
	l := G.Must(G.Add(G.Must(G.Sum(cost)), G.Must(G.Sum(G.Must(G.HadamardProd(w, next))))))
	grads, err := G.Grad(l, x, u)
	if err != nil {
		t.Fatal(err)
	}
	var nv, cv, ov, gxv, guv G.Value
	G.Read(next, &nv)
	G.Read(cost, &cv)
	G.Read(obs, &ov)
	G.Read(grads[0], &gxv)
	G.Read(grads[1], &guv)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	get := func(v G.Value) []float64 {
		return append([]float64(nil), v.Data().([]float64)...)
	}
	return graphResult{next: get(nv), cost: get(cv), obs: get(ov), gx: get(gxv), gu: get(guv)}
}

// checkGraph compares the graph versions with Next, Cost, Obs and, where
// smooth is true for every row (no clip kinks), the graph gradients with the
// chain rule through the analytic derivatives: dL/dx = Lx + fx' w,
// dL/du = Lu + fu' w.
func checkGraph(t *testing.T, d Dynamics, xs, us []float64, rng *rand.Rand) {
	t.Helper()
	n, m, o := d.StateDim(), d.ActionDim(), d.ObsDim()
	bsz := len(xs) / n
	wn := make([]float64, bsz*n)
	for i := range wn {
		wn[i] = rng.NormFloat64()
	}
	r := runGraph(t, d, xs, us, wn)
	next, obs := make([]float64, n), make([]float64, o)
	fx, fu := make([]float64, n*n), make([]float64, n*m)
	cd := NewCostDerivs(n, m)
	const tol = 1e-12 // same operations in a different order
	for b := 0; b < bsz; b++ {
		x, u, w := xs[b*n:(b+1)*n], us[b*m:(b+1)*m], wn[b*n:(b+1)*n]
		at := fmt.Sprintf("row %d x=%v u=%v", b, x, u)
		d.Next(next, x, u)
		checkSlice(t, "GraphNext "+at, r.next[b*n:(b+1)*n], next, tol)
		if c := d.Cost(x, u); !closeRel(r.cost[b], c, tol) {
			t.Errorf("GraphCost %s = %.17g, want %.17g", at, r.cost[b], c)
		}
		d.Obs(obs, x)
		checkSlice(t, "GraphObs "+at, r.obs[b*o:(b+1)*o], obs, tol)

		d.Jacobians(fx, fu, x, u)
		d.CostDerivs(cd, x, u)
		gx, gu := append([]float64(nil), cd.Lx...), append([]float64(nil), cd.Lu...)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				gx[j] += fx[i*n+j] * w[i]
			}
			for j := 0; j < m; j++ {
				gu[j] += fu[i*m+j] * w[i]
			}
		}
		const gtol = 1e-9
		checkSlice(t, "dL/dx "+at, r.gx[b*n:(b+1)*n], gx, gtol)
		checkSlice(t, "dL/du "+at, r.gu[b*m:(b+1)*m], gu, gtol)
	}
}

// checkStateFromObs checks that StateFromObs inverts Obs (up to what the
// observation loses, which the caller normalises with norm).
func checkStateFromObs(t *testing.T, d Dynamics, x []float64, norm func([]float64)) {
	t.Helper()
	obs, back := make([]float64, d.ObsDim()), make([]float64, d.StateDim())
	d.Obs(obs, x)
	d.StateFromObs(back, obs)
	want := append([]float64(nil), x...)
	if norm != nil {
		norm(want)
	}
	checkSlice(t, "StateFromObs(Obs(x))", back, want, 1e-12)
}

// testGraph makes input nodes for shape checks.
type testGraph struct{ g *G.ExprGraph }

func newTestGraph() testGraph { return testGraph{G.NewGraph()} }

func (tg testGraph) matrix(shape ...int) *G.Node {
	return G.NewTensor(tg.g, G.Float64, len(shape), G.WithShape(shape...))
}
