package gps

import (
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
)

// Lagrangian is the policy part of the augmented Lagrangian of one
// trajectory as an iLQR extra cost (control.ExtraCost):
//
//	l_t(x, u) = lambda_t'g + rho_t |g|^2,  g = pi(h(x)) - u,
//
// with h the system's observation map. With J = d pi/d obs · d obs/dx
// [m, n] and w = lambda_t + 2 rho_t g its derivatives are
//
//	l_x = J'w, l_u = -w, l_uu = 2 rho_t I, l_ux = -2 rho_t J,
//	l_xx = 2 rho_t J'J (Gauss-Newton: the second derivative of pi is
//	dropped, which keeps l_xx positive semi-definite; exact for a linear
//	policy of a linear observation).
//
// Lambda [T][m] and Rho [T] are the condition's dual variables and
// penalties; the trainer points them at the condition being solved. A
// Lagrangian is not safe for concurrent use (it holds the worker's policy
// copy and scratch).
type Lagrangian struct {
	Sys    System
	Pol    Policy
	Lambda [][]float64
	Rho    []float64

	n, m, p   int
	obs, a, w []float64
	jo, ox, j []float64 // d pi/d obs [m, p], d obs/dx [p, n], J [m, n]
}

var _ control.ExtraCost = (*Lagrangian)(nil)

// NewLagrangian returns the term for sys and pol with zero dual variables
// pointed at by nothing (set Lambda and Rho before use).
func NewLagrangian(sys System, pol Policy) *Lagrangian {
	n, m, p := sys.StateDim(), sys.ActionDim(), sys.ObsDim()
	return &Lagrangian{
		Sys: sys, Pol: pol, n: n, m: m, p: p,
		obs: make([]float64, p), a: make([]float64, m), w: make([]float64, m),
		jo: make([]float64, m*p), ox: make([]float64, p*n), j: make([]float64, m*n),
	}
}

// Violation writes g = pi(h(x)) - u into dst [m].
func (l *Lagrangian) Violation(dst, x, u []float64) {
	l.Sys.Obs(l.obs, x)
	l.Pol.Act(l.a, l.obs)
	for i := range l.m {
		dst[i] = l.a[i] - u[i]
	}
}

// Add adds l_t(x, u) and its derivatives into d.
func (l *Lagrangian) Add(t int, x, u []float64, d *envs.CostDerivs) {
	n, m, p := l.n, l.m, l.p
	rho, lam := l.Rho[t], l.Lambda[t]
	// g = pi(obs(x)) - u into w, as Violation computes it; the action's
	// Jacobian comes with it in one forward pass where the policy can.
	l.Sys.Obs(l.obs, x)
	aj, both := l.Pol.(actJacobianer)
	if both {
		aj.ActAndJacobian(l.a, l.jo, l.obs)
	} else {
		l.Pol.Act(l.a, l.obs)
	}
	for i := range m {
		l.w[i] = l.a[i] - u[i]
	}
	var val float64
	for i, g := range l.w {
		val += lam[i]*g + rho*g*g
		l.w[i] = lam[i] + 2*rho*g
	}
	d.L += val
	// J = (d pi/d obs) (d obs/dx): [m, p] x [p, n].
	if !both {
		l.Pol.ActionJacobian(l.jo, l.obs)
	}
	l.Sys.ObsJacobian(l.ox, x)
	for i := range m {
		row := l.j[i*n : (i+1)*n]
		clear(row)
		for k := range p {
			a := l.jo[i*p+k]
			if a == 0 {
				continue
			}
			for c, v := range l.ox[k*n : (k+1)*n] {
				row[c] += a * v
			}
		}
	}
	for i := range m {
		wi := l.w[i]
		d.Lu[i] -= wi
		d.Luu[i*m+i] += 2 * rho
		for c := range n {
			jic := l.j[i*n+c]
			d.Lx[c] += jic * wi
			d.Lux[i*n+c] -= 2 * rho * jic
		}
	}
	for a := range n {
		for b := a; b < n; b++ {
			var s float64
			for i := range m {
				s += l.j[i*n+a] * l.j[i*n+b]
			}
			s *= 2 * rho
			d.Lxx[a*n+b] += s
			if b != a {
				d.Lxx[b*n+a] += s
			}
		}
	}
}
