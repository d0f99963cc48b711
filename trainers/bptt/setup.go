package bptt

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

// SystemFor returns the system BPTT differentiates through on env: its
// known dynamics (state rollout) when modelPath is "", otherwise the
// learned dynamics model "dynamics" of the checkpoint at modelPath
// (observation rollout, with env's cost on observations, ObsCostOf: no
// known dynamics needed, e.g. gym:Pendulum-v1). The env needs continuous
// actions.
func SystemFor(env envs.Env, modelPath string) (System, error) {
	if env.ActionSpace().Discrete {
		return nil, fmt.Errorf("bptt: env %q has discrete actions; BPTT needs continuous ones", env.Name())
	}
	if modelPath == "" {
		dyn, ok := envs.DynamicsOf(env)
		if !ok {
			return nil, fmt.Errorf("bptt: env %q has no known dynamics to differentiate through; differentiate through a learned model instead: --model CKPT from 'mbrl train model --env %s'", env.Name(), env.Name())
		}
		return TrueSystem{Dyn: dyn}, nil
	}
	cost, err := ObsCostOf(env)
	if err != nil {
		return nil, err
	}
	m, err := common.LoadModel(modelPath, "dynamics", env.Name())
	if err != nil {
		return nil, fmt.Errorf("bptt: %w (train one with 'mbrl train model')", err)
	}
	dm, ok := m.(*nn.DynamicsModel)
	if !ok {
		return nil, fmt.Errorf("bptt: %s: model \"dynamics\" is a %s, want a dynamics model", modelPath, m.Kind())
	}
	no, na := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	if dm.ObsDim() != no || dm.ActDim() != na {
		return nil, fmt.Errorf("bptt: dynamics model maps (obs %d, act %d), the env has obs %d and act %d",
			dm.ObsDim(), dm.ActDim(), no, na)
	}
	return NewModelSystem(dm, cost)
}

// NewPolicy returns a fresh policy for env (common.NewPolicyNet): squashed
// into finite action bounds, otherwise an unbounded MLPPolicy.
func NewPolicy(env envs.Env, hidden []int, rng *rand.Rand) (Policy, error) {
	det, mlp, err := common.NewPolicyNet(env, hidden, rng)
	if det != nil || err != nil {
		return det, err
	}
	return MLPPolicy{MLP: mlp}, nil
}

// PolicyOf adapts a loaded model to a Policy for obsDim observations and
// actDim actions: a deterministic policy, an MLP (unbounded) or a Gaussian
// policy's mean.
func PolicyOf(m nn.Model, obsDim, actDim int) (Policy, error) {
	switch q := m.(type) {
	case *nn.DeterministicPolicy:
		if q.ObsDim() != obsDim || q.ActDim() != actDim {
			return nil, fmt.Errorf("bptt: the policy maps %d observations to %d actions, the env has %d and %d", q.ObsDim(), q.ActDim(), obsDim, actDim)
		}
		return q, nil
	case *nn.MLP:
		if q.In() != obsDim || q.Out() != actDim {
			return nil, fmt.Errorf("bptt: the policy maps %d inputs to %d outputs, the env has %d and %d", q.In(), q.Out(), obsDim, actDim)
		}
		return MLPPolicy{MLP: q}, nil
	case *nn.GaussianPolicy:
		return q.MeanPolicy(), nil
	}
	return nil, errors.New("bptt: model \"policy\" is a " + string(m.Kind()) + "; need a deterministic, Gaussian (mean) or MLP policy")
}

// ClonePolicy returns an independent copy of p for an evaluation worker.
func ClonePolicy(p Policy) common.Policy {
	switch q := p.(type) {
	case *nn.DeterministicPolicy:
		return q.Clone()
	case MLPPolicy:
		return MLPPolicy{MLP: q.Clone()}
	}
	return p
}

// LoadPolicy loads the model "policy" of the checkpoint at path as a
// Policy for env (PolicyOf).
func LoadPolicy(path string, env envs.Env) (Policy, error) {
	m, err := common.LoadModel(path, "policy", "")
	if err != nil {
		return nil, err
	}
	return PolicyOf(m, env.ObservationSpace().Dim(), env.ActionSpace().Dim())
}
