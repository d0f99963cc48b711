package plato_test

import (
	"fmt"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/plato"
)

// PLATO's KL weight over 5 iterations with the linear schedule: the
// teacher is the plain MPC expert at the first iteration and is pulled
// towards the learner with the full weight at the last.
func ExampleTrainer_KLWeight() {
	dyn := envs.PendulumDynamics{}
	low, high := dyn.ActionBounds()
	mpc, err := control.NewMPC(dyn, dyn, &control.MPCSettings{Low: low, High: high})
	if err != nil {
		fmt.Println(err)
		return
	}
	expert := mpc.ObsPolicy(dyn)
	tr, err := plato.New(config.With(plato.DefaultConfig(), func(c *plato.Config) {
		c.EvalExpert = false
		c.MakeEnv = func() (envs.Env, error) { return envs.Make("pendulum") }
		c.Expert = func() (common.Policy, error) { return expert.Clone(), nil }
		c.Dynamics = dyn
		c.KLWeight = 0.02
		c.Schedule = plato.Linear
		c.Iters = 5
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()
	for i := range 5 {
		fmt.Printf("%.3f ", tr.KLWeight(i))
	}
	fmt.Println()
	// Output:
	// 0.000 0.005 0.010 0.015 0.020
}
