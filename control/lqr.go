package control

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// LQR is a discrete-time linear-quadratic regulator problem
//
//	x_{t+1} = A x_t + B u_t,
//	cost    = sum_{t<H} (x_t' Q x_t + u_t' R u_t + 2 x_t' N u_t) + x_H' Qf x_H
//
// with A [n, n], B [n, m], Q [n, n] symmetric positive semi-definite, R [m, m]
// symmetric positive definite, N [n, m] (nil means zero) and Qf [n, n] (nil
// means Q). The infinite-horizon problem drops Qf and H.
//
// Note the convention: the stage cost is x'Qx + u'Ru, not half of it, so for
// a cost c with Hessians Lxx, Luu, Lux the matrices are Q = Lxx/2, R = Luu/2,
// N = Lux'/2 (see Linearize).
type LQR struct {
	A, B, Q, R *mat.Dense
	N, Qf      *mat.Dense
}

// ErrNotPositiveDefinite is returned (wrapped) when R + B'PB, or Q_uu in
// iLQR, is not positive definite.
var ErrNotPositiveDefinite = errors.New("control: matrix not positive definite")

// dims checks the shapes of the problem and returns n and m.
func (p *LQR) dims() (n, m int, err error) {
	if p.A == nil || p.B == nil || p.Q == nil || p.R == nil {
		return 0, 0, errors.New("control: LQR needs A, B, Q and R")
	}
	n, c := p.A.Dims()
	if c != n {
		return 0, 0, fmt.Errorf("control: LQR A is %dx%d, not square", n, c)
	}
	r, m := p.B.Dims()
	if r != n {
		return 0, 0, fmt.Errorf("control: LQR B has %d rows, A has %d", r, n)
	}
	check := func(name string, x *mat.Dense, rows, cols int) error {
		if x == nil {
			return nil
		}
		if r, c := x.Dims(); r != rows || c != cols {
			return fmt.Errorf("control: LQR %s is %dx%d, want %dx%d", name, r, c, rows, cols)
		}
		return nil
	}
	for _, e := range []error{
		check("Q", p.Q, n, n), check("R", p.R, m, m),
		check("N", p.N, n, m), check("Qf", p.Qf, n, n),
	} {
		if e != nil {
			return 0, 0, e
		}
	}
	return n, m, nil
}

// riccatiStep performs one backward Riccati step from the cost-to-go matrix
// P of time t+1: it returns the gain K (u = K x) and the cost-to-go P of time
// t:
//
//	S = R + B'PB, L = B'PA + N', K = -S^{-1} L, P_t = Q + A'PA + L'K.
func (p *LQR) riccatiStep(P *mat.Dense) (K, Pt *mat.Dense, err error) {
	n, m, _ := p.dims()
	var BP, S, L mat.Dense
	BP.Mul(p.B.T(), P)
	S.Mul(&BP, p.B)
	S.Add(&S, p.R)
	L.Mul(&BP, p.A)
	if p.N != nil {
		L.Add(&L, p.N.T())
	}
	var chol mat.Cholesky
	if !chol.Factorize(symOf(&S)) {
		return nil, nil, fmt.Errorf("%w: R + B'PB", ErrNotPositiveDefinite)
	}
	K = mat.NewDense(m, n, nil)
	if err := chol.SolveTo(K, &L); err != nil {
		return nil, nil, fmt.Errorf("control: Riccati step: %w", err)
	}
	K.Scale(-1, K)
	var AP mat.Dense
	AP.Mul(p.A.T(), P)
	Pt = mat.NewDense(n, n, nil)
	Pt.Mul(&AP, p.A)
	Pt.Add(Pt, p.Q)
	var LK mat.Dense
	LK.Mul(L.T(), K)
	Pt.Add(Pt, &LK)
	symmetrize(Pt)
	return K, Pt, nil
}

// FiniteLQR is the solution of a finite-horizon LQR: u_t = K[t] x_t for
// t = 0..H-1 (K[t] is [m, n]) and the optimal cost-to-go x' P[t] x from time
// t (P has H+1 entries, P[H] = Qf).
type FiniteLQR struct {
	K []*mat.Dense
	P []*mat.Dense
}

// SolveFinite solves the finite-horizon problem over horizon H >= 1 by the
// backward Riccati recursion.
func (p *LQR) SolveFinite(H int) (*FiniteLQR, error) {
	if _, _, err := p.dims(); err != nil {
		return nil, err
	}
	if H < 1 {
		return nil, fmt.Errorf("control: LQR horizon %d < 1", H)
	}
	s := &FiniteLQR{K: make([]*mat.Dense, H), P: make([]*mat.Dense, H+1)}
	qf := p.Qf
	if qf == nil {
		qf = p.Q
	}
	s.P[H] = mat.DenseCopyOf(qf)
	for t := H - 1; t >= 0; t-- {
		K, P, err := p.riccatiStep(s.P[t+1])
		if err != nil {
			return nil, fmt.Errorf("control: LQR step %d: %w", t, err)
		}
		s.K[t], s.P[t] = K, P
	}
	return s, nil
}

// CostToGo returns the optimal cost x0' P[0] x0 from x0.
func (s *FiniteLQR) CostToGo(x0 []float64) float64 {
	return quadForm(s.P[0], x0)
}

// Controller returns the time-varying linear controller u_t = K[t] x_t with
// zero offset and zero covariance.
func (s *FiniteLQR) Controller() *LinearGaussianController {
	m, n := s.K[0].Dims()
	c := NewLinearGaussianController(n, m, len(s.K))
	for t, K := range s.K {
		copy(c.K[t], K.RawMatrix().Data)
	}
	return c
}

// InfiniteLQR is the solution of the infinite-horizon LQR: the stationary
// gain K [m, n] (u = K x) and P [n, n], the stabilising solution of the
// discrete algebraic Riccati equation (DARE)
//
//	P = Q + A'PA - (A'PB + N)(R + B'PB)^{-1}(B'PA + N').
type InfiniteLQR struct {
	K, P *mat.Dense
}

// SolveInfinite solves the DARE by the structure-preserving doubling
// algorithm (Chu, Fan & Lin 2005), which converges quadratically, followed
// by a few fixed-point Riccati iterations to polish the result. The pair
// (A, B) must be stabilisable and (Q, A) detectable.
func (p *LQR) SolveInfinite() (*InfiniteLQR, error) {
	n, _, err := p.dims()
	if err != nil {
		return nil, err
	}
	var rchol mat.Cholesky
	if !rchol.Factorize(symOf(p.R)) {
		return nil, fmt.Errorf("%w: R", ErrNotPositiveDefinite)
	}
	// Remove the cross term: A~ = A - B R^{-1} N', Q~ = Q - N R^{-1} N'.
	Ak := mat.DenseCopyOf(p.A)
	Hk := mat.DenseCopyOf(p.Q)
	if p.N != nil {
		var RiNt mat.Dense // R^{-1} N' [m, n]
		if err := rchol.SolveTo(&RiNt, p.N.T()); err != nil {
			return nil, fmt.Errorf("control: DARE: %w", err)
		}
		var t1 mat.Dense
		t1.Mul(p.B, &RiNt)
		Ak.Sub(Ak, &t1)
		t1.Reset()
		t1.Mul(p.N, &RiNt)
		Hk.Sub(Hk, &t1)
		symmetrize(Hk)
	}
	var RiBt mat.Dense // R^{-1} B' [m, n]
	if err := rchol.SolveTo(&RiBt, p.B.T()); err != nil {
		return nil, fmt.Errorf("control: DARE: %w", err)
	}
	Gk := mat.NewDense(n, n, nil)
	Gk.Mul(p.B, &RiBt)
	symmetrize(Gk)

	eye := mat.NewDense(n, n, nil)
	for i := range n {
		eye.Set(i, i, 1)
	}
	var W, WiA, WiG, tmp mat.Dense
	const maxDoubling = 100
	converged := false
	for it := 0; it < maxDoubling; it++ {
		// W = I + G H; A' = A W^{-1} A; G' = G + A W^{-1} G A'; H' = H + A' H W^{-1} A.
		W.Mul(Gk, Hk)
		W.Add(&W, eye)
		var lu mat.LU
		lu.Factorize(&W)
		if lu.Det() == 0 {
			return nil, errors.New("control: DARE: singular I + GH in doubling")
		}
		if err := lu.SolveTo(&WiA, false, Ak); err != nil {
			return nil, fmt.Errorf("control: DARE: %w", err)
		}
		if err := lu.SolveTo(&WiG, false, Gk); err != nil {
			return nil, fmt.Errorf("control: DARE: %w", err)
		}
		An := mat.NewDense(n, n, nil)
		An.Mul(Ak, &WiA)
		Gn := mat.NewDense(n, n, nil)
		tmp.Reset()
		tmp.Mul(Ak, &WiG)
		Gn.Mul(&tmp, Ak.T())
		Gn.Add(Gn, Gk)
		symmetrize(Gn)
		Hn := mat.NewDense(n, n, nil)
		tmp.Reset()
		tmp.Mul(Ak.T(), Hk)
		Hn.Mul(&tmp, &WiA)
		Hn.Add(Hn, Hk)
		symmetrize(Hn)
		var d mat.Dense
		d.Sub(Hn, Hk)
		diff, size := mat.Norm(&d, 1), mat.Norm(Hn, 1)
		Ak, Gk, Hk = An, Gn, Hn
		if math.IsNaN(diff) || math.IsInf(size, 0) {
			return nil, errors.New("control: DARE: doubling diverged (is (A, B) stabilisable?)")
		}
		if diff <= 1e-15*math.Max(size, 1) {
			converged = true
			break
		}
	}
	if !converged {
		return nil, errors.New("control: DARE: doubling did not converge")
	}
	// Polish with fixed-point Riccati steps while they reduce the residual.
	P := Hk
	res := p.DAREResidual(P)
	for range 10 {
		_, Pn, err := p.riccatiStep(P)
		if err != nil {
			return nil, fmt.Errorf("control: DARE: %w", err)
		}
		rn := p.DAREResidual(Pn)
		if !(rn < res) {
			break
		}
		P, res = Pn, rn
	}
	K, _, err := p.riccatiStep(P)
	if err != nil {
		return nil, fmt.Errorf("control: DARE: %w", err)
	}
	return &InfiniteLQR{K: K, P: P}, nil
}

// DAREResidual returns the max-abs entry of
// Q + A'PA - (A'PB + N)(R + B'PB)^{-1}(B'PA + N') - P, which is zero at a
// solution of the DARE.
func (p *LQR) DAREResidual(P *mat.Dense) float64 {
	_, Pn, err := p.riccatiStep(P)
	if err != nil {
		return math.Inf(1)
	}
	var d mat.Dense
	d.Sub(Pn, P)
	return mat.Norm(&d, math.Inf(1)) // max row sum; bounds max-abs entry
}

// Act writes u = K x into dst.
func (s *InfiniteLQR) Act(dst, x []float64) {
	m, n := s.K.Dims()
	k := s.K.RawMatrix().Data
	for i := range m {
		var v float64
		for j := range n {
			v += k[i*n+j] * x[j]
		}
		dst[i] = v
	}
}

// Controller returns u = K x as a one-step LinearGaussianController, which
// applies its last (only) step at every time.
func (s *InfiniteLQR) Controller() *LinearGaussianController {
	m, n := s.K.Dims()
	c := NewLinearGaussianController(n, m, 1)
	copy(c.K[0], s.K.RawMatrix().Data)
	return c
}

// Linearize returns the LQR problem of the dynamics and cost about (x, u):
// A = df/dx, B = df/du, Q = Lxx/2, R = Luu/2, N = Lux'/2, for deviations
// from (x, u). Constant and linear terms are dropped, so this is the LQR
// about an equilibrium (f(x, u) = x, zero cost gradient); elsewhere use
// iLQR. Qf is left nil (= Q).
func Linearize(model Model, cost Cost, x, u []float64) *LQR {
	n, m := model.StateDim(), model.ActionDim()
	fx, fu := make([]float64, n*n), make([]float64, n*m)
	model.Jacobians(fx, fu, x, u)
	d := newDerivs(n, m)
	cost.CostDerivs(d, x, u)
	half := func(r, c int, s []float64) *mat.Dense {
		h := mat.NewDense(r, c, nil)
		for i := range r {
			for j := range c {
				h.Set(i, j, s[i*c+j]/2)
			}
		}
		return h
	}
	Nt := half(m, n, d.Lux)
	return &LQR{
		A: mat.NewDense(n, n, fx), B: mat.NewDense(n, m, fu),
		Q: half(n, n, d.Lxx), R: half(m, m, d.Luu),
		N: mat.DenseCopyOf(Nt.T()),
	}
}

// symOf returns the symmetric part of a square matrix.
func symOf(a mat.Matrix) *mat.SymDense {
	n, _ := a.Dims()
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s.SetSym(i, j, (a.At(i, j)+a.At(j, i))/2)
		}
	}
	return s
}

// symmetrize replaces a square matrix by its symmetric part in place.
func symmetrize(a *mat.Dense) {
	n, _ := a.Dims()
	for i := range n {
		for j := i + 1; j < n; j++ {
			v := (a.At(i, j) + a.At(j, i)) / 2
			a.Set(i, j, v)
			a.Set(j, i, v)
		}
	}
}

// quadForm returns x' P x.
func quadForm(P mat.Matrix, x []float64) float64 {
	v := mat.NewVecDense(len(x), append([]float64(nil), x...))
	return mat.Inner(v, P, v)
}
