package main

import (
	"math/rand/v2"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/mpc"
)

// addExpertFlags binds the flags of the mpc controller to s.
func addExpertFlags(b *binder, s *control.ExpertSettings) {
	b.Bind("", s,
		row("plans", "Plans", "MPC candidate plans: 1 = a single smooth warm-started plan (fast; the better expert to imitate), >1 = a population (shifted previous plans plus fresh ones), the first action of the cheapest is applied"),
		row("mpc-horizon", "Horizon", "MPC planning horizon (0: 20 with one plan, 50 with a population)"),
		row("mpc-iters", "Iters", "iLQR iterations per MPC step (0: 2 with one plan, 3 with a population)"))
}

// policyFactory returns a constructor of the policy named by spec for env,
// one per goroutine: a controller on the true dynamics (lqr, ilqr, mpc) or
// the path of a checkpoint holding a policy (or a Q-network, acted on
// greedily, or the learned model of an mpc run, planned through). what names the flag for error messages.
func policyFactory(what, spec string, env envs.Env, s control.ExpertSettings) (func() (common.Policy, error), error) {
	switch {
	case control.IsExpert(spec):
		mk, err := control.NewExpert(spec, env, s)
		if err != nil {
			return nil, asUsage(err)
		}
		return func() (common.Policy, error) { return mk() }, nil
	case strings.HasSuffix(spec, ".safetensors"):
		if c, err := checkpoints.Load(spec); err == nil && c.Meta.Method == "mpc" {
			// A learned-model MPC run holds no policy: replay its planner.
			mk, err := mpc.LoadPlannerPolicy(spec, func() (envs.Env, error) { return envs.Make(env.Name()) })
			return mk, asUsage(err)
		}
		mk, err := common.LoadPolicy(spec, env)
		return mk, asUsage(err)
	}
	return nil, usagef("mbrl: unknown %s %q (valid: %s, or a policy checkpoint .safetensors)", what, spec, strings.Join(control.ExpertNames, ", "))
}

// makePolicy builds the policy named by spec for env: "random", "zero", a
// controller or a checkpoint (policyFactory).
func makePolicy(spec string, env envs.Env, rng *rand.Rand) (common.Policy, error) {
	switch spec {
	case "random":
		return &common.RandomPolicy{Space: env.ActionSpace(), Rng: rng}, nil
	case "zero":
		return common.ZeroPolicy{}, nil
	}
	mk, err := policyFactory("policy", spec, env, control.ExpertSettings{Plans: 1})
	if err != nil {
		return nil, err
	}
	return mk()
}
