package bptt

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/model"
)

// LearnConfig configures a LearnTrainer; DefaultLearnConfig gives the
// defaults.
type LearnConfig struct {
	// BPTT configures the policy's training through the model; its Iters
	// is the length of the whole run (one learning-rate schedule across
	// every refit).
	BPTT Config
	// RandomSteps is the number of env steps taken with uniformly random
	// actions before the first fit (default 1000: five pendulum
	// episodes).
	RandomSteps int
	// RefitEvery is the number of BPTT iterations between two rounds of
	// data collection and refitting (default 25).
	RefitEvery int
	// Episodes is the number of episodes run with the current policy in
	// the real env at each round (default 1).
	Episodes int
	// Noise is the standard deviation of the Gaussian noise added to the
	// policy's actions in those episodes, as a fraction of each action
	// dimension's half-range (then clipped to the bounds; default 0.1).
	// It widens the data around the policy's own trajectories.
	Noise float64
	// EpisodeSteps caps the episodes; 0 (the default) means the env's
	// MaxSteps, or 200 (model.EpisodeCap).
	EpisodeSteps int
	// InitFitSteps is the number of Adam steps of the first fit, from
	// scratch (default 2000); FitSteps those of every refit, warm-started
	// (default 300). Fits run whole epochs: round(steps/steps-per-epoch),
	// at least one.
	InitFitSteps, FitSteps int
	// Fit configures the dynamics model (a single model: Ensemble must be
	// 1) and its optimiser (model.DefaultFitConfig).
	Fit model.FitConfig
}

// DefaultLearnConfig returns the default LearnConfig: BPTT's defaults
// (DefaultConfig), 1000 random steps, then every 25 BPTT iterations one
// noisy policy episode and a 300-step refit.
func DefaultLearnConfig() LearnConfig {
	return LearnConfig{BPTT: DefaultConfig(), RandomSteps: 1000, RefitEvery: 25, Episodes: 1, Noise: 0.1,
		InitFitSteps: 2000, FitSteps: 300, Fit: model.DefaultFitConfig()}
}

// Validate returns a *config.Error naming the first invalid field.
func (c LearnConfig) Validate() error {
	v := config.Checker{Pkg: "bptt"}
	v.Nested("BPTT", c.BPTT.Validate())
	v.AtLeast("RandomSteps", c.RandomSteps, 1)
	v.AtLeast("RefitEvery", c.RefitEvery, 1)
	v.AtLeast("Episodes", c.Episodes, 1)
	v.NonNegative("Noise", c.Noise)
	v.AtLeast("EpisodeSteps", c.EpisodeSteps, 0)
	v.AtLeast("InitFitSteps", c.InitFitSteps, 1)
	v.AtLeast("FitSteps", c.FitSteps, 1)
	v.Nested("Fit", c.Fit.Validate())
	v.Check(c.Fit.Ensemble == 1, "Fit.Ensemble", "must be 1: BPTT differentiates through one model, got %d", c.Fit.Ensemble)
	return v.Err()
}

// LearnTrainer is the model-based loop of PILCO (Deisenroth & Rasmussen
// 2011, Alg. 1) with a neural model and BPTT: learn a dynamics model from
// real data, improve the policy by backpropagating through the model,
// run the policy in the real env, refit the model on all data, repeat.
// It is the way to BPTT through a model where a model fitted on random
// data does not cover the states a good policy visits. Iteration k:
//
//  1. (k = 0) collect RandomSteps env steps with random actions and fit
//     the model from scratch (InitFitSteps);
//  2. (k > 0, every RefitEvery iterations) run Episodes episodes of the
//     current policy (with Gaussian action noise Noise) in the real env,
//     add them to the data and refit the model on all of it, warm-started
//     (FitSteps);
//  3. one BPTT iteration through the current model (Trainer.Iterate).
//
// The step graph is built once: it aliases the model's weights and
// normalisers, which the refits change in place. Metrics: BPTT's, plus
// env_steps (real env steps so far), model_loss (the last fit's
// minibatch loss) and, at the iterations of a round, episode_return (the
// mean real return of its policy episodes, noise included). Resume is
// bit-exact.
type LearnTrainer struct {
	cfg  LearnConfig
	env  envs.Env
	bp   *Trainer
	fit  *model.Fitter
	data *model.Dataset
	dm   *nn.DynamicsModel
	pcg  *rand.PCG // the real episodes: resets and exploration noise
	loss float64
}

var _ common.Trainer = (*LearnTrainer)(nil)

// NewLearn returns a LearnTrainer of a new policy with hidden layers
// hidden (NewPolicy) on env, which needs a known cost on observations and
// continuous actions. The trainer uses env for its real episodes and its
// start states; do not use env elsewhere meanwhile. Random streams of
// Seed = cfg.BPTT.Seed: rand.NewPCG(Seed, 0) initialises the policy (as
// in "mbrl train bptt" with known dynamics), (Seed, 3) the model, (Seed,
// 1) drives the real episodes, (Seed, 2) the random actions, (Seed, 100)
// the model's minibatches, and the BPTT start states come from Trainer's
// stream.
func NewLearn(cfg LearnConfig, env envs.Env, hidden []int) (*LearnTrainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if env.ActionSpace().Discrete {
		return nil, fmt.Errorf("bptt: env %q has discrete actions; BPTT needs continuous ones", env.Name())
	}
	cost, err := ObsCostOf(env)
	if err != nil {
		return nil, err
	}
	no, na := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	seed := cfg.BPTT.Seed
	pol, err := NewPolicy(env, hidden, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		return nil, err
	}
	fit, err := model.NewFitter("dynamics", no, na, cfg.Fit, rand.New(rand.NewPCG(seed, 3)), seed)
	if err != nil {
		return nil, err
	}
	dm, ok := fit.Model().(*nn.DynamicsModel)
	if !ok {
		fit.Close()
		return nil, fmt.Errorf("bptt: the model loop fits one dynamics model, got %s", fit.Model().Kind())
	}
	sys, err := NewModelSystem(dm, cost)
	if err != nil {
		fit.Close()
		return nil, err
	}
	bp, err := New(cfg.BPTT, env, sys, pol)
	if err != nil {
		fit.Close()
		return nil, err
	}
	return &LearnTrainer{cfg: cfg, env: env, bp: bp, fit: fit, data: model.NewDataset(no, na), dm: dm,
		pcg: rand.NewPCG(seed, 1)}, nil
}

// Close releases the graphs.
func (t *LearnTrainer) Close() {
	t.bp.Close()
	t.fit.Close()
}

// Policy returns the trained policy.
func (t *LearnTrainer) Policy() Policy { return t.bp.Policy() }

// Model returns the dynamics model (named "dynamics").
func (t *LearnTrainer) Model() *nn.DynamicsModel { return t.dm }

// Data returns the real transitions collected so far.
func (t *LearnTrainer) Data() *model.Dataset { return t.data }

// BPTT returns the inner BPTT trainer.
func (t *LearnTrainer) BPTT() *Trainer { return t.bp }

// Models returns the policy and the dynamics model.
func (t *LearnTrainer) Models() []nn.Model { return []nn.Model{t.bp.Policy(), t.dm} }

// Iterate runs one iteration: collect and refit when due, then one BPTT
// iteration through the model.
func (t *LearnTrainer) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	var extra []common.Metric
	switch {
	case t.data.Len() == 0:
		pol := &common.RandomPolicy{Space: t.env.ActionSpace(), Rng: rand.New(rand.NewPCG(t.cfg.BPTT.Seed, 2))}
		if _, err := model.Collect(t.data, t.env, pol, rand.New(t.pcg), model.CollectConfig{Steps: t.cfg.RandomSteps, EpisodeSteps: t.cfg.EpisodeSteps}); err != nil {
			return nil, err
		}
		if err := t.refit(ctx, t.cfg.InitFitSteps); err != nil {
			return nil, err
		}
	case iter%t.cfg.RefitEvery == 0:
		ret, err := t.collect()
		if err != nil {
			return nil, err
		}
		if err := t.refit(ctx, t.cfg.FitSteps); err != nil {
			return nil, err
		}
		extra = append(extra, common.Metric{Name: "episode_return", Value: ret})
	}
	ms, err := t.bp.Iterate(ctx, iter)
	ms = append(ms,
		common.Metric{Name: "env_steps", Value: float64(t.data.Len())},
		common.Metric{Name: "model_loss", Value: t.loss})
	return append(ms, extra...), err
}

// collect runs the round's policy episodes in the real env and returns
// their mean return.
func (t *LearnTrainer) collect() (float64, error) {
	rng := rand.New(t.pcg)
	pol := t.bp.Policy()
	sp := t.env.ActionSpace()
	noisy := common.PolicyFunc(func(dst, obs []float64) {
		pol.Act(dst, obs)
		for i := range dst {
			half := (sp.High[i] - sp.Low[i]) / 2
			if math.IsInf(half, 0) || half == 0 {
				half = 1
			}
			dst[i] = math.Min(math.Max(dst[i]+t.cfg.Noise*half*rng.NormFloat64(), sp.Low[i]), sp.High[i])
		}
	})
	limit := model.EpisodeCap(t.env, t.cfg.EpisodeSteps)
	var sum float64
	for range t.cfg.Episodes {
		eps, err := model.Collect(t.data, t.env, noisy, rng, model.CollectConfig{Steps: limit, EpisodeSteps: limit})
		if err != nil {
			return 0, err
		}
		for _, ep := range eps {
			sum += ep.Return
		}
	}
	return sum / float64(t.cfg.Episodes), nil
}

// refit fits the model on all data for about steps Adam steps.
func (t *LearnTrainer) refit(ctx context.Context, steps int) error {
	obs, act, next := t.data.Gather(t.data.All())
	if err := t.fit.SetData(obs, act, next, t.data.Len()); err != nil {
		return err
	}
	perEpoch := (t.data.Len() + t.fit.Config().Batch - 1) / t.fit.Config().Batch
	loss, err := t.fit.Epochs(ctx, max(1, int(math.Round(float64(steps)/float64(perEpoch)))))
	t.loss = loss
	return err
}

type learnState struct {
	BPTT   json.RawMessage   `json:"bptt"`
	Data   *model.Dataset    `json:"data"`
	Fit    model.FitterState `json:"fit"`
	InMean []float64         `json:"in_mean"`
	InStd  []float64         `json:"in_std"`
	DMean  []float64         `json:"delta_mean"`
	DStd   []float64         `json:"delta_std"`
	PCG    []byte            `json:"pcg"`
	Loss   float64           `json:"model_loss"`
}

// State encodes BPTT's state, the data, the model's normalisers and
// optimiser, and the episode stream.
func (t *LearnTrainer) State() (json.RawMessage, error) {
	var s learnState
	var err error
	if s.BPTT, err = t.bp.State(); err != nil {
		return nil, err
	}
	s.Data = t.data
	if s.Fit, err = t.fit.State(); err != nil {
		return nil, err
	}
	in, dl := t.dm.InputNormaliser(), t.dm.DeltaNormaliser()
	s.InMean, s.InStd, s.DMean, s.DStd = in.Mean, in.Std, dl.Mean, dl.Std
	if s.PCG, err = t.pcg.MarshalBinary(); err != nil {
		return nil, err
	}
	s.Loss = t.loss
	return json.Marshal(s)
}

// Restore sets the state from State.
func (t *LearnTrainer) Restore(raw json.RawMessage) error {
	var s learnState
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("bptt: model-loop state: %w", err)
	}
	data := s.Data
	if data == nil {
		return fmt.Errorf("bptt: model-loop state has no data")
	}
	if data.Buf.ObsDim != t.data.Buf.ObsDim || data.Buf.ActDim != t.data.Buf.ActDim {
		return fmt.Errorf("bptt: model-loop state holds data of obs %d, act %d, want %d, %d", data.Buf.ObsDim, data.Buf.ActDim, t.data.Buf.ObsDim, t.data.Buf.ActDim)
	}
	in, dl := t.dm.InputNormaliser(), t.dm.DeltaNormaliser()
	if len(s.InMean) != in.Dim() || len(s.InStd) != in.Dim() || len(s.DMean) != dl.Dim() || len(s.DStd) != dl.Dim() {
		return fmt.Errorf("bptt: model-loop state: normalisers of the wrong width")
	}
	if err := t.bp.Restore(s.BPTT); err != nil {
		return err
	}
	if err := t.fit.SetState(s.Fit); err != nil {
		return err
	}
	if err := t.pcg.UnmarshalBinary(s.PCG); err != nil {
		return fmt.Errorf("bptt: model-loop state: %w", err)
	}
	copy(in.Mean, s.InMean)
	copy(in.Std, s.InStd)
	copy(dl.Mean, s.DMean)
	copy(dl.Std, s.DStd)
	t.data, t.loss = data, s.Loss
	return nil
}
