package main

import (
	"cmp"
	"context"
	"math/rand/v2"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/bptt"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/run"
)

// bpttFlags are the flags of "mbrl train bptt" beyond bptt.Config.
type bpttFlags struct {
	Env, Schedule, Model     string
	TrueDynamics, LearnModel bool
	Hidden                   []int
}

func (a *app) bpttMethod() cli.Command {
	return cli.Command{
		Name:    "bptt",
		Summary: "backpropagation through time of the H-step cost through the true or a learned model into the policy (PILCO-style)",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			lc, o := bptt.DefaultLearnConfig(), &bpttFlags{Env: "pendulum", Hidden: []int{64, 64}}
			cfg := &lc.BPTT
			t := &run.Training{EvalEvery: 50, EvalEpisodes: 20, FinalEpisodes: 100}
			b.Bind("", o,
				row("env", "Env", "environment name (see 'mbrl envs'); it must have known dynamics for --true-dynamics, a known cost on observations for --model and --learn-model (e.g. gym:Pendulum-v1)"),
				row("horizon-schedule", "Schedule", "horizon curriculum ITER:H,...: from iteration ITER (0-based) on use horizon H (e.g. \"100:100,300:200\"; --horizon before the first)"),
				row("true-dynamics", "TrueDynamics", "backpropagate through the env's known dynamics (state rollout)"),
				row("model", "Model", "backpropagate through the learned dynamics model \"dynamics\" of this checkpoint (from 'mbrl train model'; observation rollout)"),
				row("learn-model", "LearnModel", "learn the model while training (PILCO's loop): random steps, fit, then every --refit-every iterations run the policy in the env and refit on all data"),
				row("hidden", "Hidden", "policy hidden layer sizes (tanh)"))
			b.Bind("bptt", cfg,
				row("horizon", "Horizon", "rollout horizon H: the policy is trained on the H-step cost"),
				row("clip", "ClipNorm", "clip the gradient to this global norm (0: no clipping)"),
				row("truncate", "Truncate", "truncated BPTT: stop the gradient every K steps (0: through the whole horizon)"),
				row("batch", "Batch", "start states per iteration, drawn from the env's reset distribution"),
				row("shards", "Shards", "split the batch into this many blocks, rolled out and backpropagated in parallel; the gradient is their sum in block order, so results depend on it but not on the number of cores (1: one block)"),
				row("lr", "Adam.LR", "peak Adam learning rate, reached after the warmup"),
				row("warmup", "Warmup", "iterations of linear learning-rate warmup (0: none); without it the first Adam steps saturate the policy's tanh output"),
				row("lr-final", "LRFinal", "learning rate the cosine decay reaches at the last iteration (0: no decay)"),
				row("iters", "Iters", "iterations (one batch of rollouts and one Adam step each)"))
			b.Bind("bptt", &lc,
				row("random-steps", "RandomSteps", "--learn-model: random-action env steps before the first fit"),
				row("refit-every", "RefitEvery", "--learn-model: BPTT iterations between rounds of real episodes and refitting"),
				row("episodes-per-refit", "Episodes", "--learn-model: real episodes of the policy per round"),
				row("episode-steps", "EpisodeSteps", "--learn-model: cap on the real episodes' length (0: the env's limit)"),
				row("noise", "Noise", "--learn-model: std of the Gaussian action noise of those episodes, as a fraction of the half-range"),
				row("init-fit-steps", "InitFitSteps", "--learn-model: Adam steps of the first fit (from scratch)"),
				row("fit-steps", "FitSteps", "--learn-model: Adam steps of each refit (warm start)"),
				row("model-hidden", "Fit.Hidden", "--learn-model: hidden layer sizes of the dynamics MLP (tanh)"),
				row("model-batch", "Fit.Batch", "--learn-model: minibatch size of the model fit"),
				row("model-lr", "Fit.LR", "--learn-model: Adam learning rate of the model fit"))
			b.BindTraining(t, "")
			return func(ctx context.Context, _ []string) error { return a.runTrainBPTT(ctx, b, lc, o, t) }
		},
	}
}

// bpttSystem resolves --env, --true-dynamics and --model of "train bptt"
// and "gradnorm": the env and its factory, the system to differentiate
// through and its name ("true" or the model checkpoint).
func bpttSystem(b *cli.Binder, envName string, trueDyn bool, model string) (envs.Env, func() (envs.Env, error), bptt.System, string, error) {
	if trueDyn == (model != "") {
		return nil, nil, nil, "", cli.Usagef("%s: give exactly one of --true-dynamics and --model CKPT", b.Cmd)
	}
	env, makeEnv, err := b.MakeEnv(envName)
	if err != nil {
		return nil, nil, nil, "", err
	}
	sys, err := bptt.SystemFor(env, model)
	if err != nil {
		envs.Close(env)
		return nil, nil, nil, "", b.ModelError(model, err)
	}
	return env, makeEnv, sys, cmp.Or(model, "true"), nil
}

func (a *app) runTrainBPTT(ctx context.Context, b *cli.Binder, lc bptt.LearnConfig, o *bpttFlags, t *run.Training) error {
	sched, err := bptt.ParseSchedule(o.Schedule)
	if err != nil {
		return cli.Usagef("%s: --horizon-schedule: %v", b.Cmd, err)
	}
	cfg := lc.BPTT
	cfg.Schedule, cfg.Seed, t.Iters = sched, b.Common.Seed, cfg.Iters
	if err := b.Validate(cfg.Validate(), t.Validate()); err != nil {
		return err
	}
	if o.LearnModel {
		lc.BPTT = cfg
		return a.runLearnBPTT(ctx, b, lc, o, t)
	}
	if !o.TrueDynamics && o.Model == "" {
		return cli.Usagef("%s: give one of --true-dynamics, --model CKPT and --learn-model", b.Cmd)
	}
	env, makeEnv, sys, dynName, err := bpttSystem(b, o.Env, o.TrueDynamics, o.Model)
	if err != nil {
		return err
	}
	b.Alias("bptt", "Hidden", "hidden")
	if err := b.CheckMemory(cfg.Memory(env, o.Hidden), t.Memory()); err != nil {
		return err
	}
	pol, err := bptt.NewPolicy(env, o.Hidden, rand.New(rand.NewPCG(b.Common.Seed, 0)))
	if err != nil {
		return b.Validate(err)
	}
	tr, err := bptt.New(cfg, env, sys, pol)
	if err != nil {
		return b.Validate(err)
	}
	defer tr.Close()
	t.MakeEnv = makeEnv
	t.EvalPolicy = func() (common.Policy, error) { return bptt.ClonePolicy(pol), nil }
	t.Plot = []string{"loss", "grad_norm", "eval_return"}
	t.Summarize = func(r *run.Run, sum run.Summary) error {
		sum["horizon_schedule"], sum["dynamics"] = o.Schedule, dynName
		return tr.Summarize(r, sum)
	}
	return a.Train(ctx, b, o.Env, tr, *t)
}

// runLearnBPTT runs "train bptt --learn-model": BPTT through a model
// learned in the loop (bptt.LearnTrainer).
func (a *app) runLearnBPTT(ctx context.Context, b *cli.Binder, lc bptt.LearnConfig, o *bpttFlags, t *run.Training) error {
	if o.TrueDynamics || o.Model != "" {
		return cli.Usagef("%s: --learn-model learns its own model: drop --true-dynamics and --model", b.Cmd)
	}
	if err := b.Validate(lc.Validate()); err != nil {
		return err
	}
	env, makeEnv, err := b.MakeEnv(o.Env)
	if err != nil {
		return err
	}
	if err := b.CheckMemory(lc.Memory(env, o.Hidden), t.Memory()); err != nil {
		return err
	}
	tr, err := bptt.NewLearn(lc, env, o.Hidden)
	if err != nil {
		return b.Validate(err)
	}
	defer tr.Close()
	pol := tr.Policy()
	t.MakeEnv = makeEnv
	t.EvalPolicy = func() (common.Policy, error) { return bptt.ClonePolicy(pol), nil }
	t.Plot = []string{"loss", "grad_norm", "eval_return", "episode_return"}
	t.Summarize = func(r *run.Run, sum run.Summary) error {
		sum["horizon_schedule"], sum["dynamics"] = o.Schedule, "learned"
		return tr.Summarize(r, sum)
	}
	return a.Train(ctx, b, o.Env, tr, *t)
}
