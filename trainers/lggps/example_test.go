package lggps_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/gps"
	"github.com/mbrl/mbrl/trainers/lggps"
)

// Local-model GPS on the linear system, from samples alone: the
// trajectories reach the LQR cost within a few iterations and a linear
// policy is pulled onto them.
func Example() {
	mk := func() (envs.Env, error) { return envs.Make("linear") }
	env, _ := mk()
	cost, _ := lggps.CostOf(env)
	pol := gps.MLPPolicy{MLP: nn.NewMLP("policy", []int{2, 1}, nn.Identity, rand.New(rand.NewPCG(1, 0)))}
	cfg := lggps.DefaultConfig()
	cfg.Conditions, cfg.Horizon, cfg.Seed = 4, 50, 1
	cfg.MaxEnt = 0 // the controllers' noise may shrink: their samples then cost what LQR does
	tr, err := lggps.New(cfg, mk, cost, pol)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()
	get := func(ms []common.Metric, name string) float64 {
		for _, m := range ms {
			if m.Name == name {
				return m.Value
			}
		}
		return 0
	}
	var first, last []common.Metric
	for it := range 15 {
		ms, err := tr.Iterate(context.Background(), it)
		if err != nil {
			fmt.Println(err)
			return
		}
		if it == 0 {
			first = ms
		}
		last = ms
	}
	fmt.Printf("trajectory cost %.1f\n", get(last, "traj_cost"))
	fmt.Printf("violation fell more than 10x: %v\n", get(last, "violation") < get(first, "violation")/10)
	fmt.Printf("env steps %d\n", tr.EnvSteps())
	// Output:
	// trajectory cost 13.1
	// violation fell more than 10x: true
	// env steps 15000
}
