package lggps

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/gps"
)

// linearSetup returns a constructor of the linear env, its cost and a
// linear policy.
func linearSetup(seed uint64) (func() (envs.Env, error), CostFunc, gps.Policy) {
	mk := func() (envs.Env, error) { return envs.Make("linear") }
	env, _ := mk()
	cost, _ := CostOf(env)
	pol := gps.MLPPolicy{MLP: nn.NewMLP("policy", []int{2, 1}, nn.Identity, rand.New(rand.NewPCG(seed, 0)))}
	return mk, cost, pol
}

// pendulumSetup returns a constructor of pendulum, its cost and a small
// bounded policy.
func pendulumSetup(t testing.TB, seed uint64) (func() (envs.Env, error), CostFunc, gps.Policy) {
	t.Helper()
	mk := func() (envs.Env, error) { return envs.Make("pendulum") }
	env, _ := mk()
	cost, _ := CostOf(env)
	pol, err := nn.NewDeterministicPolicy("policy", nn.PolicyArch{ObsDim: 3, ActDim: 1, Hidden: []int{16}, Activation: nn.Tanh,
		Low: []float64{-2}, High: []float64{2}}, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return mk, cost, pol
}

// spyEnv is an env whose known dynamics count every call the trainer must
// not make (the dynamics, their Jacobians and the cost derivatives).
type spyEnv struct {
	envs.Env
	dyn *spyDynamics
}

func (e *spyEnv) Dynamics() envs.Dynamics { return e.dyn }

type spyDynamics struct {
	envs.Dynamics
	calls *int
}

func (d *spyDynamics) Next(dst, x, u []float64) { *d.calls++; d.Dynamics.Next(dst, x, u) }
func (d *spyDynamics) Jacobians(fx, fu, x, u []float64) {
	*d.calls++
	d.Dynamics.Jacobians(fx, fu, x, u)
}
func (d *spyDynamics) CostDerivs(c *envs.CostDerivs, x, u []float64) {
	*d.calls++
	d.Dynamics.CostDerivs(c, x, u)
}
func (d *spyDynamics) StateFromObs(dst, obs []float64) { *d.calls++; d.Dynamics.StateFromObs(dst, obs) }
func (d *spyDynamics) GraphNext(x, u *G.Node) (*G.Node, error) {
	*d.calls++
	return d.Dynamics.GraphNext(x, u)
}
func (d *spyDynamics) GraphCost(x, u *G.Node) (*G.Node, error) {
	*d.calls++
	return d.Dynamics.GraphCost(x, u)
}
