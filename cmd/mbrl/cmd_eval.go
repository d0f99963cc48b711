package main

import (
	"context"
	"fmt"
	"time"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/trainers/common"
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

func evalCommand() command {
	return command{
		name:    "eval",
		summary: "evaluate a policy checkpoint or an optimal controller over N episodes from random starts: mean, std, min of return",
		usage:   "eval --env E (--checkpoint CKPT | --controller lqr|ilqr|mpc|dp) [--episodes N]",
		flags: func(a *app, b *binder) func(context.Context, []string) error {
			o := &evalOptions{Common: &b.common, Episodes: 100, ctl: control.ExpertSettings{Plans: 16}}
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

func (a *app) runEval(b *binder, o *evalOptions) error {
	switch {
	case (o.Checkpoint == "") == (o.Controller == ""):
		return usagef("mbrl eval: give exactly one of --checkpoint CKPT or --controller lqr|ilqr|mpc")
	case o.Episodes <= 0:
		return usagef("mbrl eval: --episodes must be positive, got %d", o.Episodes)
	}
	if o.Env == "" && o.Checkpoint != "" {
		c, err := checkpoints.Load(o.Checkpoint)
		if err != nil {
			return usagef("mbrl eval: %v", err)
		}
		o.Env = c.Meta.Env // the checkpoint's env by default
	}
	env, makeEnv, err := b.makeEnv(o.Env)
	if err != nil {
		return err
	}
	label := o.Checkpoint + o.Controller
	var mk func() (common.Policy, error)
	if o.Checkpoint != "" {
		mk, err = policyFactory("checkpoint", o.Checkpoint, env, o.ctl)
	} else {
		mk, err = policyFactory("controller", o.Controller, env, o.ctl)
	}
	if err != nil {
		return err
	}
	t0 := time.Now()
	bar := cli.NewProgress(a.stderr, 1, "eval "+label, a.isTerminal && !o.Quiet)
	res, err := common.Evaluate(makeEnv, mk,
		common.EvalConfig{Episodes: o.Episodes, Seed: o.Seed, Workers: o.Workers})
	bar.Finish()
	if err != nil {
		return fmt.Errorf("mbrl eval: %w", err)
	}
	wall := time.Since(t0).Seconds()
	if !o.JSON {
		fmt.Fprintf(a.stdout, "%s on %s: mean %.2f  std %.2f  min %.2f  max %.2f  median %.2f  (%d episodes, %.1fs)\n",
			label, o.Env, res.Mean, res.Std, res.Min, res.Max, res.Median, res.Episodes, wall)
	}
	out := map[string]any{"command": "eval", "env": o.Env, "seed": o.Seed, "policy": label, "eval": res, "wall_seconds": wall}
	if o.Controller == "mpc" {
		out["plans"] = o.ctl.Plans
	}
	return a.writeJSON(o.JSON, out)
}
