package dagger

import (
	"testing"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

// mpcExpert returns a factory of single-plan MPC experts on the true
// pendulum dynamics (what "mbrl train dagger --expert mpc" uses).
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

// pdExpert is a cheap stateless expert for pendulum observations
// [cos, sin, thdot]: u = clip(-3 sin(th) - 0.5 thdot, -2, 2). It does not
// swing up well; tests that only check bookkeeping use it.
func pdExpert() (common.Policy, error) {
	return common.PolicyFunc(pdAct), nil
}

func pdAct(dst, obs []float64) {
	dst[0] = max(-2, min(2, -3*obs[1]-0.5*obs[2]))
}

// weightsOf concatenates a model's parameters.
func weightsOf(m interface{ Params() []*nn.Param }) []float64 {
	var w []float64
	for _, p := range m.Params() {
		w = append(w, p.Data()...)
	}
	return w
}

func metricOf(t testing.TB, ms []common.Metric, name string) float64 {
	t.Helper()
	for _, m := range ms {
		if m.Name == name {
			return m.Value
		}
	}
	t.Fatalf("no metric %q in %v", name, ms)
	return 0
}
