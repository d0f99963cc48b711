package control

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/internal/cputime"
)

func TestILQROneIterationIsLQR(t *testing.T) {
	p, dyn := linearProblem(t)
	const H = 30
	lqr, err := p.SolveFinite(H)
	if err != nil {
		t.Fatal(err)
	}
	x0 := []float64{0.8, -0.6}
	_, want := lqrRollout(dyn, lqr, x0)
	s, err := NewILQR(dyn, dyn, H, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Init(x0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Iterate(); err != nil {
		t.Fatal(err)
	}
	sol := s.Solution()
	if it := sol.Iters[0]; !it.Accepted || it.Alpha != 1 || it.Mu != 0 {
		t.Fatalf("first iteration %+v: want a full, unregularised step", it)
	}
	for k := range H {
		if d := math.Abs(sol.U[k][0] - want[k][0]); d > 1e-9 {
			t.Errorf("u_%d = %.15g after one iteration, LQR %.15g", k, sol.U[k][0], want[k][0])
		}
	}
	if d := math.Abs(sol.Cost - lqr.CostToGo(x0)); d > 1e-9 {
		t.Errorf("cost %.15g != LQR cost-to-go %.15g", sol.Cost, lqr.CostToGo(x0))
	}
	// The LQR feedback gains are those of the (exact) backward pass.
	for k := range H {
		for j, g := range lqr.K[k].RawMatrix().Data {
			if d := math.Abs(sol.K[k][j] - g); d > 1e-9 {
				t.Errorf("K_%d[%d] = %g, LQR %g", k, j, sol.K[k][j], g)
			}
		}
	}
	// Solve then stops at the second iteration on the gradient test.
	sol, err = s.Solve(x0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sol.Converged || len(sol.Iters) != 2 {
		t.Errorf("Solve: converged %v after %d iterations, want true after 2", sol.Converged, len(sol.Iters))
	}
	// The extracted controller reproduces the trajectory.
	c := sol.Controller()
	u := make([]float64, 1)
	for k := range H {
		c.Mean(u, k, sol.X[k])
		if math.Abs(u[0]-sol.U[k][0]) > 1e-12 {
			t.Fatalf("controller at %d: %g, want %g", k, u[0], sol.U[k][0])
		}
	}
}

// boxQPBrute minimises 0.5 x'Hx + g'x over the box by enumerating which
// dimensions sit at the lower bound, the upper bound or are free (3^m
// cases) and keeping the best feasible stationary point.
func boxQPBrute(H, g, lo, hi []float64, m int) ([]float64, float64) {
	best, bestV := []float64(nil), math.Inf(1)
	state := make([]int, m)
	x := make([]float64, m)
	q := newBoxQP(m)
	for {
		var free []int
		for i := range m {
			switch state[i] {
			case 0:
				x[i] = lo[i]
			case 1:
				x[i] = hi[i]
			default:
				free = append(free, i)
			}
		}
		nf := len(free)
		L := make([]float64, nf*nf)
		rhs := make([]float64, nf)
		for a, i := range free {
			rhs[a] = -g[i]
			for j := range m {
				if state[j] != 2 {
					rhs[a] -= H[i*m+j] * x[j]
				}
			}
			for b, j := range free {
				L[a*nf+b] = H[i*m+j]
			}
		}
		if Cholesky(L, nf) {
			CholSolve(L, nf, rhs)
			ok := true
			for a, i := range free {
				x[i] = rhs[a]
				if x[i] < lo[i]-1e-12 || x[i] > hi[i]+1e-12 {
					ok = false
				}
			}
			if v := q.value(H, g, x); ok && v < bestV {
				best, bestV = append([]float64(nil), x...), v
			}
		}
		k := 0
		for k < m && state[k] == 2 {
			state[k] = 0
			k++
		}
		if k == m {
			return best, bestV
		}
		state[k]++
	}
}

func TestBoxQP(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, m := range []int{1, 2, 3, 5} {
		for trial := range 200 {
			// Random SPD H = A A' + 0.1 I, gradient and box.
			a := make([]float64, m*m)
			for i := range a {
				a[i] = rng.NormFloat64()
			}
			H := make([]float64, m*m)
			for i := range m {
				for j := range m {
					for k := range m {
						H[i*m+j] += a[i*m+k] * a[j*m+k]
					}
				}
				H[i*m+i] += 0.1
			}
			g, lo, hi, x := make([]float64, m), make([]float64, m), make([]float64, m), make([]float64, m)
			for i := range m {
				g[i] = 3 * rng.NormFloat64()
				lo[i] = -rng.Float64()
				hi[i] = rng.Float64()
				x[i] = rng.NormFloat64() // warm start, possibly outside the box
			}
			q := newBoxQP(m)
			if !q.solve(H, g, lo, hi, x) {
				t.Fatalf("m=%d trial %d: solve failed on an SPD matrix", m, trial)
			}
			want, wantV := boxQPBrute(H, g, lo, hi, m)
			if v := q.value(H, g, x); v > wantV+1e-9*math.Max(1, math.Abs(wantV)) {
				t.Errorf("m=%d trial %d: value %g > optimum %g (x %v, want %v)", m, trial, v, wantV, x, want)
			}
			// The free set is where the solution is strictly inside or the
			// gradient does not push outwards.
			for a := range q.nfree {
				i := q.freeIdx[a]
				if math.Abs(x[i]-want[i]) > 1e-6 {
					t.Errorf("m=%d trial %d: x[%d] = %g, want %g", m, trial, i, x[i], want[i])
				}
			}
		}
	}
	// An indefinite H on the free set is reported.
	q := newBoxQP(2)
	x := []float64{0, 0}
	if q.solve([]float64{-1, 0, 0, 1}, []float64{0.1, 0.1}, []float64{-1, -1}, []float64{1, 1}, x) {
		t.Error("indefinite H: solve reported success")
	}
}

// bounded2D is a 2-state, 2-action double-integrator-like system with a
// quadratic cost, to exercise the m > 1 box QP inside iLQR.
type bounded2D struct{}

func (bounded2D) StateDim() int  { return 2 }
func (bounded2D) ActionDim() int { return 2 }
func (bounded2D) Next(dst, x, u []float64) {
	x0, x1 := x[0], x[1]
	dst[0] = x0 + 0.1*x1 + 0.05*u[0]
	dst[1] = x1 + 0.1*u[0] + 0.1*u[1]
}
func (bounded2D) Jacobians(fx, fu, x, u []float64) {
	copy(fx, []float64{1, 0.1, 0, 1})
	copy(fu, []float64{0.05, 0, 0.1, 0.1})
}
func (bounded2D) Cost(x, u []float64) float64 {
	return x[0]*x[0] + 0.1*x[1]*x[1] + 0.01*(u[0]*u[0]+u[1]*u[1])
}
func (b bounded2D) CostDerivs(d *envs.CostDerivs, x, u []float64) {
	d.L = b.Cost(x, u)
	d.Lx[0], d.Lx[1] = 2*x[0], 0.2*x[1]
	d.Lu[0], d.Lu[1] = 0.02*u[0], 0.02*u[1]
	copy(d.Lxx, []float64{2, 0, 0, 0.2})
	copy(d.Luu, []float64{0.02, 0, 0, 0.02})
	clear(d.Lux)
}

func TestILQRBoundsRespected(t *testing.T) {
	low, high := []float64{-1, -0.5}, []float64{1, 0.5}
	s, err := NewILQR(bounded2D{}, bounded2D{}, 40, &ILQRSettings{Low: low, High: high})
	if err != nil {
		t.Fatal(err)
	}
	free, err := NewILQR(bounded2D{}, bounded2D{}, 40, nil)
	if err != nil {
		t.Fatal(err)
	}
	x0 := []float64{3, -2}
	sf, err := free.Solve(x0, nil)
	if err != nil {
		t.Fatal(err)
	}
	freeCost := sf.Cost
	sol, err := s.Solve(x0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sol.Converged {
		t.Errorf("bounded iLQR did not converge in %d iterations", len(sol.Iters))
	}
	clamped := 0
	for k, u := range sol.U {
		for i := range u {
			if u[i] < low[i] || u[i] > high[i] {
				t.Fatalf("u_%d = %v outside the bounds", k, u)
			}
			if u[i] == low[i] || u[i] == high[i] {
				clamped++
				// Feedback gains are zero on clamped dimensions (the gains
				// are those of the last backward pass, at the solution).
			}
		}
	}
	if clamped == 0 {
		t.Error("no control at its bound: the test problem does not exercise the box QP")
	}
	if sol.Cost < freeCost {
		t.Errorf("bounded cost %g below the unbounded optimum %g", sol.Cost, freeCost)
	}
	// A first-order check of optimality: perturbing any control inside the
	// box does not lower the cost.
	base := sol.Cost
	u := make([][]float64, len(sol.U))
	for k := range u {
		u[k] = append([]float64(nil), sol.U[k]...)
	}
	probe, _ := NewILQR(bounded2D{}, bounded2D{}, 40, &ILQRSettings{Low: low, High: high, MaxIter: 1})
	for k := 0; k < 40; k += 7 {
		for i := range 2 {
			for _, h := range []float64{-1e-4, 1e-4} {
				old := u[k][i]
				u[k][i] = math.Min(math.Max(old+h, low[i]), high[i])
				if err := probe.Init(x0, u); err != nil {
					t.Fatal(err)
				}
				if c := probe.Solution().Cost; c < base-1e-9 {
					t.Errorf("perturbing u_%d[%d] by %g lowers the cost %g -> %g", k, i, h, base, c)
				}
				u[k][i] = old
			}
		}
	}
}

// quadPull is an ExtraCost w |u - target|^2 on every step.
type quadPull struct {
	w, target float64
}

func (q quadPull) Add(t int, x, u []float64, d *envs.CostDerivs) {
	e := u[0] - q.target
	d.L += q.w * e * e
	d.Lu[0] += 2 * q.w * e
	d.Luu[0] += 2 * q.w
}

func TestILQRExtraCost(t *testing.T) {
	// On the linear system an extra w |u|^2 makes the problem the LQR with
	// R + w: iLQR with the extra term must equal that LQR (in one step).
	p, dyn := linearProblem(t)
	const H, w = 10, 0.4
	pw := *p
	pw.R = mat.DenseCopyOf(p.R)
	pw.R.Set(0, 0, p.R.At(0, 0)+w)
	lqr, err := pw.SolveFinite(H)
	if err != nil {
		t.Fatal(err)
	}
	x0 := []float64{0.5, 0.5}
	s, err := NewILQR(dyn, dyn, H, &ILQRSettings{Extra: quadPull{w: w}})
	if err != nil {
		t.Fatal(err)
	}
	sol, err := s.Solve(x0, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := lqr.Controller()
	x := append([]float64(nil), x0...)
	u := make([]float64, 1)
	for k := range H {
		c.Mean(u, k, x)
		if d := math.Abs(u[0] - sol.U[k][0]); d > 1e-9 {
			t.Errorf("u_%d = %.15g, LQR with R + w %.15g", k, sol.U[k][0], u[0])
		}
		dyn.Next(x, x, u)
	}
	if d := math.Abs(sol.Cost - lqr.CostToGo(x0)); d > 1e-9 {
		t.Errorf("cost %.15g, LQR with R + w %.15g", sol.Cost, lqr.CostToGo(x0))
	}
	if !sol.Converged || len(sol.Iters) != 2 {
		t.Errorf("converged %v after %d iterations, want true after 2 (LQ problem)", sol.Converged, len(sol.Iters))
	}
	// A pull towards 0.5 moves every control up.
	s.SetExtra(quadPull{w: w, target: 0.5})
	pulled, err := s.Solve(x0, nil)
	if err != nil {
		t.Fatal(err)
	}
	x = append(x[:0], x0...)
	for k := range H {
		c.Mean(u, k, x)
		if pulled.U[k][0] <= u[0] {
			t.Errorf("u_%d = %g with the pull to 0.5, not above %g", k, pulled.U[k][0], u[0])
		}
		dyn.Next(x, x, u)
	}
}

func TestILQRNonFinite(t *testing.T) {
	_, dyn := linearProblem(t)
	s, err := NewILQR(dyn, dyn, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Init([]float64{math.NaN(), 0}, nil); err == nil {
		t.Error("NaN state: no error")
	}
	if _, err := NewILQR(dyn, dyn, 0, nil); err == nil {
		t.Error("H = 0: no error")
	}
}

func pendulumSolver(t testing.TB, H int, s *ILQRSettings) *ILQR {
	dyn := envs.PendulumDynamics{}
	var set ILQRSettings
	if s != nil {
		set = *s
	}
	set.Low, set.High = dyn.ActionBounds()
	p, err := NewILQR(dyn, dyn, H, &set)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestILQRPendulumSwingUp(t *testing.T) {
	// Started from the energy-shaping rollout, iLQR over 100 steps must
	// lower the cost monotonically and end upright at rest, |u| <= 2.
	// (Swing-up from a zero initial guess ends in poor local optima, which
	// is why population MPC mixes in such fresh plans.)
	dyn := envs.PendulumDynamics{}
	low, high := dyn.ActionBounds()
	ctx := &PlanContext{Model: dyn, Low: low, High: high, Rng: rand.New(rand.NewPCG(1, 1))}
	for _, x0 := range [][]float64{{math.Pi - 0.3, 0}, {3, 0.5}, {-2, 0}, {1, 1}} {
		p := pendulumSolver(t, 100, &ILQRSettings{MaxIter: 300})
		u := make([][]float64, 100)
		for k := range u {
			u[k] = make([]float64, 1)
		}
		PendulumSwingUp().Generate(u, x0, ctx)
		if err := p.Init(x0, u); err != nil {
			t.Fatal(err)
		}
		c0 := p.Solution().Cost
		sol, err := p.Solve(x0, u)
		if err != nil {
			t.Fatal(err)
		}
		if !sol.Converged || sol.Cost > c0 {
			t.Errorf("x0 %v: converged %v, cost %g from %g", x0, sol.Converged, sol.Cost, c0)
		}
		xH := sol.X[100]
		if a := math.Abs(envs.AngleNormalize(xH[0])); a > 1e-3 || math.Abs(xH[1]) > 1e-3 {
			t.Errorf("x0 %v: final state %v not upright (cost %g after %d iterations)", x0, xH, sol.Cost, len(sol.Iters))
		}
		for i := 1; i < len(sol.Iters); i++ {
			if sol.Iters[i].Cost > sol.Iters[i-1].Cost {
				t.Errorf("x0 %v: cost rose at iteration %d", x0, i+1)
			}
		}
		for k, ut := range sol.U {
			if ut[0] < low[0] || ut[0] > high[0] {
				t.Fatalf("u_%d = %g outside [-2, 2]", k, ut[0])
			}
		}
	}
}

func TestILQRIterationAllocs(t *testing.T) {
	p := pendulumSolver(t, 50, nil)
	x0 := []float64{2.5, 0.3}
	u := make([][]float64, 50)
	for k := range u {
		u[k] = []float64{1}
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := p.Init(x0, u); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Iterate(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Init + Iterate allocates %v times", allocs)
	}
	// Also with an m = 2 box QP.
	q, err := NewILQR(bounded2D{}, bounded2D{}, 50, &ILQRSettings{Low: []float64{-1, -1}, High: []float64{1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	allocs = testing.AllocsPerRun(20, func() {
		if err := q.Init([]float64{3, 1}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Iterate(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("bounded2D Init + Iterate allocates %v times", allocs)
	}
}

// pendulumBenchX0 and pendulumBenchU (50 steps of u = 1) are the start of
// the pendulum's iLQR benchmarks.
var pendulumBenchX0 = []float64{2.5, 0.3}

func pendulumBenchU() [][]float64 {
	u := make([][]float64, 50)
	for k := range u {
		u[k] = []float64{1}
	}
	return u
}

// pendulumBenchInit returns a solver over H = 50 after Init from the
// benchmarks' start.
func pendulumBenchInit(b *testing.B) *ILQR {
	p := pendulumSolver(b, 50, nil)
	if err := p.Init(pendulumBenchX0, pendulumBenchU()); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkILQRIterationPendulum50 times Init and one Iterate on the
// pendulum over H = 50: two rollouts (Init's, and the line search's at
// alpha = 1) and one backward pass. BenchmarkILQRIteratePendulum50 times
// the iteration alone.
func BenchmarkILQRIterationPendulum50(b *testing.B) {
	p, x0, u := pendulumSolver(b, 50, nil), pendulumBenchX0, pendulumBenchU()
	cpu0 := cputime.Now()
	for b.Loop() {
		_ = p.Init(x0, u)
		if _, err := p.Iterate(); err != nil {
			b.Fatal(err)
		}
	}
	cputime.Report(b, cpu0)
}

// BenchmarkILQRIteratePendulum50 times one iLQR iteration alone, Iterate
// on the pendulum over H = 50 after Init: a backward pass and the line
// search's rollout, which accepts alpha = 1. Between iterations the solver
// is put back to its state after Init without a rollout: Iterate writes its
// candidate into the other trajectory and swaps, so swapping back and
// restoring the scalars it sets undoes it (checked: every iteration
// reaches the same cost).
func BenchmarkILQRIteratePendulum50(b *testing.B) {
	p := pendulumBenchInit(b)
	cost0, mu0, delta0 := p.sol.Cost, p.mu, p.delta
	if _, err := p.Iterate(); err != nil {
		b.Fatal(err)
	}
	want := p.sol.Iters[0]
	if want.Alpha != 1 {
		b.Fatalf("the first iteration accepts alpha %v, want 1 (one rollout)", want.Alpha)
	}
	undo := func() {
		p.accept() // swap back to Init's trajectory, which Iterate only read
		p.sol.Cost, p.mu, p.delta = cost0, mu0, delta0
		p.fresh, p.done, p.sol.Converged = true, false, false
		p.sol.Iters = p.sol.Iters[:0]
	}
	undo()
	cpu0 := cputime.Now()
	for b.Loop() {
		if _, err := p.Iterate(); err != nil {
			b.Fatal(err)
		}
		undo()
	}
	cputime.Report(b, cpu0)
	if _, err := p.Iterate(); err != nil || p.sol.Iters[0] != want {
		b.Fatalf("iteration after the timed ones: %+v (%v), want %+v", p.sol.Iters[0], err, want)
	}
}

// BenchmarkILQRIterationPendulumPlain50 is BenchmarkILQRIterationPendulum50
// through the Model and Cost interfaces only (plainPendulum: no fused
// pendulum rollout), the path of models other than the pendulum's.
func BenchmarkILQRIterationPendulumPlain50(b *testing.B) {
	pl := plainPendulum{}
	low, high := pl.d.ActionBounds()
	p, err := NewILQR(pl, pl, 50, &ILQRSettings{Low: low, High: high})
	if err != nil {
		b.Fatal(err)
	}
	x0, u := pendulumBenchX0, pendulumBenchU()
	cpu0 := cputime.Now()
	for b.Loop() {
		_ = p.Init(x0, u)
		if _, err := p.Iterate(); err != nil {
			b.Fatal(err)
		}
	}
	cputime.Report(b, cpu0)
}

func TestBackwardSingleControlMatchesGeneral(t *testing.T) {
	// The m = 1 fast path must give the general pass's gains and value.
	for _, bounded := range []bool{false, true} {
		var s *ILQRSettings
		if !bounded {
			s = &ILQRSettings{}
		}
		mk := func() *ILQR {
			if bounded {
				return pendulumSolver(t, 60, nil)
			}
			dyn := envs.PendulumDynamics{}
			p, err := NewILQR(dyn, dyn, 60, s)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		amp := 1.9 // inside the clip of the unbounded model
		if bounded {
			amp = 2.5 // clipped into the box by Init
		}
		fast, gen := mk(), mk()
		gen.generalOnly = true
		u := make([][]float64, 60)
		for k := range u {
			u[k] = []float64{amp * math.Sin(float64(k)/5)}
		}
		x0 := []float64{2.9, -0.4}
		for _, p := range []*ILQR{fast, gen} {
			if err := p.Init(x0, u); err != nil {
				t.Fatal(err)
			}
			p.mu = 0.01
			p.derivatives()
			if !p.backward() {
				t.Fatal("backward pass failed")
			}
		}
		clamped := 0
		for k := range 60 {
			if d := math.Abs(fast.sol.Kff[k][0] - gen.sol.Kff[k][0]); d > 1e-9*(1+math.Abs(gen.sol.Kff[k][0])) {
				t.Errorf("bounded %v: k_%d = %g, general %g", bounded, k, fast.sol.Kff[k][0], gen.sol.Kff[k][0])
			}
			for j := range 2 {
				if d := math.Abs(fast.sol.K[k][j] - gen.sol.K[k][j]); d > 1e-9*(1+math.Abs(gen.sol.K[k][j])) {
					t.Errorf("bounded %v: K_%d[%d] = %g, general %g", bounded, k, j, fast.sol.K[k][j], gen.sol.K[k][j])
				}
			}
			if gen.sol.K[k][0] == 0 && gen.sol.K[k][1] == 0 {
				clamped++
			}
		}
		if bounded && clamped == 0 {
			t.Error("no clamped step: the test does not exercise the box QP")
		}
		if math.Abs(fast.dV1-gen.dV1) > 1e-9*(1+math.Abs(gen.dV1)) || math.Abs(fast.dV2-gen.dV2) > 1e-9*(1+math.Abs(gen.dV2)) {
			t.Errorf("bounded %v: dV (%g, %g), general (%g, %g)", bounded, fast.dV1, fast.dV2, gen.dV1, gen.dV2)
		}
	}
}

// BenchmarkILQRBackwardPendulum50 times one backward pass alone (plain
// loops, m = 1 path); compare BenchmarkLQRSolveFinite, the same-size
// Riccati recursion with gonum/mat.
func BenchmarkILQRBackwardPendulum50(b *testing.B) {
	p := pendulumBenchInit(b)
	p.derivatives()
	cpu0 := cputime.Now()
	for b.Loop() {
		if !p.backward() {
			b.Fatal("backward pass failed")
		}
	}
	cputime.Report(b, cpu0)
}

// plainPendulum hides PendulumDynamics' Linearize and CostNext, so that
// ILQR takes the separate Jacobians, CostDerivs, Cost and Next calls.
type plainPendulum struct{ d envs.PendulumDynamics }

func (p plainPendulum) StateDim() int                                 { return 2 }
func (p plainPendulum) ActionDim() int                                { return 1 }
func (p plainPendulum) Next(dst, x, u []float64)                      { p.d.Next(dst, x, u) }
func (p plainPendulum) Jacobians(fx, fu, x, u []float64)              { p.d.Jacobians(fx, fu, x, u) }
func (p plainPendulum) Cost(x, u []float64) float64                   { return p.d.Cost(x, u) }
func (p plainPendulum) CostDerivs(d *envs.CostDerivs, x, u []float64) { p.d.CostDerivs(d, x, u) }

// TestILQRFusedCallsBitIdentical solves the same pendulum problems with
// the fused Linearize/CostNext path and with the separate calls, bounded
// and unbounded, and asserts the same trajectories, gains and costs bit for
// bit.
func TestILQRFusedCallsBitIdentical(t *testing.T) {
	dyn := envs.PendulumDynamics{}
	low, high := dyn.ActionBounds()
	for _, bounded := range []bool{true, false} {
		set := func() *ILQRSettings {
			if bounded {
				return &ILQRSettings{Low: low, High: high, MaxIter: 30}
			}
			return &ILQRSettings{MaxIter: 30}
		}
		fused, err := NewILQR(dyn, dyn, 80, set())
		if err != nil {
			t.Fatal(err)
		}
		if fused.lin == nil || fused.step == nil {
			t.Fatal("the pendulum's fused calls are not used")
		}
		pl := plainPendulum{}
		plain, err := NewILQR(pl, pl, 80, set())
		if err != nil {
			t.Fatal(err)
		}
		u := make([][]float64, 80)
		for k := range u {
			u[k] = []float64{2.5 * math.Sin(float64(k)/6)}
		}
		for _, x0 := range [][]float64{{3, 0.2}, {-2.2, 1}, {9.5, -3}} {
			a, errA := fused.Solve(x0, u)
			b, errB := plain.Solve(x0, u)
			if (errA == nil) != (errB == nil) {
				t.Fatalf("errors differ: %v, %v", errA, errB)
			}
			eq := func(what string, x, y [][]float64) {
				for i := range x {
					for j := range x[i] {
						if math.Float64bits(x[i][j]) != math.Float64bits(y[i][j]) {
							t.Fatalf("bounded %v, x0 %v: %s[%d][%d] = %v fused, %v plain", bounded, x0, what, i, j, x[i][j], y[i][j])
						}
					}
				}
			}
			eq("X", a.X, b.X)
			eq("U", a.U, b.U)
			eq("K", a.K, b.K)
			eq("Kff", a.Kff, b.Kff)
			if math.Float64bits(a.Cost) != math.Float64bits(b.Cost) || len(a.Iters) != len(b.Iters) {
				t.Fatalf("bounded %v, x0 %v: cost %v after %d iterations fused, %v after %d plain", bounded, x0, a.Cost, len(a.Iters), b.Cost, len(b.Iters))
			}
		}
	}
}
