package imitation

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/parallel"
)

// Config holds the settings every imitation trainer shares; DAgger's and
// PLATO's configurations embed it. MakeEnv and Expert are required.
type Config struct {
	// MakeEnv builds one environment per worker goroutine. Its actions
	// must be continuous and bounded (the policy is squashed into them).
	MakeEnv func() (envs.Env, error)
	// Expert builds one instance of the expert per worker goroutine (e.g.
	// MPC on the true dynamics). Experts with per-episode state (MPC warm
	// starts) must implement common.Resetter: they are reset before every
	// episode with a stream split from that episode's.
	Expert func() (common.Policy, error)

	// Hidden are the learner's hidden layer widths (default [64, 64]),
	// with Activation (default tanh); the learner has an observation
	// normaliser fitted to the first iteration's data.
	Hidden     []int
	Activation nn.Activation

	// Iters is the planned number of iterations N (default 10).
	// EpisodesPerIter is M, the episodes run and labelled per iteration
	// (default 20).
	Iters           int
	EpisodesPerIter int
	// Fit configures the supervised retraining (DefaultFitConfig).
	Fit FitConfig
	// MaxSteps caps episodes of envs without a step limit (default 1000).
	MaxSteps int
	// Workers is the number of goroutines for episodes and evaluation; 0
	// (the default) means GOMAXPROCS. Results do not depend on it.
	Workers int
	// Seed seeds the learner's initialisation, the training episodes and
	// the minibatches.
	Seed uint64

	// EvalExpert evaluates the expert once, at the first iteration, on
	// FinalEvalEpisodes episodes (default 100) of common.Evaluate with
	// EvalSeed, and reports expert_return in every iteration (default
	// true).
	EvalExpert        bool
	FinalEvalEpisodes int
	EvalSeed          uint64
}

// DefaultConfig returns the shared defaults: a [64, 64] tanh learner, N =
// 10 iterations of M = 20 episodes, the default fit, episodes capped at
// 1000 steps, the expert evaluated on 100 episodes.
func DefaultConfig() Config {
	return Config{
		Hidden: []int{64, 64}, Activation: nn.Tanh, Iters: 10, EpisodesPerIter: 20,
		Fit: DefaultFitConfig(), MaxSteps: 1000, EvalExpert: true, FinalEvalEpisodes: 100,
	}
}

// Check records the first invalid shared setting in v (the embedding
// configuration's Validate calls it, so fields keep their plain names).
func (c Config) Check(v *config.Checker) {
	v.Check(len(c.Hidden) > 0, "Hidden", "needs at least one layer size")
	v.Sizes("Hidden", c.Hidden)
	v.Check(c.Activation.Valid() == nil, "Activation", "must be tanh, relu or identity, got %q", c.Activation)
	v.AtLeast("Iters", c.Iters, 1)
	v.AtLeast("EpisodesPerIter", c.EpisodesPerIter, 1)
	v.Nested("Fit", c.Fit.Validate())
	v.AtLeast("MaxSteps", c.MaxSteps, 1)
	v.AtLeast("Workers", c.Workers, 0)
	v.AtLeast("FinalEvalEpisodes", c.FinalEvalEpisodes, 1)
}

// Core is what every imitation trainer holds: its configuration, the
// aggregated dataset D, the learner fitting it and the expert's evaluated
// return. The method builds its policy and sets Learner.
type Core struct {
	Cfg            Config
	Pkg            string // the method's package, the prefix of its errors
	ObsDim, ActDim int
	Data           *Dataset
	Learner        *Learner
	expertReturn   float64 // NaN until evaluated
}

// NewCore checks that cfg has MakeEnv and Expert, builds one env and
// returns a core with an empty dataset for its dimensions, and the env's
// action space (continuous; discrete actions are an error).
func NewCore(pkg string, cfg Config) (*Core, envs.Space, error) {
	if cfg.MakeEnv == nil || cfg.Expert == nil {
		return nil, envs.Space{}, fmt.Errorf("%s: Config needs MakeEnv and Expert", pkg)
	}
	env, err := cfg.MakeEnv()
	if err != nil {
		return nil, envs.Space{}, fmt.Errorf("%s: %w", pkg, err)
	}
	as := env.ActionSpace()
	if as.Discrete {
		return nil, as, fmt.Errorf("%s: %s has discrete actions; imitation here regresses continuous actions (try its continuous variant)", pkg, env.Name())
	}
	od, ad := env.ObservationSpace().Dim(), as.Dim()
	return &Core{Cfg: cfg, Pkg: pkg, ObsDim: od, ActDim: ad, Data: NewDataset(od, ad), expertReturn: math.NaN()}, as, nil
}

// EvaluateExpert evaluates the expert once if EvalExpert is set.
func (c *Core) EvaluateExpert() error {
	if !c.Cfg.EvalExpert || !math.IsNaN(c.expertReturn) {
		return nil
	}
	res, err := common.Evaluate(c.Cfg.MakeEnv, c.Cfg.Expert, common.EvalConfig{
		Episodes: c.Cfg.FinalEvalEpisodes, Seed: c.Cfg.EvalSeed, Workers: c.Cfg.Workers, MaxSteps: c.Cfg.MaxSteps})
	if err != nil {
		return fmt.Errorf("%s: evaluating the expert: %w", c.Pkg, err)
	}
	c.expertReturn = res.Mean
	return nil
}

// ExpertMetric returns expert_return once the expert has been evaluated.
func (c *Core) ExpertMetric() []common.Metric {
	if math.IsNaN(c.expertReturn) {
		return nil
	}
	return []common.Metric{{Name: "expert_return", Value: c.expertReturn}}
}

// Episode is one labelled episode: the observations it visited [T,
// ObsDim], the expert's labels of them [T, ActDim], its return and length.
type Episode struct {
	Obs, Labels []float64
	Return      float64
	Steps       int
}

// Actor is the policy a worker runs during collection: it acts in the env
// (the expert, the learner or a mixture, PLATO's teacher) and keeps the
// expert's label of the last observation it acted on.
type Actor interface {
	common.Policy
	Label() []float64
}

// Collect runs episodes first..first+n-1 of stream kind at iteration iter
// in parallel: each worker gets its own env and expert, from which
// newActor builds its actor; episode e resets from the stream
// rand.NewPCG(Seed, Stream(kind, iter, e)) and records every visited
// observation with the actor's label. done(a, i), if not nil, is called
// after episode first+i with the actor that ran it, to read per-episode
// statistics. Episodes are returned by index, independent of the number of
// workers.
func Collect[A Actor](ctx context.Context, c *Core, kind, iter, first, n int, newActor func(env envs.Env, expert common.Policy) (A, error), done func(a A, i int)) ([]Episode, error) {
	eps := make([]Episode, n)
	type worker struct {
		env   envs.Env
		actor A
	}
	newWorker := func() (worker, error) {
		env, err := c.Cfg.MakeEnv()
		if err != nil {
			return worker{}, fmt.Errorf("%s: %w", c.Pkg, err)
		}
		expert, err := c.Cfg.Expert()
		if err != nil {
			return worker{}, fmt.Errorf("%s: expert: %w", c.Pkg, err)
		}
		a, err := newActor(env, expert)
		return worker{env, a}, err
	}
	err := parallel.Run(ctx, n, c.Cfg.Workers, newWorker, func(w worker, i int) error {
		rng := rand.New(rand.NewPCG(c.Cfg.Seed, Stream(kind, iter, first+i)))
		e := &eps[i]
		ep, err := common.Rollout(w.env, w.actor, rng, common.RolloutConfig{
			MaxSteps: c.Cfg.MaxSteps,
			OnStep: func(_ int, tr *common.Transition) {
				e.Obs = append(e.Obs, tr.Obs...)
				e.Labels = append(e.Labels, w.actor.Label()...)
			},
		})
		if err != nil {
			return fmt.Errorf("%s: episode %d: %w", c.Pkg, first+i, err)
		}
		e.Return, e.Steps = ep.Return, ep.Steps
		if done != nil {
			done(w.actor, i)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return eps, nil
}

// Aggregate appends the episodes to d in episode order (D <- D u D_i) and
// returns their mean return and total steps.
func Aggregate(d *Dataset, eps []Episode) (meanReturn float64, steps int) {
	for _, e := range eps {
		d.Append(e.Obs, e.Labels)
		meanReturn += e.Return
		steps += e.Steps
	}
	return meanReturn / float64(len(eps)), steps
}

// FitMetrics reports a retraining: prefix+loss (the last epoch's training
// loss), prefix+fit_epochs and, with a held-out split, prefix+val_loss.
func FitMetrics(prefix string, fr nn.FitResult) []common.Metric {
	ms := []common.Metric{
		{Name: prefix + "loss", Value: fr.TrainLoss[len(fr.TrainLoss)-1]},
		{Name: prefix + "fit_epochs", Value: float64(fr.Epochs)},
	}
	if !math.IsNaN(fr.BestValLoss) {
		ms = append(ms, common.Metric{Name: prefix + "val_loss", Value: fr.BestValLoss})
	}
	return ms
}

// CoreState is the part of a trainer's resume state the core holds; the
// trainers embed it in theirs (its fields stay top-level in the JSON).
type CoreState struct {
	Data         *Dataset     `json:"data"`
	Learner      LearnerState `json:"learner"`
	ExpertReturn *float64     `json:"expert_return,omitempty"`
}

// State returns the dataset, the learner's state and the expert's return.
func (c *Core) State() (CoreState, error) {
	ls, err := c.Learner.State()
	if err != nil {
		return CoreState{}, err
	}
	s := CoreState{Data: c.Data, Learner: ls}
	if !math.IsNaN(c.expertReturn) {
		v := c.expertReturn
		s.ExpertReturn = &v
	}
	return s, nil
}

// Restore sets what State returned.
func (c *Core) Restore(s CoreState) error {
	if s.Data == nil || s.Data.ObsDim != c.ObsDim || s.Data.ActDim != c.ActDim {
		return errors.New(c.Pkg + ": trainer state has no dataset for this env's dimensions")
	}
	if err := c.Learner.Restore(s.Learner); err != nil {
		return err
	}
	c.Data = s.Data
	c.expertReturn = math.NaN()
	if s.ExpertReturn != nil {
		c.expertReturn = *s.ExpertReturn
	}
	return nil
}
