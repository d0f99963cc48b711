package common

import (
	"math/rand/v2"

	"github.com/mbrl/mbrl/envs"
)

// Transition is one environment step: the observation before the action,
// the action, the reward, the next observation and the episode flags.
type Transition struct {
	Obs, Action, NextObs  []float64
	Reward                float64
	Terminated, Truncated bool
}

// Episode summarises one rollout.
type Episode struct {
	Return                float64
	Steps                 int
	Terminated, Truncated bool
}

// RolloutConfig controls Rollout. The zero value runs one episode from the
// env's reset distribution until it terminates or is truncated.
type RolloutConfig struct {
	// Init, if set, is the initial internal state (env.SetState) instead of
	// a draw from the reset distribution.
	Init []float64
	// MaxSteps stops the episode early when > 0 (a safety cap for envs
	// without a limit); such an episode is reported as truncated.
	MaxSteps int
	// OnStep, if set, receives every transition; its slices are reused
	// between calls, so copy what you keep.
	OnStep func(t int, tr *Transition)
}

// Rollout runs one episode of pol in env. rng drives the env's reset; a
// policy that implements Resetter is reset with a stream split from rng.
// A fault of env (envs.Err) ends the episode with that error.
func Rollout(env envs.Env, pol Policy, rng *rand.Rand, cfg RolloutConfig) (Episode, error) {
	var obs []float64
	if cfg.Init != nil {
		o, err := env.SetState(cfg.Init)
		if err != nil {
			return Episode{}, err
		}
		obs = o
	} else {
		obs = env.Reset(rng)
	}
	if err := envs.Err(env); err != nil {
		return Episode{}, err
	}
	if r, ok := pol.(Resetter); ok {
		r.Reset(rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
	}
	act := make([]float64, env.ActionSpace().Dim())
	tr := Transition{Obs: obs, Action: act}
	var ep Episode
	for t := 0; ; t++ {
		pol.Act(act, obs)
		next, r, term, trunc := env.Step(act)
		if err := envs.Err(env); err != nil {
			return ep, err
		}
		if cfg.MaxSteps > 0 && t+1 >= cfg.MaxSteps && !term {
			trunc = true
		}
		ep.Return += r
		ep.Steps++
		if cfg.OnStep != nil {
			tr.Obs, tr.NextObs, tr.Reward, tr.Terminated, tr.Truncated = obs, next, r, term, trunc
			cfg.OnStep(t, &tr)
		}
		obs = next
		if term || trunc {
			ep.Terminated, ep.Truncated = term, trunc
			return ep, nil
		}
	}
}
