package dynaq

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
)

// chainEnv is a tiny tabular env for hand-checked tests: states 0..length-1,
// start 0; action 0 moves one state right, any other action stays put. Every
// step pays stepReward, except entering the last state, which pays 1 and
// terminates. If loop is set, the terminal transition reports observation 0
// (the start) instead of length-1, so that the terminal next state has a
// non-zero value to (wrongly) bootstrap from. maxSteps > 0 truncates.
type chainEnv struct {
	length, actions int
	stepReward      float64
	loop            bool
	maxSteps        int

	s, t int
}

func (c *chainEnv) Name() string                          { return "chain" }
func (c *chainEnv) ObservationSpace() envs.Space          { return envs.DiscreteSpace(c.length) }
func (c *chainEnv) ActionSpace() envs.Space               { return envs.DiscreteSpace(c.actions) }
func (c *chainEnv) MaxSteps() int                         { return c.maxSteps }
func (c *chainEnv) State() []float64                      { return []float64{float64(c.s)} }
func (c *chainEnv) StateDim() int                         { return 1 }
func (c *chainEnv) Reset(*rand.Rand) []float64            { c.s, c.t = 0, 0; return c.State() }
func (c *chainEnv) SetState([]float64) ([]float64, error) { return nil, errors.New("unused") }

func (c *chainEnv) Step(action []float64) ([]float64, float64, bool, bool) {
	c.t++
	if action[0] == 0 {
		c.s++
	}
	truncated := c.maxSteps > 0 && c.t >= c.maxSteps
	if c.s == c.length-1 {
		if c.loop {
			return []float64{0}, 1, true, truncated
		}
		return c.State(), 1, true, truncated
	}
	return c.State(), c.stepReward, false, truncated
}

// boxEnv has continuous spaces, which Dyna-Q must reject.
type boxEnv struct{ chainEnv }

func (boxEnv) ObservationSpace() envs.Space { return envs.Box([]float64{-1}, []float64{1}) }

// badObsEnv reports an observation outside its space.
type badObsEnv struct{ chainEnv }

func (b *badObsEnv) Step(action []float64) ([]float64, float64, bool, bool) {
	return []float64{7.5}, 0, false, false
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }

// TestQUpdateByHand checks the Q-learning arithmetic on a 3-state, 1-action
// chain (0 -> 1 -> 2, reward 1 on entering 2) with alpha 0.5, gamma 0.9 and
// no planning, where the trajectory is forced. Values are exact up to
// rounding of products like 0.9*0.5.
func TestQUpdateByHand(t *testing.T) {
	cfg := config.With(DefaultConfig(), func(c *Config) {
		c.PlanningSteps = 0
		c.Episodes = 3
		c.Alpha = 0.5
		c.Gamma = 0.9
	})
	// Episode 1: Q0 = 0 + .5(0 + .9*0 - 0) = 0;       Q1 = .5(1 - 0) = .5
	// Episode 2: Q0 = .5(.9*.5) = .225;               Q1 = .5 + .5(1 - .5) = .75
	// Episode 3: Q0 = .225 + .5(.9*.75 - .225) = .45; Q1 = .75 + .5(1 - .75) = .875
	want := []float64{0.45, 0.875, 0}
	res, err := Run(&chainEnv{length: 3, actions: 1}, cfg, newRand(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.StepsPerEpisode, []int{2, 2, 2}) {
		t.Errorf("steps %v, want [2 2 2]", res.StepsPerEpisode)
	}
	for i := range want {
		if math.Abs(res.Q[i]-want[i]) > 1e-15 {
			t.Errorf("Q[%d] = %.17g, want %g", i, res.Q[i], want[i])
		}
	}
}

// TestTerminalDoesNotBootstrap uses the chain whose terminal transition
// reports the start state, whose Q is non-zero by episode 2: a bootstrapping
// update would give Q1 = .5 + .5(1 + .9*.225 - .5) = .85125 instead of .75.
func TestTerminalDoesNotBootstrap(t *testing.T) {
	cfg := config.With(DefaultConfig(), func(c *Config) {
		c.Episodes = 2
		c.Alpha = 0.5
		c.Gamma = 0.9
	})
	res, err := Run(&chainEnv{length: 3, actions: 1, loop: true}, cfg, newRand(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{0.225, 0.75} {
		if math.Abs(res.Q[i]-want) > 1e-15 {
			t.Errorf("Q[%d] = %.17g, want %g", i, res.Q[i], want)
		}
	}
}

// TestUpdateArithmetic checks one bootstrapping and one terminal update,
// including the max over the next state's actions.
func TestUpdateArithmetic(t *testing.T) {
	ag := newAgent(2, 2, config.With(DefaultConfig(), func(c *Config) {
		c.Alpha = 0.1
		c.Gamma = 0.9
	}))
	ag.q = []float64{0.3, 0, 0.2, 0.7} // Q(0,0)=.3, Q(1,·)=[.2 .7]
	ag.update(0, 0, 0.5, 1, false)
	if want := 0.3 + 0.1*(0.5+0.9*0.7-0.3); math.Abs(ag.q[0]-want) > 1e-15 {
		t.Errorf("bootstrapping update: Q = %.17g, want %.17g", ag.q[0], want)
	}
	ag.update(0, 1, 2, 1, true)
	if want := 0.1 * 2; math.Abs(ag.q[1]-want) > 1e-15 {
		t.Errorf("terminal update: Q = %.17g, want %.17g", ag.q[1], want)
	}
}

// TestPlanningRepeatsModel: with a single remembered transition (reward 1,
// terminal), k planning steps give Q = 1 - (1-alpha)^k, exactly for alpha
// 0.5.
func TestPlanningRepeatsModel(t *testing.T) {
	ag := newAgent(3, 2, config.With(DefaultConfig(), func(c *Config) {
		c.Alpha = 0.5
		c.Gamma = 0.9
	}))
	ag.remember(1, 1, 1, 2, true)
	rng := newRand(1)
	for k := 1; k <= 5; k++ {
		ag.plan(rng)
		if want := 1 - math.Pow(0.5, float64(k)); ag.q[1*2+1] != want {
			t.Fatalf("after %d planning steps Q = %g, want %g", k, ag.q[3], want)
		}
	}
}

// TestModelIsLastOutcome: remembering (s, a) again overwrites its outcome
// but does not add it twice to the lists sampled by planning.
func TestModelIsLastOutcome(t *testing.T) {
	ag := newAgent(3, 2, config.With(DefaultConfig(), func(c *Config) {
		c.Alpha = 0.5
		c.Gamma = 0.9
	}))
	ag.remember(0, 1, 0, 1, false)
	ag.remember(0, 1, 1, 2, true)
	if ag.reward[1] != 1 || ag.next[1] != 2 || !ag.terminal[1] {
		t.Errorf("model(0,1) = (%g, %d, %v), want (1, 2, true)", ag.reward[1], ag.next[1], ag.terminal[1])
	}
	if len(ag.observed) != 1 || ag.numTaken[0] != 1 {
		t.Errorf("observed %v, numTaken %v: want one state with one action", ag.observed, ag.numTaken)
	}
}

// TestSampleUniform checks the book's sampling: a state uniformly among
// those observed, then an action uniformly among those taken in it. With
// actions {0,1,2} taken in state 0 and {3} in state 2, (2,3) has
// probability 1/2 and each (0,a) 1/6. Tolerance 0.01 is about 5 standard
// errors at 60000 draws.
func TestSampleUniform(t *testing.T) {
	ag := newAgent(4, 4, config.With(DefaultConfig(), func(c *Config) {
		c.Alpha = 0.5
		c.Gamma = 0.9
	}))
	for _, sa := range [][2]int{{0, 0}, {2, 3}, {0, 2}, {0, 1}} {
		ag.remember(sa[0], sa[1], 0, 1, false)
	}
	rng := newRand(3)
	const draws = 60000
	count := map[[2]int]int{}
	for range draws {
		s, a := ag.sample(rng)
		count[[2]int{s, a}]++
	}
	want := map[[2]int]float64{{2, 3}: 0.5, {0, 0}: 1.0 / 6, {0, 1}: 1.0 / 6, {0, 2}: 1.0 / 6}
	if len(count) != len(want) {
		t.Fatalf("sampled pairs %v, want only %v", count, want)
	}
	for sa, p := range want {
		if got := float64(count[sa]) / draws; math.Abs(got-p) > 0.01 {
			t.Errorf("P%v = %.4f, want %.4f", sa, got, p)
		}
	}
}

// TestArgmaxRandomTies: a unique maximum is always chosen; ties are broken
// uniformly (tolerance 0.01, about 5 standard errors at 40000 draws).
func TestArgmaxRandomTies(t *testing.T) {
	tests := []struct {
		name string
		row  []float64
		want []float64 // probability of each action
	}{
		{"all zero", []float64{0, 0, 0, 0}, []float64{0.25, 0.25, 0.25, 0.25}},
		{"unique max", []float64{0, 3, 1, 2}, []float64{0, 1, 0, 0}},
		{"two tied", []float64{5, -1, 5, 4}, []float64{0.5, 0, 0.5, 0}},
		{"tie first and last", []float64{2, 1, 1, 2}, []float64{0.5, 0, 0, 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRand(7)
			const draws = 40000
			count := make([]int, len(tc.row))
			for range draws {
				count[argmaxRandom(tc.row, rng)]++
			}
			for a, p := range tc.want {
				if got := float64(count[a]) / draws; math.Abs(got-p) > 0.01 {
					t.Errorf("P(%d) = %.4f, want %.4f", a, got, p)
				}
			}
		})
	}
}

// TestEpsilonGreedy: with epsilon 0.2 and a unique greedy action among 4,
// the greedy action has probability 0.8 + 0.2/4 = 0.85.
func TestEpsilonGreedy(t *testing.T) {
	ag := newAgent(1, 4, config.With(DefaultConfig(), func(c *Config) {
		c.Alpha = 0.1
		c.Epsilon = 0.2
		c.Gamma = 0.9
	}))
	ag.q[2] = 1
	rng := newRand(5)
	const draws = 40000
	greedy := 0
	for range draws {
		if ag.act(0, rng) == 2 {
			greedy++
		}
	}
	if got := float64(greedy) / draws; math.Abs(got-0.85) > 0.01 {
		t.Errorf("P(greedy) = %.4f, want 0.85", got)
	}
}

func TestConfigDefaults(t *testing.T) {
	got := DefaultConfig()
	want := Config{PlanningSteps: 0, Episodes: 50, Alpha: 0.1, Epsilon: 0.1, Gamma: 0.95}
	if got != want {
		t.Fatalf("DefaultConfig() = %+v, want the book's %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	chain := func() envs.Env { return &chainEnv{length: 3, actions: 2} }
	tests := []struct {
		name string
		env  envs.Env
		cfg  Config
		rng  *rand.Rand
		want string // substring of the error
	}{
		{"continuous observations", &boxEnv{chainEnv{length: 3, actions: 2}}, DefaultConfig(), newRand(1), "discrete"},
		{"nil env", nil, DefaultConfig(), newRand(1), "nil env"},
		{"nil rng", chain(), DefaultConfig(), nil, "nil rng"},
		{"alpha negative", chain(), config.With(DefaultConfig(), func(c *Config) {
			c.Alpha = -0.1
		}), newRand(1), "Alpha"},
		{"alpha above 1", chain(), config.With(DefaultConfig(), func(c *Config) {
			c.Alpha = 1.5
		}), newRand(1), "Alpha"},
		{"alpha NaN", chain(), config.With(DefaultConfig(), func(c *Config) {
			c.Alpha = math.NaN()
		}), newRand(1), "Alpha"},
		{"epsilon above 1", chain(), config.With(DefaultConfig(), func(c *Config) {
			c.Epsilon = 1.01
		}), newRand(1), "Epsilon"},
		{"epsilon negative", chain(), config.With(DefaultConfig(), func(c *Config) {
			c.Epsilon = -0.5
		}), newRand(1), "Epsilon"},
		{"gamma above 1", chain(), config.With(DefaultConfig(), func(c *Config) {
			c.Gamma = 1.01
		}), newRand(1), "Gamma"},
		{"gamma negative", chain(), config.With(DefaultConfig(), func(c *Config) {
			c.Gamma = -1
		}), newRand(1), "Gamma"},
		{"negative planning steps", chain(), config.With(DefaultConfig(), func(c *Config) {
			c.PlanningSteps = -1
		}), newRand(1), "PlanningSteps"},
		{"negative episodes", chain(), config.With(DefaultConfig(), func(c *Config) {
			c.Episodes = -1
		}), newRand(1), "Episodes"},
		{"negative step cap", chain(), config.With(DefaultConfig(), func(c *Config) {
			c.MaxStepsPerEpisode = -1
		}), newRand(1), "MaxStepsPerEpisode"},
		{"observation out of space", &badObsEnv{chainEnv{length: 3, actions: 2}}, DefaultConfig(), newRand(1), "observation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(tc.env, tc.cfg, tc.rng, nil)
			if err == nil || !strings.HasPrefix(err.Error(), "dynaq: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a dynaq: error mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := Run(&boxEnv{chainEnv{length: 3, actions: 2}}, DefaultConfig(), newRand(1), nil); !errors.Is(err, ErrNotDiscrete) {
		t.Errorf("continuous env: %v, want ErrNotDiscrete", err)
	}
}

func TestRunManyErrors(t *testing.T) {
	mk := func() (envs.Env, error) { return &chainEnv{length: 3, actions: 2}, nil }
	failing := func() (envs.Env, error) { return nil, errors.New("no env today") }
	tests := []struct {
		name    string
		makeEnv func() (envs.Env, error)
		ns      []int
		runs    int
		cfg     Config
		want    string
	}{
		{"no n", mk, nil, 2, DefaultConfig(), "no planning-steps"},
		{"duplicate n", mk, []int{5, 5}, 2, DefaultConfig(), "twice"},
		{"negative n", mk, []int{-1}, 2, DefaultConfig(), "PlanningSteps"},
		{"negative runs", mk, []int{0}, -1, DefaultConfig(), "runs"},
		{"bad config", mk, []int{0}, 2, config.With(DefaultConfig(), func(c *Config) {
			c.Alpha = 2
		}), "Alpha"},
		{"nil makeEnv", nil, []int{0}, 2, DefaultConfig(), "nil makeEnv"},
		{"makeEnv fails", failing, []int{0, 1}, 3, DefaultConfig(), "no env today"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RunMany(tc.makeEnv, tc.ns, tc.runs, tc.cfg, 1, 2)
			if err == nil || !strings.HasPrefix(err.Error(), "dynaq: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a dynaq: error mentioning %q", err, tc.want)
			}
		})
	}
}

// TestEpisodeEnds: episodes end at the environment's truncation and at the
// MaxStepsPerEpisode cap; on the 2-action chain of length 30 with
// stepReward 0 the first episodes are random walks far longer than 5 steps.
func TestEpisodeEnds(t *testing.T) {
	tests := []struct {
		name string
		env  *chainEnv
		cfg  Config
	}{
		{"env truncates", &chainEnv{length: 30, actions: 2, maxSteps: 5}, config.With(DefaultConfig(), func(c *Config) {
			c.Episodes = 4
		})},
		{"step cap", &chainEnv{length: 30, actions: 2}, config.With(DefaultConfig(), func(c *Config) {
			c.Episodes = 4
			c.MaxStepsPerEpisode = 5
		})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(tc.env, tc.cfg, newRand(1), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.StepsPerEpisode, []int{5, 5, 5, 5}) {
				t.Errorf("steps %v, want [5 5 5 5]", res.StepsPerEpisode)
			}
		})
	}
}

// TestCallback: onEpisode sees every episode in order with its steps.
func TestCallback(t *testing.T) {
	var eps, steps []int
	res, err := Run(&chainEnv{length: 6, actions: 2}, config.With(DefaultConfig(), func(c *Config) {
		c.Episodes = 7
		c.PlanningSteps = 3
	}), newRand(2),
		func(ep, n int) { eps, steps = append(eps, ep), append(steps, n) })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(eps, []int{0, 1, 2, 3, 4, 5, 6}) || !reflect.DeepEqual(steps, res.StepsPerEpisode) {
		t.Errorf("callback saw episodes %v steps %v; result steps %v", eps, steps, res.StepsPerEpisode)
	}
}

func TestGreedyPathChain(t *testing.T) {
	env := &chainEnv{length: 4, actions: 2}
	tests := []struct {
		name    string
		q       []float64
		max     int
		want    int
		wantErr error
	}{
		{"moves right", []float64{1, 0, 1, 0, 1, 0, 0, 0}, 0, 3, nil},
		{"ties go to action 0", make([]float64, 8), 0, 3, nil},
		{"stays forever", []float64{0, 1, 0, 1, 0, 1, 0, 0}, 0, 4, ErrNoGoal},
		{"step limit", []float64{1, 0, 1, 0, 1, 0, 0, 0}, 2, 2, ErrNoGoal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := GreedyPath(env, tc.q, newRand(1), tc.max)
			if got != tc.want || !errors.Is(err, tc.wantErr) {
				t.Errorf("GreedyPath = %d, %v; want %d, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
	if _, err := GreedyPath(env, make([]float64, 7), newRand(1), 0); err == nil {
		t.Error("Q of the wrong length: no error")
	}
}

// TestAgentDoesNotAllocate: acting, updating, model learning and planning
// allocate nothing once the agent exists.
func TestAgentDoesNotAllocate(t *testing.T) {
	ag := newAgent(54, 4, config.With(DefaultConfig(), func(c *Config) {
		c.Alpha = 0.1
		c.Epsilon = 0.1
		c.Gamma = 0.95
	}))
	rng := newRand(1)
	s := 0
	allocs := testing.AllocsPerRun(1000, func() {
		a := ag.act(s, rng)
		next := rng.IntN(54)
		ag.update(s, a, 0, next, false)
		ag.remember(s, a, 0, next, false)
		for range 5 {
			ag.plan(rng)
		}
		s = next
	})
	if allocs != 0 {
		t.Errorf("%g allocations per step, want 0", allocs)
	}
}

func BenchmarkQUpdate(b *testing.B) {
	ag := newAgent(54, 4, config.With(DefaultConfig(), func(c *Config) {
		c.Alpha = 0.1
		c.Epsilon = 0.1
		c.Gamma = 0.95
	}))
	rng := newRand(1)
	for i := range ag.q {
		ag.q[i] = rng.Float64()
	}
	// Precomputed transitions, so that the loop times the update alone.
	const m = 1024
	var s, a, next [m]int
	for i := range m {
		s[i], a[i], next[i] = rng.IntN(54), rng.IntN(4), rng.IntN(54)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		j := i & (m - 1)
		ag.update(s[j], a[j], 0, next[j], false)
	}
}

func BenchmarkPlanningStep(b *testing.B) {
	ag := newAgent(54, 4, config.With(DefaultConfig(), func(c *Config) {
		c.Alpha = 0.1
		c.Epsilon = 0.1
		c.Gamma = 0.95
	}))
	rng := newRand(1)
	for s := range 54 {
		for a := range 4 {
			ag.remember(s, a, 0, rng.IntN(54), false)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		ag.plan(rng)
	}
}
