package envs

import (
	"math"
	"testing"
)

// cartPoleByHand is CartPole-v1's step written out with its constants
// substituted (g 9.8, M = 1.0 + 0.1 = 1.1, ml = 0.1*0.5 = 0.05, l = 0.5,
// mp = 0.1, tau 0.02).
func cartPoleByHand(x [4]float64, force float64) [4]float64 {
	s, c := math.Sin(x[2]), math.Cos(x[2])
	temp := (force + 0.05*x[3]*x[3]*s) / 1.1
	thacc := (9.8*s - c*temp) / (0.5 * (4.0/3.0 - 0.1*c*c/1.1))
	xacc := temp - 0.05*thacc*c/1.1
	return [4]float64{x[0] + 0.02*x[1], x[1] + 0.02*xacc, x[2] + 0.02*x[3], x[3] + 0.02*thacc}
}

func TestCartPoleStepByHand(t *testing.T) {
	tests := []struct {
		name   string
		x      [4]float64
		action float64 // discrete action for CartPole
		want   [4]float64
	}{
		{
			// From rest, F = +10: temp = 100/11, den = 0.5 (4/3 - 1/11) = 41/66,
			// thacc = -(100/11)/(41/66) = -600/41, xacc = 100/11 + 0.05 (600/41)/1.1 = 400/41.
			name: "rest, push right", x: [4]float64{}, action: 1,
			want: [4]float64{0, 0.02 * 400 / 41, 0, -0.02 * 600 / 41},
		},
		{
			name: "rest, push left", x: [4]float64{}, action: 0,
			want: [4]float64{0, -0.02 * 400 / 41, 0, 0.02 * 600 / 41},
		},
		{
			name: "moving, push left", x: [4]float64{0.1, -0.2, 0.05, 0.3}, action: 0,
			want: cartPoleByHand([4]float64{0.1, -0.2, 0.05, 0.3}, -10),
		},
		{
			name: "tilted, push right", x: [4]float64{-1.5, 0.7, -0.15, -1.1}, action: 1,
			want: cartPoleByHand([4]float64{-1.5, 0.7, -0.15, -1.1}, 10),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := NewCartPole()
			if _, err := env.SetState(tc.x[:]); err != nil {
				t.Fatal(err)
			}
			obs, r, term, trunc := env.Step([]float64{tc.action})
			if r != 1 || term || trunc {
				t.Errorf("reward %g terminated %v truncated %v, want 1 false false", r, term, trunc)
			}
			checkSlice(t, "obs", obs, tc.want[:], 1e-14)
			checkSlice(t, "state", env.State(), tc.want[:], 1e-14)

			// The continuous version with the same force gives the same step.
			cont := NewCartPoleContinuous()
			cont.SetState(tc.x[:])
			obs2, r2, _, _ := cont.Step([]float64{env.Force(tc.action)})
			checkSlice(t, "continuous obs", obs2, obs, 0)
			if r2 != r {
				t.Errorf("continuous reward %g, want %g", r2, r)
			}
		})
	}
	// Forces beyond the bounds are clipped to +-10.
	cont := NewCartPoleContinuous()
	cont.SetState([]float64{0, 0, 0, 0})
	obs, _, _, _ := cont.Step([]float64{250})
	checkSlice(t, "clipped force", obs, []float64{0, 0.02 * 400 / 41, 0, -0.02 * 600 / 41}, 1e-14)
}

func TestCartPoleThetaThreshold(t *testing.T) {
	// Python: 12 * 2 * math.pi / 360 == 0.20943951023931953
	if got := CartPoleThetaThreshold(); got != 0.20943951023931953 {
		t.Fatalf("theta threshold %.17g", got)
	}
}

// TestCartPoleTermination steps from states with zero velocities, so that
// x and theta do not move in the step (Euler uses the old velocities) and
// land exactly on or just beyond the thresholds; termination is strict.
func TestCartPoleTermination(t *testing.T) {
	th := CartPoleThetaThreshold()
	up, down := math.Nextafter(th, 1), math.Nextafter(-th, -1)
	tests := []struct {
		name     string
		x        [4]float64
		wantTerm bool
	}{
		{"x exactly 2.4", [4]float64{2.4, 0, 0, 0}, false},
		{"x exactly -2.4", [4]float64{-2.4, 0, 0, 0}, false},
		{"x just beyond 2.4", [4]float64{math.Nextafter(2.4, 3), 0, 0, 0}, true},
		{"x just beyond -2.4", [4]float64{math.Nextafter(-2.4, -3), 0, 0, 0}, true},
		{"theta exactly 12 degrees", [4]float64{0, 0, th, 0}, false},
		{"theta exactly -12 degrees", [4]float64{0, 0, -th, 0}, false},
		{"theta just beyond 12 degrees", [4]float64{0, 0, up, 0}, true},
		{"theta just beyond -12 degrees", [4]float64{0, 0, down, 0}, true},
		{"x crosses 2.4 by velocity", [4]float64{2.39, 1, 0, 0}, true},  // 2.39 + 0.02
		{"theta crosses by velocity", [4]float64{0, 0, 0.2, 0.5}, true}, // 0.2 + 0.01
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, env := range []Env{NewCartPole(), NewCartPoleContinuous()} {
				if _, err := env.SetState(tc.x[:]); err != nil {
					t.Fatal(err)
				}
				a := []float64{0}
				obs, r, term, trunc := env.Step(a)
				if term != tc.wantTerm || trunc {
					t.Errorf("%s: state after %v: terminated %v truncated %v, want %v false", env.Name(), obs, term, trunc, tc.wantTerm)
				}
				if r != 1 {
					t.Errorf("%s: reward %g, want 1 (the terminating step earns 1)", env.Name(), r)
				}
			}
		})
	}
}

func TestCartPoleTruncation(t *testing.T) {
	// Continuous: F = 0 from the upright rest state stays there for ever.
	cont := NewCartPoleContinuous()
	cont.SetState([]float64{0, 0, 0, 0})
	for i := 1; i <= CartPoleMaxSteps; i++ {
		_, r, term, trunc := cont.Step([]float64{0})
		if r != 1 || term || trunc != (i == CartPoleMaxSteps) {
			t.Fatalf("continuous step %d: reward %g terminated %v truncated %v", i, r, term, trunc)
		}
	}
	// Discrete: a balancing rule (push towards the side the pole falls to)
	// survives 500 steps and is truncated exactly at step 500.
	env := NewCartPole()
	env.Reset(newRNG(5))
	ret := 0.0
	for i := 1; i <= CartPoleMaxSteps; i++ {
		x := env.State()
		a := 0.0
		if x[2]+0.5*x[3]+0.01*x[0]+0.1*x[1] > 0 {
			a = 1
		}
		_, r, term, trunc := env.Step([]float64{a})
		ret += r
		if term || trunc != (i == CartPoleMaxSteps) {
			t.Fatalf("step %d: terminated %v truncated %v (state %v)", i, term, trunc, env.State())
		}
	}
	if ret != 500 {
		t.Errorf("return %g, want 500", ret)
	}
	// Truncated at step 500 even when that step also terminates (TimeLimit).
	env.SetState([]float64{3, 0, 0, 0})
	for i := 1; i <= CartPoleMaxSteps; i++ {
		_, r, term, trunc := env.Step([]float64{1})
		wantR := 0.0
		if i == 1 {
			wantR = 1
		}
		if !term || r != wantR || trunc != (i == CartPoleMaxSteps) {
			t.Fatalf("terminated episode, step %d: reward %g terminated %v truncated %v", i, r, term, trunc)
		}
	}
}

func TestCartPoleInvalidActionPanics(t *testing.T) {
	for _, a := range []float64{-1, 2, 0.5, math.NaN()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Step(%g) did not panic", a)
				}
			}()
			NewCartPole().Step([]float64{a})
		}()
	}
}

// cartPolePoints draws states and forces away from the clip kinks |F| = 10,
// some forces beyond the bounds.
func cartPolePoints(n int, seed uint64) (xs, us []float64) {
	rng := newRNG(seed)
	for len(us) < n {
		u := -15 + 30*rng.Float64()
		if math.Abs(math.Abs(u)-10) < 1e-3 {
			continue
		}
		xs = append(xs, -2+4*rng.Float64(), 2*rng.NormFloat64(), -math.Pi+2*math.Pi*rng.Float64(), 3*rng.NormFloat64())
		us = append(us, u)
	}
	return xs, us
}

func TestCartPoleDerivs(t *testing.T) {
	d := CartPoleDynamics{}
	xs, us := cartPolePoints(60, 31)
	for i := range us {
		checkDerivs(t, d, xs[4*i:4*i+4], us[i:i+1])
	}
}

func TestCartPoleGraph(t *testing.T) {
	d := CartPoleDynamics{}
	xs, us := cartPolePoints(30, 32)
	xs = append(xs, 0, 0, 0, 0, 1, -1, 0.2, 2)
	us = append(us, 10.5, -30)
	checkGraph(t, d, xs, us, newRNG(33))
	checkGraph(t, d, xs[:4], us[:1], newRNG(34))
	checkStateFromObs(t, d, xs[:4], nil)
}
