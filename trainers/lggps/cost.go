package lggps

import (
	"math"

	"github.com/mbrl/mbrl/envs"
	"gonum.org/v1/gonum/mat"
)

// CostFunc is the task's per-step cost c(x, u) on the env's internal state
// x (env.State()) and the applied action u. Guided policy search with
// local models assumes the cost known and the dynamics unknown (Levine &
// Abbeel 2014, Sec. 2): the trainer only evaluates c, on the sampled
// states and on finite-difference perturbations of them, and never asks
// for its derivatives.
type CostFunc interface {
	Cost(x, u []float64) float64
}

// CostOf returns the cost of env's known dynamics as a CostFunc that
// exposes Cost alone (the Jacobians and cost derivatives stay out of the
// trainer's reach). For pendulum and linear it is minus the reward; for the
// cart-poles it is the stabilisation cost x'Qx + R F^2 of CartPoleDynamics
// (their reward, 1 per step alive, has no gradient to follow). It reports
// false for an env without a known cost.
func CostOf(env envs.Env) (CostFunc, bool) {
	dyn, ok := envs.DynamicsOf(env)
	if !ok {
		return nil, false
	}
	return costOnly{dyn.Cost}, true
}

type costOnly struct{ f func(x, u []float64) float64 }

func (c costOnly) Cost(x, u []float64) float64 { return c.f(x, u) }

// Quadratic is a per-step quadratic model of a cost in z = [x; u] (width
// d = n+m):
//
//	l_t(z) = 0.5 z'C[t]z + z'c[t] + c0[t],
//
// C [T][d*d] row-major symmetric, c [T][d], c0 [T].
type Quadratic struct {
	C  [][]float64
	c  [][]float64
	c0 []float64
	d  int
}

func newQuadratic(T, d int) *Quadratic {
	return &Quadratic{C: mat2(T, d*d), c: mat2(T, d), c0: make([]float64, T), d: d}
}

// Value returns l_t(z).
func (q *Quadratic) Value(t int, z []float64) float64 {
	v := 0.5*quad(q.C[t], z, q.d) + q.c0[t]
	for i, zi := range z {
		v += zi * q.c[t][i]
	}
	return v
}

// expander computes the quadratic expansion of a CostFunc at points by
// central differences: gradient with steps h_i = FDStep max(1, |z_i|) and
// Hessian by the four-point formula (error O(h^2)). It evaluates the cost
// 1 + 2d + 2d(d-1) times per point and is not safe for concurrent use.
type expander struct {
	cost  CostFunc
	n, m  int
	h     float64
	z, zp []float64
	g, H  []float64
	low   []float64
	high  []float64
	pen   float64
	sym   *mat.SymDense
	eig   mat.EigenSym
	vecs  mat.Dense
}

func newExpander(cost CostFunc, n, m int, h float64, low, high []float64, penalty float64) *expander {
	d := n + m
	return &expander{cost: cost, n: n, m: m, h: h, z: make([]float64, d), zp: make([]float64, d),
		g: make([]float64, d), H: make([]float64, d*d), low: low, high: high, pen: penalty, sym: mat.NewSymDense(d, nil)}
}

func (e *expander) eval(z []float64) float64 {
	return e.cost.Cost(z[:e.n], z[e.n:])
}

// expand writes the value, gradient e.g and Hessian e.H of c at z = [x; u].
func (e *expander) expand(z []float64) float64 {
	d := e.n + e.m
	copy(e.zp, z)
	l := e.eval(e.zp)
	hs := func(i int) float64 { return e.h * math.Max(1, math.Abs(z[i])) }
	for i := range d {
		hi := hs(i)
		e.zp[i] = z[i] + hi
		fp := e.eval(e.zp)
		e.zp[i] = z[i] - hi
		fm := e.eval(e.zp)
		e.zp[i] = z[i]
		e.g[i] = (fp - fm) / (2 * hi)
		e.H[i*d+i] = (fp - 2*l + fm) / (hi * hi)
	}
	for i := range d {
		hi := hs(i)
		for j := i + 1; j < d; j++ {
			hj := hs(j)
			var s float64
			for _, sg := range [4][3]float64{{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}} {
				e.zp[i], e.zp[j] = z[i]+sg[0]*hi, z[j]+sg[1]*hj
				s += sg[2] * e.eval(e.zp)
			}
			e.zp[i], e.zp[j] = z[i], z[j]
			v := s / (4 * hi * hj)
			e.H[i*d+j], e.H[j*d+i] = v, v
		}
	}
	projectPSD(e.H, d, e.sym, &e.eig, &e.vecs)
	return l
}

// projectPSD replaces the symmetric a [n, n] by its projection on the
// positive semi-definite cone (negative eigenvalues set to zero). A cost's
// finite-difference Hessian is indefinite at kinks (the clip of the force
// in the cart-pole cost gave Q_uu = -180 at the bound), and the LQG needs
// a convex model; noise-free quadratic parts pass unchanged.
func projectPSD(a []float64, n int, sym *mat.SymDense, eig *mat.EigenSym, vecs *mat.Dense) {
	for i := range n {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, a[i*n+j])
		}
	}
	if !eig.Factorize(sym, true) {
		return
	}
	vals := eig.Values(nil)
	neg := false
	for _, v := range vals {
		neg = neg || v < 0
	}
	if !neg {
		return
	}
	eig.VectorsTo(vecs)
	for i := range n {
		for j := range n {
			var s float64
			for k, v := range vals {
				if v > 0 {
					s += vecs.At(i, k) * v * vecs.At(j, k)
				}
			}
			a[i*n+j] = s
		}
	}
}

// addAt adds the expansion at z, rewritten in global coordinates and
// scaled by w, into q's step t: C += w H, c += w (g - H z),
// c0 += w (l - g'z + 0.5 z'Hz).
func addAt(q *Quadratic, t int, w, l float64, g, H, z []float64) {
	d := q.d
	C, c := q.C[t], q.c[t]
	zHz := quad(H, z, d)
	var gz float64
	for i := range d {
		var hz float64
		for j := range d {
			C[i*d+j] += w * H[i*d+j]
			hz += H[i*d+j] * z[j]
		}
		c[i] += w * (g[i] - hz)
		gz += g[i] * z[i]
	}
	q.c0[t] += w * (l - gz + 0.5*zHz)
}

// addPenalty adds, at the intended action u [m] of a sample, the expansion
// of the action-bound penalty P sum_i max(0, u_i - high_i, low_i - u_i)^2
// scaled by w into q's step t (exact: the penalty is piecewise
// quadratic). The bounds are those of the env's action space; Step clips
// actions to them, which linear models of the dynamics cannot see.
func (e *expander) addPenalty(q *Quadratic, t int, w float64, u []float64) {
	if e.low == nil || e.pen == 0 {
		return
	}
	d, n := q.d, e.n
	for i, ui := range u {
		var b float64
		switch {
		case ui > e.high[i]:
			b = e.high[i]
		case ui < e.low[i]:
			b = e.low[i]
		default:
			continue
		}
		// P (u - b)^2 = P u^2 - 2 P b u + P b^2.
		j := n + i
		q.C[t][j*d+j] += w * 2 * e.pen
		q.c[t][j] -= w * 2 * e.pen * b
		q.c0[t] += w * e.pen * b * b
	}
}

func mat2(r, c int) [][]float64 {
	back := make([]float64, r*c)
	a := make([][]float64, r)
	for i := range a {
		a[i] = back[i*c : (i+1)*c : (i+1)*c]
	}
	return a
}
