package main

import (
	"context"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/trainers/dyna"
	"github.com/mbrl/mbrl/trainers/run"
)

// dynaFlags are the flags of "mbrl train dyna" beyond dyna.Config.
type dynaFlags struct {
	Env, TargetReturn string
	Steps             int
	KnownTermination  bool
}

func (a *app) dynaMethod() cli.Command {
	return cli.Command{
		Name:    "dyna",
		Summary: "Dyna with a learned neural model: DQN on real transitions and on K simulated ones per real step from short model rollouts (Sutton 1990; MBPO-style rollouts)",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			cfg, o := dyna.DefaultConfig(), &dynaFlags{Env: "cartpole", TargetReturn: "auto", Steps: 50000, KnownTermination: true}
			t := &run.Training{EvalEpisodes: 1, FinalEpisodes: 100}
			b.Bind("", o,
				row("env", "Env", "environment name (see 'mbrl envs'); continuous actions are discretised (--action-bins)"),
				row("steps", "Steps", "real environment steps (rounded up to whole iterations)"),
				row("known-termination", "KnownTermination", "end simulated transitions with the env's known termination rule, as MBPO does (cartpole: |x| > 2.4 or |theta| > 12 degrees; pendulum never terminates); false: simulated transitions never terminate"),
				row("target-return", "TargetReturn", "record the real steps at which the evaluation mean first reaches this return (steps_to_threshold); auto: 475 on cartpole, none elsewhere; none: off"))
			b.Bind("run", t, row("final-episodes", "FinalEpisodes", "greedy evaluation episodes at the end (the summary's eval)"))
			b.Bind("dyna", &cfg,
				row("planning-steps", "PlanningSteps", "K: simulated transitions from the learned model after each real step (0: plain DQN, no model)"),
				row("rollout-length", "RolloutLength", "h: length of the model rollouts, each from an observation of the real buffer"),
				row("expansion-steps", "ExpansionSteps", "n: every simulated transition sums n model rewards (after its action, then greedy ones) and bootstraps with gamma^n (model-based value expansion, Feinberg et al. 2018)"),
				row("planning-updates", "PlanningUpdates", "Q updates on simulated minibatches after each real step (0: min(K, --direct-updates))"),
				row("planning-actions", "PlanningActions", "actions of the simulated transitions: uniform (at random, as Dyna-Q plans; keeps every action's Q value trained) | policy (the epsilon-greedy exploration policy, as MBPO)"),
				row("direct-updates", "DirectUpdates", "Q updates on real minibatches after each real step (more than 1 with K = 0 is the replay-ratio control for Dyna)"),
				row("steps-per-iter", "StepsPerIter", "real steps per iteration; the greedy policy is evaluated after each"),
				row("action-bins", "ActionBins", "values per action dimension when discretising continuous actions (pendulum: 5 torques in [-2, 2])"),
				row("hidden", "Hidden", "Q-network hidden layer sizes"),
				row("activation", "Activation", "Q-network activation: relu | tanh"),
				row("normalise-obs", "NormaliseObs", "normalise the Q-network's observations with statistics of the first --learning-starts steps"),
				row("lr", "Adam.LR", "Adam learning rate of the Q-network"),
				row("batch", "Batch", "Q-update minibatch size"),
				row("gamma", "Gamma", "discount factor"),
				row("q-target", "QTarget", "bootstrap target: max (DQN) | double (double DQN, van Hasselt et al. 2016) | auto (double when --planning-steps > 0, else max: model data overestimates)"),
				row("value-bound", "ValueBound", "clip bootstrap values into the range of discounted returns of the rewards seen: rewards | none | auto (rewards when --planning-steps > 0, else none: faster value propagation overshoots)"),
				row("tau", "Tau", "Polyak rate of the target network after every Q update"),
				row("target-every", "TargetEvery", "copy the target network every N real steps instead of Polyak averaging (0: use --tau)"),
				row("clip", "ClipNorm", "clip the Q gradient to this global norm (0: no clipping)"),
				row("buffer", "BufferSize", "real replay buffer capacity"),
				row("learning-starts", "LearningStarts", "random-policy steps before Q and model learning start"),
				row("epsilon-start", "EpsilonStart", "initial exploration rate"),
				row("epsilon-end", "EpsilonEnd", "final exploration rate"),
				row("epsilon-steps", "EpsilonSteps", "real steps over which epsilon anneals linearly"),
				row("model-hidden", "ModelHidden", "hidden layer sizes of the dynamics and reward models (tanh)"),
				row("ensemble", "Ensemble", "dynamics ensemble members (one drawn at random per simulated transition)"),
				row("model-every", "ModelEvery", "refit the models every N real steps"),
				row("model-steps", "ModelSteps", "Adam steps per model refit (warm start from the current weights)"),
				row("model-batch", "ModelBatch", "model-fitting minibatch size"),
				row("model-lr", "ModelLR", "Adam learning rate of the models"),
				row("model-buffer", "ModelBufferSize", "capacity of the buffer of simulated transitions"),
				row("eval-episodes", "EvalEpisodes", "greedy evaluation episodes after every iteration"),
				row("stop-at-target", "StopAtTarget", "skip the remaining iterations once --target-return is reached (they appear as empty rows in metrics.csv)"))
			return func(ctx context.Context, _ []string) error { return a.runTrainDyna(ctx, b, cfg, o, t) }
		},
	}
}

func (a *app) runTrainDyna(ctx context.Context, b *cli.Binder, cfg dyna.Config, o *dynaFlags, t *run.Training) error {
	target, err := dyna.ParseTargetReturn(o.TargetReturn, o.Env)
	if err != nil {
		return cli.Usagef("%s: --target-return: %v", b.Cmd, err)
	}
	cfg.TargetReturn = target
	cfg.IgnoreTermination, cfg.Seed = !o.KnownTermination, b.Common.Seed
	if o.Steps < 1 {
		return cli.Usagef("%s: --steps must be at least 1", b.Cmd)
	}
	t.Iters = (o.Steps + cfg.StepsPerIter - 1) / max(cfg.StepsPerIter, 1)
	if err := b.Validate(cfg.Validate(), t.Validate()); err != nil {
		return err
	}
	env, makeEnv, err := b.MakeEnv(o.Env)
	if err != nil {
		return err
	}
	if env.ObservationSpace().Discrete {
		return cli.Usagef("%s: env %q is tabular; use 'mbrl train dynaq'", b.Cmd, o.Env)
	}
	if err := b.CheckMemory(cfg.Memory(env), t.Memory()); err != nil {
		return err
	}
	tr, err := dyna.New(cfg, makeEnv)
	if err != nil {
		return b.Validate(err)
	}
	defer tr.Close()
	t.MakeEnv, t.Plot, t.PlotX = makeEnv, []string{"eval_return", "train_return"}, "env_steps"
	t.Summarize = tr.Summarize(t.FinalEpisodes)
	return a.Train(ctx, b, o.Env, tr, *t)
}
