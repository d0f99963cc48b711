package main

import (
	"context"
	"fmt"
	"time"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/policies"
)

// evalOptions are the flags of "mbrl eval".
type evalOptions struct {
	*cli.Common
	Env        string
	Checkpoint string
	Controller string
	Episodes   int
	Workers    int
	ctl        control.ExpertSettings
}

func (a *app) evalCommand() cli.Command {
	return cli.Command{
		Name:    "eval",
		Summary: "evaluate a policy checkpoint or an optimal controller over N episodes from random starts: mean, std, min, median and max of the return",
		Usage:   "eval --env E (--checkpoint CKPT | --controller lqr|ilqr|mpc|dp) [--episodes N]",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			o := &evalOptions{Common: &b.Common, Episodes: 100, ctl: control.ExpertSettings{Plans: 16}}
			b.Bind("", o,
				row("env", "Env", "environment name (see 'mbrl envs'; default: the checkpoint's env)"),
				row("checkpoint", "Checkpoint", "policy checkpoint (.safetensors) to evaluate"),
				row("controller", "Controller", "controller on the env's true dynamics: lqr | ilqr | mpc | dp (the grid DP optimum of 'mbrl optimum')"),
				row("episodes", "Episodes", "episodes from random starts (episode i's start depends only on --seed and i)"),
				row("workers", "Workers", "parallel episodes (0: one per CPU); results do not depend on it"))
			addExpertFlags(b, &o.ctl)
			return func(context.Context, []string) error { return a.runEval(b, o) }
		},
	}
}

func (a *app) runEval(b *cli.Binder, o *evalOptions) error {
	switch {
	case (o.Checkpoint == "") == (o.Controller == ""):
		return cli.Usagef("mbrl eval: give exactly one of --checkpoint CKPT or --controller lqr|ilqr|mpc")
	case o.Episodes <= 0:
		return cli.Usagef("mbrl eval: --episodes must be positive, got %d", o.Episodes)
	case o.Workers < 0:
		return cli.Usagef("mbrl eval: --workers must be 0 (one per CPU) or more, got %d", o.Workers)
	}
	if err := b.Validate(o.ctl.Validate()); err != nil {
		return err
	}
	mem := config.Memory{}
	mem.Floats("Episodes", float64(o.Episodes), 8) // returns and lengths of every episode
	if err := b.CheckMemory(mem); err != nil {
		return err
	}
	if o.Env == "" && o.Checkpoint != "" {
		c, err := checkpoints.Load(o.Checkpoint)
		if err != nil {
			return cli.Usagef("mbrl eval: %v", err)
		}
		o.Env = c.Meta.Env // the checkpoint's env by default
	}
	env, makeEnv, err := b.MakeEnv(o.Env)
	if err != nil {
		return err
	}
	label := o.Checkpoint + o.Controller
	var mk func() (common.Policy, error)
	if o.Checkpoint != "" {
		mk, err = policies.Factory("checkpoint", o.Checkpoint, env, o.ctl)
	} else {
		mk, err = policies.Factory("controller", o.Controller, env, o.ctl)
	}
	if err != nil {
		return cli.AsUsage(err)
	}
	t0 := time.Now()
	bar := cli.NewProgress(a.Stderr, 1, "eval "+label, a.IsTerminal && !o.Quiet)
	res, err := common.Evaluate(makeEnv, mk,
		common.EvalConfig{Episodes: o.Episodes, Seed: o.Seed, Workers: o.Workers})
	bar.Finish()
	if err != nil {
		return fmt.Errorf("mbrl eval: %w", err)
	}
	wall := time.Since(t0).Seconds()
	if !o.JSON {
		fmt.Fprintf(a.Stdout, "%s on %s: mean %.2f  std %.2f  min %.2f  max %.2f  median %.2f  (%d episodes, %.1fs)\n",
			label, o.Env, res.Mean, res.Std, res.Min, res.Max, res.Median, res.Episodes, wall)
	}
	out := map[string]any{"command": "eval", "env": o.Env, "seed": o.Seed, "policy": label, "eval": res, "wall_seconds": wall}
	if o.Controller == "mpc" {
		out["plans"] = o.ctl.Plans
	}
	return a.WriteJSON(o.JSON, out)
}

// addExpertFlags binds the flags of the mpc controller to s.
func addExpertFlags(b *cli.Binder, s *control.ExpertSettings) {
	b.Bind("control", s,
		row("plans", "Plans", "MPC candidate plans: 1 = a single smooth warm-started plan (fast; the better expert to imitate), >1 = a population (shifted previous plans plus fresh ones), the first action of the cheapest is applied"),
		row("mpc-horizon", "Horizon", "MPC planning horizon (0: 20 with one plan, 50 with a population)"),
		row("mpc-iters", "Iters", "iLQR iterations per MPC step (0: 2 with one plan, 3 with a population)"))
}
