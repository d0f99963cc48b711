package dp_test

import (
	"fmt"
	"math"

	"github.com/mbrl/mbrl/control/dp"
	"github.com/mbrl/mbrl/envs"
)

// ExampleSolveEnv solves Pendulum-v1 on a coarse grid and runs the greedy
// policy from hanging straight down: it swings up and balances.
func ExampleSolveEnv() {
	env := envs.NewPendulum()
	cfg := dp.DefaultConfig()
	cfg.Points = [2]int{64, 65} // coarse, for speed; the default is 512x513
	sol, err := dp.SolveEnv(env, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	pol := sol.NewPolicy()
	pol.Reset(nil)
	obs, _ := env.SetState([]float64{math.Pi, 0})
	u := make([]float64, 1)
	for done := false; !done; {
		pol.Act(u, obs)
		obs, _, _, done = env.Step(u)
	}
	th := envs.AngleNormalize(env.State()[0])
	fmt.Printf("%d steps, upright at the end: %v\n", pol.Step(), math.Abs(th) < 0.05)
	// Output: 200 steps, upright at the end: true
}
