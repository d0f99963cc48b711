package envs

import (
	"math"
	"slices"
	"testing"
)

// TestPendulumStepByHand checks Step against Pendulum-v1's equations
// evaluated by hand (g=10, m=l=1, dt=0.05, so 3g/(2l) = 15 and
// 3/(m l^2) = 3):
//
//	cost  = angle_normalize(th)^2 + 0.1 thdot^2 + 0.001 u^2   (current state, clipped u)
//	thd'  = clip(thdot + (15 sin th + 3 u) 0.05, -8, 8)
//	th'   = th + thd' 0.05
func TestPendulumStepByHand(t *testing.T) {
	tests := []struct {
		name       string
		x          [2]float64
		u          float64
		wantX      [2]float64
		wantReward float64
	}{
		{
			name: "plain",
			x:    [2]float64{0.5, 0.3}, u: 1,
			// thd' = 0.3 + (15*0.479425538604203 + 3)*0.05 = 0.8095691539531523
			wantX:      [2]float64{0.5 + 0.8095691539531523*0.05, 0.8095691539531523},
			wantReward: -(0.25 + 0.1*0.09 + 0.001*1), // -0.26
		},
		{
			name: "upright at rest is a fixed point",
			x:    [2]float64{0, 0}, u: 0,
			wantX: [2]float64{0, 0}, wantReward: 0,
		},
		{
			name: "velocity clipped at +8",
			x:    [2]float64{1, 7.9}, u: 2,
			// 7.9 + (15*0.8414709848078965 + 6)*0.05 = 8.831103... -> 8
			wantX:      [2]float64{1 + 8*0.05, 8},
			wantReward: -(1 + 0.1*(7.9*7.9) + 0.001*4), // -7.245
		},
		{
			name: "velocity clipped at -8",
			x:    [2]float64{-1, -7.95}, u: -2,
			wantX:      [2]float64{-1 - 8*0.05, -8},
			wantReward: -(1 + 0.1*(7.95*7.95) + 0.001*4),
		},
		{
			name: "torque clipped to -2",
			x:    [2]float64{-0.2, -1.5}, u: -3.7,
			// -1.5 + (15*sin(-0.2) - 6)*0.05, sin(-0.2) = -0.19866933079506122
			wantX: [2]float64{
				-0.2 + (-1.5+(15*-0.19866933079506122-6)*0.05)*0.05,
				-1.5 + (15*-0.19866933079506122-6)*0.05,
			},
			wantReward: -(0.04 + 0.1*2.25 + 0.001*4), // -0.269
		},
		{
			name: "torque clipped to +2",
			x:    [2]float64{0, 0}, u: 100,
			wantX:      [2]float64{0.3 * 0.05, 6 * 0.05}, // thd' = (0 + 3*2)*0.05 = 0.3, th' = 0.015
			wantReward: -0.004,
		},
		{
			name: "angle beyond pi: cost uses 4 - 2pi",
			x:    [2]float64{4, 0}, u: 0,
			// angle_normalize(4) = -2.2831853071795862, sin 4 = -0.7568024953079282
			wantX:      [2]float64{4 + 15*-0.7568024953079282*0.05*0.05, 15 * -0.7568024953079282 * 0.05},
			wantReward: -(2.2831853071795862 * 2.2831853071795862),
		},
		{
			name: "angle below -2pi: cost uses -7 + 2pi",
			x:    [2]float64{-7, 0.5}, u: 0.5,
			// angle_normalize(-7) = -0.7168146928204138, sin(-7) = -0.6569865987187891
			wantX: [2]float64{
				-7 + (0.5+(15*-0.6569865987187891+1.5)*0.05)*0.05,
				0.5 + (15*-0.6569865987187891+1.5)*0.05,
			},
			wantReward: -(0.7168146928204138*0.7168146928204138 + 0.1*0.25 + 0.001*0.25),
		},
		{
			name: "angle exactly pi: Python mod gives -pi",
			x:    [2]float64{math.Pi, 0}, u: 0,
			wantX:      [2]float64{math.Pi + 15*math.Sin(math.Pi)*0.05*0.05, 15 * math.Sin(math.Pi) * 0.05},
			wantReward: -(math.Pi * math.Pi),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := NewPendulum()
			if _, err := env.SetState(tc.x[:]); err != nil {
				t.Fatal(err)
			}
			obs, r, term, trunc := env.Step([]float64{tc.u})
			if term || trunc {
				t.Errorf("terminated %v truncated %v after one step", term, trunc)
			}
			const tol = 1e-14 // hand constants are printed to 16 digits
			if !closeRel(r, tc.wantReward, tol) {
				t.Errorf("reward %.17g, want %.17g", r, tc.wantReward)
			}
			checkSlice(t, "state", env.State(), tc.wantX[:], tol)
			th, thd := tc.wantX[0], tc.wantX[1]
			checkSlice(t, "obs", obs, []float64{math.Cos(th), math.Sin(th), thd}, tol)
		})
	}
}

func TestAngleNormalize(t *testing.T) {
	tests := []struct{ x, want float64 }{
		{0, 0},
		{1, 1},
		{-1, -1},
		{math.Pi, -math.Pi}, // (2pi mod 2pi) - pi
		{-math.Pi, -math.Pi},
		{4, 4 - 2*math.Pi},
		{-4, -4 + 2*math.Pi},
		{-7, -7 + 2*math.Pi},
		{10 * math.Pi, 0},
		{3*math.Pi + 0.5, -math.Pi + 0.5},
	}
	for _, tc := range tests {
		if got := AngleNormalize(tc.x); !closeRel(got, tc.want, 1e-13) {
			t.Errorf("AngleNormalize(%g) = %.17g, want %.17g", tc.x, got, tc.want)
		}
		if got := AngleNormalize(tc.x); got < -math.Pi || got >= math.Pi {
			t.Errorf("AngleNormalize(%g) = %g outside [-pi, pi)", tc.x, got)
		}
	}
}

func TestPendulumTruncationAndReset(t *testing.T) {
	env := NewPendulum()
	rng := newRNG(3)
	obs := env.Reset(rng)
	x := env.State()
	if x[0] < -math.Pi || x[0] > math.Pi || x[1] < -1 || x[1] > 1 {
		t.Fatalf("reset state %v outside [-pi,pi]x[-1,1]", x)
	}
	checkSlice(t, "reset obs", obs, []float64{math.Cos(x[0]), math.Sin(x[0]), x[1]}, 0)
	for i := 1; i <= PendulumMaxSteps; i++ {
		_, _, term, trunc := env.Step([]float64{0.5})
		if term {
			t.Fatalf("terminated at step %d", i)
		}
		if trunc != (i == PendulumMaxSteps) {
			t.Fatalf("step %d: truncated = %v", i, trunc)
		}
	}
}

// pendulumPoints draws (x, u) away from the kinks of the clips (|u| = 2,
// |thdot'| = 8 before clipping) and of the angle wrap (th = pi mod 2pi), with
// some torques and velocities beyond the bounds.
func pendulumPoints(n int, seed uint64) (xs, us []float64) {
	rng := newRNG(seed)
	for len(xs) < 2*n {
		th := -7 + 14*rng.Float64()
		thd := -9 + 18*rng.Float64()
		u := -4 + 8*rng.Float64()
		raw := thd + (15*math.Sin(th)+3*clip(u, -2, 2))*0.05
		if math.Abs(math.Abs(u)-2) < 1e-3 || math.Abs(math.Abs(raw)-8) < 1e-3 ||
			math.Abs(AngleNormalize(th)+math.Pi) < 1e-3 || math.Abs(AngleNormalize(th)-math.Pi) < 1e-3 {
			continue
		}
		xs = append(xs, th, thd)
		us = append(us, u)
	}
	return xs, us
}

func TestPendulumDerivs(t *testing.T) {
	d := PendulumDynamics{}
	xs, us := pendulumPoints(60, 11)
	for i := 0; i < len(us); i++ {
		checkDerivs(t, d, xs[2*i:2*i+2], us[i:i+1])
	}
}

func TestPendulumGraph(t *testing.T) {
	d := PendulumDynamics{}
	xs, us := pendulumPoints(40, 12)
	// Rows with clipped velocity (both signs) and out-of-bound torques.
	xs = append(xs, 1, 7.9, -1, -7.95, 0.3, 0.1, 4, 0)
	us = append(us, 2.5, -3, 10, -0.1)
	checkGraph(t, d, xs, us, newRNG(13))
	// A batch of one row.
	checkGraph(t, d, []float64{0.2, -0.4}, []float64{0.7}, newRNG(14))
}

func TestPendulumStateFromObs(t *testing.T) {
	d := PendulumDynamics{}
	for _, x := range [][]float64{{0.3, 1}, {-2, -5}, {4, 0.5}, {-7, 2}} {
		checkStateFromObs(t, d, x, func(s []float64) { s[0] = math.Atan2(math.Sin(s[0]), math.Cos(s[0])) })
	}
}

func BenchmarkPendulumStep(b *testing.B) {
	env := NewPendulum()
	env.Reset(newRNG(1))
	a := []float64{0.5}
	for b.Loop() {
		if _, _, _, trunc := env.Step(a); trunc {
			env.Reset(newRNG(1))
		}
	}
}

// BenchmarkPendulumChain50 times 50 transitions th, thdot -> th', thdot'
// alone (math.Sin and Gymnasium's updates), each waiting on the last: the
// latency floor of an iLQR rollout over H = 50, which evaluates this chain
// with the cost and the derivatives beside it.
func BenchmarkPendulumChain50(b *testing.B) {
	var sum float64
	for b.Loop() {
		th, thdot := 2.5, 0.3
		for range 50 {
			th, thdot = pendulumNextSin(th, thdot, 1, math.Sin(th))
		}
		sum += th
	}
	if math.IsNaN(sum) {
		b.Fatal("NaN state")
	}
}

// BenchmarkPendulumStepLinearizeChain50 is BenchmarkPendulumChain50 with
// StepLinearize (cost, transition and linearisation) at every step.
func BenchmarkPendulumStepLinearizeChain50(b *testing.B) {
	var lin [50][16]float64
	var sum float64
	d := PendulumDynamics{}
	for b.Loop() {
		th, thdot := 2.5, 0.3
		for t := range lin {
			var c float64
			c, th, thdot = d.StepLinearize(&lin[t], th, thdot, 1, 1)
			sum += c
		}
	}
	if math.IsNaN(sum) {
		b.Fatal("NaN cost")
	}
}

func BenchmarkPendulumJacobians(b *testing.B) {
	d := PendulumDynamics{}
	x, u := []float64{0.4, -1.2}, []float64{0.8}
	fx, fu := make([]float64, 4), make([]float64, 2)
	cd := NewCostDerivs(2, 1)
	for b.Loop() {
		d.Jacobians(fx, fu, x, u)
		d.CostDerivs(cd, x, u)
	}
}

// TestPendulumFusedBitIdentical checks that the fused evaluations the
// iLQR hot path uses (Linearize, CostNext) and the methods rewritten around
// them give the bits of the plain formulas (math.Sin and math.Cos, not
// math.Sincos; the angle wrap through math.Mod) at random points with
// clipped and unclipped torques and velocities, on the clip bounds, and at
// angles far outside [-pi, pi); StepLinearize gives the bits of
// CostNext and Linearize.
func TestPendulumFusedBitIdentical(t *testing.T) {
	const a, b, dt = 15.0, 3.0, 0.05
	wrap := func(x float64) float64 {
		m := math.Mod(x+math.Pi, 2*math.Pi)
		if m < 0 {
			m += 2 * math.Pi
		}
		return m - math.Pi
	}
	ref := func(x []float64, u float64) (next [2]float64, fx [4]float64, fu [2]float64, c float64, lx0, lu, luu float64) {
		th, thd := x[0], x[1]
		uc := clip(u, -2, 2)
		du := inside(u, -2, 2)
		nt := thd + (3*PendulumGravity/(2*PendulumLength)*math.Sin(th)+3.0/(PendulumMass*PendulumLength*PendulumLength)*uc)*PendulumDt
		nt = clip(nt, -8, 8)
		next = [2]float64{th + nt*PendulumDt, nt}
		raw2 := thd + (a*math.Sin(th)+b*uc)*dt
		dv := inside(raw2, -8, 8)
		vth := dv * a * math.Cos(th) * dt
		vu := dv * b * dt * du
		fx = [4]float64{1 + dt*vth, dt * dv, vth, dv}
		fu = [2]float64{dt * vu, vu}
		w := wrap(th)
		c = w*w + 0.1*(thd*thd) + 0.001*(uc*uc)
		return next, fx, fu, c, 2 * wrap(th), 0.002 * uc * du, 0.002 * du
	}
	same := func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }
	rng := newRNG(21)
	type pt struct{ th, thd, u float64 }
	pts := []pt{{0, 0, 2}, {0, 0, -2}, {1, 7.9, 2}, {-1, -7.95, -2.5}, {math.Pi, 0, 0}, {-math.Pi, 8, 0}, {1e6, 1, 1}, {-40, -3, 3}}
	for range 20000 {
		pts = append(pts, pt{(2*rng.Float64() - 1) * 20, (2*rng.Float64() - 1) * 10, (2*rng.Float64() - 1) * 3})
	}
	d := PendulumDynamics{}
	fx, fu, fx2, fu2 := make([]float64, 4), make([]float64, 2), make([]float64, 4), make([]float64, 2)
	cd, cd2 := NewCostDerivs(2, 1), NewCostDerivs(2, 1)
	dst, dst2 := make([]float64, 2), make([]float64, 2)
	for _, p := range pts {
		x, u := []float64{p.th, p.thd}, []float64{p.u}
		next, rfx, rfu, c, lx0, lu, luu := ref(x, p.u)
		d.Jacobians(fx, fu, x, u)
		d.CostDerivs(cd, x, u)
		d.Linearize(fx2, fu2, cd2, x, u)
		d.Next(dst, x, u)
		c2 := d.CostNext(dst2, x, u)
		for i := range 4 {
			if !same(fx[i], rfx[i]) || !same(fx2[i], rfx[i]) {
				t.Fatalf("%v: fx[%d] = %v (Jacobians), %v (Linearize), want %v", p, i, fx[i], fx2[i], rfx[i])
			}
		}
		for i := range 2 {
			if !same(fu[i], rfu[i]) || !same(fu2[i], rfu[i]) {
				t.Fatalf("%v: fu[%d] = %v, %v, want %v", p, i, fu[i], fu2[i], rfu[i])
			}
			if !same(dst[i], next[i]) || !same(dst2[i], next[i]) {
				t.Fatalf("%v: next[%d] = %v (Next), %v (CostNext), want %v", p, i, dst[i], dst2[i], next[i])
			}
		}
		for _, g := range []*CostDerivs{cd, cd2} {
			if !same(g.L, c) || !same(g.Lx[0], lx0) || !same(g.Lx[1], 0.2*p.thd) || !same(g.Lu[0], lu) || !same(g.Luu[0], luu) {
				t.Fatalf("%v: cost derivatives %+v, want L %v Lx0 %v Lu %v Luu %v", p, *g, c, lx0, lu, luu)
			}
		}
		if !same(c2, c) || !same(d.Cost(x, u), c) {
			t.Fatalf("%v: cost %v (CostNext), %v (Cost), want %v", p, c2, d.Cost(x, u), c)
		}
		// StepLinearize: CostNext at u with Linearize at u and at a
		// control moved off u (as iLQR moves a clipped one inside).
		for _, ud := range []float64{p.u, p.u * (1 - 1e-9), -p.u} {
			var lin [16]float64
			c3, th1, thd1 := d.StepLinearize(&lin, p.th, p.thd, p.u, ud)
			fx3, fu3, cd3 := make([]float64, 4), make([]float64, 2), NewCostDerivs(2, 1)
			d.Linearize(fx3, fu3, cd3, x, []float64{ud})
			if !same(c3, c) || !same(th1, next[0]) || !same(thd1, next[1]) {
				t.Fatalf("%v, ud %v: StepLinearize cost %v next %v %v, want %v %v", p, ud, c3, th1, thd1, c, next)
			}
			want := slices.Concat(fx3, fu3, cd3.Lx, cd3.Lu, cd3.Lxx, cd3.Luu, cd3.Lux)
			for i := range lin {
				if !same(lin[i], want[i]) {
					t.Fatalf("%v, ud %v: StepLinearize lin[%d] = %v, Linearize %v", p, ud, i, lin[i], want[i])
				}
			}
		}
		// CostNext in place (dst aliasing x), as Step uses it.
		if d.CostNext(x, x, u); !same(x[0], next[0]) || !same(x[1], next[1]) {
			t.Fatalf("%v: CostNext in place gives %v, want %v", p, x, next)
		}
	}
}
