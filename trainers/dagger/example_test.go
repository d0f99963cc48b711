package dagger_test

import (
	"context"
	"fmt"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/dagger"
	"github.com/mbrl/mbrl/trainers/imitation"
)

// A DAgger run with a hand-written pendulum expert: every iteration runs
// two episodes of the mixture policy, labels all 400 visited states with
// the expert and retrains on the aggregate.
func Example() {
	expert := func() (common.Policy, error) {
		return common.PolicyFunc(func(u, obs []float64) { u[0] = max(-2, min(2, -3*obs[1]-0.5*obs[2])) }), nil
	}
	tr, err := dagger.New(config.With(dagger.DefaultConfig(), func(c *dagger.Config) {
		c.EvalExpert = false
		c.MakeEnv = func() (envs.Env, error) { return envs.Make("pendulum") }
		c.Expert = expert
		c.EpisodesPerIter = 2
		c.BetaDecay = 0.5
		c.Fit = config.With(imitation.DefaultFitConfig(), func(c *imitation.FitConfig) {
			c.Epochs = 2
		})
		c.Seed = 1
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()
	for i := range 3 {
		if _, err := tr.Iterate(context.Background(), i); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("iteration %d: beta %.2f, %d labels\n", i+1, tr.Beta(i), tr.Dataset().Len())
	}
	// Output:
	// iteration 1: beta 1.00, 400 labels
	// iteration 2: beta 0.50, 800 labels
	// iteration 3: beta 0.25, 1200 labels
}
