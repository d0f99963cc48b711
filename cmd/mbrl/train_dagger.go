package main

import (
	"context"
	"flag"
	"math"
	"strings"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/dagger"
	"github.com/mbrl/mbrl/trainers/imitation"
	"github.com/mbrl/mbrl/trainers/plato"
)

// imitationOptions are the flags "mbrl train bc|dagger|plato" share.
type imitationOptions struct {
	commonOptions
	Env             string
	Expert          string
	ctl             controllerOptions
	Iters           int
	EpisodesPerIter int
	Hidden          string
	Epochs          int
	Patience        int
	ValFrac         float64
	Batch           int
	LR              float64
	Workers         int
	EvalEvery       int
	EvalEpisodes    int
	FinalEpisodes   int
	EvalExpert      bool
}

func (o *imitationOptions) addFlags(fs *flag.FlagSet, iters, episodes int, expertHelp string) {
	o.commonOptions.addFlags(fs, true)
	fs.StringVar(&o.Env, "env", "pendulum", "environment name (see 'mbrl envs'); continuous actions")
	fs.StringVar(&o.Expert, "expert", "mpc", expertHelp)
	o.ctl.addFlags(fs, 1)
	fs.IntVar(&o.Iters, "iters", iters, "iterations (each runs and labels --episodes-per-iter episodes, aggregates and retrains)")
	fs.IntVar(&o.EpisodesPerIter, "episodes-per-iter", episodes, "episodes run and labelled by the expert per iteration")
	fs.StringVar(&o.Hidden, "hidden", "64,64", "policy hidden layer sizes (tanh)")
	fs.IntVar(&o.Epochs, "epochs", 50, "maximum epochs of each retraining (warm start)")
	fs.IntVar(&o.Patience, "patience", 5, "stop a retraining after this many epochs without a better held-out loss")
	fs.Float64Var(&o.ValFrac, "val-frac", 0.1, "held-out fraction of the dataset for early stopping")
	fs.IntVar(&o.Batch, "batch", 256, "minibatch size")
	fs.Float64Var(&o.LR, "lr", 1e-3, "Adam learning rate")
	fs.IntVar(&o.Workers, "workers", 0, "goroutines for expert labelling (0: all cores); results do not depend on it")
	fs.IntVar(&o.EvalEvery, "eval-every", 1, "evaluate the learner in the real env every N iterations (0: only at the end)")
	fs.IntVar(&o.EvalEpisodes, "eval-episodes", 20, "episodes per periodic evaluation")
	fs.IntVar(&o.FinalEpisodes, "final-episodes", 100, "episodes of the final evaluation (and of the expert's)")
	fs.BoolVar(&o.EvalExpert, "eval-expert", true, "evaluate the expert once (--final-episodes episodes) and log expert_return")
}

// check validates the shared flags and returns the hidden sizes, the env
// and the expert factory.
func (o *imitationOptions) check(a *app, cmd string) ([]int, envs.Env, func() (common.Policy, error), error) {
	switch {
	case o.Iters < 1 || o.EpisodesPerIter < 1:
		return nil, nil, nil, usagef("mbrl %s: --iters and --episodes-per-iter must be at least 1", cmd)
	case o.Epochs < 1 || o.Patience < 1 || o.Batch < 1:
		return nil, nil, nil, usagef("mbrl %s: --epochs, --patience and --batch must be at least 1", cmd)
	case !(o.ValFrac >= 0 && o.ValFrac < 1):
		return nil, nil, nil, usagef("mbrl %s: --val-frac must be in [0, 1), got %v", cmd, o.ValFrac)
	case !(o.LR > 0) || math.IsInf(o.LR, 0):
		return nil, nil, nil, usagef("mbrl %s: --lr must be positive, got %v", cmd, o.LR)
	case o.Workers < 0 || o.EvalEvery < 0 || o.EvalEpisodes < 1 || o.FinalEpisodes < 1:
		return nil, nil, nil, usagef("mbrl %s: --workers and --eval-every must be >= 0, --eval-episodes and --final-episodes >= 1", cmd)
	case o.ctl.Plans < 1 || o.ctl.Horizon < 0 || o.ctl.Iters < 0:
		return nil, nil, nil, usagef("mbrl %s: --plans must be at least 1 and --mpc-horizon, --mpc-iters >= 0", cmd)
	}
	hidden, err := parseInts(o.Hidden)
	if err != nil {
		return nil, nil, nil, usagef("mbrl %s: --hidden: %v", cmd, err)
	}
	if len(hidden) == 0 {
		return nil, nil, nil, usagef("mbrl %s: --hidden needs at least one layer size, e.g. 64,64", cmd)
	}
	for _, h := range hidden {
		if h < 1 {
			return nil, nil, nil, usagef("mbrl %s: --hidden sizes must be positive, got %q", cmd, o.Hidden)
		}
	}
	env, err := envs.Make(o.Env)
	if err != nil {
		return nil, nil, nil, asUsage(err)
	}
	if env.ActionSpace().Discrete {
		return nil, nil, nil, usagef("mbrl %s: %s has discrete actions; imitation regresses continuous actions (try cartpole-continuous)", cmd, o.Env)
	}
	var expert func() (common.Policy, error)
	switch {
	case isController(o.Expert):
		expert, err = a.controllerFactory(o.Expert, env, o.ctl)
	case strings.HasSuffix(o.Expert, ".safetensors"):
		expert, err = checkpointPolicy(o.Expert, env)
	default:
		return nil, nil, nil, usagef("mbrl %s: unknown --expert %q (valid: %s, or a policy checkpoint .safetensors)", cmd, o.Expert, strings.Join(controllerNames, ", "))
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return hidden, env, expert, nil
}

func (o *imitationOptions) fit() imitation.FitConfig {
	return config.With(imitation.DefaultFitConfig(), func(c *imitation.FitConfig) {
		c.Epochs = o.Epochs
		c.Patience = o.Patience
		c.ValFrac = o.ValFrac
		c.Batch = o.Batch
		c.LR = o.LR
	})
}

// imitationTap records what the JSON summary reports: the last metrics and
// the mean training-episode return over the iterations run.
type imitationTap struct {
	common.Trainer
	last      map[string]float64
	trainSum  float64
	trainIter int
}

func (t *imitationTap) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	ms, err := t.Trainer.Iterate(ctx, iter)
	if err == nil {
		t.last = map[string]float64{}
		for _, m := range ms {
			t.last[m.Name] = m.Value
		}
		if v, ok := t.last["train_return"]; ok {
			t.trainSum += v
			t.trainIter++
		}
	}
	return ms, err
}

// extra returns the summary fields common to the three methods.
func (t *imitationTap) extra(o *imitationOptions) map[string]any {
	m := map[string]any{
		"expert": o.Expert, "plans": o.ctl.Plans, "episodes_per_iter": o.EpisodesPerIter,
	}
	for _, k := range []string{"labels", "expert_return", "train_return", "bc_return", "bc_labels"} {
		if v, ok := t.last[k]; ok {
			m[k] = v
		}
	}
	if t.trainIter > 0 {
		m["mean_train_return"] = t.trainSum / float64(t.trainIter)
	}
	return m
}

func bcMethod() method {
	return method{
		name:    "bc",
		summary: "behaviour cloning: regress the expert's actions on the states of its own demonstrations (supervised, held-out early stopping)",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context) error {
			o := &imitationOptions{}
			o.addFlags(fs, 1, 200, "expert that demonstrates: mpc (on the true dynamics), lqr, ilqr, or a policy checkpoint .safetensors")
			return func(ctx context.Context) error { return a.runTrainDAgger(ctx, "bc", o, nil, fs) }
		},
	}
}

// daggerOptions are the flags of "mbrl train dagger" beyond the shared ones.
type daggerOptions struct {
	BetaDecay float64
	CompareBC bool
}

func daggerMethod() method {
	return method{
		name:    "dagger",
		summary: "DAgger (Ross et al. 2011): run the mixture beta_i expert + (1-beta_i) learner, label every visited state with the expert, aggregate, retrain",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context) error {
			o := &imitationOptions{}
			o.addFlags(fs, 10, 20, "expert that labels states: mpc (on the true dynamics), lqr, ilqr, or a policy checkpoint .safetensors")
			d := &daggerOptions{}
			fs.Float64Var(&d.BetaDecay, "beta-decay", 0.5, "p in beta_i = p^(i-1), the probability that the expert acts at a step of iteration i (0: expert only in the first iteration)")
			fs.BoolVar(&d.CompareBC, "compare-bc", false, "also train behaviour cloning on as many expert-only labels at each iteration and log bc_return beside DAgger's")
			return func(ctx context.Context) error { return a.runTrainDAgger(ctx, "dagger", o, d, fs) }
		},
	}
}

func (a *app) runTrainDAgger(ctx context.Context, method string, o *imitationOptions, d *daggerOptions, fs *flag.FlagSet) error {
	cmd := "train " + method
	hidden, env, expert, err := o.check(a, cmd)
	if err != nil {
		return err
	}
	cfg := config.With(dagger.DefaultConfig(), func(c *dagger.Config) {
		c.MakeEnv = func() (envs.Env, error) { return envs.Make(o.Env) }
		c.Expert = expert
		c.Hidden = hidden
		c.Iters = o.Iters
		c.EpisodesPerIter = o.EpisodesPerIter
		c.BC = d == nil
		c.Fit = o.fit()
		c.Workers = o.Workers
		c.Seed = o.Seed
		c.EvalEpisodes = o.EvalEpisodes
		c.FinalEvalEpisodes = o.FinalEpisodes
		c.EvalSeed = o.Seed
		c.EvalExpert = o.EvalExpert
	})
	plot := []string{"eval_return", "expert_return"}
	if d != nil {
		if !(d.BetaDecay >= 0 && d.BetaDecay <= 1) {
			return usagef("mbrl %s: --beta-decay must be in [0, 1], got %v", cmd, d.BetaDecay)
		}
		cfg.BetaDecay, cfg.CompareBC = d.BetaDecay, d.CompareBC
		plot = []string{"eval_return", "bc_return", "train_return", "expert_return"}
	}
	tr, err := dagger.New(cfg)
	if err != nil {
		return asUsage(err)
	}
	defer tr.Close()
	tap := &imitationTap{Trainer: tr}
	pol := tr.Policy()
	return a.runTraining(ctx, &trainingRun{
		method: method, env: env.Name(), opts: &o.commonOptions, fs: fs,
		trainer: tap, iters: o.Iters,
		makeEnv:       cfg.MakeEnv,
		evalPolicy:    func() (common.Policy, error) { return pol.Clone(), nil },
		evalEvery:     o.EvalEvery,
		evalEpisodes:  o.EvalEpisodes,
		finalEpisodes: o.FinalEpisodes,
		plot:          plot,
		plotX:         "labels",
		extra: func() map[string]any {
			m := tap.extra(o)
			if d != nil {
				m["beta_decay"], m["compare_bc"] = d.BetaDecay, d.CompareBC
			}
			return m
		},
	})
}

// platoOptions are the flags of "mbrl train plato" beyond the shared ones.
type platoOptions struct {
	KLWeight   float64
	KLSchedule string
	KLGrowth   float64
	MinStd     float64
}

func platoMethod() method {
	return method{
		name:    "plato",
		summary: "PLATO (Kahn et al. 2017): execute an adaptive MPC teacher pulled towards the Gaussian learner by a KL term, label with plain MPC, aggregate, retrain",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context) error {
			o := &imitationOptions{}
			o.addFlags(fs, 10, 20, "expert that labels states: mpc (on the true dynamics; the teacher is the same MPC with the KL term)")
			p := &platoOptions{}
			fs.Float64Var(&p.KLWeight, "kl-weight", 0.01, "lambda, the weight of KL(teacher || learner) in the teacher's cost (0: the teacher is the plain expert)")
			fs.StringVar(&p.KLSchedule, "kl-schedule", "constant", "lambda over the iterations: constant, linear (0 at the first, --kl-weight at the last) or exp (--kl-weight * --kl-growth^i)")
			fs.Float64Var(&p.KLGrowth, "kl-growth", 2, "growth factor of --kl-schedule exp")
			fs.Float64Var(&p.MinStd, "min-std", 0, "floor of the learner's fitted standard deviation (0: 5% of half the action range)")
			return func(ctx context.Context) error { return a.runTrainPLATO(ctx, o, p, fs) }
		},
	}
}

func (a *app) runTrainPLATO(ctx context.Context, o *imitationOptions, p *platoOptions, fs *flag.FlagSet) error {
	const cmd = "train plato"
	if o.Expert != "mpc" {
		return usagef("mbrl %s: --expert must be mpc (PLATO's teacher is that MPC with a KL term), got %q", cmd, o.Expert)
	}
	sched, err := plato.ParseSchedule(p.KLSchedule)
	if err != nil {
		return asUsage(err)
	}
	if !(p.KLWeight >= 0) || math.IsInf(p.KLWeight, 0) || !(p.KLGrowth > 0) || math.IsInf(p.KLGrowth, 0) || !(p.MinStd >= 0) {
		return usagef("mbrl %s: --kl-weight and --min-std must be >= 0 and --kl-growth > 0", cmd)
	}
	hidden, env, expert, err := o.check(a, cmd)
	if err != nil {
		return err
	}
	dyn, _ := envs.DynamicsOf(env) // check() made the mpc expert, so the dynamics are known
	teacher := control.MPCSettings{Plans: o.ctl.Plans, Horizon: o.ctl.Horizon, Iters: o.ctl.Iters}
	if o.ctl.Plans > 1 && env.Name() == "pendulum" {
		// The population of the mpc expert (controllers.go).
		teacher.Fresh = []control.Generator{control.ZeroPlan{}, control.RandomPlan{Hold: 5},
			control.BangBang{}, control.BangBang{}, control.PendulumSwingUp()}
	}
	cfg := config.With(plato.DefaultConfig(), func(c *plato.Config) {
		c.MakeEnv = func() (envs.Env, error) { return envs.Make(o.Env) }
		c.Expert = expert
		c.Dynamics = dyn
		c.Teacher = teacher
		c.KLWeight = p.KLWeight
		c.Schedule = sched
		c.KLGrowth = p.KLGrowth
		c.MinStd = p.MinStd
		c.Hidden = hidden
		c.Iters = o.Iters
		c.EpisodesPerIter = o.EpisodesPerIter
		c.Fit = o.fit()
		c.Workers = o.Workers
		c.Seed = o.Seed
		c.EvalExpert = o.EvalExpert
		c.FinalEvalEpisodes = o.FinalEpisodes
		c.EvalSeed = o.Seed
	})
	tr, err := plato.New(cfg)
	if err != nil {
		return asUsage(err)
	}
	defer tr.Close()
	tap := &imitationTap{Trainer: tr}
	pol := tr.Policy()
	return a.runTraining(ctx, &trainingRun{
		method: "plato", env: env.Name(), opts: &o.commonOptions, fs: fs,
		trainer: tap, iters: o.Iters,
		makeEnv: cfg.MakeEnv,
		evalPolicy: func() (common.Policy, error) {
			return common.PolicyFunc(pol.Clone().Mean), nil
		},
		evalEvery:     o.EvalEvery,
		evalEpisodes:  o.EvalEpisodes,
		finalEpisodes: o.FinalEpisodes,
		plot:          []string{"eval_return", "train_return", "expert_return"},
		plotX:         "labels",
		extra: func() map[string]any {
			m := tap.extra(o)
			m["kl_weight"], m["kl_schedule"] = p.KLWeight, string(sched)
			return m
		},
	})
}
