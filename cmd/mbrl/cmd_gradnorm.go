package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/trainers/bptt"
	"github.com/mbrl/mbrl/trainers/run"
)

// gradnormOptions are the flags of "mbrl gradnorm".
type gradnormOptions struct {
	*cli.Common
	Env          string
	TrueDynamics bool
	Model        string
	Policy       string
	Horizons     string
	Starts       int
	Hidden       []int
	CSV          string
	Plot         string
}

func (a *app) gradnormCommand() cli.Command {
	return cli.Command{
		Name:    "gradnorm",
		Summary: "gradient norm of the H-step cost w.r.t. the policy against the horizon, beside the growth the closed-loop Jacobians predict",
		Usage:   "gradnorm --env E (--true-dynamics | --model CKPT) [--policy CKPT] --horizons 1,2,5,.. [--starts N] [--csv F] [--plot F.png]",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			o := &gradnormOptions{Common: &b.Common, Horizons: "1,2,5,10,20,50,100,200", Starts: 100, Hidden: []int{64, 64}}
			b.Bind("", o,
				row("env", "Env", "environment name (see 'mbrl envs')"),
				row("true-dynamics", "TrueDynamics", "differentiate through the env's known dynamics"),
				row("model", "Model", "differentiate through the dynamics model \"dynamics\" of this checkpoint"),
				row("policy", "Policy", "checkpoint holding the policy \"policy\" (default: a fresh policy initialised from --seed)"),
				row("horizons", "Horizons", "comma-separated horizons H"),
				row("starts", "Starts", "start states drawn from the env's reset distribution (per-start gradient norms)"),
				row("hidden", "Hidden", "hidden sizes of the fresh policy (without --policy)"),
				row("csv", "CSV", "write one row per horizon to this CSV file, and the per-step norms of the longest horizon to FILE_steps.csv"),
				row("plot", "Plot", "write a log-log PNG of the norms against the horizon (and FILE_steps.png of the per-step norms)"))
			return func(ctx context.Context, _ []string) error { return a.runGradnorm(ctx, b, o) }
		},
	}
}

func (a *app) runGradnorm(ctx context.Context, b *cli.Binder, o *gradnormOptions) error {
	start := time.Now()
	hs, err := cli.Ints(o.Horizons)
	if err == nil {
		err = bptt.CheckHorizons(hs)
	}
	if err != nil {
		return cli.Usagef("%s: --horizons: %v", b.Cmd, err)
	}
	if o.Starts < 1 {
		return cli.Usagef("%s: --starts must be at least 1, got %d", b.Cmd, o.Starts)
	}
	env, _, sys, dynName, err := bpttSystem(b, o.Env, o.TrueDynamics, o.Model)
	if err != nil {
		return err
	}
	b.Alias("bptt", "Hidden", "hidden")
	b.Alias("bptt", "Batch", "starts")
	b.Alias("bptt", "Horizon", "horizons")
	if err := b.CheckMemory(bptt.StudyMemory(env, o.Hidden, o.Starts, hs)); err != nil {
		return err
	}
	var pol bptt.Policy
	if o.Policy != "" {
		if pol, err = bptt.LoadPolicy(o.Policy, env); err != nil {
			return cli.Usagef("%s: --policy: %v", b.Cmd, err)
		}
	} else if pol, err = bptt.NewPolicy(env, o.Hidden, rand.New(rand.NewPCG(o.Seed, 0))); err != nil {
		return cli.AsUsage(err)
	}
	x0 := bptt.DrawStarts(env, sys, o.Starts, rand.New(rand.NewPCG(o.Seed, bptt.StartStream)))
	res, err := bptt.Study(ctx, sys, pol, x0, hs)
	if err != nil {
		return fmt.Errorf("%s: %w", b.Cmd, err)
	}
	if !o.JSON {
		res.WriteTable(a.Stdout, dynName, o.Env)
	}
	if err := bptt.WriteStudyFiles(o.CSV, o.Plot, o.Env, res); err != nil {
		return err
	}
	out := run.Summary(res.Fields())
	out.Add(map[string]any{"command": "gradnorm", "env": o.Env, "dynamics": dynName, "policy": o.Policy,
		"seed": o.Seed, "csv": o.CSV, "plot": o.Plot, "wall_seconds": run.Seconds(start)})
	return a.WriteJSON(o.JSON, out)
}
