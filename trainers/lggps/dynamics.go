package lggps

import "gonum.org/v1/gonum/mat"

// LinearDynamics is a time-varying linear-Gaussian model of the dynamics
//
//	p(x_{t+1} | x_t, u_t) = N(F[t] [x_t; u_t] + Offset[t], Cov[t]),
//
// F [T][n*(n+m)], Offset [T][n], Cov [T][n*n], all row-major.
type LinearDynamics struct {
	F      [][]float64
	Offset [][]float64
	Cov    [][]float64
	n, m   int
}

// NewLinearDynamics returns zero dynamics for n states, m actions and T
// steps.
func NewLinearDynamics(n, m, T int) *LinearDynamics {
	return &LinearDynamics{F: mat2(T, n*(n+m)), Offset: mat2(T, n), Cov: mat2(T, n*n), n: n, m: m}
}

// dynFitter fits one step of LinearDynamics by Gaussian conditioning with
// a normal-inverse-Wishart prior (Levine & Abbeel 2014, Sec. 3.1). With
// N points z_i = [x_i; u_i; x'_i], their mean zbar and scatter
// S = (1/N) sum (z_i - zbar)(z_i - zbar)', and a prior N(mu0, Sigma0) of
// strength n0 (in samples), the joint covariance is the posterior's
//
//	Sigma = (N S + n0 Sigma0 + N n0/(N+n0) (zbar - mu0)(zbar - mu0)') / (N + n0)
//
// (Sigma = S without a prior); conditioning x' on [x; u] then gives
// F = Sigma_{x'z} Sigma_zz^{-1}, Offset = zbar_{x'} - F zbar_z and
// Cov = Sigma_{x'x'} - F Sigma_{zx'}. Reg is added to the diagonal of
// Sigma_zz and of Cov. A dynFitter is not safe for concurrent use.
type dynFitter struct {
	n, m     int
	strength float64
	reg      float64
	mun, mu0 []float64
	sig, s0  []float64
	szz, szp []float64 // Sigma_zz [d*d], Sigma_zx' [d*n]
	ft       []float64 // F' [d*n]
	ch       *chol
	scratch  []float64
	symN     *mat.SymDense
	eig      mat.EigenSym
	vecs     mat.Dense
}

func newDynFitter(n, m int, strength, reg float64, clusters int) *dynFitter {
	d, D := n+m, 2*n+m
	return &dynFitter{n: n, m: m, strength: strength, reg: reg,
		mun: make([]float64, D), mu0: make([]float64, D), sig: make([]float64, D*D), s0: make([]float64, D*D),
		szz: make([]float64, d*d), szp: make([]float64, d*n), ft: make([]float64, d*n),
		ch: newChol(d), scratch: make([]float64, 2*clusters+D), symN: mat.NewSymDense(n, nil)}
}

// fit sets step t of dst from the points pts [N][2n+m], with prior nil or
// a mixture over all transitions. It reports false if Sigma_zz is not
// positive definite (too few points and no prior).
func (f *dynFitter) fit(dst *LinearDynamics, t int, pts [][]float64, prior *GMM) bool {
	n, m := f.n, f.m
	d, D := n+m, 2*n+m
	N := float64(len(pts))
	clear(f.mun)
	for _, z := range pts {
		for a, v := range z {
			f.mun[a] += v / N
		}
	}
	clear(f.sig)
	for _, z := range pts {
		for a := range D {
			da := z[a] - f.mun[a]
			for b := a; b < D; b++ {
				f.sig[a*D+b] += da * (z[b] - f.mun[b])
			}
		}
	}
	if prior != nil && f.strength > 0 {
		n0 := f.strength
		prior.Prior(f.mu0, f.s0, pts, f.scratch)
		c := N * n0 / (N + n0)
		for a := range D {
			da := f.mun[a] - f.mu0[a]
			for b := a; b < D; b++ {
				f.sig[a*D+b] = (f.sig[a*D+b] + n0*f.s0[a*D+b] + c*da*(f.mun[b]-f.mu0[b])) / (N + n0)
			}
		}
	} else {
		for a := range D {
			for b := a; b < D; b++ {
				f.sig[a*D+b] /= N
			}
		}
	}
	for a := range D {
		for b := a + 1; b < D; b++ {
			f.sig[b*D+a] = f.sig[a*D+b]
		}
	}
	block(f.szz, f.sig, D, 0, 0, d, d)
	for a := range d {
		f.szz[a*d+a] += f.reg
	}
	block(f.szp, f.sig, D, 0, d, d, n)
	if !f.ch.factor(f.szz) {
		return false
	}
	// F' = Sigma_zz^{-1} Sigma_zx', one column of x' at a time.
	col := f.scratch[:d]
	for j := range n {
		for a := range d {
			col[a] = f.szp[a*n+j]
		}
		f.ch.solveVec(col)
		for a := range d {
			f.ft[a*n+j] = col[a]
		}
	}
	F, off, cov := dst.F[t], dst.Offset[t], dst.Cov[t]
	for i := range n {
		v := f.mun[d+i]
		for a := range d {
			F[i*d+a] = f.ft[a*n+i]
			v -= F[i*d+a] * f.mun[a]
		}
		off[i] = v
	}
	// Cov = Sigma_x'x' - F Sigma_zx'.
	for i := range n {
		for j := range n {
			v := f.sig[(d+i)*D+d+j]
			for a := range d {
				v -= F[i*d+a] * f.szp[a*n+j]
			}
			cov[i*n+j] = v
		}
	}
	symmetrize(cov, n)
	projectPSD(cov, n, f.symN, &f.eig, &f.vecs) // cancellation on data of large scale
	for i := range n {
		cov[i*n+i] += f.reg
	}
	return true
}
