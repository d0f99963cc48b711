package main

import (
	"context"
	"flag"
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

func (o *gradnormOptions) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Env, "env", "", "environment name (see 'mbrl envs')")
	fs.BoolVar(&o.TrueDynamics, "true-dynamics", false, "differentiate through the env's known dynamics")
	fs.StringVar(&o.Model, "model", "", "differentiate through the dynamics model \"dynamics\" of this checkpoint")
	fs.StringVar(&o.Policy, "policy", "", "checkpoint holding the policy \"policy\" (default: a fresh policy initialised from --seed)")
	fs.StringVar(&o.Horizons, "horizons", "1,2,5,10,20,50,100,200", "comma-separated horizons H")
	fs.IntVar(&o.Starts, "starts", 100, "start states drawn from the env's reset distribution (per-start gradient norms)")
	o.Hidden = []int{64, 64}
	fs.Var((*cli.Sizes)(&o.Hidden), "hidden", "hidden sizes of the fresh policy (without --policy)")
	fs.StringVar(&o.CSV, "csv", "", "write one row per horizon to this CSV file, and the per-step norms of the longest horizon to FILE_steps.csv")
	fs.StringVar(&o.Plot, "plot", "", "write a log-log PNG of the norms against the horizon (and FILE_steps.png of the per-step norms)")
}

func gradnormCommand() command {
	return command{
		name:    "gradnorm",
		summary: "gradient norm of the H-step cost w.r.t. the policy against the horizon, beside the growth the closed-loop Jacobians predict",
		usage:   "gradnorm --env E (--true-dynamics | --model CKPT) [--policy CKPT] --horizons 1,2,5,.. [--starts N] [--csv F] [--plot F.png]",
		flags: func(a *app, b *binder) func(context.Context, []string) error {
			o := &gradnormOptions{Common: &b.common}
			o.addFlags(b.FS)
			return func(ctx context.Context, _ []string) error { return a.runGradnorm(ctx, b, o) }
		},
	}
}

func (a *app) runGradnorm(ctx context.Context, b *binder, o *gradnormOptions) error {
	const cmd = "gradnorm"
	start := time.Now()
	hs, err := cli.Ints(o.Horizons)
	if err == nil {
		err = bptt.CheckHorizons(hs)
	}
	if err != nil {
		return usagef("mbrl %s: --horizons: %v", cmd, err)
	}
	if o.Starts < 1 {
		return usagef("mbrl %s: --starts must be at least 1, got %d", cmd, o.Starts)
	}
	env, sys, dynName, err := bpttSystem(b, o.Env, o.TrueDynamics, o.Model)
	if err != nil {
		return err
	}
	var pol bptt.Policy
	if o.Policy != "" {
		if pol, err = bptt.LoadPolicy(o.Policy, env); err != nil {
			return usagef("mbrl %s: --policy: %v", cmd, err)
		}
	} else if pol, err = bptt.NewPolicy(env, o.Hidden, rand.New(rand.NewPCG(o.Seed, 0))); err != nil {
		return asUsage(err)
	}
	x0 := bptt.DrawStarts(env, sys, o.Starts, rand.New(rand.NewPCG(o.Seed, bptt.StartStream)))
	res, err := bptt.Study(ctx, sys, pol, x0, hs)
	if err != nil {
		return fmt.Errorf("mbrl %s: %w", cmd, err)
	}
	if !o.JSON {
		res.WriteTable(a.stdout, dynName, o.Env)
	}
	if err := bptt.WriteStudyFiles(o.CSV, o.Plot, o.Env, res); err != nil {
		return err
	}
	out := run.Summary(res.Fields())
	out.Add(map[string]any{"command": "gradnorm", "env": o.Env, "dynamics": dynName, "policy": o.Policy,
		"seed": o.Seed, "csv": o.CSV, "plot": o.Plot, "wall_seconds": run.Seconds(start)})
	return a.writeJSON(o.JSON, out)
}
