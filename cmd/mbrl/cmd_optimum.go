package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/control/dp"
	"github.com/mbrl/mbrl/trainers/common"
)

// optimumOptions are the flags of "mbrl optimum".
type optimumOptions struct {
	*cli.Common
	Env      string
	Episodes int
	Grid     string
	CSV      string
	// Points are the grid points per state dimension (dp.Config.Points).
	Theta, Thetadot int
	dp              dp.Config
}

func optimumCommand() command {
	return command{
		name:    "optimum",
		summary: "the best possible return: finite-horizon dynamic programming on a state grid, its greedy policy run from the starts of 'mbrl eval --seed S'",
		usage:   "optimum --env pendulum [--seed S] [--episodes N] [--grid 512x513] [--actions 41] [--csv F]",
		flags: func(a *app, b *binder) func(context.Context, []string) error {
			o := &optimumOptions{Common: &b.common, Episodes: 100, dp: dp.DefaultConfig()}
			o.Theta, o.Thetadot = o.dp.Points[0], o.dp.Points[1]
			b.Bind("", o,
				row("env", "Env", "environment with known dynamics, a 2-D state and one continuous action (pendulum)"),
				row("episodes", "Episodes", "episodes from random starts (episode i's start depends only on --seed and i, as in 'mbrl eval')"),
				row("grid", "Grid", "grid points as N0xN1, e.g. 512x513: shorthand for --grid-theta N0 --grid-thetadot N1"),
				row("csv", "CSV", "write the per-episode returns to this CSV file (columns episode, return)"),
				row("grid-theta", "Theta", "grid points of the first state dimension (the pendulum's angle, periodic)"),
				row("grid-thetadot", "Thetadot", "grid points of the second state dimension (the pendulum's speed, bounded)"))
			b.Bind("dp", &o.dp,
				row("actions", "Actions", "actions evenly spaced over the action bounds, both bounds included"),
				row("workers", "Workers", "goroutines of the solve and of the episodes (0: one per CPU); results do not depend on it"))
			return func(ctx context.Context, _ []string) error {
				o.dp.Points = [2]int{o.Theta, o.Thetadot}
				if o.Grid != "" {
					if b.Given("grid-theta") || b.Given("grid-thetadot") {
						return usagef("mbrl optimum: give --grid or --grid-theta/--grid-thetadot, not both")
					}
					p, err := parseGrid(o.Grid)
					if err != nil {
						return err
					}
					o.dp.Points = p
				}
				return a.runOptimum(b, o)
			}
		},
	}
}

// parseGrid parses "N0xN1".
func parseGrid(s string) ([2]int, error) {
	var p [2]int
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "x")
	if len(parts) != 2 {
		return p, usagef("mbrl optimum: --grid %q is not N0xN1 (e.g. 512x513)", s)
	}
	for i, part := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return p, usagef("mbrl optimum: --grid %q is not N0xN1 (e.g. 512x513)", s)
		}
		p[i] = n
	}
	return p, nil
}

func (a *app) runOptimum(b *binder, o *optimumOptions) error {
	if o.Episodes <= 0 {
		return usagef("mbrl optimum: --episodes must be positive, got %d", o.Episodes)
	}
	if o.dp.Workers < 0 {
		return usagef("mbrl optimum: --workers must be 0 (one per CPU) or more, got %d", o.dp.Workers)
	}
	env, makeEnv, err := b.makeEnv(o.Env)
	if err != nil {
		return err
	}
	cfg := o.dp
	if err := cfg.Validate(); err != nil {
		return usagef("mbrl optimum: %v", err)
	}
	t0 := time.Now()
	bar := cli.NewProgress(a.stderr, env.MaxSteps(), "dynamic programming", a.isTerminal && !o.Quiet)
	cfg.Progress = func(int, int) { bar.Add(1) }
	sol, err := dp.SolveEnv(env, cfg)
	bar.Finish()
	if err != nil {
		if errors.Is(err, dp.ErrUnsupported) {
			return usagef("mbrl optimum: %v", err)
		}
		return fmt.Errorf("mbrl optimum: %w", err)
	}
	solve := time.Since(t0).Seconds()
	res, err := common.Evaluate(makeEnv,
		func() (common.Policy, error) { return sol.NewPolicy(), nil },
		common.EvalConfig{Episodes: o.Episodes, Seed: o.Seed, Workers: cfg.Workers})
	if err != nil {
		return fmt.Errorf("mbrl optimum: %w", err)
	}
	wall := time.Since(t0).Seconds()
	grid := fmt.Sprintf("%dx%d", cfg.Points[0], cfg.Points[1])
	if o.CSV != "" {
		if err := writeReturnsCSV(o.CSV, res.Returns); err != nil {
			return err
		}
	}
	if !o.JSON {
		fmt.Fprintf(a.stdout, "DP optimum on %s: grid %s, %d actions, %d steps, solved in %.1fs\n",
			o.Env, grid, cfg.Actions, sol.Horizon(), solve)
		fmt.Fprintf(a.stdout, "returns of the %d episodes of seed %d:\n", res.Episodes, o.Seed)
		for i, r := range res.Returns {
			sep := " "
			if i%10 == 9 || i == len(res.Returns)-1 {
				sep = "\n"
			}
			fmt.Fprintf(a.stdout, "%8.2f%s", r, sep)
		}
		fmt.Fprintf(a.stdout, "mean %.2f  std %.2f  min %.2f  max %.2f  median %.2f  (%.1fs)\n",
			res.Mean, res.Std, res.Min, res.Max, res.Median, wall)
	}
	return a.writeJSON(o.JSON, map[string]any{
		"command": "optimum", "env": o.Env, "seed": o.Seed, "episodes": res.Episodes,
		"mean_return": res.Mean, "std": res.Std, "min": res.Min, "max": res.Max, "median": res.Median,
		"returns": res.Returns, "grid": grid, "actions": cfg.Actions, "horizon": sol.Horizon(),
		"solve_seconds": solve, "wall_seconds": wall,
	})
}

// writeReturnsCSV writes one row per episode: episode, return (exact
// decimal), atomically.
func writeReturnsCSV(path string, returns []float64) error {
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	_ = w.Write([]string{"episode", "return"})
	for i, r := range returns {
		_ = w.Write([]string{strconv.Itoa(i), strconv.FormatFloat(r, 'g', -1, 64)})
	}
	w.Flush()
	return checkpoints.WriteFileAtomic(path, []byte(sb.String()))
}
