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
	"github.com/mbrl/mbrl/trainers/imitation"
)

// Trainer is DAgger (or behaviour cloning) as a common.Trainer: each
// Iterate runs one iteration of Ross et al.'s Algorithm 3.1.
type Trainer struct {
	*imitation.Core // D, the learner's fit, the expert's return
	cfg             Config
	policy          *nn.DeterministicPolicy

	// behaviour-cloning comparison (CompareBC)
	bcPolicy   *nn.DeterministicPolicy
	bcLearner  *imitation.Learner
	bcData     *imitation.Dataset
	bcEpisodes int // expert-only episodes collected for bcData
}

var _ common.Trainer = (*Trainer)(nil)

// Iterate runs DAgger iteration i = iter+1:
//
//  1. run M episodes of pi_i = beta_i pi* + (1 - beta_i) pi_hat_i,
//  2. label every visited state with the expert, D_i = {(o, pi*(o))},
//  3. aggregate D <- D u D_i,
//  4. retrain pi_hat_{i+1} on D (warm start, held-out early stopping),
//  5. (CompareBC) grow the expert-only dataset to |D| labels and retrain
//     the BC learner on exactly |D| of them, and evaluate it.
func (t *Trainer) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	if err := t.EvaluateExpert(); err != nil {
		return nil, err
	}
	// 1-2. Run the mixture policy and label every visited state.
	beta := t.Beta(iter)
	eps, expertSteps, err := t.collect(ctx, imitation.KindTraining, iter, 0, beta, t.policy)
	if err != nil {
		return nil, err
	}
	// 3. Aggregate, in episode order.
	ret, steps := imitation.Aggregate(t.Data, eps)
	// 4. Retrain on the aggregate.
	fr, err := t.Learner.Fit(t.Data, 0)
	if err != nil {
		return nil, err
	}
	ms := []common.Metric{
		{Name: "labels", Value: float64(t.Data.Len())},
		{Name: "beta", Value: beta},
		{Name: "train_return", Value: ret},
		{Name: "expert_frac", Value: float64(expertSteps) / float64(max(steps, 1))},
	}
	ms = append(ms, imitation.FitMetrics("", fr)...)
	ms = append(ms, t.ExpertMetric()...)
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

// Beta returns beta for 0-based iteration iter: p^iter (1 for behaviour
// cloning and for the first iteration).
func (t *Trainer) Beta(iter int) float64 {
	if t.cfg.BC || iter == 0 {
		return 1
	}
	return math.Pow(t.cfg.BetaDecay, float64(iter))
}

// collect runs M episodes of stream kind at iteration iter, numbered from
// first, with the mixture beta expert + (1 - beta) learner (learner may be
// nil when beta = 1), and returns them with the number of steps the expert
// acted.
func (t *Trainer) collect(ctx context.Context, kind, iter, first int, beta float64, learner *nn.DeterministicPolicy) ([]imitation.Episode, int, error) {
	n := t.cfg.EpisodesPerIter
	expertSteps := make([]int, n)
	eps, err := imitation.Collect(ctx, t.Core, kind, iter, first, n,
		func(_ envs.Env, expert common.Policy) (*mixture, error) {
			m := &mixture{expert: expert, beta: beta, label: make([]float64, t.ActDim)}
			if learner != nil && beta < 1 {
				m.learner = learner.Clone()
			}
			return m, nil
		},
		func(m *mixture, i int) { expertSteps[i] = m.expertSteps })
	total := 0
	for _, s := range expertSteps {
		total += s
	}
	return eps, total, err
}

// compareBC grows the expert-only dataset to at least |D| labels (whole
// batches of M expert episodes), retrains the BC learner on its first |D|
// labels and evaluates it.
func (t *Trainer) compareBC(ctx context.Context, iter int) ([]common.Metric, error) {
	want := t.Data.Len()
	for t.bcData.Len() < want {
		eps, _, err := t.collect(ctx, kindBC, 0, t.bcEpisodes, 1, nil)
		if err != nil {
			return nil, err
		}
		imitation.Aggregate(t.bcData, eps)
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
	return append(ms, imitation.FitMetrics("bc_", fr)...), nil
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
	expertSteps int       // steps of the episode the expert acted
}

// Reset starts an episode: the coin stream and the expert's reset stream
// are split from the episode's stream.
func (m *mixture) Reset(rng *rand.Rand) {
	m.coin = rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	if r, ok := m.expert.(common.Resetter); ok {
		r.Reset(rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
	}
	m.expertSteps = 0
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

// Label returns the expert's action at the last observation.
func (m *mixture) Label() []float64 { return m.label }

// Config configures a Trainer; DefaultConfig (DAgger) and DefaultBCConfig
// (behaviour cloning) give the defaults. MakeEnv and Expert are required.
type Config struct {
	// Config holds the settings DAgger shares with PLATO: env and expert
	// factories, the learner's architecture (an nn.DeterministicPolicy
	// squashed into the action bounds), N, M, the fit, workers, seed and
	// the expert's evaluation.
	imitation.Config

	// Policy, if set, is the learner to train instead of a fresh one (its
	// observation/action widths must match the env's).
	Policy *nn.DeterministicPolicy

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
	// EvalEpisodes are the episodes of the BC comparison learner's
	// evaluation at every iteration (default 20; FinalEvalEpisodes at the
	// last), with common.Evaluate and EvalSeed, so that it sees the same
	// start states as an evaluation of the DAgger learner with that seed.
	EvalEpisodes int
}

// DefaultConfig returns the default DAgger Config: the shared imitation
// defaults (a [64, 64] tanh policy, N = 10 iterations of M = 20 episodes,
// the expert evaluated), beta decay 0.5; MakeEnv and Expert are left to
// set.
func DefaultConfig() Config {
	return Config{Config: imitation.DefaultConfig(), BetaDecay: 0.5, EvalEpisodes: 20}
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
	c.Config.Check(&v)
	v.In("BetaDecay", c.BetaDecay, 0, 1)
	v.Check(!(c.BC && c.CompareBC), "CompareBC", "compares DAgger with behaviour cloning; it cannot be combined with BC")
	v.AtLeast("EvalEpisodes", c.EvalEpisodes, 1)
	return v.Err()
}

// Stream kinds of this package (imitation.Stream); the training episodes
// use imitation.KindTraining.
const (
	kindBC   = 2
	kindInit = 3
)

// New returns a trainer with a fresh learner (or cfg.Policy).
func New(cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	core, as, err := imitation.NewCore("dagger", cfg.Config)
	if err != nil {
		return nil, err
	}
	t := &Trainer{Core: core, cfg: cfg}
	arch := nn.PolicyArch{
		ObsDim: t.ObsDim, ActDim: t.ActDim, Hidden: cfg.Hidden, Activation: cfg.Activation,
		Low: as.Low, High: as.High, ObsNorm: true,
	}
	if cfg.Policy != nil {
		if cfg.Policy.ObsDim() != t.ObsDim || cfg.Policy.ActDim() != t.ActDim {
			return nil, fmt.Errorf("dagger: the policy maps %d -> %d values, the env needs %d -> %d", cfg.Policy.ObsDim(), cfg.Policy.ActDim(), t.ObsDim, t.ActDim)
		}
		t.policy = cfg.Policy
	} else if t.policy, err = nn.NewDeterministicPolicy("policy", arch, rand.New(rand.NewPCG(cfg.Seed, imitation.Stream(kindInit, 0, 0)))); err != nil {
		return nil, fmt.Errorf("dagger: %w", err)
	}
	if t.Learner, err = imitation.NewLearner(t.policy, t.policy.Normaliser(), t.ObsDim, t.ActDim, cfg.Fit, rand.NewPCG(cfg.Seed, imitation.Stream(kindInit, 0, 1))); err != nil {
		return nil, err
	}
	if cfg.CompareBC {
		// Same initial weights as the DAgger learner, its own optimiser
		// and minibatch stream.
		t.bcPolicy, err = renamed(t.policy, "bc_policy")
		if err != nil {
			t.Learner.Close()
			return nil, err
		}
		if t.bcLearner, err = imitation.NewLearner(t.bcPolicy, t.bcPolicy.Normaliser(), t.ObsDim, t.ActDim, cfg.Fit, rand.NewPCG(cfg.Seed, imitation.Stream(kindInit, 0, 2))); err != nil {
			t.Learner.Close()
			return nil, err
		}
		t.bcData = imitation.NewDataset(t.ObsDim, t.ActDim)
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
	t.Learner.Close()
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
func (t *Trainer) Dataset() *imitation.Dataset { return t.Data }

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
	imitation.CoreState
	BCData     *imitation.Dataset      `json:"bc_data,omitempty"`
	BCLearner  *imitation.LearnerState `json:"bc_learner,omitempty"`
	BCEpisodes int                     `json:"bc_episodes"`
}

// State encodes the datasets, optimiser moments, random streams and the
// normalisers (everything a bit-exact resume needs beyond the weights).
func (t *Trainer) State() (json.RawMessage, error) {
	cs, err := t.Core.State()
	if err != nil {
		return nil, err
	}
	s := trainerState{CoreState: cs, BCEpisodes: t.bcEpisodes}
	if t.bcLearner != nil {
		bs, err := t.bcLearner.State()
		if err != nil {
			return nil, err
		}
		s.BCData, s.BCLearner = t.bcData, &bs
	}
	return json.Marshal(s)
}

// Restore sets the state returned by State.
func (t *Trainer) Restore(raw json.RawMessage) error {
	var s trainerState
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("dagger: trainer state: %w", err)
	}
	if (s.BCLearner != nil) != (t.bcLearner != nil) {
		return errors.New("dagger: the checkpoint and this run disagree on CompareBC")
	}
	if err := t.Core.Restore(s.CoreState); err != nil {
		return err
	}
	if t.bcLearner != nil {
		if s.BCData == nil {
			return errors.New("dagger: trainer state has no BC dataset")
		}
		if err := t.bcLearner.Restore(*s.BCLearner); err != nil {
			return err
		}
		t.bcData, t.bcEpisodes = s.BCData, s.BCEpisodes
	}
	return nil
}

// Memory estimates what c allocates on env (imitation.Config.Memory, with
// a second dataset and learner for CompareBC).
func (c Config) Memory(env envs.Env) config.Memory {
	extra := 0
	if c.CompareBC {
		extra = 1
	}
	return c.Config.Memory(env, extra).As("dagger")
}
