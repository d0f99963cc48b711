package main

import (
	"context"
	"flag"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/gps"
	"github.com/mbrl/mbrl/trainers/lggps"
)

// lggpsOptions are the flags of "mbrl train lggps": the library's Config
// (defaults from lggps.DefaultConfig) plus the run's.
type lggpsOptions struct {
	commonOptions
	cfg           lggps.Config
	Env           string
	Iters         int
	Hidden        string
	Init          string
	EvalEvery     int
	EvalEpisodes  int
	FinalEpisodes int
}

func (o *lggpsOptions) addFlags(fs *flag.FlagSet) {
	o.commonOptions.addFlags(fs, true)
	d := lggps.DefaultConfig()
	o.cfg = d
	c := &o.cfg
	fs.StringVar(&o.Env, "env", "pendulum", "environment name (see 'mbrl envs'); continuous actions and a known cost (its dynamics are not used)")
	fs.IntVar(&o.Iters, "iters", 30, "iterations (samples, local dynamics, LQG step, policy step, dual step)")
	fs.IntVar(&c.Conditions, "conditions", d.Conditions, "initial conditions K, drawn once from the env's reset distribution with the seed")
	fs.IntVar(&c.Samples, "samples", d.Samples, "trajectories N per condition and iteration on the real env")
	fs.IntVar(&c.Horizon, "horizon", d.Horizon, "trajectory length T (0: the env's episode length)")
	fs.Float64Var(&c.InitStd, "init-std", d.InitStd, "initial controllers' noise std, in half-widths of the action bounds")
	fs.Float64Var(&c.KLStep, "kl-step", d.KLStep, "KL bound epsilon per time step of the trajectory step (times the adapted multiplier)")
	fs.Float64Var(&c.MinStepMult, "min-step-mult", d.MinStepMult, "smallest multiplier of --kl-step")
	fs.Float64Var(&c.MaxStepMult, "max-step-mult", d.MaxStepMult, "largest multiplier of --kl-step")
	fs.IntVar(&c.Clusters, "clusters", d.Clusters, "components of the Gaussian mixture prior of the dynamics")
	fs.IntVar(&c.EMIters, "em-iters", d.EMIters, "EM iterations of the mixture")
	fs.Float64Var(&c.PriorStrength, "prior-strength", d.PriorStrength, "weight of the mixture prior in samples (0: plain regression)")
	fs.Float64Var(&c.BoundPenalty, "bound-penalty", d.BoundPenalty, "quadratic penalty on actions beyond the env's bounds in the trajectory cost")
	fs.Float64Var(&c.Rho, "rho", d.Rho, "initial penalty rho of the augmented Lagrangian")
	fs.Float64Var(&c.RhoGrowth, "rho-growth", d.RhoGrowth, "factor on rho after an iteration whose violation stalled (1: fixed rho)")
	fs.Float64Var(&c.RhoMax, "rho-max", d.RhoMax, "largest rho")
	fs.Float64Var(&c.DualStep, "dual-step", d.DualStep, "step alpha of lambda += alpha E[pi(x) - u] (0: 2 rho)")
	fs.IntVar(&c.PolicyEpochs, "policy-epochs", d.PolicyEpochs, "epochs of the policy regression per iteration")
	fs.IntVar(&c.Batch, "batch", d.Batch, "minibatch size of the policy regression")
	fs.Float64Var(&c.Adam.LR, "lr", d.Adam.LR, "Adam learning rate of the policy")
	fs.IntVar(&c.Workers, "workers", d.Workers, "goroutines over the conditions (0: one per CPU); results do not depend on it")
	fs.StringVar(&o.Init, "init", "zero", "initial controllers: \"zero\" (zero gains, noise only) or \"swingup\" (pendulum only: the linearisation of control.PendulumSwingUp's energy-shaping law along its rollouts; from zero the trajectory step stays hanging)")
	fs.StringVar(&o.Hidden, "hidden", "64,64", "policy hidden layer sizes (tanh); \"\" for none")
	fs.IntVar(&o.EvalEvery, "eval-every", 10, "evaluate the policy from random starts in the real env every N iterations (0: only at the end)")
	fs.IntVar(&o.EvalEpisodes, "eval-episodes", 20, "episodes per periodic evaluation")
	fs.IntVar(&o.FinalEpisodes, "final-episodes", 100, "episodes of the final evaluation")
}

func lggpsMethod() method {
	return method{
		name:    "lggps",
		summary: "guided policy search with local linear-Gaussian models: samples of K time-varying controllers on the real env, dynamics fitted with a mixture prior, KL-bounded LQG on the augmented Lagrangian, policy and dual steps",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context) error {
			o := &lggpsOptions{}
			o.addFlags(fs)
			return func(ctx context.Context) error { return a.runTrainLGGPS(ctx, o, fs) }
		},
	}
}

func (a *app) runTrainLGGPS(ctx context.Context, o *lggpsOptions, fs *flag.FlagSet) error {
	const cmd = "train lggps"
	switch {
	case o.Env == "":
		return usagef("mbrl %s: --env is required (see 'mbrl envs')", cmd)
	case o.Iters < 1:
		return usagef("mbrl %s: --iters must be at least 1, got %d", cmd, o.Iters)
	case o.EvalEvery < 0 || o.EvalEpisodes < 1 || o.FinalEpisodes < 1:
		return usagef("mbrl %s: --eval-every must be >= 0 and --eval-episodes, --final-episodes >= 1", cmd)
	}
	if err := o.cfg.Validate(); err != nil {
		return usagef("mbrl %s: %v", cmd, err)
	}
	var hidden []int
	if s := strings.TrimSpace(o.Hidden); s != "" && s != "none" {
		var err error
		if hidden, err = parseInts(s); err != nil {
			return usagef("mbrl %s: --hidden: %v", cmd, err)
		}
		for _, h := range hidden {
			if h <= 0 {
				return usagef("mbrl %s: --hidden sizes must be positive, got %q", cmd, o.Hidden)
			}
		}
	}
	mk := func() (envs.Env, error) { return envs.Make(o.Env) }
	env, err := mk()
	if err != nil {
		return asUsage(err)
	}
	if env.ActionSpace().Discrete {
		return usagef("mbrl %s: env %q has discrete actions; GPS needs continuous ones (try cartpole-continuous)", cmd, o.Env)
	}
	cost, ok := lggps.CostOf(env)
	if !ok {
		return usagef("mbrl %s: env %q has no known cost (local-model GPS learns the dynamics, not the cost)", cmd, o.Env)
	}
	pol, err := newLGGPSPolicy(env, hidden, rand.New(rand.NewPCG(o.Seed, 0)))
	if err != nil {
		return asUsage(err)
	}
	switch o.Init {
	case "zero":
	case "swingup":
		if _, ok := env.(*envs.Pendulum); !ok {
			return usagef("mbrl %s: --init swingup is the pendulum's swing-up law; env %q needs --init zero", cmd, o.Env)
		}
		law := control.PendulumSwingUp().(control.FeedbackPlan).Policy
		o.cfg.Init = law
	default:
		return usagef("mbrl %s: --init must be zero or swingup, got %q", cmd, o.Init)
	}
	o.cfg.Seed = o.Seed
	tr, err := lggps.New(o.cfg, mk, cost, pol)
	if err != nil {
		return asUsage(err)
	}
	defer tr.Close()
	if o.Out == "" && o.Resume == "" {
		if o.Out, err = a.runDir(&o.commonOptions, "lggps", o.Env); err != nil {
			return err
		}
	}
	dir := o.Out
	if dir == "" {
		dir = filepath.Dir(o.Resume)
	}
	tap := &lggpsTap{Trainer: tr, dir: dir}
	return a.runTraining(ctx, &trainingRun{
		method: "lggps", env: o.Env, opts: &o.commonOptions, fs: fs,
		trainer: tap, iters: o.Iters,
		makeEnv:       mk,
		evalPolicy:    func() (common.Policy, error) { return gps.ClonePolicy(pol) },
		evalEvery:     o.EvalEvery,
		evalEpisodes:  o.EvalEpisodes,
		finalEpisodes: o.FinalEpisodes,
		plot:          []string{"traj_cost", "policy_cost", "eval_return"},
		extra: func() map[string]any {
			return map[string]any{
				"conditions": o.cfg.Conditions, "samples": o.cfg.Samples, "horizon": tr.Horizon(),
				"kl_step_bound": o.cfg.KLStep, "rho": o.cfg.Rho, "hidden": o.Hidden, "init": o.Init,
				"env_steps": tr.EnvSteps(), "traj_cost": tap.last["traj_cost"], "policy_cost": tap.last["policy_cost"],
				"violation_first": tap.first["violation"], "violation": tap.last["violation"],
				"kl_step": tap.last["kl_step"], "epsilon": tap.last["epsilon"],
			}
		},
	})
}

// lggpsTap draws cost.png, violation.png and kl.png (per iteration, log
// scale) into the run folder and keeps the first and last metrics for the
// JSON summary.
type lggpsTap struct {
	*lggps.Trainer
	dir         string
	first, last map[string]float64
	history     []map[string]float64
}

func (g *lggpsTap) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	ms, err := g.Trainer.Iterate(ctx, iter)
	if err != nil {
		return ms, err
	}
	row := map[string]float64{"iter": float64(iter + 1)}
	for _, m := range ms {
		row[m.Name] = m.Value
	}
	if g.first == nil {
		g.first = row
	}
	g.last = row
	g.history = append(g.history, row)
	for _, p := range []struct {
		file, title string
		cols        []string
	}{
		{"cost.png", "lggps cost from the K conditions", []string{"traj_cost", "policy_cost"}},
		{"violation.png", "lggps constraint violation |pi(x)-u|", []string{"violation", "violation_rms"}},
		{"kl.png", "lggps KL step per time step and its bound", []string{"kl_step", "epsilon"}},
	} {
		if err := plotHistoryLog(filepath.Join(g.dir, p.file), p.title, "iter", p.cols, g.history); err != nil {
			return ms, err
		}
	}
	return ms, nil
}

// newLGGPSPolicy returns the policy's mean for env: as newGPSPolicy, with
// an observation normaliser (fitted by the trainer to the first samples)
// when the actions are bounded.
func newLGGPSPolicy(env envs.Env, hidden []int, rng *rand.Rand) (gps.Policy, error) {
	as := env.ActionSpace()
	for i := range as.Low {
		if math.IsInf(as.Low[i], 0) || math.IsInf(as.High[i], 0) {
			return newGPSPolicy(env, hidden, rng)
		}
	}
	return nn.NewDeterministicPolicy("policy", nn.PolicyArch{
		ObsDim: env.ObservationSpace().Dim(), ActDim: as.Dim(), Hidden: hidden, Activation: nn.Tanh,
		Low: as.Low, High: as.High, ObsNorm: true,
	}, rng)
}
