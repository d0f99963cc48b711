package main

import (
	"context"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/dagger"
	"github.com/mbrl/mbrl/trainers/policies"
	"github.com/mbrl/mbrl/trainers/run"
)

// imitationFlags are the flags "mbrl train bc|dagger|plato" share beyond
// their library configurations.
type imitationFlags struct {
	Env, Expert string
	Ctl         control.ExpertSettings
	t           run.Training
}

// bindImitation binds the shared flags: those of o and the fields of cfg
// (a dagger.Config or plato.Config) named like dagger's.
func bindImitation(b *cli.Binder, pkg string, cfg any, o *imitationFlags, expertHelp string) {
	o.Env, o.Expert, o.Ctl.Plans = "pendulum", "mpc", 1
	o.t = run.Training{EvalEvery: 1, EvalEpisodes: 20, FinalEpisodes: 100}
	b.Bind("", o,
		row("env", "Env", "environment name (see 'mbrl envs'); continuous actions"),
		row("expert", "Expert", expertHelp))
	addExpertFlags(b, &o.Ctl)
	b.BindTraining(&o.t, "")
	b.Alias("run", "Iters", "iters")
	b.Bind(pkg, cfg,
		row("iters", "Iters", "iterations (each runs and labels --episodes-per-iter episodes, aggregates and retrains)"),
		row("episodes-per-iter", "EpisodesPerIter", "episodes run and labelled by the expert per iteration"),
		row("hidden", "Hidden", "policy hidden layer sizes (tanh)"),
		row("epochs", "Fit.Epochs", "maximum epochs of each retraining (warm start)"),
		row("patience", "Fit.Patience", "stop a retraining after this many epochs without a better held-out loss"),
		row("val-frac", "Fit.ValFrac", "held-out fraction of the dataset for early stopping"),
		row("batch", "Fit.Batch", "minibatch size"),
		row("lr", "Fit.LR", "Adam learning rate"),
		row("workers", "Workers", "goroutines for expert labelling (0: all cores); results do not depend on it"),
		row("eval-expert", "EvalExpert", "evaluate the expert once (--final-episodes episodes) and log expert_return"))
}

// expert returns the env and the expert of an imitation run.
func imitationExpert(b *cli.Binder, o *imitationFlags) (envs.Env, func() (envs.Env, error), func() (common.Policy, error), error) {
	env, makeEnv, err := b.MakeEnv(o.Env)
	if err != nil {
		return nil, nil, nil, err
	}
	if env.ActionSpace().Discrete {
		return nil, nil, nil, cli.Usagef("%s: %s has discrete actions; imitation regresses continuous actions (try cartpole-continuous)", b.Cmd, o.Env)
	}
	expert, err := policies.Factory("--expert", o.Expert, env, o.Ctl)
	return env, makeEnv, expert, cli.AsUsage(err)
}

func (a *app) bcMethod() cli.Command {
	return cli.Command{
		Name:    "bc",
		Summary: "behaviour cloning: regress the expert's actions on the states of its own demonstrations (supervised, held-out early stopping)",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			cfg, o := dagger.DefaultBCConfig(), &imitationFlags{}
			bindImitation(b, "dagger", &cfg, o, "expert that demonstrates: mpc (on the true dynamics), lqr, ilqr, or a policy checkpoint .safetensors")
			return func(ctx context.Context, _ []string) error { return a.runTrainDAgger(ctx, b, "bc", cfg, o) }
		},
	}
}

func (a *app) daggerMethod() cli.Command {
	return cli.Command{
		Name:    "dagger",
		Summary: "DAgger (Ross et al. 2011): run the mixture beta_i expert + (1-beta_i) learner, label every visited state with the expert, aggregate, retrain",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			cfg, o := dagger.DefaultConfig(), &imitationFlags{}
			bindImitation(b, "dagger", &cfg, o, "expert that labels states: mpc (on the true dynamics), lqr, ilqr, or a policy checkpoint .safetensors")
			b.Bind("dagger", &cfg,
				row("beta-decay", "BetaDecay", "p in beta_i = p^(i-1), the probability that the expert acts at a step of iteration i (0: expert only in the first iteration)"),
				row("compare-bc", "CompareBC", "also train behaviour cloning on as many expert-only labels at each iteration and log bc_return beside DAgger's"))
			return func(ctx context.Context, _ []string) error { return a.runTrainDAgger(ctx, b, "dagger", cfg, o) }
		},
	}
}

func (a *app) runTrainDAgger(ctx context.Context, b *cli.Binder, method string, cfg dagger.Config, o *imitationFlags) error {
	o.t.Iters, cfg.EvalEpisodes, cfg.FinalEvalEpisodes = cfg.Iters, o.t.EvalEpisodes, o.t.FinalEpisodes
	cfg.Seed, cfg.EvalSeed = b.Common.Seed, b.Common.Seed
	if err := b.Validate(o.t.Validate(), cfg.Validate(), o.Ctl.Validate()); err != nil {
		return err
	}
	env, makeEnv, expert, err := imitationExpert(b, o)
	if err != nil {
		return err
	}
	if err := b.CheckMemory(cfg.Memory(env), o.t.Memory()); err != nil {
		return err
	}
	cfg.MakeEnv, cfg.Expert = makeEnv, expert
	tr, err := dagger.New(cfg)
	if err != nil {
		return b.Validate(err)
	}
	defer tr.Close()
	pol := tr.Policy()
	o.t.MakeEnv, o.t.PlotX = makeEnv, "labels"
	o.t.EvalPolicy = func() (common.Policy, error) { return pol.Clone(), nil }
	o.t.Plot = []string{"eval_return", "expert_return"}
	var more map[string]any
	if method == "dagger" {
		o.t.Plot = []string{"eval_return", "bc_return", "train_return", "expert_return"}
		more = map[string]any{"beta_decay": cfg.BetaDecay, "compare_bc": cfg.CompareBC}
	}
	o.t.Summarize = dagger.Summarizer(o.Expert, o.Ctl.Plans, cfg.EpisodesPerIter, more)
	return a.Train(ctx, b, env.Name(), tr, o.t)
}
