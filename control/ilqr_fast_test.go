package control

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mbrl/mbrl/envs"
)

// duffing is a nonlinear system with n = 2, m = 1 (a damped Duffing
// oscillator, Euler steps of 0.1) whose cost has the cross terms Lux and an
// off-diagonal Lxx that the pendulum's lacks, for backward21.
type duffing struct{}

func (duffing) StateDim() int  { return 2 }
func (duffing) ActionDim() int { return 1 }
func (duffing) Next(dst, x, u []float64) {
	x0, x1 := x[0], x[1]
	dst[0] = x0 + 0.1*x1
	dst[1] = x1 + 0.1*(-x0-x0*x0*x0-0.2*x1+u[0])
}
func (duffing) Jacobians(fx, fu, x, _ []float64) {
	fx[0], fx[1] = 1, 0.1
	fx[2], fx[3] = 0.1*(-1-3*x[0]*x[0]), 1-0.02
	fu[0], fu[1] = 0, 0.1
}
func (duffing) Cost(x, u []float64) float64 {
	return x[0]*x[0] + 0.5*x[0]*x[1] + 0.1*x[1]*x[1] + 0.05*u[0]*u[0] + 0.1*u[0]*x[0]
}
func (duffing) CostDerivs(d *envs.CostDerivs, x, u []float64) {
	d.L = duffing{}.Cost(x, u)
	d.Lx[0], d.Lx[1] = 2*x[0]+0.5*x[1]+0.1*u[0], 0.5*x[0]+0.2*x[1]
	d.Lxx[0], d.Lxx[1], d.Lxx[2], d.Lxx[3] = 2, 0.5, 0.5, 0.2
	d.Lu[0], d.Luu[0] = 0.1*u[0]+0.1*x[0], 0.1
	d.Lux[0], d.Lux[1] = 0.1, 0
}

// duffingFused is duffing with StepLinearize, assembled from its methods,
// so that the fused rollout runs on a system other than the pendulum.
type duffingFused struct{ duffing }

func (f duffingFused) StepLinearize(lin *[16]float64, x0, x1, u, ud float64) (c, y0, y1 float64) {
	x, y := []float64{x0, x1}, make([]float64, 2)
	c = f.Cost(x, []float64{u})
	f.Next(y, x, []float64{u})
	d := envs.CostDerivs{Lx: lin[6:8], Lu: lin[8:9], Lxx: lin[9:13], Luu: lin[13:14], Lux: lin[14:16]}
	f.Jacobians(lin[0:4], lin[4:6], x, []float64{ud})
	f.CostDerivs(&d, x, []float64{ud})
	return c, y[0], y[1]
}

// TestILQRFastPathsBitIdentical runs the same problems through the fast
// paths (the pendulum's fused rollout, the n = 2, m = 1 backward pass) and
// with them switched off (the general code), and asserts after every
// iteration the same trajectories, gains, cost, statistics and errors, bit
// for bit: on the pendulum (bounded, narrowly bounded so that the box QP
// clamps, a zero bound, equal bounds, unbounded, without terminal cost,
// from starts whose rollouts clip the velocity) and on non-pendulum
// systems with n = 2, m = 1 (the pendulum through its plain methods, the
// linear env, a Duffing oscillator with cross-term costs, also as a
// StepLinearizer).
func TestILQRFastPathsBitIdentical(t *testing.T) {
	pend := envs.PendulumDynamics{}
	lin := envs.NewLinear(envs.DefaultLinearConfig()).Dynamics()
	bounds := func(lo, hi float64) ILQRSettings {
		return ILQRSettings{Low: []float64{lo}, High: []float64{hi}, MaxIter: 25}
	}
	type system struct {
		model Model
		cost  Cost
	}
	cases := []struct {
		name   string
		sys    system
		s      ILQRSettings
		amp    float64 // initial controls amp sin(t/6)
		starts [][]float64
		fused  bool // the pendulum's fused rollout is taken
	}{
		{"pendulum bounded", system{pend, pend}, bounds(-2, 2), 2.5, [][]float64{{3, 0.2}, {-2.2, 1}, {9.5, -3}, {0.5, 7.9}}, true},
		{"pendulum narrow", system{pend, pend}, bounds(-1, 0.7), 2.5, [][]float64{{3, 0.2}, {-1, -6}}, true},
		{"pendulum zero bound", system{pend, pend}, bounds(0, 2), 2.5, [][]float64{{3, 0.2}, {-1, -6}}, true},
		{"pendulum equal bounds", system{pend, pend}, bounds(0.5, 0.5), 2.5, [][]float64{{3, 0.2}}, true},
		{"pendulum unbounded", system{pend, pend}, ILQRSettings{MaxIter: 25}, 1.9, [][]float64{{3, 0.2}, {-2.2, 1}}, true},
		{"pendulum no terminal", system{pend, pend}, ILQRSettings{Low: []float64{-2}, High: []float64{2}, MaxIter: 25, NoTerminalCost: true}, 2.5, [][]float64{{2.5, 0.3}}, true},
		{"plain pendulum", system{plainPendulum{}, plainPendulum{}}, bounds(-2, 2), 2.5, [][]float64{{3, 0.2}, {9.5, -3}}, false},
		{"pendulum, cost apart", system{pend, plainPendulum{}}, bounds(-2, 2), 2.5, [][]float64{{3, 0.2}}, false},
		{"linear bounded", system{lin, lin}, bounds(-0.3, 0.3), 0.5, [][]float64{{0.8, -0.6}, {-2, 1}}, false},
		{"linear", system{lin, lin}, ILQRSettings{MaxIter: 25}, 0.5, [][]float64{{0.8, -0.6}}, false},
		{"duffing bounded", system{duffing{}, duffing{}}, bounds(-1.5, 1), 1, [][]float64{{1.5, -0.5}, {-2, 2}}, false},
		{"duffing fused", system{duffingFused{}, duffingFused{}}, bounds(-1.5, 1), 1, [][]float64{{1.5, -0.5}, {-2, 2}}, true},
		{"duffing fused unbounded", system{duffingFused{}, duffingFused{}}, ILQRSettings{MaxIter: 25}, 1, [][]float64{{1.5, -0.5}}, true},
	}
	if linStride(2, 1) != 16 {
		t.Fatalf("linStride(2, 1) = %d: the fast paths' records assume 16", linStride(2, 1))
	}
	for _, H := range []int{60, 1} {
		for _, c := range cases {
			mk := func(slow bool) *ILQR {
				p, err := NewILQR(c.sys.model, c.sys.cost, H, &c.s)
				if err != nil {
					t.Fatal(err)
				}
				p.slow = slow
				return p
			}
			fast, gen := mk(false), mk(true)
			if fast.fastRollout() != c.fused || gen.fastRollout() {
				t.Fatalf("%s: fused rollout %v (general solver %v), want %v", c.name, fast.fastRollout(), gen.fastRollout(), c.fused)
			}
			u := make([][]float64, H)
			for k := range u {
				u[k] = []float64{c.amp * math.Sin(float64(k+1)/6)}
			}
			name := fmt.Sprintf("%s H=%d", c.name, H)
			for _, x0 := range c.starts {
				errA, errB := fast.Init(x0, u), gen.Init(x0, u)
				if (errA == nil) != (errB == nil) {
					t.Fatalf("%s %v: Init errors %v, %v", name, x0, errA, errB)
				}
				sameSolution(t, name, x0, 0, fast.Solution(), gen.Solution())
				for it := 1; it <= c.s.MaxIter; it++ {
					doneA, errA := fast.Iterate()
					doneB, errB := gen.Iterate()
					if doneA != doneB || (errA == nil) != (errB == nil) {
						t.Fatalf("%s %v iteration %d: done %v, %v, errors %v, %v", name, x0, it, doneA, doneB, errA, errB)
					}
					sameSolution(t, name, x0, it, fast.Solution(), gen.Solution())
					if doneA {
						break
					}
				}
			}
		}
	}
}

// sameSolution fails unless a and b agree bit for bit, NaNs aside: any
// NaN matches any NaN. The sign and payload of a NaN depend on which
// operand the compiler puts first in a commutative operation and on
// negations it folds, which Go leaves open (a diverging Duffing rollout
// gave +NaN on one path and -NaN on the other when built with -race).
func sameSolution(t *testing.T, name string, x0 []float64, it int, a, b *Solution) {
	t.Helper()
	same := func(x, y float64) bool {
		return math.Float64bits(x) == math.Float64bits(y) || math.IsNaN(x) && math.IsNaN(y)
	}
	eq := func(what string, x, y [][]float64) {
		for i := range x {
			for j := range x[i] {
				if !same(x[i][j], y[i][j]) {
					t.Fatalf("%s %v iteration %d: %s[%d][%d] = %v (%x) fast, %v (%x) general", name, x0, it, what, i, j, x[i][j], math.Float64bits(x[i][j]), y[i][j], math.Float64bits(y[i][j]))
				}
			}
		}
	}
	eq("X", a.X, b.X)
	eq("U", a.U, b.U)
	eq("K", a.K, b.K)
	eq("Kff", a.Kff, b.Kff)
	if !same(a.Cost, b.Cost) || a.Converged != b.Converged || len(a.Iters) != len(b.Iters) {
		t.Fatalf("%s %v iteration %d: cost %v converged %v (%d stats) fast, %v %v (%d) general", name, x0, it, a.Cost, a.Converged, len(a.Iters), b.Cost, b.Converged, len(b.Iters))
	}
	for i := range a.Iters {
		sa, sb := a.Iters[i], b.Iters[i]
		if sa.Iter != sb.Iter || sa.Accepted != sb.Accepted || !same(sa.Cost, sb.Cost) || !same(sa.Mu, sb.Mu) || !same(sa.Alpha, sb.Alpha) || !same(sa.Expected, sb.Expected) {
			t.Fatalf("%s %v iteration %d: stats %+v fast, %+v general", name, x0, it, sa, sb)
		}
	}
}

// TestMPCFastPathsBitIdentical runs population and single-plan MPC on
// Pendulum-v1 episodes with the fast paths and without, and asserts the
// same actions and plan costs bit for bit.
func TestMPCFastPathsBitIdentical(t *testing.T) {
	for _, s := range []MPCSettings{{}, {Plans: 16, Fresh: pendulumFresh()}} {
		fast, gen := pendulumMPC(t, s), pendulumMPC(t, s)
		gen.ilqr.slow = true
		env := envs.NewPendulum()
		rng := rand.New(rand.NewPCG(5, 6))
		obs := env.Reset(rng)
		a, b := make([]float64, 1), make([]float64, 1)
		for step := range 120 {
			fast.Act(a, obs)
			gen.Act(b, obs)
			if math.Float64bits(a[0]) != math.Float64bits(b[0]) || (fast.Err() == nil) != (gen.Err() == nil) {
				t.Fatalf("plans %d, step %d: action %v (err %v) fast, %v (err %v) general", s.Plans, step, a[0], fast.Err(), b[0], gen.Err())
			}
			for i := range fast.plans {
				if math.Float64bits(fast.plans[i].cost) != math.Float64bits(gen.plans[i].cost) {
					t.Fatalf("plans %d, step %d: plan %d costs %v fast, %v general", s.Plans, step, i, fast.plans[i].cost, gen.plans[i].cost)
				}
			}
			obs, _, _, _ = env.Step(a)
		}
	}
}

// TestClipInteriorScalars checks clip1 and interior1 against the formulas
// with math.Min and math.Max (Interior as it was written before them) on
// special values: signed zeros, infinities, NaN, points on and beyond the
// bounds, equal bounds, zero and infinite bounds.
func TestClipInteriorScalars(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	refInterior := func(u, lo, hi float64) float64 {
		if u > lo && u < hi {
			return u
		}
		eps := 1e-9 * math.Max(1, math.Abs(u))
		if !math.IsInf(lo, 0) && !math.IsInf(hi, 0) {
			eps = math.Min(eps, (hi-lo)/4)
		}
		switch {
		case u <= lo && u+eps < hi:
			u = lo + eps
		case u >= hi && u-eps > lo:
			u = hi - eps
		}
		return u
	}
	us := []float64{0, math.Copysign(0, -1), 1, -1, 2, -2, 2.5, -2.5, 0.7, 1e-12, 3e300, -3e300, inf, -inf, nan, math.Nextafter(2, 3), math.Nextafter(-2, -3)}
	bounds := [][2]float64{{-2, 2}, {-1, 0.7}, {0, 1}, {math.Copysign(0, -1), 1}, {-1, 0}, {-1, math.Copysign(0, -1)}, {0, 0}, {1, 1}, {-inf, 2}, {-2, inf}, {-inf, inf}, {-1e308, 1e308}}
	for _, b := range bounds {
		lo, hi := b[0], b[1]
		for _, u := range us {
			want := math.Min(math.Max(u, lo), hi)
			if got := clip1(u, lo, hi); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("clip1(%v, %v, %v) = %v (%x), want %v (%x)", u, lo, hi, got, math.Float64bits(got), want, math.Float64bits(want))
			}
			want = refInterior(u, lo, hi)
			if got := interior1(u, lo, hi); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("interior1(%v, %v, %v) = %v, want %v", u, lo, hi, got, want)
			}
		}
	}
}
