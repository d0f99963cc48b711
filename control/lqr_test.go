package control

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/mbrl/mbrl/envs"
)

// linearProblem returns the LQR of the default "linear" environment, built
// from its Dynamics through Linearize.
func linearProblem(t testing.TB) (*LQR, envs.Dynamics) {
	t.Helper()
	env := envs.NewLinear(envs.DefaultLinearConfig())
	dyn := env.Dynamics()
	n, m := dyn.StateDim(), dyn.ActionDim()
	return Linearize(dyn, dyn, make([]float64, n), make([]float64, m)), dyn
}

// lqrRollout applies u_t = K_t x_t from x0 and returns the realised cost
// sum c(x_t, u_t) + c(x_H, 0), the controls and the states.
func lqrRollout(dyn envs.Dynamics, s *FiniteLQR, x0 []float64) (float64, [][]float64) {
	n, m := dyn.StateDim(), dyn.ActionDim()
	c := s.Controller()
	x := append([]float64(nil), x0...)
	next := make([]float64, n)
	var J float64
	var us [][]float64
	for t := range len(s.K) {
		u := make([]float64, m)
		c.Mean(u, t, x)
		us = append(us, u)
		J += dyn.Cost(x, u)
		dyn.Next(next, x, u)
		x, next = next, x
	}
	return J + dyn.Cost(x, make([]float64, m)), us
}

// bruteForceLQR minimises the cost over the stacked controls
// U = [u_0..u_{H-1}] directly: with x = Phi x0 + Gamma U the cost is
// (Phi x0 + Gamma U)' Qbar (Phi x0 + Gamma U) + U' Rbar U, whose minimiser
// solves (Gamma' Qbar Gamma + Rbar) U = -Gamma' Qbar Phi x0.
func bruteForceLQR(p *LQR, H int, x0 []float64) (U []float64, J float64) {
	n, m := p.B.Dims()
	Phi := mat.NewDense((H+1)*n, n, nil)
	Gam := mat.NewDense((H+1)*n, H*m, nil)
	Ak := mat.NewDense(n, n, nil)
	for i := range n {
		Ak.Set(i, i, 1)
	}
	pows := []*mat.Dense{mat.DenseCopyOf(Ak)} // A^0..A^H
	for range H {
		var nx mat.Dense
		nx.Mul(p.A, pows[len(pows)-1])
		pows = append(pows, &nx)
	}
	for t := 0; t <= H; t++ {
		Phi.Slice(t*n, (t+1)*n, 0, n).(*mat.Dense).Copy(pows[t])
		for s := 0; s < t; s++ { // x_t depends on u_s through A^{t-1-s} B
			var blk mat.Dense
			blk.Mul(pows[t-1-s], p.B)
			Gam.Slice(t*n, (t+1)*n, s*m, (s+1)*m).(*mat.Dense).Copy(&blk)
		}
	}
	Qbar := mat.NewDense((H+1)*n, (H+1)*n, nil)
	for t := 0; t <= H; t++ {
		q := p.Q
		if t == H && p.Qf != nil {
			q = p.Qf
		}
		Qbar.Slice(t*n, (t+1)*n, t*n, (t+1)*n).(*mat.Dense).Copy(q)
	}
	Rbar := mat.NewDense(H*m, H*m, nil)
	for t := range H {
		Rbar.Slice(t*m, (t+1)*m, t*m, (t+1)*m).(*mat.Dense).Copy(p.R)
	}
	var GtQ, M, rhs, px mat.Dense
	GtQ.Mul(Gam.T(), Qbar)
	M.Mul(&GtQ, Gam)
	M.Add(&M, Rbar)
	x0v := mat.NewVecDense(n, append([]float64(nil), x0...))
	px.Mul(Phi, x0v)
	rhs.Mul(&GtQ, &px)
	rhs.Scale(-1, &rhs)
	var u mat.Dense
	if err := u.Solve(&M, &rhs); err != nil {
		panic(err)
	}
	var xs mat.Dense
	xs.Mul(Gam, &u)
	xs.Add(&xs, &px)
	xv := mat.NewVecDense((H+1)*n, mat.Col(nil, 0, &xs))
	uv := mat.NewVecDense(H*m, mat.Col(nil, 0, &u))
	J = mat.Inner(xv, Qbar, xv) + mat.Inner(uv, Rbar, uv)
	return uv.RawVector().Data, J
}

func TestFiniteLQRIsOptimal(t *testing.T) {
	p, dyn := linearProblem(t)
	for _, tc := range []struct {
		name string
		H    int
		x0   []float64
	}{
		{"H1", 1, []float64{1, -1}},
		{"H5", 5, []float64{0.3, 0.7}},
		{"H20", 20, []float64{-1, 0.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := p.SolveFinite(tc.H)
			if err != nil {
				t.Fatal(err)
			}
			v := s.CostToGo(tc.x0)
			J, us := lqrRollout(dyn, s, tc.x0)
			Ubf, Jbf := bruteForceLQR(p, tc.H, tc.x0)
			// Relative 1e-9 on costs of order 1..100; the stacked solve has a
			// condition number ~1e3 for H = 20, so it agrees to ~1e-12.
			if d := math.Abs(v - J); d > 1e-9*math.Max(1, J) {
				t.Errorf("cost-to-go %.15g != realised cost %.15g (diff %g)", v, J, d)
			}
			if d := math.Abs(v - Jbf); d > 1e-9*math.Max(1, Jbf) {
				t.Errorf("cost-to-go %.15g != brute-force optimum %.15g (diff %g)", v, Jbf, d)
			}
			for k, u := range us {
				if d := math.Abs(u[0] - Ubf[k]); d > 1e-9 {
					t.Errorf("u_%d = %.15g, brute force %.15g", k, u[0], Ubf[k])
				}
			}
		})
	}
}

func TestInfiniteLQRSolvesDARE(t *testing.T) {
	p, _ := linearProblem(t)
	cross := &LQR{ // a 3-state, 2-action system with a cross term
		A:  mat.NewDense(3, 3, []float64{1.2, 0.3, 0, 0, 0.9, 0.5, 0.1, 0, 1.05}),
		B:  mat.NewDense(3, 2, []float64{0, 1, 1, 0, 0.2, 0.3}),
		Q:  mat.NewDense(3, 3, []float64{2, 0.1, 0, 0.1, 1, 0, 0, 0, 0.5}),
		R:  mat.NewDense(2, 2, []float64{1, 0.2, 0.2, 0.5}),
		N:  mat.NewDense(3, 2, []float64{0.1, 0, 0, 0.1, 0.05, 0}),
		Qf: nil,
	}
	for name, p := range map[string]*LQR{"linear": p, "cross": cross} {
		t.Run(name, func(t *testing.T) {
			s, err := p.SolveInfinite()
			if err != nil {
				t.Fatal(err)
			}
			if r := p.DAREResidual(s.P); r > 1e-9 {
				t.Errorf("DARE residual %g > 1e-9", r)
			}
			// Closed loop A + BK must be stable.
			var cl mat.Dense
			cl.Mul(p.B, s.K)
			cl.Add(&cl, p.A)
			var eig mat.Eigen
			if !eig.Factorize(&cl, mat.EigenNone) {
				t.Fatal("eigen decomposition failed")
			}
			for _, e := range eig.Values(nil) {
				if a := math.Hypot(real(e), imag(e)); a >= 1 {
					t.Errorf("closed-loop eigenvalue %v outside the unit circle", e)
				}
			}
			// The finite-horizon gain at t = 0 converges to K for long H.
			f, err := p.SolveFinite(400)
			if err != nil {
				t.Fatal(err)
			}
			if !mat.EqualApprox(f.K[0], s.K, 1e-9) {
				t.Errorf("K_0 of H=400 %v != stationary K %v", mat.Formatted(f.K[0]), mat.Formatted(s.K))
			}
		})
	}
}

func BenchmarkLQRSolveFinite(b *testing.B) {
	p, _ := linearProblem(b)
	for b.Loop() {
		if _, err := p.SolveFinite(50); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLQRSolveInfinite(b *testing.B) {
	p, _ := linearProblem(b)
	for b.Loop() {
		if _, err := p.SolveInfinite(); err != nil {
			b.Fatal(err)
		}
	}
}
