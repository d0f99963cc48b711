package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/model"
	"github.com/mbrl/mbrl/trainers/mpc"
)

// modelOptions are the flags of "mbrl train model".
type modelOptions struct {
	commonOptions
	Env           string
	Policy        string
	Samples       int
	ValFrac       float64
	Ensemble      int
	Hidden        string
	Batch         int
	LR            float64
	Iters         int
	EpochsPerIter int
}

func (o *modelOptions) addFlags(fs *flag.FlagSet) {
	o.commonOptions.addFlags(fs, true)
	fs.StringVar(&o.Env, "env", "", "environment name (see 'mbrl envs'); required")
	fs.StringVar(&o.Policy, "policy", "random", "policy that collects the data: random, zero, a controller or a checkpoint path")
	fs.IntVar(&o.Samples, "samples", 0, "env steps to collect (0: 100 episodes, 20000 for pendulum)")
	fs.Float64Var(&o.ValFrac, "val-frac", 0.1, "fraction of the collected episodes held out for validation")
	fs.IntVar(&o.Ensemble, "ensemble", 1, "ensemble members E: 1 fits one dynamics model, E >= 2 an ensemble (own init and bootstrap per member)")
	fs.StringVar(&o.Hidden, "hidden", "64,64", "hidden layer sizes of the MLP (tanh)")
	fs.IntVar(&o.Batch, "batch", 256, "minibatch size")
	fs.Float64Var(&o.LR, "lr", 1e-3, "Adam learning rate")
	fs.IntVar(&o.Iters, "iters", 20, "iterations (each --epochs-per-iter epochs of fitting, then validation)")
	fs.IntVar(&o.EpochsPerIter, "epochs-per-iter", 5, "epochs over the training data per iteration")
}

func modelMethod() method {
	return method{
		name:    "model",
		summary: "fit a neural dynamics model (or ensemble) to transitions collected in the env; reports one-step and open-loop errors",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context) error {
			o := &modelOptions{}
			o.addFlags(fs)
			return func(ctx context.Context) error { return a.runTrainModel(ctx, o, fs) }
		},
	}
}

// modelHiddenSizes parses a --hidden list of positive sizes.
func modelHiddenSizes(cmd, s string) ([]int, error) {
	h, err := parseInts(s)
	if err != nil {
		return nil, usagef("mbrl %s: --hidden: %v", cmd, err)
	}
	if len(h) == 0 {
		return nil, usagef("mbrl %s: --hidden needs at least one layer size", cmd)
	}
	for _, v := range h {
		if v <= 0 {
			return nil, usagef("mbrl %s: --hidden sizes must be positive, got %q", cmd, s)
		}
	}
	return h, nil
}

// fixRunDir decides the run folder the way runTraining does (--out, the
// folder of --resume, or a new runs/METHOD-ENV-SEED-TIMESTAMP) and pins it
// in o.Out, so that the method can write its own files there.
func (a *app) fixRunDir(o *commonOptions, method, env string) (string, error) {
	if o.Out == "" && o.Resume != "" {
		o.Out = filepath.Dir(o.Resume)
	}
	if o.Out == "" {
		dir, err := a.runDir(o, method, env)
		if err != nil {
			return "", err
		}
		o.Out = dir
	}
	return o.Out, nil
}

// modelErrorHorizon is the longest horizon of model_error.png.
const modelErrorHorizon = 50

// saveModelErrorPlot draws the open-loop RMSE against the horizon for the
// model (the ensemble mean) and, for an ensemble, its first member.
func saveModelErrorPlot(path, title string, ensemble int, mean, member []float64) error {
	xs := make([]float64, len(mean))
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	ss := []series{{Name: "model", X: xs, Y: mean}}
	if ensemble > 1 {
		ss[0].Name = fmt.Sprintf("ensemble mean (E=%d)", ensemble)
		ss = append(ss, series{Name: "member 0", X: xs, Y: member})
	}
	return savePlot(path, plotOptions{Title: title, XLabel: "prediction horizon (steps)", YLabel: "open-loop RMSE (obs units)", LogY: true}, ss...)
}

// roundTo rounds v to a few significant digits for the JSON summary.
func roundTo(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	p := math.Pow(10, 4-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}

func roundAll(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = roundTo(x)
	}
	return out
}

func (a *app) runTrainModel(ctx context.Context, o *modelOptions, fs *flag.FlagSet) error {
	const cmd = "train model"
	switch {
	case o.Env == "":
		return usagef("mbrl %s: --env is required (see 'mbrl envs')", cmd)
	case o.Samples < 0:
		return usagef("mbrl %s: --samples must be >= 0, got %d", cmd, o.Samples)
	case !(o.ValFrac > 0 && o.ValFrac < 1):
		return usagef("mbrl %s: --val-frac must be in (0, 1), got %v", cmd, o.ValFrac)
	case o.Ensemble < 1:
		return usagef("mbrl %s: --ensemble must be at least 1, got %d", cmd, o.Ensemble)
	case o.Batch < 1:
		return usagef("mbrl %s: --batch must be at least 1, got %d", cmd, o.Batch)
	case !(o.LR > 0):
		return usagef("mbrl %s: --lr must be positive, got %v", cmd, o.LR)
	case o.Iters < 1 || o.EpochsPerIter < 1:
		return usagef("mbrl %s: --iters and --epochs-per-iter must be at least 1", cmd)
	}
	hidden, err := modelHiddenSizes(cmd, o.Hidden)
	if err != nil {
		return err
	}
	env, err := envs.Make(o.Env)
	if err != nil {
		return asUsage(err)
	}
	samples := o.Samples
	if samples == 0 {
		samples = 100 * model.EpisodeCap(env, 0)
	}
	pol, err := a.makePolicy(o.Policy, env, rand.New(rand.NewPCG(o.Seed, 3)))
	if err != nil {
		return err
	}
	tr, err := model.New(config.With(model.DefaultConfig(), func(cf *model.Config) {
		cf.Samples = samples
		cf.ValFrac = o.ValFrac
		cf.EpochsPerIter = o.EpochsPerIter
		cf.Seed = o.Seed
		cf.Fit = config.With(model.DefaultFitConfig(), func(c *model.FitConfig) {
			c.Hidden = hidden
			c.Ensemble = o.Ensemble
			c.Batch = o.Batch
			c.LR = o.LR
		})
	}), env, pol)
	if err != nil {
		return asUsage(fmt.Errorf("mbrl %s: %w", cmd, err))
	}
	defer tr.Close()
	data, train, val := tr.Data()
	dir, err := a.fixRunDir(&o.commonOptions, "model", o.Env)
	if err != nil {
		return err
	}
	return a.runTraining(ctx, &trainingRun{
		method: "model", env: o.Env, opts: &o.commonOptions, fs: fs,
		trainer: tr, iters: o.Iters,
		makeEnv: func() (envs.Env, error) { return envs.Make(o.Env) },
		plot:    []string{"loss", "val_mse"},
		extra: func() map[string]any {
			last := map[string]float64{}
			for _, m := range tr.Validate() {
				last[m.Name] = m.Value
			}
			curve, member := tr.ErrorCurve(modelErrorHorizon)
			out := map[string]any{
				"samples": data.Len(), "train_episodes": len(train), "val_episodes": len(val),
				"ensemble": o.Ensemble, "hidden": hidden, "batch": o.Batch, "lr": o.LR, "policy": o.Policy,
				"val_mse": roundTo(last["val_mse"]), "rmse_10": roundTo(last["rmse_10"]), "rmse_50": roundTo(last["rmse_50"]),
				"rmse_by_horizon": roundAll(curve),
			}
			if o.Ensemble > 1 {
				out["rmse_by_horizon_member0"] = roundAll(member)
			}
			p := filepath.Join(dir, "model_error.png")
			if err := saveModelErrorPlot(p, "open-loop model error on "+o.Env, o.Ensemble, curve, member); err != nil {
				fmt.Fprintf(a.stderr, "warning: %v\n", err)
			} else {
				out["model_error_plot"] = p
			}
			return out
		},
	})
}

// mpcOptions are the flags of "mbrl train mpc".
type mpcOptions struct {
	commonOptions
	Env             string
	Iters           int
	EpisodesPerIter int
	RandomSteps     int
	Ensemble        int
	Planner         string
	Horizon         int
	PlanIters       int
	Plans           int
	Samples         int
	Elites          int
	Mean            bool
	Hidden          string
	Batch           int
	LR              float64
	FitSteps        int
	InitFitSteps    int
	EvalEvery       int
	EvalEpisodes    int
	FinalEpisodes   int
}

func (o *mpcOptions) addFlags(fs *flag.FlagSet) {
	o.commonOptions.addFlags(fs, true)
	fs.StringVar(&o.Env, "env", "", "environment name (see 'mbrl envs'); it needs a known cost (pendulum, linear); required")
	fs.IntVar(&o.Iters, "iters", 15, "iterations: refit the model, run --episodes-per-iter MPC episodes, aggregate")
	fs.IntVar(&o.EpisodesPerIter, "episodes-per-iter", 1, "real MPC episodes per iteration")
	fs.IntVar(&o.RandomSteps, "random-steps", 200, "random-action env steps collected before the first fit")
	fs.IntVar(&o.Ensemble, "ensemble", 1, "ensemble members E (1: a single model; E >= 2: PETS-style ensemble, members with their own init and bootstrap, plans scored by the members' mean cost)")
	fs.StringVar(&o.Planner, "planner", "ilqr", "planner through the model: ilqr (receding-horizon iLQR on the model's Jacobians) or cem (cross-entropy method)")
	fs.IntVar(&o.Horizon, "horizon", 0, "planning horizon (0: 20 for ilqr, 25 for cem)")
	fs.IntVar(&o.PlanIters, "plan-iters", 0, "planner iterations per step (0: 2 for ilqr, 3 for cem)")
	fs.IntVar(&o.Plans, "plans", 1, "ilqr: candidate plans (1: one warm-started plan)")
	fs.IntVar(&o.Samples, "samples", 60, "cem: sampled plans per iteration")
	fs.IntVar(&o.Elites, "elites", 6, "cem: elite plans the sampling distribution is refitted to")
	fs.BoolVar(&o.Mean, "mean", false, "plan through the ensemble's mean prediction instead of scoring plans by the members' mean cost")
	fs.StringVar(&o.Hidden, "hidden", "64,64", "hidden layer sizes of the dynamics MLP (tanh)")
	fs.IntVar(&o.Batch, "batch", 256, "minibatch size")
	fs.Float64Var(&o.LR, "lr", 1e-3, "Adam learning rate")
	fs.IntVar(&o.InitFitSteps, "init-fit-steps", 2000, "Adam steps per member of the first fit (on the random data)")
	fs.IntVar(&o.FitSteps, "fit-steps", 400, "Adam steps per member of each later refit (warm start)")
	fs.IntVar(&o.EvalEvery, "eval-every", 0, "evaluate MPC through the model every N iterations (0: only at the end)")
	fs.IntVar(&o.EvalEpisodes, "eval-episodes", 10, "episodes per periodic evaluation")
	fs.IntVar(&o.FinalEpisodes, "final-episodes", 100, "episodes of the final evaluation (random starts, in parallel)")
}

func mpcMethod() method {
	return method{
		name:    "mpc",
		summary: "learn a dynamics model (or ensemble) and act by MPC through it (iLQR or CEM), aggregating data and refitting each iteration (PETS-style)",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context) error {
			o := &mpcOptions{}
			o.addFlags(fs)
			return func(ctx context.Context) error { return a.runTrainMPC(ctx, o, fs) }
		},
	}
}

// historyTap records every iteration's metrics for the JSON summary.
type historyTap struct {
	*mpc.Trainer
	rows []map[string]float64
}

func (h *historyTap) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	ms, err := h.Trainer.Iterate(ctx, iter)
	if err == nil {
		row := map[string]float64{}
		for _, m := range ms {
			row[m.Name] = m.Value
		}
		h.rows = append(h.rows, row)
	}
	return ms, err
}

func (a *app) runTrainMPC(ctx context.Context, o *mpcOptions, fs *flag.FlagSet) error {
	const cmd = "train mpc"
	switch {
	case o.Env == "":
		return usagef("mbrl %s: --env is required (see 'mbrl envs')", cmd)
	case o.Iters < 1 || o.EpisodesPerIter < 1 || o.RandomSteps < 1:
		return usagef("mbrl %s: --iters, --episodes-per-iter and --random-steps must be at least 1", cmd)
	case o.Ensemble < 1:
		return usagef("mbrl %s: --ensemble must be at least 1, got %d", cmd, o.Ensemble)
	case o.Planner != mpc.PlannerILQR && o.Planner != mpc.PlannerCEM:
		return usagef("mbrl %s: --planner must be ilqr or cem, got %q", cmd, o.Planner)
	case o.Horizon < 0 || o.PlanIters < 0 || o.Plans < 1 || o.Samples < 2 || o.Elites < 1 || o.Elites > o.Samples:
		return usagef("mbrl %s: --horizon, --plan-iters >= 0, --plans >= 1 and 1 <= --elites <= --samples (>= 2) are required", cmd)
	case o.Batch < 1 || !(o.LR > 0) || o.FitSteps < 1 || o.InitFitSteps < 1:
		return usagef("mbrl %s: --batch, --fit-steps, --init-fit-steps and --lr must be positive", cmd)
	case o.EvalEvery < 0 || o.EvalEpisodes < 1 || o.FinalEpisodes < 1:
		return usagef("mbrl %s: --eval-every must be >= 0 and --eval-episodes, --final-episodes >= 1", cmd)
	}
	hidden, err := modelHiddenSizes(cmd, o.Hidden)
	if err != nil {
		return err
	}
	makeEnv := func() (envs.Env, error) { return envs.Make(o.Env) }
	if _, err := makeEnv(); err != nil {
		return asUsage(err)
	}
	pcfg := config.With(mpc.DefaultPlannerConfig(), func(cf *mpc.PlannerConfig) {
		cf.Planner = o.Planner
		cf.Horizon = o.Horizon
		cf.Iters = o.PlanIters
		cf.Plans = o.Plans
		cf.Samples = o.Samples
		cf.Elites = o.Elites
		cf.Mean = o.Mean
	})
	tr, err := mpc.New(config.With(mpc.DefaultConfig(), func(cf *mpc.Config) {
		cf.RandomSteps = o.RandomSteps
		cf.EpisodesPerIter = o.EpisodesPerIter
		cf.FitSteps = o.FitSteps
		cf.InitFitSteps = o.InitFitSteps
		cf.Fit = config.With(model.DefaultFitConfig(), func(c *model.FitConfig) {
			c.Hidden = hidden
			c.Ensemble = o.Ensemble
			c.Batch = o.Batch
			c.LR = o.LR
		})
		cf.Planner = pcfg
		cf.Seed = o.Seed
	}), makeEnv)
	if err != nil {
		return asUsage(fmt.Errorf("mbrl %s: %w", cmd, err))
	}
	defer tr.Close()
	dir, err := a.fixRunDir(&o.commonOptions, "mpc", o.Env)
	if err != nil {
		return err
	}
	tap := &historyTap{Trainer: tr}
	return a.runTraining(ctx, &trainingRun{
		method: "mpc", env: o.Env, opts: &o.commonOptions, fs: fs,
		trainer: tap, iters: o.Iters, makeEnv: makeEnv,
		evalPolicy: func() (common.Policy, error) {
			env, err := makeEnv()
			if err != nil {
				return nil, err
			}
			return mpc.NewPlannerPolicy(tr.Model(), env, pcfg)
		},
		evalEvery: o.EvalEvery, evalEpisodes: o.EvalEpisodes, finalEpisodes: o.FinalEpisodes,
		plot: []string{"return", "eval_return"}, plotX: "env_steps",
		extra: func() map[string]any {
			var rets, steps []float64
			for _, r := range tap.rows {
				rets = append(rets, roundTo(r["return"]))
				steps = append(steps, r["env_steps"])
			}
			cfg := tr.Config()
			out := map[string]any{
				"random_steps": o.RandomSteps, "episodes_per_iter": o.EpisodesPerIter, "ensemble": o.Ensemble,
				"planner": cfg.Planner.Planner, "horizon": cfg.Planner.Horizon, "plan_iters": cfg.Planner.Iters,
				"env_steps": tr.Data().Len(), "return_by_iter": rets, "env_steps_by_iter": steps,
			}
			if n := len(tap.rows); n > 0 {
				last := tap.rows[n-1]
				out["val_mse"], out["rmse_10"], out["rmse_50"] = roundTo(last["val_mse"]), roundTo(last["rmse_10"]), roundTo(last["rmse_50"])
			}
			curve, member := tr.ErrorCurve(modelErrorHorizon)
			if curve != nil {
				out["rmse_by_horizon"] = roundAll(curve)
				if o.Ensemble > 1 {
					out["rmse_by_horizon_member0"] = roundAll(member)
				}
				p := filepath.Join(dir, "model_error.png")
				if err := saveModelErrorPlot(p, "open-loop model error on the last episodes ("+o.Env+")", o.Ensemble, curve, member); err != nil {
					fmt.Fprintf(a.stderr, "warning: %v\n", err)
				} else {
					out["model_error_plot"] = p
				}
			}
			return out
		},
	})
}
