package control

import "math"

// boxQP solves min_x 0.5 x'Hx + g'x subject to lower <= x <= upper by the
// projected-Newton method of Tassa, Mansard & Todorov (2014), Algorithm 3:
// Newton steps on the free (unclamped) subspace with a Cholesky factor of
// H_ff, projected onto the box, with an Armijo line search. All memory is
// preallocated for dimension m.
type boxQP struct {
	m       int
	l       []float64 // [m*m] scratch for a full Cholesky factor
	lf      []float64 // Cholesky factor of H_ff at the solution ([nfree*nfree])
	freeIdx []int     // free dimensions at the solution
	nfree   int
	clamped []bool
	grad    []float64
	search  []float64
	xc      []float64
	rhs     []float64
}

func newBoxQP(m int) boxQP {
	return boxQP{
		m: m, l: make([]float64, m*m), lf: make([]float64, m*m),
		freeIdx: make([]int, m), clamped: make([]bool, m),
		grad: make([]float64, m), search: make([]float64, m),
		xc: make([]float64, m), rhs: make([]float64, m),
	}
}

// Parameters of Tassa's boxQP.
const (
	qpMaxIter       = 100
	qpMinGrad       = 1e-8
	qpMinRelImprove = 1e-8
	qpStepDec       = 0.6
	qpMinStep       = 1e-22
	qpArmijo        = 0.1
)

func (q *boxQP) value(H, g, x []float64) float64 {
	m := q.m
	var v float64
	for i := range m {
		var hx float64
		for j := range m {
			hx += H[i*m+j] * x[j]
		}
		v += x[i] * (g[i] + 0.5*hx)
	}
	return v
}

func clampTo(x, lower, upper []float64) {
	for i, v := range x {
		x[i] = math.Min(math.Max(v, lower[i]), upper[i])
	}
}

// activeSet computes the gradient g + Hx and the clamped set at x and
// reports whether the set changed.
func (q *boxQP) activeSet(H, g, x, lower, upper []float64) (changed bool) {
	m := q.m
	for i := range m {
		s := g[i]
		for j := range m {
			s += H[i*m+j] * x[j]
		}
		q.grad[i] = s
		c := (x[i] == lower[i] && s > 0) || (x[i] == upper[i] && s < 0)
		if c != q.clamped[i] {
			changed = true
		}
		q.clamped[i] = c
	}
	q.nfree = 0
	for i := range m {
		if !q.clamped[i] {
			q.freeIdx[q.nfree] = i
			q.nfree++
		}
	}
	return changed
}

// factorFree factorises H restricted to the free set into lf.
func (q *boxQP) factorFree(H []float64) bool {
	m, nf := q.m, q.nfree
	for a := range nf {
		for b := range nf {
			q.lf[a*nf+b] = H[q.freeIdx[a]*m+q.freeIdx[b]]
		}
	}
	return Cholesky(q.lf[:nf*nf], nf)
}

// solve overwrites x (the initial guess) by the solution and leaves the free
// set and the Cholesky factor of H_ff at the solution in q. It reports false
// if H_ff is not positive definite.
func (q *boxQP) solve(H, g, lower, upper, x []float64) bool {
	m := q.m
	clampTo(x, lower, upper)
	if m == 1 {
		// Closed form: the clamped Newton step.
		h := H[0]
		if !(h > 0) || math.IsInf(h, 0) {
			return false
		}
		x[0] = math.Min(math.Max(-g[0]/h, lower[0]), upper[0])
		q.clamped[0] = false
		q.activeSet(H, g, x, lower, upper)
		if q.nfree == 1 {
			q.lf[0] = math.Sqrt(h)
		}
		return true
	}
	for i := range m {
		q.clamped[i] = false
	}
	value := q.value(H, g, x)
	var old float64
	for it := range qpMaxIter {
		if it > 0 && old-value < qpMinRelImprove*math.Abs(old) {
			break
		}
		old = value
		changed := q.activeSet(H, g, x, lower, upper)
		nf := q.nfree
		if nf == 0 {
			break
		}
		if (it == 0 || changed) && !q.factorFree(H) {
			return false
		}
		var gn float64
		for a := range nf {
			v := q.grad[q.freeIdx[a]]
			gn += v * v
		}
		if math.Sqrt(gn) < qpMinGrad {
			break
		}
		// Newton step on the free set holding the clamped values fixed:
		// search_f = -H_ff^{-1} (g + H x_clamped)_f - x_f.
		for a := range nf {
			i := q.freeIdx[a]
			s := g[i]
			for j := range m {
				if q.clamped[j] {
					s += H[i*m+j] * x[j]
				}
			}
			q.rhs[a] = s
		}
		CholSolve(q.lf[:nf*nf], nf, q.rhs[:nf])
		clear(q.search)
		for a := range nf {
			i := q.freeIdx[a]
			q.search[i] = -q.rhs[a] - x[i]
		}
		var sdotg float64
		for i := range m {
			sdotg += q.search[i] * q.grad[i]
		}
		if sdotg >= 0 {
			break
		}
		step := 1.0
		var vc float64
		for {
			for i := range m {
				q.xc[i] = x[i] + step*q.search[i]
			}
			clampTo(q.xc, lower, upper)
			vc = q.value(H, g, q.xc)
			if (vc-value)/(step*sdotg) >= qpArmijo {
				break
			}
			step *= qpStepDec
			if step < qpMinStep {
				break
			}
		}
		if step < qpMinStep {
			break
		}
		copy(x, q.xc)
		value = vc
	}
	// Free set and factor at the final point.
	q.activeSet(H, g, x, lower, upper)
	if q.nfree > 0 && !q.factorFree(H) {
		return false
	}
	return true
}
