package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/dyna"
	"github.com/mbrl/mbrl/trainers/dynaq"
)

// ---------------------------------------------------------------------------
// mbrl train dynaq: tabular Dyna-Q, the experiment of Sutton & Barto's
// Figure 8.2.

// dynaqOptions are the flags of "mbrl train dynaq".
type dynaqOptions struct {
	commonOptions
	Env           string
	PlanningSteps string
	Episodes      int
	Runs          int
	Alpha         float64
	Epsilon       float64
	Gamma         float64
	MaxEpSteps    int
	Workers       int
}

func (o *dynaqOptions) addFlags(fs *flag.FlagSet) {
	o.commonOptions.addFlags(fs, false)
	fs.StringVar(&o.Out, "out", "", "run folder (default runs/dynaq-ENV-SEED-TIMESTAMP)")
	fs.StringVar(&o.Env, "env", "maze", "environment with discrete states and actions (see 'mbrl envs')")
	fs.StringVar(&o.PlanningSteps, "planning-steps", "0,5,50", "planning steps n per real step; a comma list runs each value (0,5,50 is Figure 8.2)")
	fs.IntVar(&o.Episodes, "episodes", dynaq.DefaultEpisodes, "episodes per run")
	fs.IntVar(&o.Runs, "runs", dynaq.DefaultRuns, "independent runs averaged per value of n")
	fs.Float64Var(&o.Alpha, "alpha", dynaq.DefaultAlpha, "step size alpha in (0, 1]")
	fs.Float64Var(&o.Epsilon, "epsilon", dynaq.DefaultEpsilon, "exploration rate of the epsilon-greedy behaviour policy, in (0, 1]")
	fs.Float64Var(&o.Gamma, "gamma", dynaq.DefaultGamma, "discount factor in (0, 1]")
	fs.IntVar(&o.MaxEpSteps, "max-episode-steps", 0, "end an episode after this many steps (0: no cap; the maze needs none)")
	fs.IntVar(&o.Workers, "workers", 0, "parallel runs (0: one per CPU; the result does not depend on it)")
}

func dynaqMethod() method {
	return method{
		name:    "dynaq",
		summary: "tabular Dyna-Q (Sutton 1990; Sutton & Barto 8.2): steps per episode averaged over runs for each n, CSV and the PNG of Figure 8.2",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context) error {
			o := &dynaqOptions{}
			o.addFlags(fs)
			return func(ctx context.Context) error { return a.runTrainDynaQ(ctx, o, fs) }
		},
	}
}

func (a *app) runTrainDynaQ(_ context.Context, o *dynaqOptions, fs *flag.FlagSet) error {
	const cmd = "train dynaq"
	start := time.Now()
	ns, err := parseInts(o.PlanningSteps)
	if err != nil {
		return usagef("mbrl %s: --planning-steps: %v", cmd, err)
	}
	if len(ns) == 0 {
		return usagef("mbrl %s: --planning-steps needs at least one value, e.g. 0,5,50", cmd)
	}
	seen := map[int]bool{}
	for _, n := range ns {
		if n < 0 {
			return usagef("mbrl %s: --planning-steps must be >= 0, got %d", cmd, n)
		}
		if seen[n] {
			return usagef("mbrl %s: --planning-steps lists %d twice", cmd, n)
		}
		seen[n] = true
	}
	switch {
	case o.Episodes < 1:
		return usagef("mbrl %s: --episodes must be at least 1, got %d", cmd, o.Episodes)
	case o.Runs < 1:
		return usagef("mbrl %s: --runs must be at least 1, got %d", cmd, o.Runs)
	case !(o.Alpha > 0 && o.Alpha <= 1):
		return usagef("mbrl %s: --alpha must be in (0, 1], got %v", cmd, o.Alpha)
	case !(o.Epsilon > 0 && o.Epsilon <= 1):
		return usagef("mbrl %s: --epsilon must be in (0, 1], got %v", cmd, o.Epsilon)
	case !(o.Gamma > 0 && o.Gamma <= 1):
		return usagef("mbrl %s: --gamma must be in (0, 1], got %v", cmd, o.Gamma)
	case o.MaxEpSteps < 0:
		return usagef("mbrl %s: --max-episode-steps must be >= 0, got %d", cmd, o.MaxEpSteps)
	}
	makeEnv := func() (envs.Env, error) { return envs.Make(o.Env) }
	env, err := makeEnv()
	if err != nil {
		return asUsage(err)
	}
	if !env.ObservationSpace().Discrete || !env.ActionSpace().Discrete {
		return usagef("mbrl %s: env %q is not tabular (observations %s, actions %s); use 'mbrl train dyna' for it", cmd, o.Env, env.ObservationSpace(), env.ActionSpace())
	}
	dir, err := a.runDir(&o.commonOptions, "dynaq", o.Env)
	if err != nil {
		return err
	}
	if err := writeEffectiveConfig(dir, fs, "out", "config"); err != nil {
		return err
	}
	cfg := dynaq.Config{Episodes: o.Episodes, Alpha: o.Alpha, Epsilon: o.Epsilon, Gamma: o.Gamma, MaxStepsPerEpisode: o.MaxEpSteps}
	curves, err := dynaq.RunMany(makeEnv, ns, o.Runs, cfg, o.Seed, o.Workers)
	if err != nil {
		return fmt.Errorf("mbrl %s: %w", cmd, err)
	}

	// The greedy path after run 0 (its stream is rand.NewPCG(seed, 0) for
	// every n, as in RunMany, so this repeats that run exactly).
	greedy := map[string]any{}
	for _, n := range ns {
		c := cfg
		c.PlanningSteps = n
		res, err := dynaq.Run(env, c, rand.New(rand.NewPCG(o.Seed, 0)), nil)
		if err != nil {
			return fmt.Errorf("mbrl %s: %w", cmd, err)
		}
		length, err := dynaq.GreedyPath(env, res.Q, rand.New(rand.NewPCG(o.Seed, 1)), 0)
		if err != nil {
			greedy[strconv.Itoa(n)] = nil // the greedy policy loops: no path yet
		} else {
			greedy[strconv.Itoa(n)] = length
		}
	}

	// CSV: episode, then the mean steps for each n.
	var csv strings.Builder
	csv.WriteString("episode")
	for _, n := range ns {
		fmt.Fprintf(&csv, ",steps_n%d", n)
	}
	csv.WriteByte('\n')
	for ep := range o.Episodes {
		fmt.Fprintf(&csv, "%d", ep+1)
		for _, n := range ns {
			fmt.Fprintf(&csv, ",%s", strconv.FormatFloat(curves[n][ep], 'g', -1, 64))
		}
		csv.WriteByte('\n')
	}
	csvPath := filepath.Join(dir, "steps_per_episode.csv")
	if err := writeFileAtomic(csvPath, []byte(csv.String())); err != nil {
		return err
	}

	// Figure 8.2: steps per episode against episodes 2..E (the first
	// episode, a random walk of the same length for every n, is left out
	// as in the book).
	var ss []series
	for _, n := range ns {
		s := series{Name: fmt.Sprintf("%d planning steps", n)}
		if n == 0 {
			s.Name = "0 planning steps (direct RL only)"
		}
		for ep := 1; ep < o.Episodes; ep++ {
			s.X = append(s.X, float64(ep+1))
			s.Y = append(s.Y, curves[n][ep])
		}
		ss = append(ss, s)
	}
	pngPath := filepath.Join(dir, "steps_per_episode.png")
	if o.Episodes > 1 {
		title := fmt.Sprintf("Dyna-Q on %s: mean of %d runs (Sutton & Barto Figure 8.2)", o.Env, o.Runs)
		if err := savePlot(pngPath, plotOptions{Title: title, XLabel: "Episodes", YLabel: "Steps per episode"}, ss...); err != nil {
			return err
		}
	} else {
		pngPath = ""
	}

	steps := map[string][]float64{}
	for _, n := range ns {
		steps[strconv.Itoa(n)] = curves[n]
	}
	sum := trainSummary{
		"command": "train", "method": "dynaq", "env": o.Env, "seed": o.Seed,
		"planning_steps": ns, "episodes": o.Episodes, "runs": o.Runs,
		"alpha": o.Alpha, "epsilon": o.Epsilon, "gamma": o.Gamma,
		"steps_per_episode": steps, "greedy_path_length": greedy,
		"csv": csvPath, "plot": pngPath, "run_dir": dir,
		"wall_seconds": math.Round(time.Since(start).Seconds()*100) / 100,
	}
	if err := writeDynaQSummary(filepath.Join(dir, "summary.json"), sum); err != nil {
		return err
	}
	if !o.JSON {
		fmt.Fprintf(a.stdout, "dynaq on %s: %d runs x %d episodes in %.1fs\n", o.Env, o.Runs, o.Episodes, time.Since(start).Seconds())
		for _, n := range ns {
			c := curves[n]
			last := c[max(0, len(c)-10):]
			var m float64
			for _, v := range last {
				m += v
			}
			fmt.Fprintf(a.stdout, "  n=%-3d steps in episode 2: %.1f, mean over the last %d episodes: %.1f, greedy path after run 0: %v\n",
				n, c[min(1, len(c)-1)], len(last), m/float64(len(last)), greedy[strconv.Itoa(n)])
		}
		fmt.Fprintf(a.stdout, "files: %s, %s\n", csvPath, pngPath)
	}
	return a.writeJSON(o.JSON, sum)
}

// writeDynaQSummary writes the summary as indented JSON to path atomically.
func writeDynaQSummary(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("mbrl: encode summary: %w", err)
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// ---------------------------------------------------------------------------
// mbrl train dyna: Dyna with a DQN learner and a learned neural model.

// dynaOptions are the flags of "mbrl train dyna".
type dynaOptions struct {
	commonOptions
	Env              string
	PlanningSteps    int
	RolloutLength    int
	PlanningUpdates  int
	PlanningActions  string
	DirectUpdates    int
	Steps            int
	StepsPerIter     int
	ActionBins       int
	Hidden           string
	Activation       string
	NormObs          bool
	LR               float64
	Batch            int
	Gamma            float64
	QTarget          string
	Tau              float64
	TargetEvery      int
	Clip             float64
	Buffer           int
	LearningStarts   int
	EpsStart, EpsEnd float64
	EpsSteps         int
	ModelHidden      string
	Ensemble         int
	ModelEvery       int
	ModelSteps       int
	ModelBatch       int
	ModelLR          float64
	ModelBuffer      int
	KnownTermination bool
	EvalEpisodes     int
	FinalEpisodes    int
	TargetReturn     string
	StopAtTarget     bool
}

func (o *dynaOptions) addFlags(fs *flag.FlagSet) {
	o.commonOptions.addFlags(fs, true)
	fs.StringVar(&o.Env, "env", "cartpole", "environment name (see 'mbrl envs'); continuous actions are discretised (--action-bins)")
	fs.IntVar(&o.PlanningSteps, "planning-steps", 10, "K: simulated transitions from the learned model after each real step (0: plain DQN, no model)")
	fs.IntVar(&o.RolloutLength, "rollout-length", 1, "h: length of the model rollouts, each from an observation of the real buffer")
	fs.IntVar(&o.PlanningUpdates, "planning-updates", 0, "Q updates on simulated minibatches after each real step (0: min(K, 2 x --direct-updates))")
	fs.StringVar(&o.PlanningActions, "planning-actions", "uniform", "actions of the simulated transitions: uniform (at random, as Dyna-Q plans; keeps every action's Q value trained) | policy (the epsilon-greedy exploration policy, as MBPO)")
	fs.IntVar(&o.DirectUpdates, "direct-updates", 1, "Q updates on real minibatches after each real step (more than 1 with K = 0 is the replay-ratio control for Dyna)")
	fs.IntVar(&o.Steps, "steps", 50000, "real environment steps (rounded up to whole iterations)")
	fs.IntVar(&o.StepsPerIter, "steps-per-iter", 1000, "real steps per iteration; the greedy policy is evaluated after each")
	fs.IntVar(&o.ActionBins, "action-bins", 5, "values per action dimension when discretising continuous actions (pendulum: 5 torques in [-2, 2])")
	fs.StringVar(&o.Hidden, "hidden", "64,64", "Q-network hidden layer sizes")
	fs.StringVar(&o.Activation, "activation", "relu", "Q-network activation: relu | tanh")
	fs.BoolVar(&o.NormObs, "normalise-obs", false, "normalise the Q-network's observations with statistics of the first --learning-starts steps")
	fs.Float64Var(&o.LR, "lr", 1e-3, "Adam learning rate of the Q-network")
	fs.IntVar(&o.Batch, "batch", 64, "Q-update minibatch size")
	fs.Float64Var(&o.Gamma, "gamma", 0.99, "discount factor")
	fs.StringVar(&o.QTarget, "q-target", "auto", "bootstrap target: max (DQN) | double (double DQN, van Hasselt et al. 2016) | auto (double when --planning-steps > 0, else max: model data overestimates)")
	fs.Float64Var(&o.Tau, "tau", 0.005, "Polyak rate of the target network after every Q update")
	fs.IntVar(&o.TargetEvery, "target-every", 0, "copy the target network every N real steps instead of Polyak averaging (0: use --tau)")
	fs.Float64Var(&o.Clip, "clip", 10, "clip the Q gradient to this global norm (0: no clipping)")
	fs.IntVar(&o.Buffer, "buffer", 100000, "real replay buffer capacity")
	fs.IntVar(&o.LearningStarts, "learning-starts", 1000, "random-policy steps before Q and model learning start")
	fs.Float64Var(&o.EpsStart, "epsilon-start", 1, "initial exploration rate")
	fs.Float64Var(&o.EpsEnd, "epsilon-end", 0.05, "final exploration rate")
	fs.IntVar(&o.EpsSteps, "epsilon-steps", 3000, "real steps over which epsilon anneals linearly")
	fs.StringVar(&o.ModelHidden, "model-hidden", "64,64", "hidden layer sizes of the dynamics and reward models (tanh)")
	fs.IntVar(&o.Ensemble, "ensemble", 1, "dynamics ensemble members (one drawn at random per simulated transition)")
	fs.IntVar(&o.ModelEvery, "model-every", 250, "refit the models every N real steps")
	fs.IntVar(&o.ModelSteps, "model-steps", 100, "Adam steps per model refit (warm start from the current weights)")
	fs.IntVar(&o.ModelBatch, "model-batch", 256, "model-fitting minibatch size")
	fs.Float64Var(&o.ModelLR, "model-lr", 1e-3, "Adam learning rate of the models")
	fs.IntVar(&o.ModelBuffer, "model-buffer", 20000, "capacity of the buffer of simulated transitions")
	fs.BoolVar(&o.KnownTermination, "known-termination", true, "end simulated transitions with the env's known termination rule, as MBPO does (cartpole: |x| > 2.4 or |theta| > 12 degrees; pendulum never terminates); false: simulated transitions never terminate")
	fs.IntVar(&o.EvalEpisodes, "eval-episodes", 10, "greedy evaluation episodes after every iteration")
	fs.IntVar(&o.FinalEpisodes, "final-episodes", 100, "greedy evaluation episodes at the end (the summary's eval)")
	fs.StringVar(&o.TargetReturn, "target-return", "auto", "record the real steps at which the evaluation mean first reaches this return (steps_to_threshold); auto: 475 on cartpole, none elsewhere; none: off")
	fs.BoolVar(&o.StopAtTarget, "stop-at-target", false, "skip the remaining iterations once --target-return is reached (they appear as empty rows in metrics.csv)")
}

func dynaMethod() method {
	return method{
		name:    "dyna",
		summary: "Dyna with a learned neural model: DQN on real transitions and on K simulated ones per real step from short model rollouts (Sutton 1990; MBPO-style rollouts)",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context) error {
			o := &dynaOptions{}
			o.addFlags(fs)
			return func(ctx context.Context) error { return a.runTrainDyna(ctx, o, fs) }
		},
	}
}

// dynaSizes parses a comma list of positive sizes for flag name.
func dynaSizes(cmd, name, s string) ([]int, error) {
	v, err := parseInts(s)
	if err != nil {
		return nil, usagef("mbrl %s: --%s: %v", cmd, name, err)
	}
	if len(v) == 0 {
		return nil, usagef("mbrl %s: --%s needs at least one size", cmd, name)
	}
	for _, x := range v {
		if x <= 0 {
			return nil, usagef("mbrl %s: --%s sizes must be positive, got %q", cmd, name, s)
		}
	}
	return v, nil
}

// dynaTarget resolves --target-return for env.
func dynaTarget(cmd, s, env string) (*float64, error) {
	switch strings.TrimSpace(s) {
	case "none", "":
		return nil, nil
	case "auto":
		if env == "cartpole" {
			v := 475.0
			return &v, nil
		}
		return nil, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, usagef("mbrl %s: --target-return must be a number, auto or none, got %q", cmd, s)
	}
	return &v, nil
}

func (a *app) runTrainDyna(ctx context.Context, o *dynaOptions, fs *flag.FlagSet) error {
	const cmd = "train dyna"
	switch {
	case o.PlanningSteps < 0:
		return usagef("mbrl %s: --planning-steps must be >= 0, got %d", cmd, o.PlanningSteps)
	case o.RolloutLength < 1:
		return usagef("mbrl %s: --rollout-length must be at least 1, got %d", cmd, o.RolloutLength)
	case o.DirectUpdates < 1:
		return usagef("mbrl %s: --direct-updates must be at least 1, got %d", cmd, o.DirectUpdates)
	case o.PlanningUpdates < 0:
		return usagef("mbrl %s: --planning-updates must be >= 0, got %d", cmd, o.PlanningUpdates)
	case o.QTarget != "auto" && o.QTarget != string(dyna.TargetMax) && o.QTarget != string(dyna.TargetDouble):
		return usagef("mbrl %s: --q-target must be auto, %s or %s, got %q", cmd, dyna.TargetMax, dyna.TargetDouble, o.QTarget)
	case o.PlanningActions != string(dyna.PlanUniform) && o.PlanningActions != string(dyna.PlanPolicy):
		return usagef("mbrl %s: --planning-actions must be %s or %s, got %q", cmd, dyna.PlanUniform, dyna.PlanPolicy, o.PlanningActions)
	case o.Steps < 1 || o.StepsPerIter < 1:
		return usagef("mbrl %s: --steps and --steps-per-iter must be at least 1", cmd)
	case o.ActionBins < 2:
		return usagef("mbrl %s: --action-bins must be at least 2, got %d", cmd, o.ActionBins)
	case !(o.LR > 0) || !(o.ModelLR > 0):
		return usagef("mbrl %s: --lr and --model-lr must be positive", cmd)
	case o.Batch < 1 || o.ModelBatch < 1:
		return usagef("mbrl %s: --batch and --model-batch must be at least 1", cmd)
	case !(o.Gamma > 0 && o.Gamma <= 1):
		return usagef("mbrl %s: --gamma must be in (0, 1], got %v", cmd, o.Gamma)
	case !(o.Tau > 0 && o.Tau <= 1):
		return usagef("mbrl %s: --tau must be in (0, 1], got %v", cmd, o.Tau)
	case o.TargetEvery < 0:
		return usagef("mbrl %s: --target-every must be >= 0, got %d", cmd, o.TargetEvery)
	case o.Clip < 0 || math.IsNaN(o.Clip):
		return usagef("mbrl %s: --clip must be >= 0, got %v", cmd, o.Clip)
	case o.Buffer < 1 || o.ModelBuffer < 1:
		return usagef("mbrl %s: --buffer and --model-buffer must be at least 1", cmd)
	case o.LearningStarts < 1:
		return usagef("mbrl %s: --learning-starts must be at least 1, got %d", cmd, o.LearningStarts)
	case !(o.EpsStart >= 0 && o.EpsStart <= 1) || !(o.EpsEnd >= 0 && o.EpsEnd <= 1) || o.EpsSteps < 1:
		return usagef("mbrl %s: --epsilon-start and --epsilon-end must be in [0, 1] and --epsilon-steps >= 1", cmd)
	case o.Ensemble < 1 || o.ModelEvery < 1 || o.ModelSteps < 1:
		return usagef("mbrl %s: --ensemble, --model-every and --model-steps must be at least 1", cmd)
	case o.EvalEpisodes < 1 || o.FinalEpisodes < 1:
		return usagef("mbrl %s: --eval-episodes and --final-episodes must be at least 1", cmd)
	}
	act := nn.Activation(o.Activation)
	if err := act.Valid(); err != nil {
		return usagef("mbrl %s: --activation: %v", cmd, err)
	}
	hidden, err := dynaSizes(cmd, "hidden", o.Hidden)
	if err != nil {
		return err
	}
	modelHidden, err := dynaSizes(cmd, "model-hidden", o.ModelHidden)
	if err != nil {
		return err
	}
	target, err := dynaTarget(cmd, o.TargetReturn, o.Env)
	if err != nil {
		return err
	}
	if o.Env == "" {
		return usagef("mbrl %s: --env is required (see 'mbrl envs')", cmd)
	}
	makeEnv := func() (envs.Env, error) { return envs.Make(o.Env) }
	env, err := makeEnv()
	if err != nil {
		return asUsage(err)
	}
	if env.ObservationSpace().Discrete {
		return usagef("mbrl %s: env %q is tabular; use 'mbrl train dynaq'", cmd, o.Env)
	}
	clip := o.Clip
	if clip == 0 {
		clip = -1 // Config: negative disables
	}
	var qTarget dyna.QTarget // auto: the Config default
	if o.QTarget != "auto" {
		qTarget = dyna.QTarget(o.QTarget)
	}
	cfg := dyna.Config{
		PlanningSteps: o.PlanningSteps, RolloutLength: o.RolloutLength, PlanningUpdates: o.PlanningUpdates,
		PlanningActions: dyna.PlanningActions(o.PlanningActions), DirectUpdates: o.DirectUpdates,
		StepsPerIter: o.StepsPerIter, Hidden: hidden, Activation: act, NormaliseObs: o.NormObs,
		Batch: o.Batch, Gamma: o.Gamma, Adam: nn.Adam{LR: o.LR}, ClipNorm: clip, QTarget: qTarget,
		Tau: o.Tau, TargetEvery: o.TargetEvery, BufferSize: o.Buffer, LearningStarts: o.LearningStarts,
		EpsilonStart: o.EpsStart, EpsilonEnd: o.EpsEnd, EpsilonSteps: o.EpsSteps, ActionBins: o.ActionBins,
		ModelHidden: modelHidden, Ensemble: o.Ensemble, ModelEvery: o.ModelEvery, ModelSteps: o.ModelSteps,
		ModelBatch: o.ModelBatch, ModelLR: o.ModelLR, ModelBufferSize: o.ModelBuffer,
		IgnoreTermination: !o.KnownTermination, EvalEpisodes: o.EvalEpisodes,
		TargetReturn: target, StopAtTarget: o.StopAtTarget, Seed: o.Seed,
	}
	if o.EpsStart == 0 {
		cfg.EpsilonStart = 1e-300 // Config: 0 means the default 1; this is as good as 0
	}
	if o.EpsEnd == 0 {
		cfg.EpsilonEnd = 1e-300
	}
	tr, err := dyna.New(cfg, makeEnv)
	if err != nil {
		return asUsage(err)
	}
	defer tr.Close()
	iters := (o.Steps + o.StepsPerIter - 1) / o.StepsPerIter
	termination := "none"
	if o.KnownTermination && dyna.TerminalFunc(env) != nil {
		termination = "known"
	}
	return a.runTraining(ctx, &trainingRun{
		method: "dyna", env: o.Env, opts: &o.commonOptions, fs: fs,
		trainer: tr, iters: iters,
		makeEnv: makeEnv,
		plot:    []string{"eval_return", "train_return"},
		plotX:   "env_steps",
		extra: func() map[string]any {
			m := map[string]any{
				"planning_steps": o.PlanningSteps, "rollout_length": o.RolloutLength, "planning_actions": o.PlanningActions,
				"env_steps": tr.EnvSteps(), "termination": termination, "steps_to_threshold": nil,
			}
			if tr.Actions().Discretised() {
				m["action_bins"] = o.ActionBins
			}
			if target != nil {
				m["target_return"] = *target
				if s, ok := tr.StepsToTarget(); ok {
					m["steps_to_threshold"] = s
				}
			}
			res, err := tr.Evaluate(o.FinalEpisodes)
			if err != nil {
				m["eval_error"] = err.Error()
				return m
			}
			m["eval"] = res
			if !o.JSON {
				fmt.Fprintf(a.stdout, "greedy return %.1f +- %.1f over %d episodes after %d real steps", res.Mean, res.Std, res.Episodes, tr.EnvSteps())
				if target != nil {
					if s, ok := tr.StepsToTarget(); ok {
						fmt.Fprintf(a.stdout, "; evaluation mean first >= %g after %d steps", *target, s)
					} else {
						fmt.Fprintf(a.stdout, "; evaluation mean never reached %g", *target)
					}
				}
				fmt.Fprintln(a.stdout)
			}
			return m
		},
	})
}
