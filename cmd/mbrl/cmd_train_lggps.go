package main

import (
	"context"
	"math/rand/v2"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/gps"
	"github.com/mbrl/mbrl/trainers/lggps"
	"github.com/mbrl/mbrl/trainers/run"
)

// modelInitStd is the initial controllers' noise std of --init model: the
// model's controllers already swing the pendulum up, and the default 0.5
// (for zero controllers, which must explore) knocks it off the top.
const modelInitStd = 0.05

// lggpsFlags are the flags of "mbrl train lggps" beyond lggps.Config.
type lggpsFlags struct {
	Env, Init string
	Hidden    []int
	Model     lggps.ModelInit
}

func (a *app) lggpsMethod() cli.Command {
	return cli.Command{
		Name:    "lggps",
		Summary: "guided policy search with local linear-Gaussian models: samples of K time-varying controllers on the real env, dynamics fitted with a mixture prior, KL-bounded LQG on the augmented Lagrangian, policy and dual steps",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			cfg, o := lggps.DefaultConfig(), &lggpsFlags{Env: "pendulum", Init: "model", Hidden: []int{64, 64}, Model: lggps.DefaultModelInit()}
			t := &run.Training{Iters: 25, EvalEvery: 5, EvalEpisodes: 20, FinalEpisodes: 100}
			b.Bind("", o,
				row("env", "Env", "environment name (see 'mbrl envs'); continuous actions and a known cost (its dynamics are not used)"),
				row("init", "Init", "initial controllers: model (from samples alone: MPC on a global model fitted to random episodes, with tracking-LQR gains), zero (zero gains, noise only; from zero the pendulum stays hanging) or hint (the linearisation of the env's hinted feedback law along its rollouts, env knowledge)"),
				row("hidden", "Hidden", "policy hidden layer sizes (tanh); \"\" for none"),
				row("init-episodes", "Model.Episodes", "--init model: episodes of random actions the global model is fitted to (their env steps count)"),
				row("init-steps", "Model.Steps", "--init model: length of those episodes (0: the horizon)"),
				row("init-epochs", "Model.Epochs", "--init model: training epochs of the global model"),
				row("init-plans", "Model.Plans", "--init model: candidate plans of the receding-horizon iLQR on the model (1: one warm-started plan)"),
				row("init-mpc-horizons", "Model.Horizons", "--init model: planning horizons of the receding-horizon iLQR, each run from every condition, the rollout of least cost kept"),
				row("init-rounds", "Model.Rounds", "--init model: rounds of that planning; before each round after the first the model trains --init-refit-epochs more on all data so far, the rollouts included (each condition keeps its cheapest rollout)"),
				row("init-refit-epochs", "Model.RefitEpochs", "--init model: epochs of each refit between rounds"))
			b.BindTraining(t, "iterations (samples, local dynamics, LQG step, policy step, dual step)")
			b.Bind("lggps", &cfg,
				row("conditions", "Conditions", "initial conditions K, drawn once from the env's reset distribution with the seed"),
				row("samples", "Samples", "trajectories N per condition and iteration on the real env"),
				row("horizon", "Horizon", "trajectory length T (0: the env's episode length)"),
				row("init-std", "InitStd", "initial controllers' noise std, in half-widths of the action bounds (0.05 with --init model unless given)"),
				row("kl-step", "KLStep", "KL bound epsilon per time step of the trajectory step (times the adapted multiplier)"),
				row("min-step-mult", "MinStepMult", "smallest multiplier of --kl-step"),
				row("max-step-mult", "MaxStepMult", "largest multiplier of --kl-step"),
				row("max-ent", "MaxEnt", "weight of the controllers' entropy in the trajectory step (0: none; their noise then shrinks every step)"),
				row("clusters", "Clusters", "components of the Gaussian mixture prior of the dynamics"),
				row("em-iters", "EMIters", "EM iterations of the mixture"),
				row("prior-strength", "PriorStrength", "weight of the mixture prior in samples (0: plain regression)"),
				row("bound-penalty", "BoundPenalty", "quadratic penalty on actions beyond the env's bounds in the trajectory cost"),
				row("rho", "Rho", "initial penalty rho of the augmented Lagrangian"),
				row("rho-growth", "RhoGrowth", "factor on rho after an iteration whose violation stalled (1: fixed rho)"),
				row("rho-max", "RhoMax", "largest rho"),
				row("dual-step", "DualStep", "step alpha of lambda += alpha E[pi(x) - u] (0: 2 rho)"),
				row("policy-epochs", "PolicyEpochs", "epochs of the policy regression per iteration"),
				row("batch", "Batch", "minibatch size of the policy regression"),
				row("lr", "Adam.LR", "Adam learning rate of the policy"),
				row("workers", "Workers", "goroutines over the conditions (0: one per CPU); results do not depend on it"))
			return func(ctx context.Context, _ []string) error { return a.runTrainLGGPS(ctx, b, cfg, o, t) }
		},
	}
}

func (a *app) runTrainLGGPS(ctx context.Context, b *cli.Binder, cfg lggps.Config, o *lggpsFlags, t *run.Training) error {
	cfg.Seed = b.Common.Seed
	if o.Init == "model" {
		if o.Model.Episodes < 1 {
			return cli.Usagef("%s: --init-episodes must be >= 1 with --init model, got %d", b.Cmd, o.Model.Episodes)
		}
		cfg.ModelInit = o.Model
		if !b.Given("init-std") {
			cfg.InitStd = modelInitStd
		}
	}
	for f, name := range map[string]string{"Episodes": "init-episodes", "Steps": "init-steps", "Epochs": "init-epochs",
		"Plans": "init-plans", "Horizons": "init-mpc-horizons", "Rounds": "init-rounds", "RefitEpochs": "init-refit-epochs"} {
		b.Alias("lggps", "ModelInit."+f, name)
	}
	if err := b.Validate(cfg.Validate(), t.Validate()); err != nil {
		return err
	}
	env, makeEnv, err := b.MakeEnv(o.Env)
	if err != nil {
		return err
	}
	if env.ActionSpace().Discrete {
		return cli.Usagef("%s: env %q has discrete actions; GPS needs continuous ones (try cartpole-continuous)", b.Cmd, o.Env)
	}
	cost, ok := lggps.CostOf(env)
	if !ok {
		return cli.Usagef("%s: env %q has no known dynamics (local-model GPS costs the env's states and restarts episodes at them); use 'mbrl train gps --model CKPT' (CKPT from 'mbrl train model --env %s') instead", b.Cmd, o.Env, o.Env)
	}
	switch o.Init {
	case "zero":
	case "model": // set above
	case "hint":
		if cfg.Init, err = lggps.HintedInit(env); err != nil {
			return cli.Usagef("%s: --init hint: %v", b.Cmd, err)
		}
	default:
		return cli.Usagef("%s: --init must be model, zero or hint, got %q", b.Cmd, o.Init)
	}
	b.Alias("lggps", "Hidden", "hidden")
	if err := b.CheckMemory(cfg.Memory(env, o.Hidden), t.Memory()); err != nil {
		return err
	}
	pol, err := lggps.NewPolicy(env, o.Hidden, rand.New(rand.NewPCG(b.Common.Seed, 0)))
	if err != nil {
		return b.Validate(err)
	}
	tr, err := lggps.New(cfg, makeEnv, cost, pol)
	if err != nil {
		return b.Validate(err)
	}
	defer tr.Close()
	t.MakeEnv = makeEnv
	t.EvalPolicy = func() (common.Policy, error) { return gps.ClonePolicy(pol) }
	t.Plot = []string{"traj_cost", "policy_cost", "eval_return"}
	t.Recorders = []run.Recorder{lggps.NewRecorder(tr)}
	t.Summarize = func(_ *run.Run, sum run.Summary) error {
		sum["init"], sum["hidden"] = o.Init, b.FS.Lookup("hidden").Value.String()
		return nil
	}
	return a.Train(ctx, b, o.Env, tr, *t)
}
