package envs

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// CheckEnv checks env against the Env contract, in the spirit of
// Gymnasium's env checker, and returns every problem found joined into one
// error (nil if none). It checks:
//
//   - the spaces are well formed (box bounds of equal length with
//     Low <= High, discrete N >= 1) and sampled actions pass Validate;
//   - Reset with equally seeded generators gives the same observation and
//     state, observations have the observation space's length, are finite and
//     lie in the space, and State has StateDim values;
//   - SetState(State()) reproduces the observation and the state, and the
//     episode that follows equals the original one step for step; SetState
//     rejects a state of the wrong length;
//   - with the same seed and actions two episodes are identical;
//   - truncated is reported at step MaxSteps and not before (the check keeps
//     stepping after termination: Step must keep counting), and never when
//     MaxSteps is 0 (over 200 steps);
//   - for environments with known dynamics (Known): the dimensions agree,
//     Next followed by Obs gives Step's observation (through DynamicsAction
//     for an ActionMapper), StateFromObs inverts Obs up to the observation,
//     and, where RewardIsNegCost (CostReward), reward == -Cost(x, u).
//
// rng provides the seeds; CheckEnv makes its own generators from it. It
// leaves env in an arbitrary state.
func CheckEnv(env Env, rng *rand.Rand) error {
	c := &checker{env: env}
	c.run(rng)
	if len(c.errs) == 0 {
		return nil
	}
	return fmt.Errorf("envs: check %q: %w", env.Name(), errors.Join(c.errs...))
}

type checker struct {
	env  Env
	errs []error
}

func (c *checker) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// tol is the tolerance of comparisons between Step and the Dynamics, which
// may compute the same expression in a different order.
const checkTol = 1e-12

func checkClose(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= checkTol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func checkCloseSlice(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !checkClose(a[i], b[i]) {
			return false
		}
	}
	return true
}

func checkSpace(what string, s Space) error {
	if s.Discrete {
		if s.N < 1 {
			return fmt.Errorf("%s space %s has no values", what, s)
		}
		return nil
	}
	if len(s.Low) == 0 || len(s.Low) != len(s.High) {
		return fmt.Errorf("%s space has %d low and %d high bounds", what, len(s.Low), len(s.High))
	}
	for i := range s.Low {
		if !(s.Low[i] <= s.High[i]) {
			return fmt.Errorf("%s space bound %d: low %g > high %g", what, i, s.Low[i], s.High[i])
		}
	}
	return nil
}

// inSpace reports whether v is a valid element of s.
func inSpace(s Space, v []float64) error {
	if err := s.Validate(v); err != nil {
		return err
	}
	if !s.Discrete {
		for i, x := range v {
			if x < s.Low[i] || x > s.High[i] {
				return fmt.Errorf("value %d = %g outside [%g, %g]", i, x, s.Low[i], s.High[i])
			}
		}
	}
	return nil
}

// step is one recorded transition.
type step struct {
	action, obs, state []float64
	reward             float64
	term, trunc        bool
}

// episode resets env with a generator seeded by seed and steps it n times
// (continuing after termination) with actions drawn from a generator seeded
// by seed+1. It returns the reset observation and state and the steps.
func (c *checker) episode(seed uint64, n int) (obs0, state0 []float64, steps []step) {
	env := c.env
	obs0 = env.Reset(rand.New(rand.NewPCG(seed, 0)))
	state0 = env.State()
	arng := rand.New(rand.NewPCG(seed, 1))
	as := env.ActionSpace()
	for i := 0; i < n; i++ {
		a := make([]float64, as.Dim())
		as.Sample(a, arng)
		obs, r, term, trunc := env.Step(a)
		steps = append(steps, step{action: a, obs: slices.Clone(obs), state: env.State(), reward: r, term: term, trunc: trunc})
	}
	return obs0, state0, steps
}

func (c *checker) run(rng *rand.Rand) {
	env := c.env
	os, as := env.ObservationSpace(), env.ActionSpace()
	if env.Name() == "" {
		c.fail("empty name")
	}
	if err := checkSpace("observation", os); err != nil {
		c.fail("%v", err)
	}
	if err := checkSpace("action", as); err != nil {
		c.fail("%v", err)
	}
	if env.MaxSteps() < 0 {
		c.fail("MaxSteps %d is negative", env.MaxSteps())
	}
	if len(c.errs) > 0 {
		return // the rest would only repeat these
	}
	arng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	a := make([]float64, as.Dim())
	for i := 0; i < 20; i++ {
		as.Sample(a, arng)
		if err := as.Validate(a); err != nil {
			c.fail("sampled action %v does not validate: %v", a, err)
			break
		}
	}

	// Episodes: long enough to reach MaxSteps, or 200 steps without a limit.
	n := env.MaxSteps()
	if n == 0 {
		n = 200
	}
	seed := rng.Uint64()
	obs0, state0, steps := c.episode(seed, n)
	c.checkObs("reset", obs0)
	if len(state0) != env.StateDim() {
		c.fail("State has %d values, StateDim is %d", len(state0), env.StateDim())
	}
	terminated := false
	for i, s := range steps {
		if len(s.obs) != os.Dim() {
			c.fail("step %d: observation has %d values, want %d", i+1, len(s.obs), os.Dim())
			break
		}
		if !terminated {
			c.checkObs(fmt.Sprintf("step %d", i+1), s.obs)
		}
		if math.IsNaN(s.reward) || math.IsInf(s.reward, 0) {
			c.fail("step %d: reward %g is not finite", i+1, s.reward)
		}
		if want := env.MaxSteps() > 0 && i+1 == env.MaxSteps(); s.trunc != want {
			c.fail("step %d: truncated = %v with MaxSteps %d", i+1, s.trunc, env.MaxSteps())
			break
		}
		terminated = terminated || s.term
	}

	// Same seed, same episode.
	obs1, state1, steps1 := c.episode(seed, n)
	if !slices.Equal(obs0, obs1) || !slices.Equal(state0, state1) {
		c.fail("Reset with the same seed gave %v (state %v) and %v (state %v)", obs0, state0, obs1, state1)
	} else {
		for i := range steps {
			s, t := steps[i], steps1[i]
			if !slices.Equal(s.obs, t.obs) || s.reward != t.reward || s.term != t.term || s.trunc != t.trunc {
				c.fail("same seed, step %d differs: %v %g %v %v vs %v %g %v %v", i+1, s.obs, s.reward, s.term, s.trunc, t.obs, t.reward, t.term, t.trunc)
				break
			}
		}
	}

	// SetState(State()) round trip, then the same episode from there.
	if obs, err := env.SetState(state0); err != nil {
		c.fail("SetState(State()) after Reset: %v", err)
	} else {
		if !slices.Equal(obs, obs0) {
			c.fail("SetState(State()) observation %v, Reset gave %v", obs, obs0)
		}
		if st := env.State(); !slices.Equal(st, state0) {
			c.fail("State after SetState(%v) is %v", state0, st)
		}
		for i, s := range steps {
			o, r, term, trunc := env.Step(s.action)
			if !slices.Equal(o, s.obs) || r != s.reward || term != s.term || trunc != s.trunc {
				c.fail("after SetState, step %d differs from the episode after Reset", i+1)
				break
			}
		}
	}
	if _, err := env.SetState(make([]float64, env.StateDim()+1)); err == nil {
		c.fail("SetState accepted a state of length %d", env.StateDim()+1)
	}

	c.checkDynamics(seed, steps)
}

func (c *checker) checkObs(where string, obs []float64) {
	if err := inSpace(c.env.ObservationSpace(), obs); err != nil {
		c.fail("%s: observation %v: %v", where, obs, err)
	}
}

// checkDynamics replays the first steps of the recorded episode through the
// known dynamics.
func (c *checker) checkDynamics(seed uint64, steps []step) {
	dyn, ok := DynamicsOf(c.env)
	if !ok {
		return
	}
	env := c.env
	n, m := dyn.StateDim(), dyn.ActionDim()
	if n != env.StateDim() {
		c.fail("Dynamics StateDim %d, env StateDim %d", n, env.StateDim())
		return
	}
	if dyn.ObsDim() != env.ObservationSpace().Dim() {
		c.fail("Dynamics ObsDim %d, observation space %d", dyn.ObsDim(), env.ObservationSpace().Dim())
		return
	}
	mapper, mapped := env.(ActionMapper)
	if !mapped && m != env.ActionSpace().Dim() {
		c.fail("Dynamics ActionDim %d, action space %d", m, env.ActionSpace().Dim())
		return
	}
	if lo, hi := dyn.ActionBounds(); len(lo) != m || len(hi) != m {
		c.fail("Dynamics ActionBounds have %d and %d values, want %d", len(lo), len(hi), m)
	}
	negCost := false
	if cr, ok := env.(CostReward); ok {
		negCost = cr.RewardIsNegCost()
	}

	env.Reset(rand.New(rand.NewPCG(seed, 0)))
	x := env.State()
	next, obs, back, u := make([]float64, n), make([]float64, dyn.ObsDim()), make([]float64, n), make([]float64, m)
	for i, s := range steps {
		if i == 50 || s.term {
			break
		}
		if mapped {
			mapper.DynamicsAction(u, s.action)
		} else {
			copy(u, s.action)
		}
		cost := dyn.Cost(x, u)
		dyn.Next(next, x, u)
		dyn.Obs(obs, next)
		if !checkCloseSlice(next, s.state) {
			c.fail("step %d: Dynamics Next %v, Step's state %v", i+1, next, s.state)
			return
		}
		if !checkCloseSlice(obs, s.obs) {
			c.fail("step %d: Dynamics Obs(Next) %v, Step's observation %v", i+1, obs, s.obs)
			return
		}
		if negCost && !checkClose(-cost, s.reward) {
			c.fail("step %d: -Cost = %g, reward %g", i+1, -cost, s.reward)
			return
		}
		dyn.StateFromObs(back, s.obs)
		dyn.Obs(obs, back)
		if !checkCloseSlice(obs, s.obs) {
			c.fail("step %d: Obs(StateFromObs(obs)) = %v, obs %v", i+1, obs, s.obs)
			return
		}
		x = s.state
	}
}
