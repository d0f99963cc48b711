package envs

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestNamesAndMake(t *testing.T) {
	want := []string{"cartpole", "cartpole-continuous", "linear", "maze", "pendulum"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, name := range want {
		env, err := Make(name)
		if err != nil {
			t.Fatal(err)
		}
		if env.Name() != name {
			t.Errorf("Make(%q).Name() = %q", name, env.Name())
		}
	}
	_, err := Make("pendulm")
	if !errors.Is(err, ErrUnknownEnv) || !strings.Contains(err.Error(), "pendulum") {
		t.Errorf("Make(unknown) error %v", err)
	}
	// Make returns independent instances.
	a, _ := Make("pendulum")
	b, _ := Make("pendulum")
	a.SetState([]float64{1, 1})
	b.SetState([]float64{2, 2})
	if a.State()[0] != 1 {
		t.Error("Make instances share state")
	}
}

// TestCheckEnvAll runs the conformance check over every registered
// environment.
func TestCheckEnvAll(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			env, err := Make(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckEnv(env, newRNG(41)); err != nil {
				t.Fatal(err)
			}
		})
	}
	small := LinearConfig{
		A: [][]float64{{0.5}}, B: [][]float64{{1, -1}}, Q: [][]float64{{2}}, R: [][]float64{{1, 0}, {0, 1}},
		InitLow: -3, InitHigh: 3,
	}
	if err := CheckEnv(NewLinear(small), newRNG(42)); err != nil {
		t.Fatal(err)
	}
}

// brokenEnv wraps an env and breaks one part of the contract.
type brokenEnv struct {
	Env
	how   string
	calls int
}

func (b *brokenEnv) Reset(rng *rand.Rand) []float64 {
	obs := b.Env.Reset(rng)
	b.calls++
	if b.how == "reset not deterministic" && b.calls%2 == 0 {
		obs[0] += 1e-3
	}
	return obs
}

func (b *brokenEnv) Step(a []float64) ([]float64, float64, bool, bool) {
	obs, r, term, trunc := b.Env.Step(a)
	switch b.how {
	case "truncates late":
		trunc = false
	case "short observation":
		obs = obs[:len(obs)-1]
	case "reward not -cost":
		r += 0.5
	}
	return obs, r, term, trunc
}

func (b *brokenEnv) Dynamics() Dynamics {
	d := b.Env.(Known).Dynamics()
	if b.how == "dynamics differ" {
		return offsetDynamics{d}
	}
	return d
}

func (b *brokenEnv) RewardIsNegCost() bool { return b.Env.(CostReward).RewardIsNegCost() }

type offsetDynamics struct{ Dynamics }

func (o offsetDynamics) Next(dst, x, u []float64) {
	o.Dynamics.Next(dst, x, u)
	dst[0] += 1e-6
}

func TestCheckEnvFindsProblems(t *testing.T) {
	tests := []struct{ how, want string }{
		{"reset not deterministic", "Reset with the same seed"},
		{"truncates late", "step 200: truncated = false"},
		{"short observation", "observation has 2 values, want 3"},
		{"reward not -cost", "-Cost ="},
		{"dynamics differ", "Dynamics Next"},
	}
	for _, tc := range tests {
		t.Run(tc.how, func(t *testing.T) {
			err := CheckEnv(&brokenEnv{Env: NewPendulum(), how: tc.how}, newRNG(43))
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, `envs: check "pendulum": `) || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want the prefix and %q", msg, tc.want)
			}
		})
	}
}

// TestDeterminism checks that the same seed gives the same episode and that
// SetState then Step reproduces a step, for every environment.
func TestDeterminism(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			run := func() (out []float64) {
				env, _ := Make(name)
				rng := rand.New(rand.NewPCG(99, 3))
				out = append(out, env.Reset(rng)...)
				a := make([]float64, env.ActionSpace().Dim())
				for i := 0; i < 60; i++ {
					env.ActionSpace().Sample(a, rng)
					obs, r, term, trunc := env.Step(a)
					out = append(out, obs...)
					out = append(out, r, b2f(term), b2f(trunc))
					if term || trunc {
						out = append(out, env.Reset(rng)...)
					}
				}
				return out
			}
			if a, b := run(), run(); !slices.Equal(a, b) {
				t.Fatal("same seed, different episodes")
			}

			env, _ := Make(name)
			rng := newRNG(7)
			env.Reset(rng)
			a := make([]float64, env.ActionSpace().Dim())
			for i := 0; i < 5; i++ {
				env.ActionSpace().Sample(a, rng)
				env.Step(a)
			}
			x := env.State()
			env.ActionSpace().Sample(a, rng)
			obs1, r1, term1, _ := env.Step(a)
			other, _ := Make(name)
			if _, err := other.SetState(x); err != nil {
				t.Fatal(err)
			}
			obs2, r2, term2, _ := other.Step(a)
			if !slices.Equal(obs1, obs2) || r1 != r2 || term1 != term2 {
				t.Fatalf("SetState then Step: %v %g %v, want %v %g %v", obs2, r2, term2, obs1, r1, term1)
			}
		})
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestSetStateRejects(t *testing.T) {
	for _, name := range Names() {
		env, _ := Make(name)
		n := env.StateDim()
		bad := [][]float64{make([]float64, n+1), append(make([]float64, n-1), math.NaN()), append(make([]float64, n-1), math.Inf(-1))}
		if n > 1 {
			bad = append(bad, make([]float64, n-1))
		}
		for _, x := range bad {
			if _, err := env.SetState(x); err == nil || !strings.HasPrefix(err.Error(), "envs: ") {
				t.Errorf("%s: SetState(%v) error %v", name, x, err)
			}
		}
	}
}

func TestSpaceValidate(t *testing.T) {
	box := Box([]float64{-2, 0}, []float64{2, 1})
	disc := DiscreteSpace(3)
	tests := []struct {
		name  string
		s     Space
		a     []float64
		valid bool
	}{
		{"box inside", box, []float64{1, 0.5}, true},
		{"box outside is valid (clipped by the env)", box, []float64{5, -1}, true},
		{"box short", box, []float64{1}, false},
		{"box long", box, []float64{1, 2, 3}, false},
		{"box NaN", box, []float64{math.NaN(), 0}, false},
		{"box Inf", box, []float64{0, math.Inf(1)}, false},
		{"discrete 0", disc, []float64{0}, true},
		{"discrete 2", disc, []float64{2}, true},
		{"discrete 3", disc, []float64{3}, false},
		{"discrete -1", disc, []float64{-1}, false},
		{"discrete fraction", disc, []float64{1.5}, false},
		{"discrete two values", disc, []float64{1, 1}, false},
		{"discrete NaN", disc, []float64{math.NaN()}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate(tc.a)
			if (err == nil) != tc.valid {
				t.Fatalf("Validate(%v) = %v, want valid %v", tc.a, err, tc.valid)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "envs: ") {
				t.Errorf("error %q lacks the envs: prefix", err)
			}
		})
	}
}

func TestSpaceClipSampleString(t *testing.T) {
	box := Box([]float64{-2, 0}, []float64{2, 1})
	a := []float64{5, -1}
	box.Clip(a, a)
	checkSlice(t, "Clip", a, []float64{2, 0}, 0)
	a = []float64{-0.5, 0.25}
	box.Clip(a, a)
	checkSlice(t, "Clip inside", a, []float64{-0.5, 0.25}, 0)

	rng := newRNG(8)
	inf := math.Inf(1)
	spaces := []Space{box, DiscreteSpace(4), Box([]float64{-inf, 0}, []float64{inf, 0})}
	for _, s := range spaces {
		seen := map[float64]bool{}
		v := make([]float64, s.Dim())
		for i := 0; i < 500; i++ {
			s.Sample(v, rng)
			if err := s.Validate(v); err != nil {
				t.Fatalf("%s: sample %v: %v", s, v, err)
			}
			if !s.Discrete && v[len(v)-1] != 0 && s.High[len(v)-1] == 0 {
				t.Fatalf("%s: sample %v outside a zero-width bound", s, v)
			}
			if !s.Discrete && !math.IsInf(s.Low[0], 0) && (v[0] < s.Low[0] || v[0] > s.High[0]) {
				t.Fatalf("%s: sample %v out of bounds", s, v)
			}
			seen[v[0]] = true
		}
		if s.Discrete && len(seen) != s.N {
			t.Errorf("%s: sampled %d distinct values, want %d", s, len(seen), s.N)
		}
	}

	for _, tc := range []struct {
		s    Space
		want string
	}{
		{DiscreteSpace(2), "discrete(2)"},
		{Box([]float64{-2}, []float64{2}), "box(1) [-2, 2]"},
		{box, "box(2)"},
		{Box(nil, nil), "box(0)"},
		{Box([]float64{-inf, -inf}, []float64{inf, inf}), "box(2) [-Inf, +Inf]"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

// TestDynamicsOf checks which environments have known dynamics and their
// dimensions.
func TestDynamicsOf(t *testing.T) {
	want := map[string][3]int{ // state, action, obs
		"pendulum": {2, 1, 3}, "cartpole": {4, 1, 4}, "cartpole-continuous": {4, 1, 4}, "linear": {2, 1, 2},
	}
	for _, name := range Names() {
		env, _ := Make(name)
		d, ok := DynamicsOf(env)
		w, known := want[name]
		if ok != known {
			t.Errorf("%s: DynamicsOf ok = %v", name, ok)
			continue
		}
		if ok {
			if got := [3]int{d.StateDim(), d.ActionDim(), d.ObsDim()}; got != w {
				t.Errorf("%s: dims %v, want %v", name, got, w)
			}
		}
	}
}

// TestGraphErrors checks that the graph builders reject wrong shapes.
func TestGraphErrors(t *testing.T) {
	for _, d := range []Dynamics{PendulumDynamics{}, CartPoleDynamics{}, NewLinear(DefaultLinearConfig()).Dynamics()} {
		n, m := d.StateDim(), d.ActionDim()
		g := newTestGraph()
		x := g.matrix(3, n+1)
		u := g.matrix(3, m)
		if _, err := d.GraphNext(x, u); err == nil {
			t.Errorf("%T: GraphNext accepted x of %d columns", d, n+1)
		}
		if _, err := d.GraphCost(g.matrix(3, n), g.matrix(4, m)); err == nil {
			t.Errorf("%T: GraphCost accepted different batch sizes", d)
		}
		if _, err := d.GraphObs(g.matrix(3, n, 2)); err == nil {
			t.Errorf("%T: GraphObs accepted a 3-d tensor", d)
		}
	}
}

func ExampleMake() {
	env, err := Make("pendulum")
	if err != nil {
		fmt.Println(err)
		return
	}
	obs, _ := env.SetState([]float64{0, 0}) // upright, at rest
	fmt.Println(env.ObservationSpace(), env.ActionSpace(), env.MaxSteps())
	fmt.Printf("%.3f\n", obs)
	obs, reward, terminated, truncated := env.Step([]float64{1})
	fmt.Printf("%.4f %.4f %v %v\n", obs, reward, terminated, truncated)
	// Output:
	// box(3) box(1) [-2, 2] 200
	// [1.000 0.000 0.000]
	// [1.0000 0.0075 0.1500] -0.0010 false false
}

func ExampleMaze_Render() {
	m := NewMaze()
	fmt.Print(m.Render())
	// Output:
	// .......#G
	// ..#....#.
	// A.#....#.
	// ..#......
	// .....#...
	// .........
}
