package gps

import (
	"fmt"
	"math/rand/v2"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

// SystemFor returns the system GPS optimises trajectories on in env: its
// known dynamics when modelPath is "", otherwise the learned model
// "dynamics" of the checkpoint at modelPath (a dynamics model or an
// ensemble, used by its mean) with env's cost on observations
// (NewModelSystem: no known dynamics needed, e.g. gym:Pendulum-v1). The
// env needs continuous actions.
func SystemFor(env envs.Env, modelPath string) (System, error) {
	if env.ActionSpace().Discrete {
		return nil, fmt.Errorf("gps: env %q has discrete actions; GPS needs continuous ones (try cartpole-continuous)", env.Name())
	}
	if modelPath == "" {
		dyn, ok := envs.DynamicsOf(env)
		if !ok {
			return nil, fmt.Errorf("gps: env %q has no known dynamics to optimise trajectories on; use --model CKPT (from 'mbrl train model --env %s')", env.Name(), env.Name())
		}
		return NewTrueSystem(dyn), nil
	}
	if _, err := ObsCostOf(env); err != nil {
		return nil, err
	}
	m, err := common.LoadModel(modelPath, "dynamics", env.Name())
	if err != nil {
		return nil, fmt.Errorf("gps: %w (train one with 'mbrl train model')", err)
	}
	return NewModelSystem(m, env)
}

// NewPolicy returns a fresh policy for env (common.NewPolicyNet): squashed
// into finite action bounds, otherwise an unbounded MLPPolicy (with no
// hidden layer, the linear policy u = W'obs + b).
func NewPolicy(env envs.Env, hidden []int, rng *rand.Rand) (Policy, error) {
	det, mlp, err := common.NewPolicyNet(env, hidden, rng)
	if det != nil || err != nil {
		return det, err
	}
	return MLPPolicy{MLP: mlp}, nil
}

// InitialPlans returns Config.Init for env: zero controls and, for an env
// that hints an initial policy, its rollout (iLQR from zero controls ends
// in poor local optima on the pendulum). On known dynamics the hint is
// the state law of envs.PlanningHints (the pendulum's swing-up); on a
// learned model (onModel) that law reads the state from the observation
// (ObsPlan), and an env without known dynamics may hint a law on
// observations itself (envs.ObsHinter: gym:Pendulum-v1).
func InitialPlans(env envs.Env, onModel bool) []control.Generator {
	dyn, ok := envs.DynamicsOf(env)
	if ok {
		gens := control.InitialPlans(dyn)
		if onModel {
			for i, g := range gens {
				gens[i] = ObsPlan(g, dyn)
			}
		}
		return gens
	}
	gens := []control.Generator{control.ZeroPlan{}}
	if h, ok := env.(envs.ObsHinter); ok && onModel {
		if law := h.InitialObsPolicy(); law != nil {
			gens = append(gens, control.FeedbackPlan{Policy: law})
		}
	}
	return gens
}
