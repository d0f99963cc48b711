package policies

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/mpc"
)

// ErrNoDynamics is returned (wrapped) by Factory for a controller on an
// env without known dynamics (a gym: env): the message names the way out,
// a checkpoint.
var ErrNoDynamics = errors.New("no known dynamics")

// Factory returns a constructor of the policy named by spec for env, one
// per goroutine: a controller on the true dynamics (control.NewExpert
// with s) or the path of a checkpoint holding a policy (common.LoadPolicy)
// or the learned model of an mpc run (mpc.LoadPlannerPolicy). what names
// the spec in the error of an unknown one ("controller", "--expert").
func Factory(what, spec string, env envs.Env, s control.ExpertSettings) (func() (common.Policy, error), error) {
	switch {
	case control.IsExpert(spec):
		if _, ok := envs.DynamicsOf(env); !ok {
			return nil, fmt.Errorf("%s %s: %s has %w, which the controller plans on; give a checkpoint instead: a trained policy, or the final.safetensors of an 'mbrl train mpc' run on it (its planner on a learned model)",
				what, spec, env.Name(), ErrNoDynamics)
		}
		mk, err := control.NewExpert(spec, env, s)
		if err != nil {
			return nil, err
		}
		return func() (common.Policy, error) { return mk() }, nil
	case strings.HasSuffix(spec, ".safetensors"):
		if c, err := checkpoints.Load(spec); err == nil && c.Meta.Method == "mpc" {
			// A learned-model MPC run holds no policy: replay its planner.
			// The planner reads only env's spaces and cost, never steps it,
			// so every worker's policy may share env (also a gym: env).
			return mpc.LoadPlannerPolicy(spec, func() (envs.Env, error) { return env, nil })
		}
		return common.LoadPolicy(spec, env)
	}
	return nil, fmt.Errorf("unknown %s %q (valid: %s, or a policy checkpoint .safetensors)", what, spec, strings.Join(control.ExpertNames, ", "))
}

// Make builds the policy named by spec for env: "random" (uniform
// actions drawn from rng), "zero", or a controller or checkpoint
// (Factory; a controller plans with one warm-started plan).
func Make(spec string, env envs.Env, rng *rand.Rand) (common.Policy, error) {
	switch spec {
	case "random":
		return &common.RandomPolicy{Space: env.ActionSpace(), Rng: rng}, nil
	case "zero":
		return common.ZeroPolicy{}, nil
	}
	mk, err := Factory("policy", spec, env, control.ExpertSettings{Plans: 1})
	if err != nil {
		return nil, err
	}
	return mk()
}
