package main

import (
	"context"
	"errors"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/dagger"
	"github.com/mbrl/mbrl/trainers/plato"
	"github.com/mbrl/mbrl/trainers/policies"
)

func (a *app) platoMethod() cli.Command {
	return cli.Command{
		Name:    "plato",
		Summary: "PLATO (Kahn et al. 2017): execute an adaptive MPC teacher pulled towards the Gaussian learner by a KL term, label with plain MPC, aggregate, retrain",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			cfg, o := plato.DefaultConfig(), &imitationFlags{}
			bindImitation(b, "plato", &cfg, o, "expert that labels states: mpc (on the true dynamics; the teacher is the same MPC with the KL term)")
			b.Bind("plato", &cfg,
				row("kl-weight", "KLWeight", "lambda, the weight of KL(teacher || learner) in the teacher's cost (0: the teacher is the plain expert)"),
				row("kl-schedule", "Schedule", "lambda over the iterations: constant, linear (0 at the first, --kl-weight at the last) or exp (--kl-weight * --kl-growth^i)"),
				row("kl-growth", "KLGrowth", "growth factor of --kl-schedule exp"),
				row("min-std", "MinStd", "floor of the learner's fitted standard deviation (0: 5% of half the action range)"))
			return func(ctx context.Context, _ []string) error { return a.runTrainPLATO(ctx, b, cfg, o) }
		},
	}
}

func (a *app) runTrainPLATO(ctx context.Context, b *cli.Binder, cfg plato.Config, o *imitationFlags) error {
	if err := b.Validate(o.Ctl.Validate()); err != nil {
		return err
	}
	if o.Expert != "mpc" {
		return cli.Usagef("%s: --expert must be mpc (PLATO's teacher is that MPC with a KL term), got %q", b.Cmd, o.Expert)
	}
	sched, err := plato.ParseSchedule(string(cfg.Schedule))
	if err != nil {
		return cli.Usagef("%s: --kl-schedule: %v", b.Cmd, err)
	}
	o.t.Iters, cfg.Schedule, cfg.FinalEvalEpisodes = cfg.Iters, sched, o.t.FinalEpisodes
	cfg.Seed, cfg.EvalSeed = b.Common.Seed, b.Common.Seed
	env, makeEnv, expert, err := imitationExpert(b, o)
	if errors.Is(err, policies.ErrNoDynamics) {
		return cli.Usagef("%s: PLATO's teacher is MPC on the env's known dynamics, which %s has not; imitate a checkpoint with 'mbrl train dagger --expert CKPT' instead", b.Cmd, o.Env)
	}
	if err != nil {
		return err
	}
	dyn, _ := envs.DynamicsOf(env) // the mpc expert was made, so the dynamics are known
	cfg.MakeEnv, cfg.Expert, cfg.Dynamics = makeEnv, expert, dyn
	cfg.Teacher = control.MPCSettings{Plans: o.Ctl.Plans, Horizon: o.Ctl.Horizon, Iters: o.Ctl.Iters, Fresh: control.FreshGenerators(dyn, o.Ctl.Plans)}
	if err := b.Validate(o.t.Validate(), cfg.Validate()); err != nil {
		return err
	}
	if err := b.CheckMemory(cfg.Memory(env), o.t.Memory()); err != nil {
		return err
	}
	tr, err := plato.New(cfg)
	if err != nil {
		return b.Validate(err)
	}
	defer tr.Close()
	pol := tr.Policy()
	o.t.MakeEnv, o.t.PlotX = makeEnv, "labels"
	o.t.EvalPolicy = func() (common.Policy, error) { return common.PolicyFunc(pol.Clone().Mean), nil }
	o.t.Plot = []string{"eval_return", "train_return", "expert_return"}
	o.t.Summarize = dagger.Summarizer(o.Expert, o.Ctl.Plans, cfg.EpisodesPerIter, map[string]any{"kl_weight": cfg.KLWeight, "kl_schedule": string(sched)})
	return a.Train(ctx, b, env.Name(), tr, o.t)
}
