package main

import (
	"math/rand/v2"
	"strings"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

// extraPolicyNames lists the policy names beyond random and zero that
// makePolicy understands (controllers); checkpoints are given by path.
func extraPolicyNames() []string { return nil }

// makePolicy builds the policy named by spec for env: "random", "zero", a
// controller name, or the path of a checkpoint holding a policy.
func (a *app) makePolicy(spec string, env envs.Env, rng *rand.Rand) (common.Policy, error) {
	switch spec {
	case "random":
		return &common.RandomPolicy{Space: env.ActionSpace(), Rng: rng}, nil
	case "zero":
		return common.ZeroPolicy{}, nil
	}
	return nil, usagef("mbrl: unknown policy %q (valid: random, zero%s, or a checkpoint path)", spec, prefixJoin(extraPolicyNames()))
}

func prefixJoin(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return ", " + strings.Join(names, ", ")
}
