package model

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

// Trainer fits a dynamics model to transitions collected in an env, as a
// common.Trainer: New collects the data (Samples env steps with the
// given policy), holds out whole episodes for validation and fits the
// normalisers; each iteration trains EpochsPerIter epochs and reports
//
//	loss     mean minibatch loss of the iteration's last epoch
//	val_mse  one-step MSE on the held-out episodes, normalised delta space
//	rmse_<h> open-loop h-step RMSE on the held-out episodes (raw obs units)
//
// Resuming is bit-exact: the data are collected again from the seed (and
// checked against a checksum), and the Adam moments and random streams
// come from the checkpoint.
type Trainer struct {
	cfg        Config
	env        envs.Env
	data       *Dataset
	train, val []int // episode indices
	fit        *Fitter
	valObs     []float64
	valAct     []float64
	valNext    []float64
	nVal       int
	returns    []float64
}

var _ common.Trainer = (*Trainer)(nil)

// Iterate trains EpochsPerIter epochs and measures the validation errors.
func (t *Trainer) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	loss, err := t.fit.Epochs(ctx, t.cfg.EpochsPerIter)
	if err != nil {
		return nil, err
	}
	ms := []common.Metric{{Name: "loss", Value: loss}}
	return append(ms, t.Validate()...), nil
}

// Validate returns val_mse and rmse_<h> of the current model on the
// held-out episodes.
func (t *Trainer) Validate() []common.Metric {
	m := t.fit.Model()
	p := m.(Predictor)
	mse, _ := NormalisedMSE(p, DeltaNormaliser(m), t.valObs, t.valAct, t.valNext, t.nVal)
	ms := []common.Metric{{Name: "val_mse", Value: mse}}
	maxH := 0
	for _, h := range t.cfg.Horizons {
		maxH = max(maxH, h)
	}
	rmse := MultiStepRMSE(p, t.data, t.val, maxH, t.cfg.Stride)
	for _, h := range t.cfg.Horizons {
		ms = append(ms, common.Metric{Name: fmt.Sprintf("rmse_%d", h), Value: rmse[h-1]})
	}
	return ms
}

// Config configures a Trainer; DefaultConfig gives the defaults.
type Config struct {
	// Samples is the number of env steps collected; 0 (the default)
	// collects 100 episodes of EpisodeCap(env, EpisodeSteps) steps (20000
	// on pendulum).
	Samples int
	// EpisodeSteps caps the collection episodes; 0 (the default) means
	// the env's MaxSteps, or 200 (EpisodeCap).
	EpisodeSteps int
	// ValFrac is the fraction of the collected episodes held out for
	// validation, in (0, 1) (default 0.1; whole episodes, so that
	// open-loop errors run along real trajectories).
	ValFrac float64
	// EpochsPerIter is the number of epochs over the training data per
	// iteration (default 5).
	EpochsPerIter int
	// Fit configures the model and its optimiser (DefaultFitConfig).
	Fit FitConfig
	// Horizons are the open-loop horizons reported as rmse_<h> (default
	// 10 and 50).
	Horizons []int
	// Stride is the step between the starts of the open-loop segments
	// (default 5).
	Stride int
	// Seed selects the random streams: rand.NewPCG(Seed, 0) initialises
	// the model, (Seed, 1) drives the collection episodes (resets and,
	// through common.Rollout, Resetter policies such as
	// common.RandomPolicy), (Seed, 2) the validation split, and (Seed,
	// 100+i) member i's bootstrap and minibatches.
	Seed uint64
}

// DefaultConfig returns the default Config.
func DefaultConfig() Config {
	return Config{ValFrac: 0.1, EpochsPerIter: 5, Fit: DefaultFitConfig(), Horizons: []int{10, 50}, Stride: 5}
}

// Validate returns a *config.Error naming the first invalid field.
func (c Config) Validate() error {
	v := config.Checker{Pkg: "model"}
	v.AtLeast("Samples", c.Samples, 0)
	v.AtLeast("EpisodeSteps", c.EpisodeSteps, 0)
	v.Check(c.ValFrac > 0 && c.ValFrac < 1, "ValFrac", "must be in (0, 1), got %v", c.ValFrac)
	v.AtLeast("EpochsPerIter", c.EpochsPerIter, 1)
	v.Nested("Fit", c.Fit.Validate())
	v.Check(len(c.Horizons) > 0, "Horizons", "needs at least one horizon")
	v.Sizes("Horizons", c.Horizons)
	v.AtLeast("Stride", c.Stride, 1)
	return v.Err()
}

// New collects the data with pol in env and prepares the model called
// "dynamics".
func New(cfg Config, env envs.Env, pol common.Policy) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Samples == 0 {
		cfg.Samples = 100 * EpisodeCap(env, cfg.EpisodeSteps)
	}
	no, na := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	t := &Trainer{cfg: cfg, env: env, data: NewDataset(no, na)}
	eps, err := Collect(t.data, env, pol, rand.New(rand.NewPCG(cfg.Seed, 1)), CollectConfig{Steps: cfg.Samples, EpisodeSteps: cfg.EpisodeSteps})
	if err != nil {
		return nil, err
	}
	for _, ep := range eps {
		t.returns = append(t.returns, ep.Return)
	}
	if t.train, t.val, err = t.data.SplitEpisodes(cfg.ValFrac, rand.New(rand.NewPCG(cfg.Seed, 2))); err != nil {
		return nil, err
	}
	if len(t.val) == 0 {
		return nil, fmt.Errorf("model: no validation episodes (set a validation fraction > 0)")
	}
	t.fit, err = NewFitter("dynamics", no, na, cfg.Fit, rand.New(rand.NewPCG(cfg.Seed, 0)), cfg.Seed)
	if err != nil {
		return nil, err
	}
	tr := t.data.Indices(t.train)
	obs, act, next := t.data.Gather(tr)
	if err := t.fit.SetData(obs, act, next, len(tr)); err != nil {
		t.fit.Close()
		return nil, err
	}
	vi := t.data.Indices(t.val)
	t.valObs, t.valAct, t.valNext = t.data.Gather(vi)
	t.nVal = len(vi)
	return t, nil
}

// Close releases the training graphs.
func (t *Trainer) Close() { t.fit.Close() }

// Model returns the model being fitted (*nn.DynamicsModel or
// *nn.Ensemble, named "dynamics").
func (t *Trainer) Model() nn.Model { return t.fit.Model() }

// Fitter returns the fitter.
func (t *Trainer) Fitter() *Fitter { return t.fit }

// Data returns the collected dataset and the training and validation
// episode indices.
func (t *Trainer) Data() (d *Dataset, train, val []int) { return t.data, t.train, t.val }

// CollectReturns are the returns of the collection episodes.
func (t *Trainer) CollectReturns() []float64 { return t.returns }

// ErrorCurve returns the open-loop RMSE at horizons 1..maxH on the
// held-out episodes (every start, stride 1) of the model (its mean for an
// ensemble) and of its first member.
func (t *Trainer) ErrorCurve(maxH int) (model, member []float64) {
	model = MultiStepRMSE(t.fit.Model().(Predictor), t.data, t.val, maxH, 1)
	member = MultiStepRMSE(t.fit.Members()[0], t.data, t.val, maxH, 1)
	return model, member
}

// Models returns the dynamics model.
func (t *Trainer) Models() []nn.Model { return []nn.Model{t.fit.Model()} }

type trainerState struct {
	Fit      FitterState `json:"fit"`
	Checksum uint64      `json:"data_checksum"`
}

// State encodes the Adam moments, the random streams and the data's
// checksum.
func (t *Trainer) State() (json.RawMessage, error) {
	fs, err := t.fit.State()
	if err != nil {
		return nil, err
	}
	return json.Marshal(trainerState{Fit: fs, Checksum: t.data.Checksum()})
}

// Restore sets the state from State; it fails if the data collected for
// this run differ from the checkpoint's (another seed, env, policy or
// sample count).
func (t *Trainer) Restore(raw json.RawMessage) error {
	var s trainerState
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("model: trainer state: %w", err)
	}
	if s.Checksum != t.data.Checksum() {
		return fmt.Errorf("model: the data collected now differ from the checkpoint's (resume with the run's seed, env, policy and sample count, e.g. --config RUN/config.yaml)")
	}
	return t.fit.SetState(s.Fit)
}
