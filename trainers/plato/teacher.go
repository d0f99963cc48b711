package plato

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
)

// klCost is the KL term of PLATO's teacher objective as a control.ExtraCost
// at every planned step t:
//
//	c_KL(t, x, u) = lambda/2 sum_j P_j (u_j - mu_t,j(x))^2,   P_j = 1/std_j^2,
//
// the part of lambda KL(N(u, Sigma) || N(mu(o(x)), diag(std^2))) that
// depends on the teacher's mean u. The learner's mean is linearised about
// a nominal trajectory xbar_t (the warm start of the plan, set by
// linearise): mu_t(x) = mu(o(xbar_t)) + J_t (x - xbar_t), with
// J_t = (d mu/d o)(d o/d x) [m, n], so the term is quadratic and its
// derivatives are exact: with r = u - mu_t(x),
//
//	l_u = lambda P r,  l_uu = lambda P,  l_x = -lambda J' P r,
//	l_xx = lambda J' P J,  l_ux = -lambda P J.
//
// d o/d x comes from central differences of Dynamics.Obs (envs.Dynamics
// has no analytic observation Jacobian); d mu/d o from the learner's
// reverse-mode Jacobian. Linearising once per MPC step costs H network
// evaluations instead of one per cost evaluation of iLQR's line search.
// Not safe for concurrent use.
type klCost struct {
	lambda float64
	prec   []float64 // P_j [m]
	mean   *nn.DeterministicPolicy
	dyn    envs.Dynamics

	n, m, k int         // state, action and observation widths
	xbar    [][]float64 // [H][n] nominal states
	mubar   [][]float64 // [H][m] learner mean at xbar
	jx      [][]float64 // [H][m*n] J_t
	obs     []float64
	op, om  []float64
	xp, r   []float64
	jo, dox []float64
	w       []float64
}

func newKLCost(dyn envs.Dynamics, mean *nn.DeterministicPolicy, H int) *klCost {
	n, m, k := dyn.StateDim(), dyn.ActionDim(), dyn.ObsDim()
	v := func(l int) []float64 { return make([]float64, l) }
	mat := func(rows, cols int) [][]float64 {
		a := make([][]float64, rows)
		for i := range a {
			a[i] = v(cols)
		}
		return a
	}
	return &klCost{
		prec: v(m), mean: mean, dyn: dyn, n: n, m: m, k: k,
		xbar: mat(H, n), mubar: mat(H, m), jx: mat(H, m*n),
		obs: v(k), op: v(k), om: v(k), xp: v(n), r: v(m), jo: v(m * k), dox: v(k * n), w: v(m * n),
	}
}

// setStd sets P_j = 1/std_j^2.
func (c *klCost) setStd(std []float64) {
	for j, s := range std {
		c.prec[j] = 1 / (s * s)
	}
}

// linearise sets the nominal trajectory to the rollout of controls U
// ([H][m]; nil means zeros) from x0 and linearises the learner's mean
// about it.
func (c *klCost) linearise(x0 []float64, U [][]float64, zero []float64) {
	n, k := c.n, c.k
	copy(c.xbar[0], x0)
	for t := range c.xbar {
		x := c.xbar[t]
		if t > 0 {
			u := zero
			if U != nil {
				u = U[t-1]
			}
			c.dyn.Next(x, c.xbar[t-1], u)
		}
		c.dyn.Obs(c.obs, x)
		c.mean.Act(c.mubar[t], c.obs)
		c.mean.ActionJacobian(c.jo, c.obs)
		copy(c.xp, x)
		for i := range n {
			h := 1e-6 * math.Max(1, math.Abs(x[i]))
			c.xp[i] = x[i] + h
			c.dyn.Obs(c.op, c.xp)
			c.xp[i] = x[i] - h
			c.dyn.Obs(c.om, c.xp)
			c.xp[i] = x[i]
			for a := range k {
				c.dox[a*n+i] = (c.op[a] - c.om[a]) / (2 * h)
			}
		}
		J := c.jx[t]
		for j := range c.m {
			for i := range n {
				var s float64
				for a := range k {
					s += c.jo[j*k+a] * c.dox[a*n+i]
				}
				J[j*n+i] = s
			}
		}
	}
}

// Add adds c_KL and its derivatives at step t, (x, u) into d
// (control.ExtraCost).
func (c *klCost) Add(t int, x, u []float64, d *envs.CostDerivs) {
	if c.lambda == 0 {
		return
	}
	n, m, lam := c.n, c.m, c.lambda
	J, xb, mb := c.jx[t], c.xbar[t], c.mubar[t]
	var L float64
	for j := range m {
		mu := mb[j]
		for i := range n {
			mu += J[j*n+i] * (x[i] - xb[i])
		}
		c.r[j] = u[j] - mu
		L += c.prec[j] * c.r[j] * c.r[j]
		d.Lu[j] += lam * c.prec[j] * c.r[j]
		d.Luu[j*m+j] += lam * c.prec[j]
		for i := range n {
			c.w[j*n+i] = lam * c.prec[j] * J[j*n+i] // lambda P J
		}
	}
	d.L += 0.5 * lam * L
	for i := range n {
		var s float64
		for j := range m {
			s += c.w[j*n+i] * c.r[j]
		}
		d.Lx[i] -= s
		for b := range n {
			var h float64
			for j := range m {
				h += c.w[j*n+i] * J[j*n+b]
			}
			d.Lxx[i*n+b] += h
		}
	}
	for j := range m {
		for i := range n {
			d.Lux[j*n+i] -= c.w[j*n+i]
		}
	}
}

// teacher is PLATO's adaptive teacher at one worker: MPC on the true
// dynamics with the KL pull towards the learner (klCost) in its cost. Its
// action at state x is a draw from N(u_0, lambda Q_uu,0^-1), with u_0 the
// first action of the KL-augmented plan and Q_uu,0 the action Hessian of
// that plan's Q-function at x (with lambda = 0 it is the plain MPC
// action). Not safe for concurrent use.
type teacher struct {
	dyn   envs.Dynamics
	cost  control.Cost
	mpc   *control.MPC
	kl    *klCost
	low   []float64
	high  []float64
	term  bool // the MPC's iLQR has a terminal cost
	n, m  int
	mean  []float64 // u_0
	cov   []float64 // Sigma [m, m]
	chol  []float64 // its lower Cholesky factor
	valid bool      // cov was computed for the last Act

	// backward-pass work memory
	xs                       [][]float64 // [H+1][n]
	d                        *envs.CostDerivs
	fx, fu, vxx, vn          []float64
	quu, qux, qxx, kgain, ui []float64
	z, zero                  []float64
	uw                       [][]float64 // [H][m] warm-start controls
	free                     []int
}

// newTeacher returns a teacher planning with settings s (the bounds default
// to the dynamics' action bounds) and pulled towards mean, the learner's
// mean policy (kept by the teacher; pass a clone per worker).
func newTeacher(dyn envs.Dynamics, s control.MPCSettings, mean *nn.DeterministicPolicy) (*teacher, error) {
	if s.Low == nil && s.High == nil {
		s.Low, s.High = dyn.ActionBounds()
	}
	probe, err := control.NewMPC(dyn, dyn, &s)
	if err != nil {
		return nil, fmt.Errorf("plato: teacher MPC: %w", err)
	}
	eff := probe.Settings() // defaults filled in: the horizon
	kl := newKLCost(dyn, mean, eff.Horizon)
	s.ILQR.Extra = kl
	mpc, err := control.NewMPC(dyn, dyn, &s)
	if err != nil {
		return nil, fmt.Errorf("plato: teacher MPC: %w", err)
	}
	n, m := dyn.StateDim(), dyn.ActionDim()
	t := &teacher{
		dyn: dyn, cost: dyn, mpc: mpc, kl: kl, low: eff.Low, high: eff.High,
		term: !eff.ILQR.NoTerminalCost, n: n, m: m,
		mean: make([]float64, m), cov: make([]float64, m*m), chol: make([]float64, m*m),
		xs: make([][]float64, eff.Horizon+1), d: envs.NewCostDerivs(n, m),
		fx: make([]float64, n*n), fu: make([]float64, n*m), vxx: make([]float64, n*n), vn: make([]float64, n*n),
		quu: make([]float64, m*m), qux: make([]float64, m*n), qxx: make([]float64, n*n),
		kgain: make([]float64, m*n), ui: make([]float64, m), z: make([]float64, m), zero: make([]float64, m), free: make([]int, 0, m),
		uw: make([][]float64, eff.Horizon),
	}
	for i := range t.xs {
		t.xs[i] = make([]float64, n)
	}
	for i := range t.uw {
		t.uw[i] = make([]float64, m)
	}
	return t, nil
}

// setLearner sets the KL weight and the learner's standard deviation; the
// learner's mean weights are the policy given to newTeacher.
func (t *teacher) setLearner(lambda float64, std []float64) {
	t.kl.lambda = lambda
	t.kl.setStd(std)
}

// Reset starts an episode (the MPC forgets its plans).
func (t *teacher) Reset(rng *rand.Rand) { t.mpc.Reset(rng) }

// Act plans from state x and writes the teacher's action into dst: the
// mean u_0 when rng is nil or lambda = 0, otherwise a draw from
// N(u_0, lambda Q_uu^-1). After Act, t.mean holds u_0 and t.cov Sigma.
func (t *teacher) Act(dst, x []float64, rng *rand.Rand) {
	if t.kl.lambda != 0 {
		t.warmStart(x)
	}
	t.mpc.Act(t.mean, x)
	copy(dst, t.mean)
	t.valid = false
	clear(t.cov)
	if t.kl.lambda == 0 {
		return
	}
	t.covariance(x)
	t.valid = true
	if rng == nil {
		return
	}
	m := t.m
	for j := range m {
		t.z[j] = rng.NormFloat64()
	}
	for i := range m {
		var v float64
		for j := 0; j <= i; j++ {
			v += t.chol[i*m+j] * t.z[j]
		}
		dst[i] += v
	}
}

// warmStart linearises the KL term about the trajectory the MPC will
// start from: its previous plan shifted by one step (the last control
// repeated), or zeros at the first step of an episode.
func (t *teacher) warmStart(x []float64) {
	U := t.mpc.Plan()
	if U == nil {
		t.kl.linearise(x, nil, t.zero)
		return
	}
	H := len(U)
	for s := range H {
		copy(t.uw[s], U[min(s+1, H-1)])
	}
	t.kl.linearise(x, t.uw, t.zero)
}

// covariance sets t.cov = lambda Q_uu,0^-1 and t.chol for the plan the MPC
// just made from x: it rolls the plan out, then runs the Riccati backward
// pass of iLQR along it (with the KL term in the cost, the box-QP's
// convention that actions at a bound get no feedback, and derivatives at
// bounded actions taken just inside the box as iLQR does) down to Q_uu at
// t = 0. If that Q_uu is not positive definite (a non-convex spot), the
// teacher falls back to the learner's own covariance (Q_uu = lambda P).
func (t *teacher) covariance(x []float64) {
	n, m := t.n, t.m
	U := t.mpc.Plan()
	H := len(U)
	copy(t.xs[0], x)
	for s := range H {
		t.dyn.Next(t.xs[s+1], t.xs[s], U[s])
	}
	clear(t.vxx)
	if t.term {
		t.d.Zero()
		clear(t.ui)
		t.cost.CostDerivs(t.d, t.xs[H], t.ui)
		copy(t.vxx, t.d.Lxx)
	}
	for s := H - 1; s >= 0; s-- {
		xs := t.xs[s]
		t.d.Zero()
		t.cost.CostDerivs(t.d, xs, U[s])
		t.kl.Add(s, xs, U[s], t.d)
		t.dyn.Jacobians(t.fx, t.fu, xs, control.Interior(t.ui, U[s], t.low, t.high))
		// Q_uu = l_uu + fu' Vxx fu.
		for i := range m {
			for j := range m {
				v := t.d.Luu[i*m+j]
				for a := range n {
					for b := range n {
						v += t.fu[a*m+i] * t.vxx[a*n+b] * t.fu[b*m+j]
					}
				}
				t.quu[i*m+j] = v
			}
		}
		if s == 0 {
			break
		}
		// Q_ux = l_ux + fu' Vxx fx, Q_xx = l_xx + fx' Vxx fx.
		for i := range m {
			for j := range n {
				v := t.d.Lux[i*n+j]
				for a := range n {
					for b := range n {
						v += t.fu[a*m+i] * t.vxx[a*n+b] * t.fx[b*n+j]
					}
				}
				t.qux[i*n+j] = v
			}
		}
		for i := range n {
			for j := range n {
				v := t.d.Lxx[i*n+j]
				for a := range n {
					for b := range n {
						v += t.fx[a*n+i] * t.vxx[a*n+b] * t.fx[b*n+j]
					}
				}
				t.qxx[i*n+j] = v
			}
		}
		// Feedback on the free (not clamped) actions: K_f = -Q_ff^-1 Q_fx.
		t.gain(U[s])
		// Vxx = Qxx + K'Quu K + K'Qux + Qux'K, symmetrised.
		for a := range n {
			for b := a; b < n; b++ {
				v := t.qxx[a*n+b]
				for i := range m {
					var kq float64
					for j := range m {
						kq += t.quu[i*m+j] * t.kgain[j*n+b]
					}
					v += t.kgain[i*n+a]*kq + t.kgain[i*n+a]*t.qux[i*n+b] + t.qux[i*n+a]*t.kgain[i*n+b]
				}
				t.vn[a*n+b], t.vn[b*n+a] = v, v
			}
		}
		t.vxx, t.vn = t.vn, t.vxx
	}
	// Sigma = lambda Q_uu^-1.
	copy(t.chol, t.quu)
	if !control.Cholesky(t.chol, m) {
		clear(t.quu)
		for j := range m {
			t.quu[j*m+j] = t.kl.lambda * t.kl.prec[j]
		}
		copy(t.chol, t.quu)
		control.Cholesky(t.chol, m)
	}
	// cov = lambda (L L')^-1, column by column.
	for j := range m {
		clear(t.z)
		t.z[j] = 1
		control.CholSolve(t.chol, m, t.z)
		for i := range m {
			t.cov[i*m+j] = t.kl.lambda * t.z[i]
		}
	}
	copy(t.chol, t.cov)
	if !control.Cholesky(t.chol, m) {
		clear(t.chol) // cannot happen for a valid inverse; act with the mean
	}
}

// gain sets t.kgain [m, n] to -Q_ff^-1 Q_fx on the actions of u that are
// not at a bound and to zero on those that are (and on all if Q_ff is not
// positive definite).
func (t *teacher) gain(u []float64) {
	n, m := t.n, t.m
	clear(t.kgain)
	t.free = t.free[:0]
	for i, v := range u {
		if t.low == nil || (v > t.low[i] && v < t.high[i]) {
			t.free = append(t.free, i)
		}
	}
	f := len(t.free)
	if f == 0 {
		return
	}
	qf := t.chol[:f*f] // scratch
	for a, i := range t.free {
		for b, j := range t.free {
			qf[a*f+b] = t.quu[i*m+j]
		}
	}
	if !control.Cholesky(qf, f) {
		return
	}
	rhs := t.z[:f]
	for c := range n {
		for a, i := range t.free {
			rhs[a] = t.qux[i*n+c]
		}
		control.CholSolve(qf, f, rhs)
		for a, i := range t.free {
			t.kgain[i*n+c] = -rhs[a]
		}
	}
}
