package dp

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

// ParseGrid parses the grid points "N0xN1" (e.g. "512x513") of
// Config.Points.
func ParseGrid(s string) ([2]int, error) {
	var p [2]int
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "x")
	if len(parts) != 2 {
		return p, fmt.Errorf("dp: grid %q is not N0xN1 (e.g. 512x513)", s)
	}
	for i, part := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return p, fmt.Errorf("dp: grid %q is not N0xN1 (e.g. 512x513)", s)
		}
		p[i] = n
	}
	return p, nil
}

// Optimum is the solution of an env and the evaluation of its greedy
// policy.
type Optimum struct {
	Solution *Solution
	Eval     common.EvalResult
	// SolveSeconds is the wall time of the solve, WallSeconds that of the
	// solve and the evaluation.
	SolveSeconds, WallSeconds float64
}

// SolveAndEvaluate solves env with cfg (SolveEnv) and evaluates the
// greedy policy on the episodes of eval (common.Evaluate), so its returns
// are those of any policy evaluated with the same seed: the best possible
// return on those starts, up to the grid's resolution. eval.Workers 0
// takes cfg.Workers.
func SolveAndEvaluate(env envs.Env, makeEnv func() (envs.Env, error), cfg Config, eval common.EvalConfig) (*Optimum, error) {
	t0 := time.Now()
	sol, err := SolveEnv(env, cfg)
	if err != nil {
		return nil, err
	}
	o := &Optimum{Solution: sol, SolveSeconds: time.Since(t0).Seconds()}
	if eval.Workers == 0 {
		eval.Workers = cfg.Workers
	}
	o.Eval, err = common.Evaluate(makeEnv, func() (common.Policy, error) { return sol.NewPolicy(), nil }, eval)
	if err != nil {
		return nil, err
	}
	o.WallSeconds = time.Since(t0).Seconds()
	return o, nil
}

// Grid returns the grid points as "N0xN1".
func (o *Optimum) Grid() string {
	p := o.Solution.Config().Points
	return fmt.Sprintf("%dx%d", p[0], p[1])
}

// Fields returns the evaluation's statistics and returns, the solution's
// grid, actions and horizon, and the times, as summary fields.
func (o *Optimum) Fields() map[string]any {
	r := o.Eval
	return map[string]any{
		"episodes": r.Episodes, "mean_return": r.Mean, "std": r.Std, "min": r.Min, "max": r.Max, "median": r.Median,
		"returns": r.Returns, "grid": o.Grid(), "actions": o.Solution.Config().Actions, "horizon": o.Solution.Horizon(),
		"solve_seconds": o.SolveSeconds, "wall_seconds": o.WallSeconds,
	}
}
