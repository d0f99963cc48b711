package main

import (
	"context"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/trainers/mpc"
	"github.com/mbrl/mbrl/trainers/run"
)

func (a *app) mpcMethod() cli.Command {
	return cli.Command{
		Name:    "mpc",
		Summary: "learn a dynamics model (or ensemble) and act by MPC through it (iLQR or CEM), aggregating data and refitting each iteration (PETS-style)",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			cfg, o := mpc.DefaultConfig(), &modelFlags{}
			t := &run.Training{Iters: 15, EvalEvery: 0, EvalEpisodes: 10, FinalEpisodes: 100}
			b.Bind("", o, row("env", "Env", "environment name (see 'mbrl envs'); it needs a known cost (pendulum, linear); required"))
			b.BindTraining(t, "iterations: refit the model, run --episodes-per-iter MPC episodes, aggregate")
			b.Bind("mpc", &cfg,
				row("episodes-per-iter", "EpisodesPerIter", "real MPC episodes per iteration"),
				row("random-steps", "RandomSteps", "random-action env steps collected before the first fit"),
				row("ensemble", "Fit.Ensemble", "ensemble members E (1: a single model; E >= 2: PETS-style ensemble, members with their own init and bootstrap, plans scored by the members' mean cost)"),
				row("planner", "Planner.Planner", "planner through the model: ilqr (receding-horizon iLQR on the model's Jacobians) or cem (cross-entropy method)"),
				row("horizon", "Planner.Horizon", "planning horizon (0: 20 for ilqr, 25 for cem)"),
				row("plan-iters", "Planner.Iters", "planner iterations per step (0: 2 for ilqr, 3 for cem)"),
				row("plans", "Planner.Plans", "ilqr: candidate plans, the previous plan shifted plus fresh ones, the cheapest applied (1: one warm-started plan, faster, but it sometimes never swings the pendulum up)"),
				row("samples", "Planner.Samples", "cem: sampled plans per iteration"),
				row("elites", "Planner.Elites", "cem: elite plans the sampling distribution is refitted to"),
				row("mean", "Planner.Mean", "plan through the ensemble's mean prediction instead of scoring plans by the members' mean cost"),
				row("init-fit-steps", "InitFitSteps", "Adam steps per member of the first fit (on the random data)"),
				row("fit-steps", "FitSteps", "Adam steps per member of each later refit (warm start)"))
			bindFit(b, "mpc", &cfg, "Fit.")
			return func(ctx context.Context, _ []string) error {
				cfg.Seed = b.Common.Seed
				if err := b.Validate(cfg.Validate(), t.Validate()); err != nil {
					return err
				}
				env, makeEnv, err := b.MakeEnv(o.Env)
				if err != nil {
					return err
				}
				b.Alias("mpc", "Iters", "iters")
				if err := b.CheckMemory(cfg.Memory(env, t.Iters), t.Memory()); err != nil {
					return err
				}
				tr, err := mpc.New(cfg, makeEnv)
				if err != nil {
					return b.Validate(err)
				}
				defer tr.Close()
				t.MakeEnv, t.Plot, t.PlotX = makeEnv, []string{"return", "eval_return"}, "env_steps"
				t.EvalPolicy = tr.EvalPolicy(makeEnv)
				t.Summarize = func(r *run.Run, sum run.Summary) error {
					sum["random_steps"], sum["episodes_per_iter"], sum["ensemble"] = cfg.RandomSteps, cfg.EpisodesPerIter, cfg.Fit.Ensemble
					return tr.Summarize(r, sum)
				}
				return a.Train(ctx, b, o.Env, tr, *t)
			}
		},
	}
}
