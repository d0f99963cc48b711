package dynaq_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/dynaq"
)

// ExampleRun learns the Dyna maze with 50 planning steps per real step and
// follows the greedy policy, which takes the 14-step shortest path.
func ExampleRun() {
	env := envs.NewMaze()
	res, err := dynaq.Run(env, config.With(dynaq.DefaultConfig(), func(c *dynaq.Config) {
		c.PlanningSteps = 50
	}), rand.New(rand.NewPCG(1, 0)), nil)
	if err != nil {
		panic(err)
	}
	length, err := dynaq.GreedyPath(env, res.Q, rand.New(rand.NewPCG(1, 1)), 0)
	if err != nil {
		panic(err)
	}
	fmt.Println("episodes:", len(res.StepsPerEpisode))
	fmt.Println("greedy path:", length, "steps")
	// Output:
	// episodes: 50
	// greedy path: 14 steps
}

// ExampleRunMany compares planning steps as in Figure 8.2: mean steps of
// the second episode over 30 runs.
func ExampleRunMany() {
	makeEnv := func() (envs.Env, error) { return envs.NewMaze(), nil }
	curves, err := dynaq.RunMany(makeEnv, []int{0, 5, 50}, 30, config.With(dynaq.DefaultConfig(), func(c *dynaq.Config) {
		c.Episodes = 2
	}), 1, 0)
	if err != nil {
		panic(err)
	}
	for _, n := range []int{0, 5, 50} {
		fmt.Printf("n=%d: %.0f steps\n", n, curves[n][1])
	}
	// Output:
	// n=0: 769 steps
	// n=5: 148 steps
	// n=50: 40 steps
}
