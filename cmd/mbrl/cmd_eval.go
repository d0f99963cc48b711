package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

// evalOptions are the flags of "mbrl eval".
type evalOptions struct {
	commonOptions
	Env        string
	Checkpoint string
	Controller string
	Episodes   int
	Workers    int
	ctl        controllerOptions
}

func evalCommand() command {
	return command{
		name:    "eval",
		summary: "evaluate a policy checkpoint or an optimal controller over N episodes from random starts: mean, std, min of return",
		usage:   "eval --env E (--checkpoint CKPT | --controller lqr|ilqr|mpc|dp) [--episodes N]",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			o := &evalOptions{}
			o.commonOptions.addFlags(fs, false)
			fs.StringVar(&o.Env, "env", "", "environment name (default: the checkpoint's env)")
			fs.StringVar(&o.Checkpoint, "checkpoint", "", "policy checkpoint (.safetensors) to evaluate")
			fs.StringVar(&o.Controller, "controller", "", "controller on the env's true dynamics: lqr | ilqr | mpc | dp (the grid DP optimum of 'mbrl optimum', default grid)")
			fs.IntVar(&o.Episodes, "episodes", 100, "episodes from random starts (episode i's start depends only on --seed and i)")
			fs.IntVar(&o.Workers, "workers", 0, "parallel episodes (0: one per CPU); results do not depend on it")
			o.ctl.addFlags(fs, 16)
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("mbrl eval: unexpected argument %q", args[0])
				}
				return a.runEval(ctx, o)
			}
		},
	}
}

func (a *app) runEval(_ context.Context, o *evalOptions) error {
	if (o.Checkpoint == "") == (o.Controller == "") {
		return usagef("mbrl eval: give exactly one of --checkpoint CKPT or --controller lqr|ilqr|mpc|dp")
	}
	if o.Episodes <= 0 {
		return usagef("mbrl eval: --episodes must be positive, got %d", o.Episodes)
	}
	if o.Env == "" {
		return usagef("mbrl eval: --env is required (see 'mbrl envs')")
	}
	env, err := envs.Make(o.Env)
	if err != nil {
		return asUsage(err)
	}
	var mk func() (common.Policy, error)
	label := o.Checkpoint
	switch {
	case o.Checkpoint != "":
		mk, err = checkpointPolicy(o.Checkpoint, env)
	default:
		if !isController(o.Controller) {
			return usagef("mbrl eval: unknown controller %q (valid: %s)", o.Controller, strings.Join(controllerNames, ", "))
		}
		mk, err = a.controllerFactory(o.Controller, env, o.ctl)
		label = o.Controller
	}
	if err != nil {
		return err
	}
	t0 := time.Now()
	bar := a.newProgress(1, "eval "+label, o.Quiet)
	res, err := common.Evaluate(func() (envs.Env, error) { return envs.Make(o.Env) }, mk,
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
