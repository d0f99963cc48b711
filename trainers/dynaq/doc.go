// Package dynaq implements tabular Dyna-Q (Sutton 1990; Sutton & Barto,
// Reinforcement Learning: An Introduction, 2nd ed., section 8.2, the boxed
// "Tabular Dyna-Q" algorithm) for any environment with discrete observation
// and action spaces, such as the Dyna maze of Example 8.1.
//
// Each real step does direct RL (a one-step Q-learning update), model
// learning (a deterministic table of the last reward and next state seen for
// each state-action pair) and n planning steps (Q-learning updates on
// transitions replayed from the model). With n = 0 it is plain Q-learning.
//
//	env := envs.NewMaze()
//	cfg := dynaq.DefaultConfig() // the book's alpha, epsilon, gamma
//	cfg.PlanningSteps = 50
//	res, err := dynaq.Run(env, cfg, rand.New(rand.NewPCG(1, 0)), nil)
//	// res.StepsPerEpisode[ep], res.Q[s*numActions+a]
//	length, err := dynaq.GreedyPath(env, res.Q, rand.New(rand.NewPCG(1, 1)), 0) // 14 on the maze
//
// RunMany repeats Run over independent seeded runs for several values of n
// and averages the steps per episode, the experiment of Figure 8.2:
//
//	curves, err := dynaq.RunMany(makeEnv, []int{0, 5, 50}, 30, dynaq.DefaultConfig(), 1, 0)
//	// curves[50][ep] is the mean number of steps of episode ep with n = 50
//
// The package does not print; Run reports each finished episode through its
// callback. It has no package-level mutable state and all randomness comes
// from the *rand.Rand passed in.
package dynaq
