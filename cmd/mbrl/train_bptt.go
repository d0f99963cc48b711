package main

import (
	"context"
	"flag"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/bptt"
	"github.com/mbrl/mbrl/trainers/common"
)

// bpttOptions are the flags of "mbrl train bptt".
type bpttOptions struct {
	commonOptions
	Env           string
	Horizon       int
	Schedule      string
	TrueDynamics  bool
	Model         string
	Clip          float64
	Truncate      int
	Batch         int
	LR            float64
	Hidden        string
	Iters         int
	EvalEvery     int
	EvalEpisodes  int
	FinalEpisodes int
}

func (o *bpttOptions) addFlags(fs *flag.FlagSet) {
	o.commonOptions.addFlags(fs, true)
	fs.StringVar(&o.Env, "env", "pendulum", "environment name (see 'mbrl envs'); it must have known dynamics for --true-dynamics")
	fs.IntVar(&o.Horizon, "horizon", 50, "rollout horizon H: the policy is trained on the H-step cost")
	fs.StringVar(&o.Schedule, "horizon-schedule", "", "horizon curriculum ITER:H,...: from iteration ITER (0-based) on use horizon H (e.g. \"100:100,300:200\"; --horizon before the first)")
	fs.BoolVar(&o.TrueDynamics, "true-dynamics", false, "backpropagate through the env's known dynamics (state rollout)")
	fs.StringVar(&o.Model, "model", "", "backpropagate through the learned dynamics model \"dynamics\" of this checkpoint (from 'mbrl train model'; observation rollout)")
	fs.Float64Var(&o.Clip, "clip", 1, "clip the gradient to this global norm (0: no clipping)")
	fs.IntVar(&o.Truncate, "truncate", 0, "truncated BPTT: stop the gradient every K steps (0: through the whole horizon)")
	fs.IntVar(&o.Batch, "batch", 64, "start states per iteration, drawn from the env's reset distribution")
	fs.Float64Var(&o.LR, "lr", 1e-2, "Adam learning rate")
	fs.StringVar(&o.Hidden, "hidden", "64,64", "policy hidden layer sizes (tanh)")
	fs.IntVar(&o.Iters, "iters", 400, "iterations (one batch of rollouts and one Adam step each)")
	fs.IntVar(&o.EvalEvery, "eval-every", 50, "evaluate in the real env every N iterations (0: only at the end)")
	fs.IntVar(&o.EvalEpisodes, "eval-episodes", 20, "episodes per periodic evaluation")
	fs.IntVar(&o.FinalEpisodes, "final-episodes", 100, "episodes of the final evaluation")
}

func bpttMethod() method {
	return method{
		name:    "bptt",
		summary: "backpropagation through time of the H-step cost through the true or a learned model into the policy (PILCO-style)",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context) error {
			o := &bpttOptions{}
			o.addFlags(fs)
			return func(ctx context.Context) error { return a.runTrainBPTT(ctx, o, fs) }
		},
	}
}

// bpttSetup is what train bptt and gradnorm share: the env, the system
// differentiated through and a fresh policy.
type bpttSetup struct {
	env     envs.Env
	sys     bptt.System
	dynName string // "true" or the model checkpoint path
}

// makeBPTTSystem resolves --true-dynamics / --model for env.
func makeBPTTSystem(cmd, envName string, trueDyn bool, modelPath string) (*bpttSetup, error) {
	if envName == "" {
		return nil, usagef("mbrl %s: --env is required (see 'mbrl envs')", cmd)
	}
	env, err := envs.Make(envName)
	if err != nil {
		return nil, asUsage(err)
	}
	if trueDyn == (modelPath != "") {
		return nil, usagef("mbrl %s: give exactly one of --true-dynamics and --model CKPT", cmd)
	}
	dyn, ok := envs.DynamicsOf(env)
	if !ok {
		return nil, usagef("mbrl %s: env %q has no known dynamics (BPTT needs them, or at least its cost, for --true-dynamics and --model)", cmd, envName)
	}
	if env.ActionSpace().Discrete {
		return nil, usagef("mbrl %s: env %q has discrete actions; BPTT needs continuous ones", cmd, envName)
	}
	if trueDyn {
		return &bpttSetup{env: env, sys: bptt.TrueSystem{Dyn: dyn}, dynName: "true"}, nil
	}
	c, err := checkpoints.Load(modelPath)
	if err != nil {
		return nil, usagef("mbrl %s: --model: %v", cmd, err)
	}
	m, err := nn.LoadModel(c, "dynamics")
	if err != nil {
		return nil, usagef("mbrl %s: --model %s: %v", cmd, modelPath, err)
	}
	dm, ok := m.(*nn.DynamicsModel)
	if !ok {
		return nil, usagef("mbrl %s: --model %s: model \"dynamics\" is a %s, want a dynamics model", cmd, modelPath, m.Kind())
	}
	if c.Meta.Env != "" && c.Meta.Env != envName {
		return nil, usagef("mbrl %s: --model %s was trained on %q, not %q", cmd, modelPath, c.Meta.Env, envName)
	}
	sys, err := bptt.NewModelSystem(dm, dyn)
	if err != nil {
		return nil, usagef("mbrl %s: --model %s: %v", cmd, modelPath, err)
	}
	return &bpttSetup{env: env, sys: sys, dynName: modelPath}, nil
}

// newBPTTPolicy returns a fresh policy for env: tanh-squashed to the action
// bounds when they are finite, otherwise an unbounded MLP.
func newBPTTPolicy(env envs.Env, hidden []int, rng *rand.Rand) (bptt.Policy, error) {
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
	return bptt.MLPPolicy{MLP: nn.NewMLP("policy", sizes, nn.Tanh, rng)}, nil
}

// clonePolicy returns an independent copy for an evaluation worker.
func clonePolicy(p bptt.Policy) common.Policy {
	switch q := p.(type) {
	case *nn.DeterministicPolicy:
		return q.Clone()
	case bptt.MLPPolicy:
		return bptt.MLPPolicy{MLP: q.Clone()}
	}
	return p
}

func parseHidden(cmd, s string) ([]int, error) {
	h, err := parseInts(s)
	if err != nil {
		return nil, usagef("mbrl %s: --hidden: %v", cmd, err)
	}
	for _, v := range h {
		if v <= 0 {
			return nil, usagef("mbrl %s: --hidden sizes must be positive, got %q", cmd, s)
		}
	}
	return h, nil
}

func (a *app) runTrainBPTT(ctx context.Context, o *bpttOptions, fs *flag.FlagSet) error {
	const cmd = "train bptt"
	switch {
	case o.Horizon < 1:
		return usagef("mbrl %s: --horizon must be at least 1, got %d", cmd, o.Horizon)
	case o.Batch < 1:
		return usagef("mbrl %s: --batch must be at least 1, got %d", cmd, o.Batch)
	case o.Iters < 1:
		return usagef("mbrl %s: --iters must be at least 1, got %d", cmd, o.Iters)
	case o.Clip < 0 || math.IsNaN(o.Clip):
		return usagef("mbrl %s: --clip must be >= 0, got %v", cmd, o.Clip)
	case o.Truncate < 0:
		return usagef("mbrl %s: --truncate must be >= 0, got %d", cmd, o.Truncate)
	case !(o.LR > 0):
		return usagef("mbrl %s: --lr must be positive, got %v", cmd, o.LR)
	case o.EvalEvery < 0 || o.EvalEpisodes < 1 || o.FinalEpisodes < 1:
		return usagef("mbrl %s: --eval-every must be >= 0 and --eval-episodes, --final-episodes >= 1", cmd)
	}
	sched, err := bptt.ParseSchedule(o.Schedule)
	if err != nil {
		return usagef("mbrl %s: --horizon-schedule: %v", cmd, err)
	}
	hidden, err := parseHidden(cmd, o.Hidden)
	if err != nil {
		return err
	}
	setup, err := makeBPTTSystem(cmd, o.Env, o.TrueDynamics, o.Model)
	if err != nil {
		return err
	}
	pol, err := newBPTTPolicy(setup.env, hidden, rand.New(rand.NewPCG(o.Seed, 0)))
	if err != nil {
		return asUsage(err)
	}
	tr, err := bptt.New(config.With(bptt.DefaultConfig(), func(c *bptt.Config) {
		c.Horizon = o.Horizon
		c.Schedule = sched
		c.Batch = o.Batch
		c.Adam = nn.Adam{LR: o.LR}
		c.ClipNorm = o.Clip
		c.Truncate = o.Truncate
		c.Seed = o.Seed
	}), setup.env, setup.sys, pol)
	if err != nil {
		return asUsage(err)
	}
	defer tr.Close()
	var lastGrad float64
	return a.runTraining(ctx, &trainingRun{
		method: "bptt", env: o.Env, opts: &o.commonOptions, fs: fs,
		trainer: &gradTap{Trainer: tr, last: &lastGrad}, iters: o.Iters,
		makeEnv:       func() (envs.Env, error) { return envs.Make(o.Env) },
		evalPolicy:    func() (common.Policy, error) { return clonePolicy(pol), nil },
		evalEvery:     o.EvalEvery,
		evalEpisodes:  o.EvalEpisodes,
		finalEpisodes: o.FinalEpisodes,
		plot:          []string{"loss", "grad_norm", "eval_return"},
		extra: func() map[string]any {
			return map[string]any{
				"horizon": o.Horizon, "horizon_schedule": o.Schedule, "dynamics": setup.dynName,
				"clip": o.Clip, "truncate": o.Truncate, "batch": o.Batch, "lr": o.LR,
				"grad_norm": lastGrad,
			}
		},
	})
}

// gradTap remembers the last pre-clip gradient norm for the JSON summary.
type gradTap struct {
	*bptt.Trainer
	last *float64
}

func (g *gradTap) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	ms, err := g.Trainer.Iterate(ctx, iter)
	for _, m := range ms {
		if m.Name == "grad_norm" {
			*g.last = m.Value
		}
	}
	return ms, err
}
