package common

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
)

// LoadModel loads the model called name from the checkpoint at path. A
// checkpoint written for an environment other than envName or its twin
// (envs.Twins: a built-in env and the Gymnasium env it reproduces) is
// refused (envName "" accepts any).
func LoadModel(path, name, envName string) (nn.Model, error) {
	c, err := checkpoints.Load(path)
	if err != nil {
		return nil, err
	}
	return modelOf(c, path, name, envName)
}

// modelOf builds the model called name of c, loaded from path, as
// LoadModel does.
func modelOf(c *checkpoints.Checkpoint, path, name, envName string) (nn.Model, error) {
	if envName != "" && c.Meta.Env != "" && !envs.Twins(c.Meta.Env, envName) {
		return nil, fmt.Errorf("%s was trained on %q, not %q", path, c.Meta.Env, envName)
	}
	if _, ok := c.Model(name); !ok {
		var names []string
		for _, m := range c.Meta.Models {
			names = append(names, m.Name)
		}
		return nil, fmt.Errorf("%s holds no model %q (models: %s)", path, name, strings.Join(names, ", "))
	}
	m, err := nn.LoadModel(c, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// LoadPolicy loads the policy of the checkpoint at path for env and
// returns a constructor of independent copies, one per goroutine: the
// model "policy" (deterministic, or Gaussian acted on by its mean) or, if
// there is none, the model "q" acted on greedily in its Q-values. A
// checkpoint of another env is accepted when it records env's observation
// and action spaces: a policy trained on gym:Pendulum-v1 acts on pendulum.
func LoadPolicy(path string, env envs.Env) (func() (Policy, error), error) {
	c, err := checkpoints.Load(path)
	if err != nil {
		return nil, err
	}
	envName := env.Name()
	if c.Meta.Env != envName && sameSpaces(c, env) {
		envName = ""
	}
	name := "policy"
	if _, ok := c.Model(name); !ok {
		if _, ok := c.Model("q"); !ok {
			_, err := modelOf(c, path, name, envName) // names the models it holds
			return nil, fmt.Errorf("%w; train a policy with 'mbrl train bc|dagger|plato|bptt|gps|dyna'", err)
		}
		name = "q"
	}
	m, err := modelOf(c, path, name, envName)
	if err != nil {
		return nil, err
	}
	obsDim, actDim := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	switch p := m.(type) {
	case *nn.DeterministicPolicy:
		if p.ObsDim() != obsDim || p.ActDim() != actDim {
			return nil, fmt.Errorf("%s: policy maps %d -> %d values, %s needs %d -> %d", path, p.ObsDim(), p.ActDim(), env.Name(), obsDim, actDim)
		}
		return func() (Policy, error) { return p.Clone(), nil }, nil
	case *nn.GaussianPolicy:
		return func() (Policy, error) { return PolicyFunc(p.Clone().Mean), nil }, nil
	case *nn.MLP: // GPS's policy on an env with unbounded actions (the linear env)
		if p.In() != obsDim || p.Out() != actDim {
			return nil, fmt.Errorf("%s: policy maps %d -> %d values, %s needs %d -> %d", path, p.In(), p.Out(), env.Name(), obsDim, actDim)
		}
		return func() (Policy, error) { return PolicyFunc(p.Clone().Forward), nil }, nil
	case *nn.QNetwork:
		return func() (Policy, error) {
			q := p.Clone()
			return PolicyFunc(func(dst, obs []float64) { dst[0] = float64(q.Greedy(obs)) }), nil
		}, nil
	}
	return nil, fmt.Errorf("%s: model %q is a %s, not a policy", path, name, m.Kind())
}

// sameSpaces reports whether c records env's observation and action
// spaces.
func sameSpaces(c *checkpoints.Checkpoint, env envs.Env) bool {
	var o, a envs.Space
	if json.Unmarshal(c.Meta.ObsSpace, &o) != nil || json.Unmarshal(c.Meta.ActionSpace, &a) != nil {
		return false
	}
	eq := func(x, y envs.Space) bool {
		return x.Discrete == y.Discrete && x.N == y.N && slices.Equal(x.Low, y.Low) && slices.Equal(x.High, y.High)
	}
	return eq(o, env.ObservationSpace()) && eq(a, env.ActionSpace())
}
