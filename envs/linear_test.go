package envs

import (
	"math"
	"strings"
	"testing"
)

// TestLinearStepByHand checks the default system A = [[1.1, 0.1], [0, 0.95]],
// B = [[0], [1]], Q = I, R = 0.1 by hand.
func TestLinearStepByHand(t *testing.T) {
	tests := []struct {
		name       string
		x          []float64
		u          float64
		wantX      []float64
		wantReward float64
	}{
		{
			name: "plain", x: []float64{1, -2}, u: 0.5,
			// [1.1*1 + 0.1*-2, 0.95*-2 + 0.5] ; cost 1 + 4 + 0.1*0.25
			wantX: []float64{0.9, -1.4}, wantReward: -5.025,
		},
		{
			name: "origin at rest", x: []float64{0, 0}, u: 0,
			wantX: []float64{0, 0}, wantReward: 0,
		},
		{
			name: "large unclipped action", x: []float64{0.5, 0.5}, u: -100,
			// [0.55 + 0.05, 0.475 - 100] ; cost 0.25 + 0.25 + 0.1*10000
			wantX: []float64{0.6, -99.525}, wantReward: -1000.5,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := NewLinear(DefaultLinearConfig())
			if _, err := env.SetState(tc.x); err != nil {
				t.Fatal(err)
			}
			obs, r, term, trunc := env.Step([]float64{tc.u})
			if term || trunc {
				t.Errorf("terminated %v truncated %v", term, trunc)
			}
			if !closeRel(r, tc.wantReward, 1e-14) {
				t.Errorf("reward %.17g, want %.17g", r, tc.wantReward)
			}
			checkSlice(t, "obs", obs, tc.wantX, 1e-14)
			checkSlice(t, "state", env.State(), tc.wantX, 1e-14)
		})
	}
}

func TestLinearTruncation(t *testing.T) {
	env := NewLinear(DefaultLinearConfig())
	env.Reset(newRNG(1))
	for i := 1; i <= 100; i++ {
		_, _, term, trunc := env.Step([]float64{0})
		if term || trunc != (i == 100) {
			t.Fatalf("step %d: terminated %v truncated %v", i, term, trunc)
		}
	}
	cfg := DefaultLinearConfig()
	cfg.MaxSteps = 0
	env = NewLinear(cfg)
	env.Reset(newRNG(1))
	for i := 0; i < 1000; i++ {
		if _, _, _, trunc := env.Step([]float64{0}); trunc {
			t.Fatalf("MaxSteps 0 truncated at step %d", i+1)
		}
	}
}

func TestLinearConfigValidate(t *testing.T) {
	mod := func(f func(*LinearConfig)) LinearConfig {
		c := DefaultLinearConfig()
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		cfg     LinearConfig
		wantErr string // "" for valid
	}{
		{"default", DefaultLinearConfig(), ""},
		{"3 states 2 actions", LinearConfig{
			A: [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, B: [][]float64{{1, 0}, {0, 1}, {1, 1}},
			Q: [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, R: [][]float64{{1, 0}, {0, 1}},
		}, ""},
		{"empty A", mod(func(c *LinearConfig) { c.A = nil }), "A is empty"},
		{"empty B", mod(func(c *LinearConfig) { c.B = nil }), "B must be"},
		{"A not square", mod(func(c *LinearConfig) { c.A = [][]float64{{1, 0, 0}, {0, 1, 0}} }), "A row 0 has 3 values"},
		{"B rows", mod(func(c *LinearConfig) { c.B = [][]float64{{0}, {1}, {2}} }), "B has 3 rows"},
		{"B ragged", mod(func(c *LinearConfig) { c.B = [][]float64{{0}, {1, 2}} }), "B row 1 has 2 values"},
		{"Q shape", mod(func(c *LinearConfig) { c.Q = [][]float64{{1}} }), "Q has 1 rows"},
		{"R shape", mod(func(c *LinearConfig) { c.R = [][]float64{{1, 0}, {0, 1}} }), "R has 2 rows"},
		{"NaN", mod(func(c *LinearConfig) { c.A[1][0] = math.NaN() }), "A[1][0] = NaN"},
		{"Inf", mod(func(c *LinearConfig) { c.R[0][0] = math.Inf(1) }), "R[0][0] = +Inf"},
		{"negative MaxSteps", mod(func(c *LinearConfig) { c.MaxSteps = -1 }), "MaxSteps -1"},
		{"reversed init", mod(func(c *LinearConfig) { c.InitLow, c.InitHigh = 1, -1 }), "reset range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, err := NewLinearChecked(tc.cfg)
			if tc.wantErr == "" {
				if err != nil || env == nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "envs: ") || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q, want envs: ... %q", err, tc.wantErr)
			}
		})
	}
}

// TestLinearConfigCopied checks that the environment does not share the
// caller's matrices.
func TestLinearConfigCopied(t *testing.T) {
	cfg := DefaultLinearConfig()
	env := NewLinear(cfg)
	cfg.A[0][0] = 5
	got := env.Config()
	if got.A[0][0] != 1.1 {
		t.Fatalf("env changed with the caller's config: A[0][0] = %g", got.A[0][0])
	}
	got.B[1][0] = 7
	if env.Config().B[1][0] != 1 {
		t.Fatal("Config returned shared memory")
	}
}

func linearTestDynamics() []Dynamics {
	asym := LinearConfig{
		A: [][]float64{{0.9, 0.2, 0}, {-0.1, 1.05, 0.3}, {0, 0, 0.5}},
		B: [][]float64{{1, 0}, {0, 0.5}, {0.2, -1}},
		Q: [][]float64{{2, 0.5, 0}, {0, 1, 0}, {0.3, 0, 1}}, // not symmetric on purpose
		R: [][]float64{{0.1, 0.02}, {0, 0.2}},
	}
	return []Dynamics{NewLinear(DefaultLinearConfig()).Dynamics(), NewLinear(asym).Dynamics()}
}

func TestLinearDerivsAndGraph(t *testing.T) {
	for k, d := range linearTestDynamics() {
		rng := newRNG(uint64(20 + k))
		n, m := d.StateDim(), d.ActionDim()
		const rows = 16
		xs, us := make([]float64, rows*n), make([]float64, rows*m)
		for i := range xs {
			xs[i] = 3 * rng.NormFloat64()
		}
		for i := range us {
			us[i] = 3 * rng.NormFloat64()
		}
		for i := 0; i < rows; i++ {
			checkDerivs(t, d, xs[i*n:(i+1)*n], us[i*m:(i+1)*m])
		}
		checkGraph(t, d, xs, us, rng)
		checkGraph(t, d, xs[:n], us[:m], rng)
		checkStateFromObs(t, d, xs[:n], nil)
	}
}

func TestLinearNextAliases(t *testing.T) {
	d := NewLinear(DefaultLinearConfig()).Dynamics()
	x := []float64{1, -2}
	d.Next(x, x, []float64{0.5})
	checkSlice(t, "in place", x, []float64{0.9, -1.4}, 1e-15)
}
