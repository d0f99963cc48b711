package plato

import (
	"testing"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

// mpcExpert returns a factory of single-plan MPC experts on the true
// pendulum dynamics (PLATO's labelling expert, lambda = 0).
func mpcExpert(t testing.TB, s control.MPCSettings) func() (common.Policy, error) {
	t.Helper()
	dyn := envs.PendulumDynamics{}
	s.Low, s.High = dyn.ActionBounds()
	c, err := control.NewMPC(dyn, dyn, &s)
	if err != nil {
		t.Fatal(err)
	}
	proto := c.ObsPolicy(dyn)
	return func() (common.Policy, error) { return proto.Clone(), nil }
}

func makePendulum() (envs.Env, error) { return envs.Make("pendulum") }
