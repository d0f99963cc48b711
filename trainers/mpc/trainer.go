package mpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/model"
	"github.com/mbrl/mbrl/trainers/parallel"
)

// Trainer is the iterative model-based RL loop with MPC as a
// common.Trainer. Iteration k:
//
//  1. (k = 0) collect RandomSteps env steps with uniformly random actions;
//  2. fit the dynamics model on all data so far: normalisers refitted,
//     new bootstrap resamples, then InitFitSteps (k = 0, from scratch) or
//     FitSteps (warm start from the previous weights and Adam moments)
//     Adam steps per member;
//  3. run EpisodesPerIter episodes in the real env with MPC through the
//     model (replanning every step);
//  4. measure the model on those new, unseen episodes (its validation
//     error on the newest data) and add them to the data.
//
// Metrics: return (mean real return of the iteration's episodes),
// env_steps (real env steps so far, random ones included), episodes (MPC
// episodes so far), loss (last epoch's minibatch loss), val_mse
// (one-step error on the new episodes in the normalised delta space),
// rmse_10 and rmse_50 (open-loop errors on them, obs units),
// disagreement (members' spread along the executed plans; 0 for E = 1)
// and plan_errors (steps whose planning failed).
//
// The checkpointed model is the one fitted in the last iteration, i.e.
// the model whose MPC produced the last episodes. Resume is bit-exact:
// the state holds the data, the normalisers, the Adam moments and the
// random streams.
type Trainer struct {
	cfg     Config
	makeEnv func() (envs.Env, error)
	env     envs.Env
	data    *model.Dataset
	fit     *model.Fitter
	randPCG *rand.PCG
	epPCG   *rand.PCG
	// newest are the data's episodes run in the last iteration.
	newest   []int
	episodes int
}

var _ common.Trainer = (*Trainer)(nil)

// Iterate runs one iteration: fit, act, measure, aggregate.
func (t *Trainer) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	// 1. Random-action data to start from.
	steps := t.cfg.FitSteps
	if t.data.Len() == 0 {
		pol := &common.RandomPolicy{Space: t.env.ActionSpace(), Rng: rand.New(rand.NewPCG(t.cfg.Seed, 2))}
		if _, err := model.Collect(t.data, t.env, pol, rand.New(t.randPCG), model.CollectConfig{Steps: t.cfg.RandomSteps, EpisodeSteps: t.cfg.EpisodeSteps}); err != nil {
			return nil, err
		}
		steps = t.cfg.InitFitSteps
	}
	// 2. Fit on everything, warm-started.
	obs, act, next := t.data.Gather(t.data.All())
	if err := t.fit.SetData(obs, act, next, t.data.Len()); err != nil {
		return nil, err
	}
	perEpoch := (t.data.Len() + t.fit.Config().Batch - 1) / t.fit.Config().Batch
	epochs := max(1, int(math.Round(float64(steps)/float64(perEpoch))))
	loss, err := t.fit.Epochs(ctx, epochs)
	if err != nil {
		return nil, err
	}
	// 3. MPC episodes through the model in the real env.
	fresh, returns, disagree, planErrs, err := t.runEpisodes(ctx, t.cfg.EpisodesPerIter)
	if err != nil {
		return nil, err
	}
	// 4. The model's error on the new data, then aggregation.
	m := t.fit.Model()
	fobs, fact, fnext := fresh.Gather(fresh.All())
	vmse, err := model.NormalisedMSE(m.(model.Predictor), model.DeltaNormaliser(m), fobs, fact, fnext, fresh.Len())
	if err != nil {
		return nil, err
	}
	all := make([]int, fresh.Episodes())
	for i := range all {
		all[i] = i
	}
	rmse := model.MultiStepRMSE(m.(model.Predictor), fresh, all, 50, 5)
	first := t.data.Episodes()
	if err := t.data.Append(fresh); err != nil {
		return nil, err
	}
	t.newest = t.newest[:0]
	for k := first; k < t.data.Episodes(); k++ {
		t.newest = append(t.newest, k)
	}
	t.episodes += len(returns)
	var ret, dis float64
	for i := range returns {
		ret += returns[i]
		dis += disagree[i]
	}
	n := float64(len(returns))
	return []common.Metric{
		{Name: "return", Value: ret / n},
		{Name: "env_steps", Value: float64(t.data.Len())},
		{Name: "episodes", Value: float64(t.episodes)},
		{Name: "loss", Value: loss},
		{Name: "val_mse", Value: vmse},
		{Name: "rmse_10", Value: finiteOr(rmse[9], -1)},
		{Name: "rmse_50", Value: finiteOr(rmse[49], -1)},
		{Name: "disagreement", Value: dis / n},
		{Name: "plan_errors", Value: float64(planErrs)},
	}, nil
}

// runEpisodes runs n MPC episodes in parallel. Episode i resets the env
// and the planner from a stream seeded by the trainer's episode stream
// (drawn in order before any episode runs), and its transitions go to its
// own dataset; the datasets are joined in episode order, so the result
// does not depend on the number of workers.
func (t *Trainer) runEpisodes(ctx context.Context, n int) (*model.Dataset, []float64, []float64, int, error) {
	rng := rand.New(t.epPCG)
	seeds := make([][2]uint64, n)
	for i := range seeds {
		seeds[i] = [2]uint64{rng.Uint64(), rng.Uint64()}
	}
	no, na := t.data.Buf.ObsDim, t.data.Buf.ActDim
	parts := make([]*model.Dataset, n)
	returns, disagree := make([]float64, n), make([]float64, n)
	planErrs := make([]int, n)
	limit := model.EpisodeCap(t.env, t.cfg.EpisodeSteps)
	type worker struct {
		env envs.Env
		pol *PlannerPolicy
	}
	newWorker := func() (worker, error) {
		env, err := t.makeEnv()
		if err != nil {
			return worker{}, err
		}
		pol, err := newPlannerPolicy(t.fit.Model(), env, t.cfg.Planner)
		return worker{env, pol}, err
	}
	err := parallel.Run(ctx, n, t.cfg.Workers, newWorker, func(w worker, i int) error {
		d := model.NewDataset(no, na)
		d.StartEpisode()
		ep, err := common.Rollout(w.env, w.pol, rand.New(rand.NewPCG(seeds[i][0], seeds[i][1])), common.RolloutConfig{
			MaxSteps: limit,
			OnStep:   func(_ int, tr *common.Transition) { d.Buf.AddTransition(tr) },
		})
		if err != nil {
			return err
		}
		parts[i], returns[i], disagree[i] = d, ep.Return, w.pol.Disagreement()
		planErrs[i], _ = w.pol.Errors()
		return nil
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, 0, err
	}
	if err != nil {
		return nil, nil, nil, 0, fmt.Errorf("mpc: episode: %w", err)
	}
	fresh := model.NewDataset(no, na)
	total := 0
	for i, p := range parts {
		if err := fresh.Append(p); err != nil {
			return nil, nil, nil, 0, err
		}
		total += planErrs[i]
	}
	return fresh, returns, disagree, total, nil
}

// finiteOr returns v, or alt if v is NaN (a horizon no episode reached).
func finiteOr(v, alt float64) float64 {
	if math.IsNaN(v) {
		return alt
	}
	return v
}

// Config configures a Trainer; DefaultConfig gives the defaults.
type Config struct {
	// RandomSteps is R, the random-action env steps collected before the
	// first fit (default 200: one pendulum episode).
	RandomSteps int
	// EpisodesPerIter is M, the MPC episodes run in the real env per
	// iteration (default 1).
	EpisodesPerIter int
	// EpisodeSteps caps episodes; 0 (the default) means the env's
	// MaxSteps, or 200 (model.EpisodeCap).
	EpisodeSteps int
	// InitFitSteps is the number of Adam steps per member of the first
	// fit, from scratch (default 2000); FitSteps those of every later,
	// warm-started refit (default 400). Fits run whole epochs over the
	// data: round(steps / steps-per-epoch) of them, at least one.
	InitFitSteps, FitSteps int
	// Fit configures the model (Ensemble: the number of members E) and
	// its optimiser (model.DefaultFitConfig).
	Fit model.FitConfig
	// Planner configures MPC through the model (DefaultPlannerConfig).
	Planner PlannerConfig
	// Seed selects the random streams: rand.NewPCG(Seed, 0) initialises
	// the model, (Seed, 1) drives the random-action episodes, (Seed, 3)
	// seeds the MPC episodes (resets and planners), and (Seed, 100+i)
	// member i's bootstrap and minibatches.
	Seed uint64
	// Workers runs the episodes of an iteration in parallel; 0 (the
	// default) means GOMAXPROCS. Results do not depend on it.
	Workers int
}

// DefaultConfig returns the default Config.
func DefaultConfig() Config {
	return Config{RandomSteps: 200, EpisodesPerIter: 1, InitFitSteps: 2000, FitSteps: 400,
		Fit: model.DefaultFitConfig(), Planner: DefaultPlannerConfig()}
}

// Validate returns a *config.Error naming the first invalid field.
func (c Config) Validate() error {
	v := config.Checker{Pkg: "mpc"}
	v.AtLeast("RandomSteps", c.RandomSteps, 1)
	v.AtLeast("EpisodesPerIter", c.EpisodesPerIter, 1)
	v.AtLeast("EpisodeSteps", c.EpisodeSteps, 0)
	v.AtLeast("InitFitSteps", c.InitFitSteps, 1)
	v.AtLeast("FitSteps", c.FitSteps, 1)
	v.Nested("Fit", c.Fit.Validate())
	v.Nested("Planner", c.Planner.Validate())
	v.AtLeast("Workers", c.Workers, 0)
	return v.Err()
}

// New returns a trainer for the env built by makeEnv (called once here
// and once per worker for the episodes).
func New(cfg Config, makeEnv func() (envs.Env, error)) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var err error
	if cfg.Planner, err = cfg.Planner.resolved(); err != nil {
		return nil, err
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	env, err := makeEnv()
	if err != nil {
		return nil, err
	}
	if _, err := ObsCost(env, false); err != nil {
		return nil, err
	}
	if env.ActionSpace().Discrete {
		return nil, fmt.Errorf("mpc: env %q has discrete actions; the planners need continuous ones", env.Name())
	}
	no, na := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	t := &Trainer{cfg: cfg, makeEnv: makeEnv, env: env, data: model.NewDataset(no, na),
		randPCG: rand.NewPCG(cfg.Seed, 1), epPCG: rand.NewPCG(cfg.Seed, 3)}
	t.fit, err = model.NewFitter("dynamics", no, na, cfg.Fit, rand.New(rand.NewPCG(cfg.Seed, 0)), cfg.Seed)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Close releases the training graphs.
func (t *Trainer) Close() { t.fit.Close() }

// Model returns the dynamics model (*nn.DynamicsModel or *nn.Ensemble,
// named "dynamics").
func (t *Trainer) Model() nn.Model { return t.fit.Model() }

// Data returns the aggregated real transitions.
func (t *Trainer) Data() *model.Dataset { return t.data }

// Newest returns the data's episode indices of the last iteration's MPC
// episodes (unseen by the current model).
func (t *Trainer) Newest() []int { return t.newest }

// Config returns the effective configuration.
func (t *Trainer) Config() Config { return t.cfg }

// ErrorCurve returns the open-loop RMSE at horizons 1..maxH (every start)
// on the last iteration's episodes, which the current model has not been
// trained on: for the model (the members' mean for an ensemble) and for
// its first member. It returns nils before the first iteration.
func (t *Trainer) ErrorCurve(maxH int) (mean, member []float64) {
	if len(t.newest) == 0 {
		return nil, nil
	}
	m := t.fit.Model()
	mean = model.MultiStepRMSE(m.(model.Predictor), t.data, t.newest, maxH, 1)
	member = model.MultiStepRMSE(t.fit.Members()[0], t.data, t.newest, maxH, 1)
	return mean, member
}

// Models returns the dynamics model.
func (t *Trainer) Models() []nn.Model { return []nn.Model{t.fit.Model()} }

type normState struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

type trainerState struct {
	Data     *model.Dataset    `json:"data"`
	Newest   []int             `json:"newest"`
	Episodes int               `json:"episodes"`
	Fit      model.FitterState `json:"fit"`
	Norms    [][2]normState    `json:"normalisers"` // per member: input, delta
	Random   []byte            `json:"random_pcg"`
	Episode  []byte            `json:"episode_pcg"`
	// Planner is the effective planner configuration, for replaying the
	// model with the planner it was trained with (SavedPlannerConfig);
	// Restore does not use it.
	Planner *PlannerConfig `json:"planner,omitempty"`
}

// SavedPlannerConfig returns the planner configuration a checkpoint
// written by a Trainer (method "mpc") was trained with, or false for other
// checkpoints (e.g. from "mbrl train model"; use DefaultPlannerConfig
// then).
func SavedPlannerConfig(c *checkpoints.Checkpoint) (PlannerConfig, bool) {
	if c == nil || c.Meta.Method != "mpc" || len(c.Meta.Optimizer) == 0 {
		return PlannerConfig{}, false
	}
	var s struct {
		Planner *PlannerConfig `json:"planner"`
	}
	if err := json.Unmarshal(c.Meta.Optimizer, &s); err != nil || s.Planner == nil {
		return PlannerConfig{}, false
	}
	return *s.Planner, true
}

// State encodes the data, the normalisers, the optimisers and the
// streams.
func (t *Trainer) State() (json.RawMessage, error) {
	var s trainerState
	var err error
	s.Data = t.data
	s.Newest, s.Episodes = t.newest, t.episodes
	pc := t.cfg.Planner
	s.Planner = &pc
	if s.Fit, err = t.fit.State(); err != nil {
		return nil, err
	}
	for _, d := range t.fit.Members() {
		in, dl := d.InputNormaliser(), d.DeltaNormaliser()
		s.Norms = append(s.Norms, [2]normState{{in.Mean, in.Std}, {dl.Mean, dl.Std}})
	}
	if s.Random, err = t.randPCG.MarshalBinary(); err != nil {
		return nil, err
	}
	if s.Episode, err = t.epPCG.MarshalBinary(); err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

// Restore sets the state from State.
func (t *Trainer) Restore(raw json.RawMessage) error {
	var s trainerState
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("mpc: trainer state: %w", err)
	}
	data := s.Data
	if data == nil {
		return errors.New("mpc: trainer state has no data")
	}
	if data.Buf.ObsDim != t.data.Buf.ObsDim || data.Buf.ActDim != t.data.Buf.ActDim {
		return fmt.Errorf("mpc: trainer state holds data of obs %d, act %d, want %d, %d", data.Buf.ObsDim, data.Buf.ActDim, t.data.Buf.ObsDim, t.data.Buf.ActDim)
	}
	for _, k := range s.Newest {
		if k < 0 || k >= data.Episodes() {
			return fmt.Errorf("mpc: trainer state: episode %d of %d", k, data.Episodes())
		}
	}
	ms := t.fit.Members()
	if len(s.Norms) != len(ms) {
		return fmt.Errorf("mpc: trainer state has normalisers of %d members, the model has %d", len(s.Norms), len(ms))
	}
	for i, d := range ms {
		for j, nm := range []*nn.Normaliser{d.InputNormaliser(), d.DeltaNormaliser()} {
			if len(s.Norms[i][j].Mean) != nm.Dim() || len(s.Norms[i][j].Std) != nm.Dim() {
				return fmt.Errorf("mpc: trainer state: normaliser of member %d has the wrong width", i)
			}
		}
	}
	if err := t.fit.SetState(s.Fit); err != nil {
		return err
	}
	if err := t.randPCG.UnmarshalBinary(s.Random); err != nil {
		return fmt.Errorf("mpc: trainer state: %w", err)
	}
	if err := t.epPCG.UnmarshalBinary(s.Episode); err != nil {
		return fmt.Errorf("mpc: trainer state: %w", err)
	}
	for i, d := range ms {
		for j, nm := range []*nn.Normaliser{d.InputNormaliser(), d.DeltaNormaliser()} {
			copy(nm.Mean, s.Norms[i][j].Mean)
			copy(nm.Std, s.Norms[i][j].Std)
		}
	}
	t.data, t.newest, t.episodes = data, append([]int(nil), s.Newest...), s.Episodes
	return nil
}
