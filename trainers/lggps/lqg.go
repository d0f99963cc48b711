package lggps

import (
	"math"

	"github.com/mbrl/mbrl/control"
)

// Bounds of the dual variable eta of the KL constraint.
const (
	minEta = 1e-6
	maxEta = 1e16
)

// lg is a time-varying linear-Gaussian controller as arrays: gains K
// [T][m*n], offsets k [T][m], covariances S [T][m*m], with the precisions
// P = S^{-1} and log det S of each step.
type lg struct {
	K, k, S, P [][]float64
	logdet     []float64
}

func newLG(n, m, T int) *lg {
	return &lg{K: mat2(T, m*n), k: mat2(T, m), S: mat2(T, m*m), P: mat2(T, m*m), logdet: make([]float64, T)}
}

func (a *lg) copyFrom(b *lg) {
	for t := range a.K {
		copy(a.K[t], b.K[t])
		copy(a.k[t], b.k[t])
		copy(a.S[t], b.S[t])
		copy(a.P[t], b.P[t])
	}
	copy(a.logdet, b.logdet)
}

// load copies c into a, computing the precisions with ch.
func (a *lg) load(c *control.LinearGaussianController, ch *chol) error {
	for t := range a.K {
		copy(a.K[t], c.K[t])
		copy(a.k[t], c.Offset[t])
		copy(a.S[t], c.Cov(t))
		if !ch.factor(a.S[t]) {
			return control.ErrNotPositiveDefinite
		}
		ch.inverse(a.P[t])
		a.logdet[t] = ch.logDet()
	}
	return nil
}

// store writes a into c.
func (a *lg) store(c *control.LinearGaussianController) error {
	for t := range a.K {
		copy(c.K[t], a.K[t])
		copy(c.Offset[t], a.k[t])
		if err := c.SetCov(t, a.S[t]); err != nil {
			return err
		}
	}
	return nil
}

// LQG is the trajectory step of guided policy search with local models
// (Levine & Abbeel 2014, Sec. 3.2-3.3): given linear-Gaussian dynamics,
// a quadratic cost l and the previous controller p_old, it finds
//
//	p_new = argmin_p E_p[l(tau)]  subject to  KL(p || p_old) <= epsilon
//
// by dual ascent on the Lagrangian E_p[l] + eta (KL(p || p_old) - epsilon):
// for fixed eta the minimiser is the maximum-entropy LQR solution of the
// cost l/eta - log p_old(u|x), a linear-Gaussian controller with
// covariance Q_uu^{-1} (their Eq. 3-4), and eta is found by bracketing in
// log space until the trajectory KL, computed by propagating the state
// marginals through the dynamics, lies in [(1-tol) epsilon, epsilon]. When
// even eta -> minEta stays inside the bound, that unconstrained solution
// is taken. An LQG holds scratch for one (n, m, T) and is not safe for
// concurrent use.
type LQG struct {
	n, m, T int
	// Tol is the relative band of the KL below epsilon that ends the
	// search (default 0.1), MaxIters the bound on backward passes (50).
	Tol      float64
	MaxIters int
	// Omega weighs the controller's entropy: the pass minimises
	// (l + eta (-log p_old))/(eta + Omega) - H(p) (0: Levine & Abbeel's
	// form, l/eta - log p_old).
	Omega float64

	old, cand, best *lg
	pklm, pklv      [][]float64 // -log p_old as a quadratic in z: [T][d*d], [T][d]
	muZ, sZ         [][]float64 // state-action marginals [T][d], [T][d*d]
	vxx, vx         []float64
	qtt, qt, fv     []float64
	quu, qux, tmp   []float64
	ch, chM         *chol
	mx, sx          []float64
}

// NewLQG returns an LQG for n states, m actions and T steps.
func NewLQG(n, m, T int) *LQG {
	d := n + m
	return &LQG{n: n, m: m, T: T, Tol: 0.1, MaxIters: 50,
		old: newLG(n, m, T), cand: newLG(n, m, T), best: newLG(n, m, T),
		pklm: mat2(T, d*d), pklv: mat2(T, d), muZ: mat2(T, d), sZ: mat2(T, d*d),
		vxx: make([]float64, n*n), vx: make([]float64, n), qtt: make([]float64, d*d), qt: make([]float64, d),
		fv: make([]float64, n*d), quu: make([]float64, m*m), qux: make([]float64, m*n), tmp: make([]float64, d*d),
		ch: newChol(d), chM: newChol(m), mx: make([]float64, n), sx: make([]float64, n*n)}
}

// LQGResult reports a trajectory step.
type LQGResult struct {
	Eta   float64 // the dual variable of the KL bound
	KL    float64 // KL(p_new || p_old) summed over the steps
	Iters int     // backward passes
	Kept  bool    // no step met the bound: the old controller was kept
}

// Solve writes into dst the step from old under dyn and the cost q from
// the initial state x0 (a point: its covariance is zero), with the bound
// KL(p_new || p_old) <= epsilon (summed over the T steps). eta0 > 0 starts
// the search (the previous iteration's eta).
func (s *LQG) Solve(dst, old *control.LinearGaussianController, dyn *LinearDynamics, q *Quadratic, x0 []float64, epsilon, eta0 float64) (LQGResult, error) {
	if err := s.old.load(old, s.chM); err != nil {
		return LQGResult{}, err
	}
	s.prepareKL()
	lo, hi := 0.0, math.Inf(1) // eta below lo violates the bound, at hi it holds
	eta := math.Min(math.Max(eta0, minEta), maxEta)
	res := LQGResult{}
	haveBest := false
	for res.Iters < s.MaxIters {
		res.Iters++
		ok := s.backward(s.cand, dyn, q, eta)
		var kl float64
		if ok {
			kl = s.forward(s.cand, dyn, x0, true)
		}
		switch {
		case !ok || kl > epsilon:
			lo = eta
		case kl >= (1-s.Tol)*epsilon || eta <= minEta:
			s.best.copyFrom(s.cand)
			res.Eta, res.KL = eta, kl
			return res, s.best.store(dst)
		default:
			hi = eta
			s.best.copyFrom(s.cand)
			res.Eta, res.KL, haveBest = eta, kl, true
		}
		switch {
		case math.IsInf(hi, 1):
			eta = math.Min(eta*10, maxEta)
		case lo == 0:
			eta = math.Max(eta/10, minEta)
		default:
			eta = math.Sqrt(lo * hi)
		}
		if lo >= maxEta {
			break
		}
	}
	if !haveBest {
		// No feasible step (within MaxIters, or no eta up to maxEta gives
		// a positive definite Q_uu, as on an ill-conditioned fit): keep
		// p_old (KL 0).
		s.best.copyFrom(s.old)
		res.Eta, res.KL, res.Kept = math.Min(math.Max(lo, eta), maxEta), 0, true
	}
	return res, s.best.store(dst)
}

// prepareKL writes -log p_old(u|x) (up to a constant) as a quadratic in
// z = [x; u]: with P the old precision, 0.5 (u - Kx - k)'P(u - Kx - k) has
// Hessian [K'PK, -K'P; -PK, P] and gradient [K'Pk; -Pk].
func (s *LQG) prepareKL() {
	n, m := s.n, s.m
	d := n + m
	pk := s.tmp[:m*n]
	pkv := s.mx[:0]
	_ = pkv
	for t := range s.T {
		K, k, P := s.old.K[t], s.old.k[t], s.old.P[t]
		H, g := s.pklm[t], s.pklv[t]
		mul(pk, P, K, m, m, n) // PK [m, n]
		for i := range n {
			for j := range n {
				var v float64
				for a := range m {
					v += K[a*n+i] * pk[a*n+j]
				}
				H[i*d+j] = v
			}
		}
		for a := range m {
			for j := range n {
				H[(n+a)*d+j] = -pk[a*n+j]
				H[j*d+n+a] = -pk[a*n+j]
			}
			for b := range m {
				H[(n+a)*d+n+b] = P[a*m+b]
			}
			var pkA float64
			for b := range m {
				pkA += P[a*m+b] * k[b]
			}
			g[n+a] = -pkA
		}
		for i := range n {
			var v float64
			for a := range m {
				var pkA float64
				for b := range m {
					pkA += P[a*m+b] * k[b]
				}
				v += K[a*n+i] * pkA
			}
			g[i] = v
		}
	}
}

// backward is the maximum-entropy LQR pass on l/eta - log p_old: from
// V_T = 0, for t = T-1..0,
//
//	Q_zz = C_t/eta + H_t + F_t' V_xx F_t,  Q_z = c_t/eta + g_t + F_t'(V_x + V_xx f_t),
//	K_t = -Q_uu^{-1} Q_ux,  k_t = -Q_uu^{-1} Q_u,  S_t = Q_uu^{-1},
//	V_xx = Q_xx + Q_xu K_t,  V_x = Q_x + Q_xu k_t.
//
// It writes the controller into c and reports false if some Q_uu is not
// positive definite.
func (s *LQG) backward(c *lg, dyn *LinearDynamics, q *Quadratic, eta float64) bool {
	n, m := s.n, s.m
	d := n + m
	clear(s.vxx)
	clear(s.vx)
	inv, wkl := 1/(eta+s.Omega), eta/(eta+s.Omega)
	for t := s.T - 1; t >= 0; t-- {
		F, f := dyn.F[t], dyn.Offset[t]
		mul(s.fv, s.vxx, F, n, n, d) // V_xx F [n, d]
		mulTN(s.qtt, F, s.fv, n, d, d)
		for i := range d * d {
			s.qtt[i] += q.C[t][i]*inv + wkl*s.pklm[t][i]
		}
		// V_x + V_xx f.
		for i := range n {
			v := s.vx[i]
			for j := range n {
				v += s.vxx[i*n+j] * f[j]
			}
			s.mx[i] = v
		}
		mulTVec(s.qt, F, s.mx, n, d)
		for i := range d {
			s.qt[i] += q.c[t][i]*inv + wkl*s.pklv[t][i]
		}
		block(s.quu, s.qtt, d, n, n, m, m)
		block(s.qux, s.qtt, d, n, 0, m, n)
		if !s.chM.factor(s.quu) {
			return false
		}
		s.chM.inverse(c.S[t])
		symmetrize(c.S[t], m)
		copy(c.P[t], s.quu)
		symmetrize(c.P[t], m)
		c.logdet[t] = -s.chM.logDet()
		// K = -S Q_ux, k = -S Q_u.
		K, k := c.K[t], c.k[t]
		mul(K, c.S[t], s.qux, m, m, n)
		for i := range K {
			K[i] = -K[i]
		}
		mulVec(k, c.S[t], s.qt[n:], m, m)
		for i := range k {
			k[i] = -k[i]
		}
		// V_xx = Q_xx + Q_xu K, V_x = Q_x + Q_xu k (Q_xu = Q_ux').
		for i := range n {
			for j := range n {
				v := s.qtt[i*d+j]
				for a := range m {
					v += s.qux[a*n+i] * K[a*n+j]
				}
				s.vxx[i*n+j] = v
			}
			v := s.qt[i]
			for a := range m {
				v += s.qux[a*n+i] * k[a]
			}
			s.vx[i] = v
		}
		symmetrize(s.vxx, n)
	}
	return true
}

// forward propagates the Gaussian state-action marginals of controller c
// under dyn from the point x0 into s.muZ and s.sZ, and with kl returns
// sum_t E_x[KL(c(u|x) || old(u|x))] (the dynamics cancel in the
// trajectory KL), with, for x ~ N(mu, Sigma), dK = K - K_old, dk = k - k_old:
//
//	KL_t = 0.5 (tr(P_old S) + log det S_old - log det S - m
//	            + (dK mu + dk)'P_old(dK mu + dk) + tr(dK'P_old dK Sigma)).
func (s *LQG) forward(c *lg, dyn *LinearDynamics, x0 []float64, kl bool) float64 {
	n, m := s.n, s.m
	d := n + m
	copy(s.mx, x0)
	clear(s.sx)
	var total float64
	dK, du, pdK := s.qux, s.qt[:m], s.tmp[:m*n]
	for t := range s.T {
		K, k, S := c.K[t], c.k[t], c.S[t]
		mu, sz := s.muZ[t], s.sZ[t]
		copy(mu, s.mx)
		mulVec(mu[n:], K, s.mx, m, n)
		for a := range m {
			mu[n+a] += k[a]
		}
		// Sigma_z = [Sx, Sx K'; K Sx, K Sx K' + S].
		mulNT(s.fv[:m*n], K, s.sx, m, n, n) // K Sx [m, n] (Sx symmetric)
		for i := range n {
			copy(sz[i*d:i*d+n], s.sx[i*n:(i+1)*n])
		}
		for a := range m {
			for j := range n {
				v := s.fv[a*n+j]
				sz[(n+a)*d+j] = v
				sz[j*d+n+a] = v
			}
			for b := range m {
				var v float64
				for j := range n {
					v += s.fv[a*n+j] * K[b*n+j]
				}
				sz[(n+a)*d+n+b] = v + S[a*m+b]
			}
		}
		if kl {
			P := s.old.P[t]
			for i := range K {
				dK[i] = K[i] - s.old.K[t][i]
			}
			mulVec(du, dK, s.mx, m, n)
			for a := range m {
				du[a] += k[a] - s.old.k[t][a]
			}
			mul(pdK, P, dK, m, m, n)
			var trKS float64 // tr(dK'P dK Sx) = sum_ij (dK'P dK)_ij Sx_ji
			for i := range n {
				for j := range n {
					var v float64
					for a := range m {
						v += dK[a*n+i] * pdK[a*n+j]
					}
					trKS += v * s.sx[j*n+i]
				}
			}
			klt := 0.5 * (traceMul(P, S, m) + s.old.logdet[t] - c.logdet[t] - float64(m) + quad(P, du, m) + trKS)
			total += math.Max(klt, 0)
		}
		// x_{t+1} ~ N(F mu + f, F Sigma_z F' + Cov).
		F := dyn.F[t]
		mulVec(s.mx, F, mu, n, d)
		for i := range n {
			s.mx[i] += dyn.Offset[t][i]
		}
		mul(s.fv, F, sz, n, d, d)
		mulNT(s.sx, s.fv, F, n, n, d)
		for i := range n * n {
			s.sx[i] += dyn.Cov[t][i]
		}
		symmetrize(s.sx, n)
	}
	return total
}

// expectedCost returns E[sum_t l_t(z_t)] over the marginals of the last
// forward pass: sum_t 0.5 mu'C mu + mu'c + c0 + 0.5 tr(C Sigma_z).
func (s *LQG) expectedCost(q *Quadratic) float64 {
	d := s.n + s.m
	var total float64
	for t := range s.T {
		total += q.Value(t, s.muZ[t]) + 0.5*traceMul(q.C[t], s.sZ[t], d)
	}
	return total
}

// ExpectedCost returns the expected cost of c under dyn and q from the
// point x0 (the Laplace estimate of Levine & Abbeel's step-size rule).
func (s *LQG) ExpectedCost(c *control.LinearGaussianController, dyn *LinearDynamics, q *Quadratic, x0 []float64) (float64, error) {
	if err := s.cand.load(c, s.chM); err != nil {
		return 0, err
	}
	s.forward(s.cand, dyn, x0, false)
	return s.expectedCost(q), nil
}

// KL returns KL(c || old) of two controllers under dyn from x0, summed
// over the steps (state marginals of c).
func (s *LQG) KL(c, old *control.LinearGaussianController, dyn *LinearDynamics, x0 []float64) (float64, error) {
	if err := s.old.load(old, s.chM); err != nil {
		return 0, err
	}
	if err := s.cand.load(c, s.chM); err != nil {
		return 0, err
	}
	return s.forward(s.cand, dyn, x0, true), nil
}
