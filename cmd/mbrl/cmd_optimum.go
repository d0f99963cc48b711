package main

import (
	"context"
	"errors"
	"fmt"

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

func (a *app) optimumCommand() cli.Command {
	return cli.Command{
		Name:    "optimum",
		Summary: "the best possible return: finite-horizon dynamic programming on a state grid, its greedy policy run from the starts of 'mbrl eval --seed S'",
		Usage:   "optimum --env pendulum [--seed S] [--episodes N] [--grid 512x513] [--actions 41] [--csv F]",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			o := &optimumOptions{Common: &b.Common, Episodes: 100, dp: dp.DefaultConfig()}
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
						return cli.Usagef("mbrl optimum: give --grid or --grid-theta/--grid-thetadot, not both")
					}
					p, err := dp.ParseGrid(o.Grid)
					if err != nil {
						return cli.Usagef("mbrl optimum: --grid: %v", err)
					}
					o.dp.Points = p
				}
				return a.runOptimum(b, o)
			}
		},
	}
}

func (a *app) runOptimum(b *cli.Binder, o *optimumOptions) error {
	if o.Episodes <= 0 {
		return cli.Usagef("mbrl optimum: --episodes must be positive, got %d", o.Episodes)
	}
	if o.dp.Workers < 0 {
		return cli.Usagef("mbrl optimum: --workers must be 0 (one per CPU) or more, got %d", o.dp.Workers)
	}
	env, makeEnv, err := b.MakeEnv(o.Env)
	if err != nil {
		return err
	}
	cfg := o.dp
	if err := cfg.Validate(); err != nil {
		return cli.Usagef("mbrl optimum: %v", err)
	}
	bar := cli.NewProgress(a.Stderr, env.MaxSteps(), "dynamic programming", a.IsTerminal && !o.Quiet)
	cfg.Progress = func(int, int) { bar.Add(1) }
	opt, err := dp.SolveAndEvaluate(env, makeEnv, cfg, common.EvalConfig{Episodes: o.Episodes, Seed: o.Seed})
	bar.Finish()
	if errors.Is(err, dp.ErrUnsupported) {
		return cli.Usagef("mbrl optimum: %v", err)
	} else if err != nil {
		return fmt.Errorf("mbrl optimum: %w", err)
	}
	res := opt.Eval
	if o.CSV != "" {
		if err := res.WriteReturnsCSV(o.CSV); err != nil {
			return err
		}
	}
	if !o.JSON {
		fmt.Fprintf(a.Stdout, "DP optimum on %s: grid %s, %d actions, %d steps, solved in %.1fs\n",
			o.Env, opt.Grid(), cfg.Actions, opt.Solution.Horizon(), opt.SolveSeconds)
		fmt.Fprintf(a.Stdout, "returns of the %d episodes of seed %d:\n", res.Episodes, o.Seed)
		for i, r := range res.Returns {
			sep := " "
			if i%10 == 9 || i == len(res.Returns)-1 {
				sep = "\n"
			}
			fmt.Fprintf(a.Stdout, "%8.2f%s", r, sep)
		}
		fmt.Fprintf(a.Stdout, "mean %.2f  std %.2f  min %.2f  max %.2f  median %.2f  (%.1fs)\n",
			res.Mean, res.Std, res.Min, res.Max, res.Median, opt.WallSeconds)
	}
	out := opt.Fields()
	out["command"], out["env"], out["seed"] = "optimum", o.Env, o.Seed
	return a.WriteJSON(o.JSON, out)
}
