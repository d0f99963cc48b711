package dp_test

import (
	"math"
	"testing"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/control/dp"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

// evalStarts evaluates a policy on the pendulum starts of
// "mbrl eval --seed seed --episodes n".
func evalStarts(t *testing.T, mk func() (common.Policy, error), seed uint64, n int) common.EvalResult {
	t.Helper()
	res, err := common.Evaluate(func() (envs.Env, error) { return envs.Make("pendulum") }, mk,
		common.EvalConfig{Episodes: n, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestOptimality checks the two claims of the DP optimum on the first 10
// starts of "mbrl eval --seed 11": a finer grid never does worse, and the
// DP return is at least the population MPC's (16 plans, as "mbrl eval
// --controller mpc" builds it) minus 0.5%.
//
// Tolerance of the grid comparison: the greedy policy compares actions
// through interpolated values, and a different grid moves the interpolation
// error, so a single episode can flip an action at a switching boundary
// either way. Measured on these starts the mean improves by 0.7% from 64 to
// 128 points and 0.2% from 128 to 256 (every episode improved); a drop of
// more than 0.1% of the mean (0.16) would be a real regression.
//
// The MPC bar uses the 256x257 grid to keep the test fast: it is already
// better than the MPC here (-161.7 against -162.0), and the default grid is
// better still.
func TestOptimality(t *testing.T) {
	if testing.Short() {
		t.Skip("solves three grids and runs the MPC on 10 starts")
	}
	const seed, episodes = 11, 10
	env := envs.NewPendulum()
	var prev common.EvalResult
	for i, n := range []int{64, 128, 256} {
		cfg := dp.DefaultConfig()
		cfg.Points = [2]int{n, n + 1}
		sol, err := dp.SolveEnv(env, cfg)
		if err != nil {
			t.Fatal(err)
		}
		res := evalStarts(t, func() (common.Policy, error) { return sol.NewPolicy(), nil }, seed, episodes)
		t.Logf("grid %dx%d: mean %.3f", n, n+1, res.Mean)
		if i > 0 && res.Mean < prev.Mean-1e-3*math.Abs(prev.Mean) {
			t.Errorf("grid %dx%d: mean %.3f is worse than the coarser grid's %.3f by more than 0.1%%", n, n+1, res.Mean, prev.Mean)
		}
		prev = res
	}
	mk, err := control.NewExpert("mpc", env, control.ExpertSettings{Plans: 16})
	if err != nil {
		t.Fatal(err)
	}
	ref := evalStarts(t, func() (common.Policy, error) { return mk() }, seed, episodes)
	t.Logf("population MPC: mean %.3f", ref.Mean)
	if bar := ref.Mean - 5e-3*math.Abs(ref.Mean); prev.Mean < bar {
		t.Errorf("DP mean %.3f < population MPC %.3f minus 0.5%% (%.3f)", prev.Mean, ref.Mean, bar)
	}
}
