package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/trainers/model"
	"github.com/mbrl/mbrl/trainers/policies"
	"github.com/mbrl/mbrl/trainers/run"
)

// modelFlags are the flags of "mbrl train model" beyond model.Config.
type modelFlags struct{ Env, Policy string }

// bindFit binds the flags of a dynamics model fit (model.FitConfig at
// path prefix, e.g. "Fit.").
func bindFit(b *cli.Binder, pkg string, cfg any, prefix string) {
	b.Bind(pkg, cfg,
		row("hidden", prefix+"Hidden", "hidden layer sizes of the dynamics MLP (tanh)"),
		row("batch", prefix+"Batch", "minibatch size"),
		row("lr", prefix+"LR", "Adam learning rate"))
}

func (a *app) modelMethod() cli.Command {
	return cli.Command{
		Name:    "model",
		Summary: "fit a neural dynamics model (or ensemble) to transitions collected in the env; reports one-step and open-loop errors",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			cfg, o := model.DefaultConfig(), &modelFlags{Policy: "random"}
			t := &run.Training{Iters: 20, EvalEpisodes: 1, FinalEpisodes: 1} // no evaluation
			b.Bind("", o,
				row("env", "Env", "environment name (see 'mbrl envs'); required"),
				row("policy", "Policy", "policy that collects the data: random, zero, a controller or a checkpoint path"))
			b.Bind("run", t, row("iters", "Iters", "iterations (each --epochs-per-iter epochs of fitting, then validation)"))
			b.Bind("model", &cfg,
				row("samples", "Samples", "env steps to collect (0: 100 episodes, 20000 for pendulum)"),
				row("val-frac", "ValFrac", "fraction of the collected episodes held out for validation"),
				row("ensemble", "Fit.Ensemble", "ensemble members E: 1 fits one dynamics model, E >= 2 an ensemble (own init and bootstrap per member)"),
				row("epochs-per-iter", "EpochsPerIter", "epochs over the training data per iteration"))
			bindFit(b, "model", &cfg, "Fit.")
			return func(ctx context.Context, _ []string) error {
				cfg.Seed = b.Common.Seed
				if err := b.Validate(cfg.Validate(), t.Validate()); err != nil {
					return err
				}
				env, makeEnv, err := b.MakeEnv(o.Env)
				if err != nil {
					return err
				}
				if err := b.CheckMemory(cfg.Memory(env)); err != nil {
					return err
				}
				pol, err := policies.Make(o.Policy, env, rand.New(rand.NewPCG(b.Common.Seed, 3)))
				if err != nil {
					return cli.AsUsage(err)
				}
				tr, err := model.New(cfg, env, pol)
				if err != nil {
					return b.Validate(err)
				}
				defer tr.Close()
				t.MakeEnv, t.Plot = makeEnv, []string{"loss", "val_mse"}
				var final run.Summary
				t.Summarize = func(r *run.Run, sum run.Summary) error {
					sum["ensemble"], sum["hidden"], sum["batch"], sum["lr"], sum["policy"] = cfg.Fit.Ensemble, cfg.Fit.Hidden, cfg.Fit.Batch, cfg.Fit.LR, o.Policy
					final = sum
					return tr.Summarize(r, sum)
				}
				if err := a.Train(ctx, b, o.Env, tr, *t); err != nil {
					return err
				}
				if !b.Common.JSON {
					printModelError(a.Stdout, final)
				}
				return nil
			}
		},
	}
}

// printModelError prints the model's errors on the held-out episodes of a
// "train model" summary: the one-step MSE of the normalised state change
// and the open-loop RMSE after 1, 10 and 50 steps.
func printModelError(w io.Writer, sum run.Summary) {
	if sum == nil {
		return
	}
	fmt.Fprintf(w, "model error on the held-out episodes (%v): one-step MSE %.4g (normalised state change)", sum["val_episodes"], sum["val_mse"])
	if r, ok := sum["rmse_by_horizon"].([]float64); ok && len(r) > 0 {
		fmt.Fprintf(w, "; open-loop RMSE %.4g after 1 step", r[0])
	}
	fmt.Fprintf(w, ", %.4g after 10, %.4g after 50 (observation units)\n", sum["rmse_10"], sum["rmse_50"])
}
