package main

import (
	"cmp"
	"context"
	"math/rand/v2"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/gps"
	"github.com/mbrl/mbrl/trainers/run"
)

// gpsFlags are the flags of "mbrl train gps" beyond gps.Config.
type gpsFlags struct {
	Env, RhoSchedule, Model string
	Hidden                  []int
	TrueDynamics            bool
}

func (a *app) gpsMethod() cli.Command {
	return cli.Command{
		Name:    "gps",
		Summary: "guided policy search: iLQR trajectories from K initial conditions and a policy tied by dual gradient descent on the augmented Lagrangian of u_t = pi(x_t)",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			cfg := gps.DefaultConfig()
			o := &gpsFlags{Env: "pendulum", RhoSchedule: "adaptive", Hidden: []int{64, 64}, TrueDynamics: true}
			t := &run.Training{Iters: 30, EvalEvery: 10, EvalEpisodes: 20, FinalEpisodes: 100}
			b.Bind("", o, row("env", "Env", "environment name (see 'mbrl envs'); it needs continuous actions, and known dynamics or, with --model, a known cost on observations (e.g. gym:Pendulum-v1)"))
			b.Bind("gps", &cfg,
				row("conditions", "Conditions", "initial conditions K, drawn once from the env's reset distribution with the seed; one trajectory each"))
			b.BindTraining(t, "GPS iterations (trajectories, policy, dual variables)")
			b.Bind("gps", &cfg,
				row("horizon", "Horizon", "trajectory length T (0: the env's episode length, 200 for pendulum)"),
				row("rho", "Rho", "initial penalty rho of the augmented Lagrangian"),
				row("dual-step", "DualStep", "step alpha of lambda += alpha (pi(x) - u) (0: 2 rho, the method of multipliers)"),
				row("policy-epochs", "PolicyEpochs", "epochs of the policy regression per iteration"),
				row("batch", "Batch", "minibatch size of the policy regression"),
				row("policy-shards", "PolicyShards", "split each minibatch of the policy regression into this many blocks run on two cores; results depend on it, not on the cores (1: one block)"),
				row("lr", "Adam.LR", "Adam learning rate of the policy"),
				row("ilqr-iters", "ILQRIters", "iLQR iterations per condition and GPS iteration at most"),
				row("feedback-samples", "FeedbackSamples", "extra policy-regression rows per trajectory step at perturbed states, with the trajectory's feedback controller's action as target (0: the plain method)"),
				row("feedback-noise", "FeedbackNoise", "standard deviation of the state perturbations of --feedback-samples"))
			b.Bind("", o,
				row("rho-schedule", "RhoSchedule", "\"adaptive\" (rho doubles where the violation stalls while it dominates the dual residual) or a fixed schedule ITER:RHO,... (e.g. \"5:10,10:100\")"),
				row("hidden", "Hidden", "policy hidden layer sizes (tanh); \"\" for none (a linear policy on envs with unbounded actions)"),
				row("true-dynamics", "TrueDynamics", "optimise trajectories on the env's known dynamics"),
				row("model", "Model", "optimise trajectories on the learned model \"dynamics\" of this checkpoint (from 'mbrl train model') instead"))
			return func(ctx context.Context, _ []string) error { return a.runTrainGPS(ctx, b, cfg, o, t) }
		},
	}
}

func (a *app) runTrainGPS(ctx context.Context, b *cli.Binder, cfg gps.Config, o *gpsFlags, t *run.Training) error {
	sched, err := gps.ParseRhoSchedule(o.RhoSchedule)
	if err != nil {
		return cli.Usagef("%s: --rho-schedule: %v", b.Cmd, err)
	}
	cfg.RhoSchedule, cfg.Seed = sched, b.Common.Seed
	if err := b.Validate(cfg.Validate(), t.Validate()); err != nil {
		return err
	}
	trueSet := b.Given("true-dynamics")
	switch {
	case o.Model != "" && trueSet && o.TrueDynamics:
		return cli.Usagef("%s: give either --true-dynamics or --model CKPT, not both", b.Cmd)
	case o.Model == "" && !o.TrueDynamics:
		return cli.Usagef("%s: --true-dynamics=false needs --model CKPT", b.Cmd)
	}
	env, makeEnv, err := b.MakeEnv(o.Env)
	if err != nil {
		return err
	}
	sys, err := gps.SystemFor(env, o.Model)
	if err != nil {
		return b.ModelError(o.Model, err)
	}
	b.Alias("gps", "Hidden", "hidden")
	if err := b.CheckMemory(cfg.Memory(env, o.Hidden), t.Memory()); err != nil {
		return err
	}
	pol, err := gps.NewPolicy(env, o.Hidden, rand.New(rand.NewPCG(b.Common.Seed, 0)))
	if err != nil {
		return b.Validate(err)
	}
	cfg.Init = gps.InitialPlans(env, o.Model != "")
	tr, err := gps.New(cfg, env, sys, pol)
	if err != nil {
		return b.Validate(err)
	}
	defer tr.Close()
	t.MakeEnv = makeEnv
	t.EvalPolicy = func() (common.Policy, error) { return gps.ClonePolicy(pol) }
	t.Plot = []string{"traj_cost", "policy_cost", "eval_return"}
	t.Recorders = []run.Recorder{gps.NewRecorder(tr)}
	t.Summarize = func(_ *run.Run, sum run.Summary) error {
		sum["dynamics"], sum["rho_schedule"], sum["hidden"] = cmp.Or(o.Model, "true"), o.RhoSchedule, b.FS.Lookup("hidden").Value.String()
		return nil
	}
	return a.Train(ctx, b, o.Env, tr, *t)
}
