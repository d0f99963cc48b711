package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

// extraPolicyNames lists the policy names beyond random and zero that
// makePolicy understands (controllers on the true dynamics); checkpoints are
// given by path.
func extraPolicyNames() []string { return controllerNames }

// makePolicy builds the policy named by spec for env: "random", "zero", a
// controller name (lqr, ilqr, mpc), or the path of a checkpoint holding a
// policy (or a Q-network, acted on greedily).
func (a *app) makePolicy(spec string, env envs.Env, rng *rand.Rand) (common.Policy, error) {
	switch spec {
	case "random":
		return &common.RandomPolicy{Space: env.ActionSpace(), Rng: rng}, nil
	case "zero":
		return common.ZeroPolicy{}, nil
	}
	if isController(spec) {
		mk, err := a.controllerFactory(spec, env, controllerOptions{Plans: 1})
		if err != nil {
			return nil, err
		}
		return mk()
	}
	if strings.HasSuffix(spec, ".safetensors") {
		mk, err := checkpointPolicy(spec, env)
		if err != nil {
			return nil, err
		}
		return mk()
	}
	return nil, usagef("mbrl: unknown policy %q (valid: random, zero%s, or a .safetensors checkpoint path)", spec, prefixJoin(extraPolicyNames()))
}

func prefixJoin(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return ", " + strings.Join(names, ", ")
}

// checkpointPolicy loads the policy stored in the checkpoint at path (model
// "policy": deterministic, or Gaussian acted on by its mean; or model "q":
// greedy in its Q-values) and returns a constructor of independent copies,
// one per goroutine. The checkpoint's spaces must match env's.
func checkpointPolicy(path string, env envs.Env) (func() (common.Policy, error), error) {
	c, err := checkpoints.Load(path)
	if err != nil {
		return nil, asUsage(err)
	}
	if c.Meta.Env != "" && c.Meta.Env != env.Name() {
		return nil, usagef("mbrl: %s was trained on %q, not %q", path, c.Meta.Env, env.Name())
	}
	name := "policy"
	if _, ok := c.Model(name); !ok {
		if _, ok := c.Model("q"); ok {
			name = "q"
		} else {
			var names []string
			for _, m := range c.Meta.Models {
				names = append(names, m.Name)
			}
			return nil, usagef("mbrl: %s holds no policy (models: %s); train one with 'mbrl train bc|dagger|plato|bptt|gps|dyna'", path, strings.Join(names, ", "))
		}
	}
	m, err := nn.LoadModel(c, name)
	if err != nil {
		return nil, asUsage(fmt.Errorf("mbrl: %s: %w", path, err))
	}
	obsDim, actSpace := env.ObservationSpace().Dim(), env.ActionSpace()
	switch p := m.(type) {
	case *nn.DeterministicPolicy:
		if p.ObsDim() != obsDim || p.ActDim() != actSpace.Dim() {
			return nil, usagef("mbrl: %s: policy maps %d -> %d values, %s needs %d -> %d", path, p.ObsDim(), p.ActDim(), env.Name(), obsDim, actSpace.Dim())
		}
		return func() (common.Policy, error) { return p.Clone(), nil }, nil
	case *nn.GaussianPolicy:
		return func() (common.Policy, error) {
			q := p.Clone()
			return common.PolicyFunc(q.Mean), nil
		}, nil
	case *nn.QNetwork:
		return func() (common.Policy, error) {
			q := p.Clone()
			return common.PolicyFunc(func(dst, obs []float64) { dst[0] = float64(q.Greedy(obs)) }), nil
		}, nil
	}
	return nil, usagef("mbrl: %s: model %q is a %s, not a policy", path, name, m.Kind())
}
