package dagger

import (
	"context"
	"encoding/json"
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

// Config configures a Trainer; DefaultConfig (DAgger) and DefaultBCConfig
// (behaviour cloning) give the defaults. MakeEnv and Expert are required.
type Config struct {
	// MakeEnv builds one environment per worker goroutine. Its actions
	// must be continuous and bounded (the policy is squashed into them).
	MakeEnv func() (envs.Env, error)
	// Expert builds one instance of the expert per worker goroutine (e.g.
	// MPC on the true dynamics). Experts with per-episode state (MPC warm
	// starts) must implement common.Resetter: they are reset before every
	// episode with that episode's stream.
	Expert func() (common.Policy, error)

	// Hidden are the policy's hidden layer widths (default [64, 64]), with
	// Activation (default tanh); the policy is an nn.DeterministicPolicy
	// with an observation normaliser fitted to the first iteration's data.
	Hidden     []int
	Activation nn.Activation
	// Policy, if set, is the learner to train instead of a fresh one (its
	// observation/action widths must match the env's).
	Policy *nn.DeterministicPolicy

	// Iters is the planned number of iterations N (default 10; BC 1); it
	// only decides which iteration gets FinalEvalEpisodes.
	Iters int
	// EpisodesPerIter is M, the episodes run and labelled per iteration
	// (default 20; BC 200).
	EpisodesPerIter int
	// BetaDecay is p in beta_i = p^(i-1) (iteration i = 1..N): the
	// probability that the expert, not the learner, acts at a step of
	// iteration i (default 0.5). beta_1 = 1 always; p = 0 is the schedule
	// beta_i = [i = 1] that Ross et al. (2011) found best in practice.
	// Must be in [0, 1].
	BetaDecay float64
	// BC makes the trainer behaviour cloning: beta_i = 1 for every
	// iteration, so the dataset holds expert demonstrations only.
	BC bool
	// CompareBC also trains a behaviour-cloning learner (same architecture
	// and initial weights, its own optimiser) on expert-only
	// demonstrations with exactly as many labels as DAgger's dataset at
	// every iteration, and reports its return (bc_return) beside DAgger's.
	CompareBC bool

	// Fit configures the supervised retraining (DefaultFitConfig).
	Fit FitConfig
	// MaxSteps caps episodes of envs without a step limit (default 1000).
	MaxSteps int
	// Workers is the number of goroutines for episodes and evaluation; 0
	// (the default) means GOMAXPROCS. Results do not depend on it.
	Workers int
	// Seed seeds the policy initialisation, the training episodes (reset,
	// mixture coin flips, expert resets) and the minibatches.
	Seed uint64

	// EvalEpisodes and FinalEvalEpisodes are the episodes of the
	// evaluations the trainer runs itself: the BC comparison learner at
	// every iteration (default 10, and 100 at the last iteration) and the
	// expert once (FinalEvalEpisodes, when EvalExpert is set). They use
	// common.Evaluate with EvalSeed, so they see the same start states as
	// an evaluation of the DAgger learner with that seed.
	EvalEpisodes      int
	FinalEvalEpisodes int
	EvalSeed          uint64
	// EvalExpert evaluates the expert once (at the first iteration) and
	// reports its mean return as expert_return in every iteration
	// (default true).
	EvalExpert bool
}

// KindTraining is the stream kind (see Stream) of the training episodes:
// episode e of iteration i resets from Stream(KindTraining, i, e), so
// DAgger, behaviour cloning and PLATO runs with the same seed start their
// iteration-i episodes from the same states (paired comparisons of
// train_return).
const KindTraining = 1

// Other kinds of streams of this package.
const (
	kindBC   = 2
	kindInit = 3
)

// DefaultConfig returns the default DAgger Config: a [64, 64] tanh
// policy, N = 10 iterations of M = 20 episodes, beta decay 0.5, the
// default fit, expert evaluated; MakeEnv and Expert are left to set.
func DefaultConfig() Config {
	return Config{
		Hidden: []int{64, 64}, Activation: nn.Tanh, Iters: 10, EpisodesPerIter: 20, BetaDecay: 0.5,
		Fit: DefaultFitConfig(), MaxSteps: 1000, EvalEpisodes: 10, FinalEvalEpisodes: 100, EvalExpert: true,
	}
}

// DefaultBCConfig returns the default behaviour-cloning Config: as
// DefaultConfig with BC set and one iteration of 200 expert episodes.
func DefaultBCConfig() Config {
	c := DefaultConfig()
	c.BC, c.Iters, c.EpisodesPerIter = true, 1, 200
	return c
}

// Validate returns a *config.Error naming the first invalid field (the
// required MakeEnv and Expert are checked by New).
func (c Config) Validate() error {
	v := config.Checker{Pkg: "dagger"}
	v.Check(len(c.Hidden) > 0, "Hidden", "needs at least one layer size")
	v.Sizes("Hidden", c.Hidden)
	v.Check(c.Activation.Valid() == nil, "Activation", "must be tanh, relu or identity, got %q", c.Activation)
	v.AtLeast("Iters", c.Iters, 1)
	v.AtLeast("EpisodesPerIter", c.EpisodesPerIter, 1)
	v.In("BetaDecay", c.BetaDecay, 0, 1)
	v.Check(!(c.BC && c.CompareBC), "CompareBC", "compares DAgger with behaviour cloning; it cannot be combined with BC")
	v.Nested("Fit", c.Fit.Validate())
	v.AtLeast("MaxSteps", c.MaxSteps, 1)
	v.AtLeast("Workers", c.Workers, 0)
	v.AtLeast("EvalEpisodes", c.EvalEpisodes, 1)
	v.AtLeast("FinalEvalEpisodes", c.FinalEvalEpisodes, 1)
	return v.Err()
}

// Trainer is DAgger (or behaviour cloning) as a common.Trainer: each
// Iterate runs one iteration of Ross et al.'s Algorithm 3.1.
type Trainer struct {
	cfg    Config
	obsDim int
	actDim int

	policy  *nn.DeterministicPolicy
	learner *Learner
	data    *Dataset

	// behaviour-cloning comparison (CompareBC)
	bcPolicy   *nn.DeterministicPolicy
	bcLearner  *Learner
	bcData     *Dataset
	bcEpisodes int // expert-only episodes collected for bcData

	expertReturn float64 // NaN until evaluated
}

var _ common.Trainer = (*Trainer)(nil)

// New returns a trainer with a fresh policy (or cfg.Policy).
func New(cfg Config) (*Trainer, error) {
	if cfg.MakeEnv == nil || cfg.Expert == nil {
		return nil, errors.New("dagger: Config needs MakeEnv and Expert")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	env, err := cfg.MakeEnv()
	if err != nil {
		return nil, fmt.Errorf("dagger: %w", err)
	}
	as := env.ActionSpace()
	if as.Discrete {
		return nil, fmt.Errorf("dagger: %s has discrete actions; imitation here regresses continuous actions (try its continuous variant)", env.Name())
	}
	t := &Trainer{cfg: cfg, obsDim: env.ObservationSpace().Dim(), actDim: as.Dim(), expertReturn: math.NaN()}
	arch := nn.PolicyArch{
		ObsDim: t.obsDim, ActDim: t.actDim, Hidden: cfg.Hidden, Activation: cfg.Activation,
		Low: as.Low, High: as.High, ObsNorm: true,
	}
	if cfg.Policy != nil {
		if cfg.Policy.ObsDim() != t.obsDim || cfg.Policy.ActDim() != t.actDim {
			return nil, fmt.Errorf("dagger: the policy maps %d -> %d values, %s needs %d -> %d", cfg.Policy.ObsDim(), cfg.Policy.ActDim(), env.Name(), t.obsDim, t.actDim)
		}
		t.policy = cfg.Policy
	} else if t.policy, err = nn.NewDeterministicPolicy("policy", arch, rand.New(rand.NewPCG(cfg.Seed, Stream(kindInit, 0, 0)))); err != nil {
		return nil, fmt.Errorf("dagger: %w", err)
	}
	if t.learner, err = NewLearner(t.policy, t.policy.Normaliser(), t.obsDim, t.actDim, cfg.Fit, rand.NewPCG(cfg.Seed, Stream(kindInit, 0, 1))); err != nil {
		return nil, err
	}
	t.data = NewDataset(t.obsDim, t.actDim)
	if cfg.CompareBC {
		// Same initial weights as the DAgger learner, its own optimiser
		// and minibatch stream.
		t.bcPolicy = t.policy.Clone()
		t.bcPolicy, err = renamed(t.bcPolicy, "bc_policy")
		if err != nil {
			t.learner.Close()
			return nil, err
		}
		if t.bcLearner, err = NewLearner(t.bcPolicy, t.bcPolicy.Normaliser(), t.obsDim, t.actDim, cfg.Fit, rand.NewPCG(cfg.Seed, Stream(kindInit, 0, 2))); err != nil {
			t.learner.Close()
			return nil, err
		}
		t.bcData = NewDataset(t.obsDim, t.actDim)
	}
	return t, nil
}

// renamed returns a copy of p whose parameters are named name.* (for a
// second policy in the same checkpoint).
func renamed(p *nn.DeterministicPolicy, name string) (*nn.DeterministicPolicy, error) {
	q, err := nn.NewDeterministicPolicy(name, p.Arch().(nn.PolicyArch), rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, fmt.Errorf("dagger: %w", err)
	}
	for i, par := range p.Params() {
		copy(q.Params()[i].Data(), par.Data())
	}
	if n := p.Normaliser(); n != nil {
		copy(q.Normaliser().Mean, n.Mean)
		copy(q.Normaliser().Std, n.Std)
	}
	return q, nil
}

// Close releases the training graphs.
func (t *Trainer) Close() {
	t.learner.Close()
	if t.bcLearner != nil {
		t.bcLearner.Close()
	}
}

// Policy returns the learner (trained in place by Iterate).
func (t *Trainer) Policy() *nn.DeterministicPolicy { return t.policy }

// BCPolicy returns the behaviour-cloning comparison learner (nil without
// CompareBC).
func (t *Trainer) BCPolicy() *nn.DeterministicPolicy { return t.bcPolicy }

// Dataset returns the aggregated dataset D (do not modify it).
func (t *Trainer) Dataset() *Dataset { return t.data }

// Beta returns beta for 0-based iteration iter: p^iter (1 for behaviour
// cloning and for the first iteration).
func (t *Trainer) Beta(iter int) float64 {
	if t.cfg.BC || iter == 0 {
		return 1
	}
	return math.Pow(t.cfg.BetaDecay, float64(iter))
}

// Iterate runs DAgger iteration i = iter+1:
//
//  1. run M episodes of pi_i = beta_i pi* + (1 - beta_i) pi_hat_i,
//  2. label every visited state with the expert, D_i = {(o, pi*(o))},
//  3. aggregate D <- D u D_i,
//  4. retrain pi_hat_{i+1} on D (warm start, held-out early stopping),
//  5. (CompareBC) grow the expert-only dataset to |D| labels and retrain
//     the BC learner on exactly |D| of them, and evaluate it.
func (t *Trainer) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	if t.cfg.EvalExpert && math.IsNaN(t.expertReturn) {
		res, err := common.Evaluate(t.cfg.MakeEnv, t.cfg.Expert, common.EvalConfig{
			Episodes: t.cfg.FinalEvalEpisodes, Seed: t.cfg.EvalSeed, Workers: t.cfg.Workers, MaxSteps: t.cfg.MaxSteps})
		if err != nil {
			return nil, fmt.Errorf("dagger: evaluating the expert: %w", err)
		}
		t.expertReturn = res.Mean
	}

	// 1-2. Run the mixture policy and label every visited state.
	beta := t.Beta(iter)
	eps, err := t.collect(ctx, KindTraining, iter, 0, t.cfg.EpisodesPerIter, beta, t.policy)
	if err != nil {
		return nil, err
	}
	// 3. Aggregate, in episode order.
	var ret float64
	var steps, expertSteps int
	for _, e := range eps {
		t.data.Append(e.obs, e.labels)
		ret += e.ret
		steps += e.steps
		expertSteps += e.expertSteps
	}
	// 4. Retrain on the aggregate.
	fr, err := t.learner.Fit(t.data, 0)
	if err != nil {
		return nil, err
	}
	ms := []common.Metric{
		{Name: "labels", Value: float64(t.data.Len())},
		{Name: "beta", Value: beta},
		{Name: "train_return", Value: ret / float64(len(eps))},
		{Name: "expert_frac", Value: float64(expertSteps) / float64(max(steps, 1))},
	}
	ms = append(ms, fitMetrics("", fr)...)
	if !math.IsNaN(t.expertReturn) {
		ms = append(ms, common.Metric{Name: "expert_return", Value: t.expertReturn})
	}
	// 5. Behaviour cloning on as many expert-only labels.
	if t.cfg.CompareBC {
		bm, err := t.compareBC(ctx, iter)
		if err != nil {
			return nil, err
		}
		ms = append(ms, bm...)
	}
	return ms, nil
}

func fitMetrics(prefix string, fr nn.FitResult) []common.Metric {
	ms := []common.Metric{
		{Name: prefix + "loss", Value: fr.TrainLoss[len(fr.TrainLoss)-1]},
		{Name: prefix + "fit_epochs", Value: float64(fr.Epochs)},
	}
	if !math.IsNaN(fr.BestValLoss) {
		ms = append(ms, common.Metric{Name: prefix + "val_loss", Value: fr.BestValLoss})
	}
	return ms
}

// compareBC grows the expert-only dataset to at least |D| labels (whole
// batches of M expert episodes), retrains the BC learner on its first |D|
// labels and evaluates it.
func (t *Trainer) compareBC(ctx context.Context, iter int) ([]common.Metric, error) {
	want := t.data.Len()
	for t.bcData.Len() < want {
		eps, err := t.collect(ctx, kindBC, 0, t.bcEpisodes, t.cfg.EpisodesPerIter, 1, nil)
		if err != nil {
			return nil, err
		}
		for _, e := range eps {
			t.bcData.Append(e.obs, e.labels)
		}
		t.bcEpisodes += len(eps)
	}
	fr, err := t.bcLearner.Fit(t.bcData, want)
	if err != nil {
		return nil, err
	}
	n := t.cfg.EvalEpisodes
	if iter == t.cfg.Iters-1 {
		n = t.cfg.FinalEvalEpisodes
	}
	res, err := common.Evaluate(t.cfg.MakeEnv, func() (common.Policy, error) { return t.bcPolicy.Clone(), nil },
		common.EvalConfig{Episodes: n, Seed: t.cfg.EvalSeed, Workers: t.cfg.Workers, MaxSteps: t.cfg.MaxSteps})
	if err != nil {
		return nil, fmt.Errorf("dagger: evaluating the BC learner: %w", err)
	}
	ms := []common.Metric{{Name: "bc_return", Value: res.Mean}, {Name: "bc_labels", Value: float64(want)}}
	return append(ms, fitMetrics("bc_", fr)...), nil
}

// episode is one labelled episode.
type episode struct {
	obs, labels []float64 // [T, obsDim], [T, actDim]
	ret         float64
	steps       int
	expertSteps int
}

// worker is one goroutine's env, expert and learner copy.
type worker struct {
	env envs.Env
	mix *mixture
}

// collect runs episodes first..first+n-1 of stream kind at iteration iter
// with the mixture beta expert + (1 - beta) learner (learner may be nil
// when beta = 1), in parallel, and returns them by index.
func (t *Trainer) collect(ctx context.Context, kind, iter, first, n int, beta float64, learner *nn.DeterministicPolicy) ([]episode, error) {
	eps := make([]episode, n)
	newWorker := func() (*worker, error) {
		env, err := t.cfg.MakeEnv()
		if err != nil {
			return nil, fmt.Errorf("dagger: %w", err)
		}
		expert, err := t.cfg.Expert()
		if err != nil {
			return nil, fmt.Errorf("dagger: expert: %w", err)
		}
		m := &mixture{expert: expert, beta: beta, label: make([]float64, t.actDim)}
		if learner != nil && beta < 1 {
			m.learner = learner.Clone()
		}
		return &worker{env: env, mix: m}, nil
	}
	job := func(w *worker, i int) error {
		rng := rand.New(rand.NewPCG(t.cfg.Seed, Stream(kind, iter, first+i)))
		e := &eps[i]
		w.mix.expertSteps = 0
		ep, err := common.Rollout(w.env, w.mix, rng, common.RolloutConfig{
			MaxSteps: t.cfg.MaxSteps,
			OnStep: func(_ int, tr *common.Transition) {
				e.obs = append(e.obs, tr.Obs...)
				e.labels = append(e.labels, w.mix.label...)
			},
		})
		if err != nil {
			return fmt.Errorf("dagger: episode %d: %w", first+i, err)
		}
		e.ret, e.steps, e.expertSteps = ep.Return, ep.Steps, w.mix.expertSteps
		return nil
	}
	if err := parallel.Run(ctx, n, t.cfg.Workers, newWorker, job); err != nil {
		return nil, err
	}
	return eps, nil
}

// mixture is DAgger's pi_i = beta pi* + (1 - beta) pi_hat: at every step
// the expert labels the observation and acts with probability beta, the
// learner otherwise. Its coin flips come from the episode's stream.
type mixture struct {
	expert      common.Policy
	learner     *nn.DeterministicPolicy // nil when beta = 1
	beta        float64
	coin        *rand.Rand
	label       []float64 // the expert's action at the last observation
	expertSteps int
}

// Reset starts an episode: the coin stream and the expert's reset stream
// are split from the episode's stream.
func (m *mixture) Reset(rng *rand.Rand) {
	m.coin = rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	if r, ok := m.expert.(common.Resetter); ok {
		r.Reset(rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
	}
}

// Act labels obs with the expert and returns the expert's or the learner's
// action.
func (m *mixture) Act(dst, obs []float64) {
	m.expert.Act(m.label, obs)
	if m.learner == nil || m.coin.Float64() < m.beta {
		copy(dst, m.label)
		m.expertSteps++
		return
	}
	m.learner.Act(dst, obs)
}

// Models returns the learner (named "policy") and, with CompareBC, the BC
// comparison learner ("bc_policy").
func (t *Trainer) Models() []nn.Model {
	if t.bcPolicy != nil {
		return []nn.Model{t.policy, t.bcPolicy}
	}
	return []nn.Model{t.policy}
}

// trainerState is the non-weight state of a Trainer.
type trainerState struct {
	Data         *Dataset      `json:"data"`
	Learner      LearnerState  `json:"learner"`
	BCData       *Dataset      `json:"bc_data,omitempty"`
	BCLearner    *LearnerState `json:"bc_learner,omitempty"`
	BCEpisodes   int           `json:"bc_episodes"`
	ExpertReturn *float64      `json:"expert_return,omitempty"`
}

// State encodes the datasets, optimiser moments, random streams and the
// normalisers (everything a bit-exact resume needs beyond the weights).
func (t *Trainer) State() (json.RawMessage, error) {
	ls, err := t.learner.State()
	if err != nil {
		return nil, err
	}
	s := trainerState{Data: t.data, Learner: ls, BCEpisodes: t.bcEpisodes}
	if t.bcLearner != nil {
		bs, err := t.bcLearner.State()
		if err != nil {
			return nil, err
		}
		s.BCData, s.BCLearner = t.bcData, &bs
	}
	if !math.IsNaN(t.expertReturn) {
		v := t.expertReturn
		s.ExpertReturn = &v
	}
	return json.Marshal(s)
}

// Restore sets the state returned by State.
func (t *Trainer) Restore(raw json.RawMessage) error {
	var s trainerState
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("dagger: trainer state: %w", err)
	}
	if s.Data == nil || s.Data.ObsDim != t.obsDim || s.Data.ActDim != t.actDim {
		return errors.New("dagger: trainer state has no dataset for this env's dimensions")
	}
	if (s.BCLearner != nil) != (t.bcLearner != nil) {
		return errors.New("dagger: the checkpoint and this run disagree on CompareBC")
	}
	if err := t.learner.Restore(s.Learner); err != nil {
		return err
	}
	t.data = s.Data
	if t.bcLearner != nil {
		if s.BCData == nil {
			return errors.New("dagger: trainer state has no BC dataset")
		}
		if err := t.bcLearner.Restore(*s.BCLearner); err != nil {
			return err
		}
		t.bcData, t.bcEpisodes = s.BCData, s.BCEpisodes
	}
	t.expertReturn = math.NaN()
	if s.ExpertReturn != nil {
		t.expertReturn = *s.ExpertReturn
	}
	return nil
}
