package dp

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/envs"
)

// pendulumBox is the box PendulumDynamics gives.
func pendulumBox() Box {
	lo, hi, per := envs.PendulumDynamics{}.StateBox()
	return Box{Low: [2]float64{lo[0], lo[1]}, High: [2]float64{hi[0], hi[1]}, Periodic: [2]bool{per[0], per[1]}}
}

func smallConfig(n0, n1, actions int) Config {
	c := DefaultConfig()
	c.Points, c.Actions = [2]int{n0, n1}, actions
	return c
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string // "" = valid
	}{
		{"default", DefaultConfig(), ""},
		{"small", smallConfig(2, 2, 2), ""},
		{"one point", smallConfig(1, 513, 41), "grid dimension 0"},
		{"huge", smallConfig(512, maxPoints+1, 41), "grid dimension 1"},
		{"one action", smallConfig(512, 513, 1), "actions"},
		{"negative workers", Config{Points: [2]int{8, 8}, Actions: 3, Workers: -1}, "workers"},
		{"too much memory", smallConfig(8192, 8193, 41), "GB of transitions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

func TestSolveEnvUnsupported(t *testing.T) {
	cases := []struct{ env, want string }{
		{"cartpole", "discrete actions"},
		{"cartpole-continuous", "4-D state"},
		{"maze", "no known dynamics"},
		{"linear", "no state box"},
	}
	for _, c := range cases {
		t.Run(c.env, func(t *testing.T) {
			env, err := envs.Make(c.env)
			if err != nil {
				t.Fatal(err)
			}
			_, err = SolveEnv(env, smallConfig(8, 9, 3))
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("SolveEnv(%s) = %v, want ErrUnsupported mentioning %q", c.env, err, c.want)
			}
		})
	}
}

func TestSolveErrors(t *testing.T) {
	dyn := envs.PendulumDynamics{}
	bad := pendulumBox()
	bad.High[1] = bad.Low[1]
	inf := pendulumBox()
	inf.Low[0] = math.Inf(-1)
	cases := []struct {
		name    string
		box     Box
		horizon int
		cfg     Config
		want    string
	}{
		{"empty box", bad, 10, smallConfig(8, 9, 3), "low < high"},
		{"infinite box", inf, 10, smallConfig(8, 9, 3), "finite"},
		{"no horizon", pendulumBox(), 0, smallConfig(8, 9, 3), "horizon"},
		{"bad config", pendulumBox(), 10, smallConfig(8, 9, 0), "actions"},
		{"tables too big", pendulumBox(), 100000, smallConfig(512, 513, 3), "value tables"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Solve(dyn, c.box, c.horizon, c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Solve = %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

func TestGridCell(t *testing.T) {
	// Periodic: 8 points over [-pi, pi), spacing pi/4. Bounded: 5 points
	// over [-8, 8], spacing 4.
	g := newGrid(pendulumBox(), [2]int{8, 5})
	h := math.Pi / 4
	cases := []struct {
		name string
		d    int
		x    float64
		i    int
		w    float64
	}{
		{"periodic low end", 0, -math.Pi, 0, 0},
		{"periodic mid cell", 0, -math.Pi + 2.5*h, 2, 0.5},
		{"periodic last cell wraps to the pad", 0, math.Pi - 0.25*h, 7, 0.75},
		{"periodic high end is the low end", 0, math.Pi, 0, 0},
		{"periodic one period up", 0, -math.Pi + 2.5*h + 2*math.Pi, 2, 0.5},
		{"periodic one period down", 0, -math.Pi + 2.5*h - 4*math.Pi, 2, 0.5},
		{"periodic NaN", 0, math.NaN(), 0, 0},
		{"bounded low end", 1, -8, 0, 0},
		{"bounded mid", 1, 1, 2, 0.25},
		{"bounded high end", 1, 8, 3, 1},
		{"bounded above", 1, 9, 3, 1},
		{"bounded below", 1, -9, 0, 0},
		{"bounded NaN", 1, math.NaN(), 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i, w := g.cell(c.d, c.x)
			if i != c.i || math.Abs(w-c.w) > 1e-12 {
				t.Fatalf("cell(%d, %g) = %d, %g, want %d, %g", c.d, c.x, i, w, c.i, c.w)
			}
		})
	}
}

// TestInterpExactOnBilinear checks the interpolation (with the periodic pad)
// against a function it reproduces exactly: one that is bilinear in every
// cell, here f(x0, x1) = a(i0) + b x1 with a(i) periodic in the row index.
func TestInterpExactOnBilinear(t *testing.T) {
	g := newGrid(pendulumBox(), [2]int{8, 5})
	a := []float64{3, -1, 4, 1, -5, 9, 2, -6}
	v := make([]float64, g.size)
	for r := range 8 {
		for c := range 5 {
			v[r*g.stride+c] = a[r] + 0.5*g.coord(1, c)
		}
	}
	g.pad(v)
	h := math.Pi / 4
	for _, x := range [][2]float64{{-math.Pi + 0.3*h, -7}, {-math.Pi + 7.6*h, 2.5}, {math.Pi + 1.2*h, 8}, {-math.Pi - 0.2*h, -8}} {
		s := (x[0] + math.Pi) / h
		s -= 8 * math.Floor(s/8)
		i := int(s)
		want := a[i] + (s-float64(i))*(a[(i+1)%8]-a[i]) + 0.5*x[1]
		off, w0, w1 := g.locate(x[0], x[1])
		if got := interp(v, g.stride, off, w0, w1); math.Abs(got-want) > 1e-12 {
			t.Errorf("interp at %v = %g, want %g", x, got, want)
		}
	}
}

// TestLastStepIsMyopic checks the first backup exactly: with V_H = 0,
// V_{H-1}(x) = min_u c(x, u) = c(x, 0) at every grid point (u = 0 is one
// of the 41 actions, and the pendulum's cost is smallest there).
func TestLastStepIsMyopic(t *testing.T) {
	dyn := envs.PendulumDynamics{}
	sol, err := Solve(dyn, pendulumBox(), 3, smallConfig(16, 17, 41))
	if err != nil {
		t.Fatal(err)
	}
	for r := range 16 {
		for c := range 17 {
			x := []float64{sol.g.coord(0, r), sol.g.coord(1, c)}
			if got, want := sol.Value(2, x), dyn.Cost(x, []float64{0}); math.Abs(got-want) > 1e-12*(1+want) {
				t.Fatalf("V_2(%v) = %g, want c(x, 0) = %g", x, got, want)
			}
			if v := sol.Value(3, x); v != 0 {
				t.Fatalf("V_H(%v) = %g, want 0", x, v)
			}
			// Costs are non-negative, so values grow with the steps left.
			if sol.Value(0, x) < sol.Value(1, x) || sol.Value(1, x) < sol.Value(2, x) {
				t.Fatalf("values at %v do not grow with the steps left: %g %g %g", x, sol.Value(0, x), sol.Value(1, x), sol.Value(2, x))
			}
		}
	}
}

// TestDeterministicAnyWorkers checks that the tables are bit for bit the
// same on a second solve and with 1, 2 or 3 workers (3 does not divide the
// rows evenly).
func TestDeterministicAnyWorkers(t *testing.T) {
	var ref []float64
	for _, w := range []int{1, 2, 3, 1} {
		cfg := smallConfig(48, 37, 21)
		cfg.Workers = w
		sol, err := Solve(envs.PendulumDynamics{}, pendulumBox(), 30, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = sol.v
			continue
		}
		for i := range ref {
			if math.Float64bits(ref[i]) != math.Float64bits(sol.v[i]) {
				t.Fatalf("workers %d: table entry %d = %v, want %v", w, i, sol.v[i], ref[i])
			}
		}
	}
}

func TestPolicyStepCounter(t *testing.T) {
	sol, err := SolveEnv(envs.NewPendulum(), smallConfig(32, 33, 11))
	if err != nil {
		t.Fatal(err)
	}
	p := sol.NewPolicy()
	obs := []float64{math.Cos(2.5), math.Sin(2.5), 0.3}
	var a, b []float64 = make([]float64, 1), make([]float64, 1)
	for step := range 3 {
		if p.Step() != step {
			t.Fatalf("Step = %d, want %d", p.Step(), step)
		}
		p.ActAt(b, step, obs)
		p.Act(a, obs)
		if a[0] != b[0] {
			t.Fatalf("step %d: Act %g, ActAt %g", step, a[0], b[0])
		}
	}
	p.Reset(nil)
	if p.Step() != 0 {
		t.Fatalf("Step after Reset = %d, want 0", p.Step())
	}
	// The last step has nothing ahead: the cheapest torque, 0.
	if p.ActAt(a, 199, obs); a[0] != 0 {
		t.Fatalf("pi_199 = %g, want 0", a[0])
	}
	// Steps outside the horizon act as step 0.
	p.ActAt(a, 0, obs)
	p.ActAt(b, 500, obs)
	if a[0] != b[0] {
		t.Fatalf("pi_500 = %g, want pi_0 = %g", b[0], a[0])
	}
}
