package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/gps"
)

// gpsOptions are the flags of "mbrl train gps".
type gpsOptions struct {
	commonOptions
	Env           string
	Conditions    int
	Iters         int
	Horizon       int
	Rho           float64
	RhoSchedule   string
	DualStep      float64
	PolicyEpochs  int
	Batch         int
	LR            float64
	Hidden        string
	ILQRIters     int
	FbSamples     int
	FbNoise       float64
	TrueDynamics  bool
	Model         string
	EvalEvery     int
	EvalEpisodes  int
	FinalEpisodes int
}

func (o *gpsOptions) addFlags(fs *flag.FlagSet) {
	o.commonOptions.addFlags(fs, true)
	fs.StringVar(&o.Env, "env", "pendulum", "environment name (see 'mbrl envs'); it needs known dynamics and continuous actions")
	fs.IntVar(&o.Conditions, "conditions", 64, "initial conditions K, drawn once from the env's reset distribution with the seed; one trajectory each")
	fs.IntVar(&o.Iters, "iters", 30, "GPS iterations (trajectories, policy, dual variables)")
	fs.IntVar(&o.Horizon, "horizon", 0, "trajectory length T (0: the env's episode length, 200 for pendulum)")
	fs.Float64Var(&o.Rho, "rho", 1, "initial penalty rho of the augmented Lagrangian")
	fs.StringVar(&o.RhoSchedule, "rho-schedule", "adaptive", "\"adaptive\" (rho doubles where the violation stalls while it dominates the dual residual) or a fixed schedule ITER:RHO,... (e.g. \"5:10,10:100\")")
	fs.Float64Var(&o.DualStep, "dual-step", 0, "step alpha of lambda += alpha (pi(x) - u) (0: 2 rho, the method of multipliers)")
	fs.IntVar(&o.PolicyEpochs, "policy-epochs", 20, "epochs of the policy regression per iteration")
	fs.IntVar(&o.Batch, "batch", 256, "minibatch size of the policy regression")
	fs.Float64Var(&o.LR, "lr", 1e-3, "Adam learning rate of the policy")
	fs.StringVar(&o.Hidden, "hidden", "64,64", "policy hidden layer sizes (tanh); \"\" for none (a linear policy on envs with unbounded actions)")
	fs.IntVar(&o.ILQRIters, "ilqr-iters", 100, "iLQR iterations per condition and GPS iteration at most")
	fs.IntVar(&o.FbSamples, "feedback-samples", 0, "extra policy-regression rows per trajectory step at perturbed states, with the trajectory's feedback controller's action as target (0: the plain method)")
	fs.Float64Var(&o.FbNoise, "feedback-noise", 0.01, "standard deviation of the state perturbations of --feedback-samples")
	fs.BoolVar(&o.TrueDynamics, "true-dynamics", true, "optimise trajectories on the env's known dynamics")
	fs.StringVar(&o.Model, "model", "", "optimise trajectories on the learned model \"dynamics\" of this checkpoint (from 'mbrl train model') instead")
	fs.IntVar(&o.EvalEvery, "eval-every", 10, "evaluate the policy from random starts in the real env every N iterations (0: only at the end)")
	fs.IntVar(&o.EvalEpisodes, "eval-episodes", 20, "episodes per periodic evaluation")
	fs.IntVar(&o.FinalEpisodes, "final-episodes", 100, "episodes of the final evaluation")
}

func gpsMethod() method {
	return method{
		name:    "gps",
		summary: "guided policy search: iLQR trajectories from K initial conditions and a policy tied by dual gradient descent on the augmented Lagrangian of u_t = pi(x_t)",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context) error {
			o := &gpsOptions{}
			o.addFlags(fs)
			return func(ctx context.Context) error { return a.runTrainGPS(ctx, o, fs) }
		},
	}
}

// checkGPSOptions reports the first invalid flag value as a usage error.
func checkGPSOptions(o *gpsOptions) error {
	const cmd = "train gps"
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case o.Env == "":
		return usagef("mbrl %s: --env is required (see 'mbrl envs')", cmd)
	case o.Conditions < 1:
		return usagef("mbrl %s: --conditions must be at least 1, got %d", cmd, o.Conditions)
	case o.Iters < 1:
		return usagef("mbrl %s: --iters must be at least 1, got %d", cmd, o.Iters)
	case o.Horizon < 0:
		return usagef("mbrl %s: --horizon must be >= 0 (0: the episode length), got %d", cmd, o.Horizon)
	case !(o.Rho > 0) || bad(o.Rho):
		return usagef("mbrl %s: --rho must be a positive number, got %v", cmd, o.Rho)
	case !(o.DualStep >= 0) || bad(o.DualStep):
		return usagef("mbrl %s: --dual-step must be >= 0 (0: 2 rho), got %v", cmd, o.DualStep)
	case o.PolicyEpochs < 1:
		return usagef("mbrl %s: --policy-epochs must be at least 1, got %d", cmd, o.PolicyEpochs)
	case o.Batch < 1:
		return usagef("mbrl %s: --batch must be at least 1, got %d", cmd, o.Batch)
	case !(o.LR > 0) || bad(o.LR):
		return usagef("mbrl %s: --lr must be positive, got %v", cmd, o.LR)
	case o.ILQRIters < 1:
		return usagef("mbrl %s: --ilqr-iters must be at least 1, got %d", cmd, o.ILQRIters)
	case o.FbSamples < 0 || !(o.FbNoise > 0) || bad(o.FbNoise):
		return usagef("mbrl %s: --feedback-samples must be >= 0 and --feedback-noise positive", cmd)
	case o.EvalEvery < 0 || o.EvalEpisodes < 1 || o.FinalEpisodes < 1:
		return usagef("mbrl %s: --eval-every must be >= 0 and --eval-episodes, --final-episodes >= 1", cmd)
	}
	return nil
}

func (a *app) runTrainGPS(ctx context.Context, o *gpsOptions, fs *flag.FlagSet) error {
	const cmd = "train gps"
	if err := checkGPSOptions(o); err != nil {
		return err
	}
	sched, err := gps.ParseRhoSchedule(o.RhoSchedule)
	if err != nil {
		return usagef("mbrl %s: --rho-schedule: %v", cmd, err)
	}
	var hidden []int
	if s := strings.TrimSpace(o.Hidden); s != "" && s != "none" {
		if hidden, err = parseInts(s); err != nil {
			return usagef("mbrl %s: --hidden: %v", cmd, err)
		}
		for _, h := range hidden {
			if h <= 0 {
				return usagef("mbrl %s: --hidden sizes must be positive, got %q", cmd, o.Hidden)
			}
		}
	}
	env, err := envs.Make(o.Env)
	if err != nil {
		return asUsage(err)
	}
	if env.ActionSpace().Discrete {
		return usagef("mbrl %s: env %q has discrete actions; GPS needs continuous ones (try cartpole-continuous)", cmd, o.Env)
	}
	dyn, ok := envs.DynamicsOf(env)
	if !ok {
		return usagef("mbrl %s: env %q has no known dynamics (GPS needs them, or at least its cost)", cmd, o.Env)
	}
	trueSet := false
	fs.Visit(func(f *flag.Flag) { trueSet = trueSet || f.Name == "true-dynamics" })
	var sys gps.System = gps.NewTrueSystem(dyn)
	dynName := "true"
	switch {
	case o.Model != "" && trueSet && o.TrueDynamics:
		return usagef("mbrl %s: give either --true-dynamics or --model CKPT, not both", cmd)
	case o.Model != "":
		if sys, err = gpsModelSystem(cmd, o.Model, o.Env, dyn); err != nil {
			return err
		}
		dynName = o.Model
	case !o.TrueDynamics:
		return usagef("mbrl %s: --true-dynamics=false needs --model CKPT", cmd)
	}
	pol, err := newGPSPolicy(env, hidden, rand.New(rand.NewPCG(o.Seed, 0)))
	if err != nil {
		return asUsage(err)
	}
	init := []control.Generator{control.ZeroPlan{}}
	if o.Env == "pendulum" {
		// iLQR swing-ups from zero controls end in poor local optima.
		swing := control.PendulumSwingUp()
		if o.Model != "" {
			swing = gps.ObsPlan(swing, dyn)
		}
		init = append(init, swing)
	}
	tr, err := gps.New(config.With(gps.DefaultConfig(), func(c *gps.Config) {
		c.Conditions = o.Conditions
		c.Horizon = o.Horizon
		c.Rho = o.Rho
		c.RhoSchedule = sched
		c.DualStep = o.DualStep
		c.PolicyEpochs = o.PolicyEpochs
		c.Batch = o.Batch
		c.Adam = nn.Adam{LR: o.LR}
		c.ILQRIters = o.ILQRIters
		c.FeedbackSamples = o.FbSamples
		c.FeedbackNoise = o.FbNoise
		c.Init = init
		c.Seed = o.Seed
	}), env, sys, pol)
	if err != nil {
		return asUsage(err)
	}
	defer tr.Close()
	if o.Out == "" && o.Resume == "" {
		// Fix the run folder now: the per-condition CSV goes there too.
		if o.Out, err = a.runDir(&o.commonOptions, "gps", o.Env); err != nil {
			return err
		}
	}
	dir := o.Out
	if dir == "" {
		dir = filepath.Dir(o.Resume)
	}
	tap := &gpsTap{Trainer: tr, dir: dir, resume: o.Resume != ""}
	return a.runTraining(ctx, &trainingRun{
		method: "gps", env: o.Env, opts: &o.commonOptions, fs: fs,
		trainer: tap, iters: o.Iters,
		makeEnv: func() (envs.Env, error) { return envs.Make(o.Env) },
		evalPolicy: func() (common.Policy, error) {
			return gps.ClonePolicy(pol)
		},
		evalEvery:     o.EvalEvery,
		evalEpisodes:  o.EvalEpisodes,
		finalEpisodes: o.FinalEpisodes,
		plot:          []string{"traj_cost", "policy_cost", "eval_return"},
		extra: func() map[string]any {
			return map[string]any{
				"dynamics": dynName, "conditions": o.Conditions, "horizon": tr.Horizon(),
				"rho": o.Rho, "rho_schedule": o.RhoSchedule, "dual_step": o.DualStep,
				"policy_epochs": o.PolicyEpochs, "batch": o.Batch, "feedback_samples": o.FbSamples, "feedback_noise": o.FbNoise, "lr": o.LR, "hidden": o.Hidden,
				"traj_cost": tap.last["traj_cost"], "policy_cost": tap.last["policy_cost"],
				"violation_first": tap.first["violation"], "violation": tap.last["violation"],
				"violation_rms_first": tap.first["violation_rms"], "violation_rms": tap.last["violation_rms"],
			}
		},
	})
}

// gpsModelSystem loads the learned model "dynamics" of the checkpoint at
// path (a dynamics model or an ensemble, used by its mean) for env.
func gpsModelSystem(cmd, path, envName string, dyn envs.Dynamics) (gps.System, error) {
	c, err := checkpoints.Load(path)
	if err != nil {
		return nil, usagef("mbrl %s: --model: %v", cmd, err)
	}
	if c.Meta.Env != "" && c.Meta.Env != envName {
		return nil, usagef("mbrl %s: --model %s was trained on %q, not %q", cmd, path, c.Meta.Env, envName)
	}
	m, err := nn.LoadModel(c, "dynamics")
	if err != nil {
		return nil, usagef("mbrl %s: --model %s: %v (train one with 'mbrl train model')", cmd, path, err)
	}
	sys, err := gps.NewModelSystem(m, dyn)
	if err != nil {
		return nil, usagef("mbrl %s: --model %s: %v", cmd, path, err)
	}
	return sys, nil
}

// newGPSPolicy returns a fresh policy for env: tanh-squashed into the
// action bounds when they are finite, otherwise an unbounded MLP (with no
// hidden layer, the linear policy u = W'obs + b).
func newGPSPolicy(env envs.Env, hidden []int, rng *rand.Rand) (gps.Policy, error) {
	as := env.ActionSpace()
	bounded := true
	for i := range as.Low {
		if math.IsInf(as.Low[i], 0) || math.IsInf(as.High[i], 0) {
			bounded = false
		}
	}
	obsDim := env.ObservationSpace().Dim()
	if bounded {
		return nn.NewDeterministicPolicy("policy", nn.PolicyArch{
			ObsDim: obsDim, ActDim: as.Dim(), Hidden: hidden, Activation: nn.Tanh,
			Low: as.Low, High: as.High,
		}, rng)
	}
	sizes := append(append([]int{obsDim}, hidden...), as.Dim())
	return gps.MLPPolicy{MLP: nn.NewMLP("policy", sizes, nn.Tanh, rng)}, nil
}

// gpsTap writes each iteration's per-condition results to
// conditions.csv and the violation and cost curves (log scale) to
// violation.png and cost.png, and remembers
// the first and last metrics for the JSON summary.
type gpsTap struct {
	*gps.Trainer
	dir         string
	resume      bool
	first, last map[string]float64
	history     []map[string]float64
	wrote       bool // conditions.csv has been started by this process
}

func (g *gpsTap) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
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
	if err := g.writeConditions(iter); err != nil {
		return ms, err
	}
	if err := plotHistoryLog(filepath.Join(g.dir, "violation.png"), "gps constraint violation |pi(x)-u|", "iter",
		[]string{"violation", "violation_rms"}, g.history); err != nil {
		return ms, err
	}
	if err := plotHistoryLog(filepath.Join(g.dir, "cost.png"), "gps cost from the K conditions", "iter",
		[]string{"traj_cost", "policy_cost"}, g.history); err != nil {
		return ms, err
	}
	return ms, nil
}

// writeConditions appends one row per condition to conditions.csv (a new
// file on the first iteration of a fresh run).
func (g *gpsTap) writeConditions(iter int) error {
	path := filepath.Join(g.dir, "conditions.csv")
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	fresh := !g.wrote && !g.resume
	g.wrote = true
	if fresh {
		flags = os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	}
	var b strings.Builder
	if fresh {
		b.WriteString("iter,condition,traj_cost,policy_cost,violation,rho,dual_residual,ilqr_iters\n")
	}
	f64 := func(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
	for k, st := range g.ConditionStats() {
		fmt.Fprintf(&b, "%d,%d,%s,%s,%s,%s,%s,%d\n", iter+1, k, f64(st.TrajCost), f64(st.PolicyCost),
			f64(st.Violation), f64(st.Rho), f64(st.DualResidual), st.ILQRIters)
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return fmt.Errorf("mbrl: conditions.csv: %w", err)
	}
	_, err = f.WriteString(b.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("mbrl: conditions.csv: %w", err)
	}
	return nil
}

// plotHistoryLog draws the named columns of history against x on a log y
// axis.
func plotHistoryLog(path, title, x string, cols []string, history []map[string]float64) error {
	var ss []series
	for _, c := range cols {
		s := series{Name: c}
		for _, h := range history {
			if v, ok := h[c]; ok && v > 0 {
				s.X = append(s.X, h[x])
				s.Y = append(s.Y, v)
			}
		}
		ss = append(ss, s)
	}
	return savePlot(path, plotOptions{Title: title, XLabel: x, LogY: true}, ss...)
}
