package plato

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/dagger"
	"github.com/mbrl/mbrl/trainers/parallel"
)

// Schedule names a KL-weight schedule over the iterations i = 0..N-1.
type Schedule string

// KL-weight schedules.
const (
	// Constant: lambda_i = KLWeight.
	Constant Schedule = "constant"
	// Linear: lambda_i = KLWeight i/(N-1), from the plain expert (0) at
	// the first iteration to KLWeight at the last.
	Linear Schedule = "linear"
	// Exp: lambda_i = KLWeight KLGrowth^i.
	Exp Schedule = "exp"
)

// ParseSchedule checks a schedule name ("" means Constant).
func ParseSchedule(s string) (Schedule, error) {
	switch Schedule(s) {
	case "", Constant:
		return Constant, nil
	case Linear, Exp:
		return Schedule(s), nil
	}
	return "", fmt.Errorf("plato: unknown KL schedule %q (valid: constant, linear, exp)", s)
}

// Config configures a Trainer; DefaultConfig gives the defaults. MakeEnv,
// Expert and Dynamics are required.
type Config struct {
	// MakeEnv builds one environment per worker goroutine (continuous,
	// bounded actions; its State() is the state of Dynamics).
	MakeEnv func() (envs.Env, error)
	// Expert builds one labelling expert per worker: the plain MPC on the
	// true dynamics (lambda = 0), a policy on observations. Experts with
	// per-episode state must implement common.Resetter.
	Expert func() (common.Policy, error)
	// Dynamics are the env's true dynamics, on which the teacher plans.
	Dynamics envs.Dynamics
	// Teacher configures the teacher's MPC (default: control's MPC
	// defaults, one warm-started plan; Low/High default to the dynamics'
	// action bounds). Its ILQR.Extra is replaced by the KL term.
	Teacher control.MPCSettings

	// KLWeight is lambda, the weight of KL(teacher || learner) in the
	// teacher's objective, >= 0 (default 0.01; 0: the teacher is the plain
	// expert); its Schedule (default Constant) and the growth
	// factor of Exp (default 2). lambda is relative to the env's cost: on
	// pendulum Q_uu of the plain MPC is about 0.03, so the pull
	// lambda/std^2 dominates it from lambda ~ 0.01 on for a learner with
	// std 0.3.
	KLWeight float64
	Schedule Schedule
	KLGrowth float64

	// Hidden are the learner's hidden layer widths (default [64, 64]) with
	// Activation (default tanh); the learner is an nn.GaussianPolicy with
	// an observation normaliser fitted to the first iteration's data.
	Hidden     []int
	Activation nn.Activation
	// InitStd is the learner's standard deviation before its first fit;
	// 0 (the default) means half the action range, a learner that knows
	// nothing.
	InitStd float64
	// MinStd floors the fitted standard deviation, bounding the learner's
	// precision in the KL pull; 0 (the default) means 0.05 of half the
	// action range.
	MinStd float64

	// Iters is the planned number of iterations N (default 10; used by
	// the Linear schedule). EpisodesPerIter is M (default 20).
	Iters           int
	EpisodesPerIter int
	// Fit configures the supervised retraining
	// (dagger.DefaultFitConfig).
	Fit dagger.FitConfig
	// MaxSteps caps episodes of envs without a step limit (default 1000).
	MaxSteps int
	// Workers is the number of goroutines; 0 (the default) means
	// GOMAXPROCS. Results do not depend on it.
	Workers int
	// Seed seeds the learner initialisation, the episodes (reset, teacher
	// noise, expert resets) and the minibatches.
	Seed uint64

	// EvalExpert evaluates the expert once (FinalEvalEpisodes episodes,
	// default 100, with common.Evaluate and EvalSeed) and reports
	// expert_return in every iteration (default true).
	EvalExpert        bool
	FinalEvalEpisodes int
	EvalSeed          uint64
}

// kindInit is the kind of this package's own streams (dagger.Stream); the
// training episodes use dagger.KindTraining, so that PLATO's iteration-i
// episodes start where DAgger's do for the same seed.
const kindInit = 13

// DefaultConfig returns the default Config: lambda = 0.01 constant, a
// [64, 64] tanh Gaussian learner, N = 10 iterations of M = 20 episodes,
// the default fit, expert evaluated; MakeEnv, Expert and Dynamics are left
// to set.
func DefaultConfig() Config {
	return Config{
		KLWeight: 0.01, Schedule: Constant, KLGrowth: 2, Hidden: []int{64, 64}, Activation: nn.Tanh,
		Iters: 10, EpisodesPerIter: 20, Fit: dagger.DefaultFitConfig(), MaxSteps: 1000,
		EvalExpert: true, FinalEvalEpisodes: 100,
	}
}

// Validate returns a *config.Error naming the first invalid field (the
// required MakeEnv, Expert and Dynamics are checked by New).
func (c Config) Validate() error {
	v := config.Checker{Pkg: "plato"}
	v.NonNegative("KLWeight", c.KLWeight)
	_, err := ParseSchedule(string(c.Schedule))
	v.Nested("Schedule", err)
	v.Positive("KLGrowth", c.KLGrowth)
	v.Check(len(c.Hidden) > 0, "Hidden", "needs at least one layer size")
	v.Sizes("Hidden", c.Hidden)
	v.Check(c.Activation.Valid() == nil, "Activation", "must be tanh, relu or identity, got %q", c.Activation)
	v.NonNegative("InitStd", c.InitStd)
	v.NonNegative("MinStd", c.MinStd)
	v.AtLeast("Iters", c.Iters, 1)
	v.AtLeast("EpisodesPerIter", c.EpisodesPerIter, 1)
	v.Nested("Fit", c.Fit.Validate())
	v.AtLeast("MaxSteps", c.MaxSteps, 1)
	v.AtLeast("Workers", c.Workers, 0)
	v.AtLeast("FinalEvalEpisodes", c.FinalEvalEpisodes, 1)
	return v.Err()
}

// Trainer is PLATO as a common.Trainer: each Iterate is one iteration of
// Kahn et al.'s Algorithm 1.
type Trainer struct {
	cfg    Config
	obsDim int
	actDim int

	policy  *nn.GaussianPolicy
	learner *dagger.Learner
	data    *dagger.Dataset

	expertReturn float64 // NaN until evaluated
}

var _ common.Trainer = (*Trainer)(nil)

// New returns a trainer with a fresh learner.
func New(cfg Config) (*Trainer, error) {
	if cfg.MakeEnv == nil || cfg.Expert == nil || cfg.Dynamics == nil {
		return nil, errors.New("plato: Config needs MakeEnv, Expert and Dynamics")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	env, err := cfg.MakeEnv()
	if err != nil {
		return nil, fmt.Errorf("plato: %w", err)
	}
	as := env.ActionSpace()
	if as.Discrete {
		return nil, fmt.Errorf("plato: %s has discrete actions; PLATO's Gaussian teacher needs continuous ones (try its continuous variant)", env.Name())
	}
	d := cfg.Dynamics
	if d.StateDim() != env.StateDim() || d.ObsDim() != env.ObservationSpace().Dim() || d.ActionDim() != as.Dim() {
		return nil, fmt.Errorf("plato: the dynamics (%d states, %d observations, %d actions) do not match %s", d.StateDim(), d.ObsDim(), d.ActionDim(), env.Name())
	}
	half := math.Inf(1)
	for i := range as.Low {
		half = math.Min(half, (as.High[i]-as.Low[i])/2)
	}
	if cfg.InitStd == 0 {
		cfg.InitStd = half
	}
	if cfg.MinStd == 0 {
		cfg.MinStd = 0.05 * half
	}
	t := &Trainer{cfg: cfg, obsDim: env.ObservationSpace().Dim(), actDim: as.Dim(), expertReturn: math.NaN()}
	arch := nn.GaussianPolicyArch{
		PolicyArch: nn.PolicyArch{
			ObsDim: t.obsDim, ActDim: t.actDim, Hidden: cfg.Hidden, Activation: cfg.Activation,
			Low: as.Low, High: as.High, ObsNorm: true,
		},
		InitLogStd: math.Log(cfg.InitStd),
	}
	if t.policy, err = nn.NewGaussianPolicy("policy", arch, rand.New(rand.NewPCG(cfg.Seed, dagger.Stream(kindInit, 0, 0)))); err != nil {
		return nil, fmt.Errorf("plato: %w", err)
	}
	if t.learner, err = dagger.NewLearner(t.policy, t.policy.Normaliser(), t.obsDim, t.actDim, cfg.Fit, rand.NewPCG(cfg.Seed, dagger.Stream(kindInit, 0, 1))); err != nil {
		return nil, err
	}
	// Check the teacher settings once.
	if _, err := newTeacher(cfg.Dynamics, cfg.Teacher, t.policy.MeanPolicy().Clone()); err != nil {
		t.learner.Close()
		return nil, err
	}
	t.data = dagger.NewDataset(t.obsDim, t.actDim)
	return t, nil
}

// Close releases the training graph.
func (t *Trainer) Close() { t.learner.Close() }

// Policy returns the Gaussian learner (trained in place by Iterate).
func (t *Trainer) Policy() *nn.GaussianPolicy { return t.policy }

// Dataset returns the aggregated dataset (do not modify it).
func (t *Trainer) Dataset() *dagger.Dataset { return t.data }

// KLWeight returns lambda_i for 0-based iteration iter.
func (t *Trainer) KLWeight(iter int) float64 {
	c := t.cfg
	switch c.Schedule {
	case Linear:
		if c.Iters <= 1 {
			return c.KLWeight
		}
		return c.KLWeight * float64(min(iter, c.Iters-1)) / float64(c.Iters-1)
	case Exp:
		return c.KLWeight * math.Pow(c.KLGrowth, float64(iter))
	}
	return c.KLWeight
}

// Iterate runs PLATO iteration i = iter+1 (Algorithm 1):
//
//  1. for M episodes, at every visited state x_t (observation o_t):
//     compute the adaptive teacher pi_hat_t (KL-augmented MPC) and execute
//     a draw from it; label o_t with the plain MPC action (lambda = 0);
//  2. aggregate the labelled observations into D;
//  3. retrain the learner's mean on D (warm start) and set its standard
//     deviation to the fit's root-mean-square residual.
func (t *Trainer) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	if t.cfg.EvalExpert && math.IsNaN(t.expertReturn) {
		res, err := common.Evaluate(t.cfg.MakeEnv, t.cfg.Expert, common.EvalConfig{
			Episodes: t.cfg.FinalEvalEpisodes, Seed: t.cfg.EvalSeed, Workers: t.cfg.Workers, MaxSteps: t.cfg.MaxSteps})
		if err != nil {
			return nil, fmt.Errorf("plato: evaluating the expert: %w", err)
		}
		t.expertReturn = res.Mean
	}
	lambda := t.KLWeight(iter)

	// 1. Teacher episodes, labelled by the expert.
	eps, err := t.collect(ctx, iter, lambda)
	if err != nil {
		return nil, err
	}
	// 2. Aggregate, in episode order.
	var ret, gap, tstd float64
	var steps, covSteps int
	for _, e := range eps {
		t.data.Append(e.obs, e.labels)
		ret += e.ret
		steps += e.steps
		gap += e.gap2
		tstd += e.std
		covSteps += e.covSteps
	}
	// 3. Retrain the mean; the std is the residual's RMS.
	fr, err := t.learner.Fit(t.data, 0)
	if err != nil {
		return nil, err
	}
	msr := make([]float64, t.actDim)
	if err := t.learner.MeanSquaredResidual(msr, t.data, 0); err != nil {
		return nil, err
	}
	ls := t.policy.LogStdParam().Data()
	var meanStd float64
	for j, v := range msr {
		s := math.Max(math.Sqrt(v), t.cfg.MinStd)
		ls[j] = math.Log(s)
		meanStd += s / float64(t.actDim)
	}
	ms := []common.Metric{
		{Name: "labels", Value: float64(t.data.Len())},
		{Name: "kl_weight", Value: lambda},
		{Name: "train_return", Value: ret / float64(len(eps))},
		// RMS distance between the executed teacher mean and the expert's
		// label: how far the KL term pulled the teacher.
		{Name: "teacher_pull", Value: math.Sqrt(gap / float64(max(steps, 1)))},
		{Name: "teacher_std", Value: tstd / float64(max(covSteps, 1))},
		{Name: "learner_std", Value: meanStd},
		{Name: "loss", Value: fr.TrainLoss[len(fr.TrainLoss)-1]},
		{Name: "fit_epochs", Value: float64(fr.Epochs)},
	}
	if !math.IsNaN(fr.BestValLoss) {
		ms = append(ms, common.Metric{Name: "val_loss", Value: fr.BestValLoss})
	}
	if !math.IsNaN(t.expertReturn) {
		ms = append(ms, common.Metric{Name: "expert_return", Value: t.expertReturn})
	}
	return ms, nil
}

// episode is one teacher episode with its labels.
type episode struct {
	obs, labels []float64
	ret         float64
	steps       int
	gap2        float64 // sum over steps of |teacher mean - label|^2
	std         float64 // sum over steps of the teacher's mean std
	covSteps    int
}

// actor is one worker's env, expert and teacher: a common.Policy on
// observations that labels with the expert and acts with the teacher on the
// env's state.
type actor struct {
	env    envs.Env
	expert common.Policy
	teach  *teacher
	noise  *rand.Rand
	label  []float64
	ep     *episode
}

// Reset splits the teacher-noise and expert streams from the episode's.
func (a *actor) Reset(rng *rand.Rand) {
	a.noise = rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	if r, ok := a.expert.(common.Resetter); ok {
		r.Reset(rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
	}
	a.teach.Reset(rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
}

// Act labels obs with the expert, then plans the teacher from the env's
// state and writes a draw of the teacher's action into dst.
func (a *actor) Act(dst, obs []float64) {
	a.expert.Act(a.label, obs)
	a.teach.Act(dst, a.env.State(), a.noise)
	var g float64
	for j, v := range a.teach.mean {
		g += (v - a.label[j]) * (v - a.label[j])
	}
	a.ep.gap2 += g
	if a.teach.valid {
		m := len(a.label)
		var s float64
		for j := range m {
			s += math.Sqrt(a.teach.cov[j*m+j]) / float64(m)
		}
		a.ep.std += s
		a.ep.covSteps++
	}
}

// collect runs the iteration's M teacher episodes in parallel.
func (t *Trainer) collect(ctx context.Context, iter int, lambda float64) ([]episode, error) {
	n := t.cfg.EpisodesPerIter
	eps := make([]episode, n)
	std := t.policy.Std()
	newWorker := func() (*actor, error) {
		env, err := t.cfg.MakeEnv()
		if err != nil {
			return nil, fmt.Errorf("plato: %w", err)
		}
		expert, err := t.cfg.Expert()
		if err != nil {
			return nil, fmt.Errorf("plato: expert: %w", err)
		}
		teach, err := newTeacher(t.cfg.Dynamics, t.cfg.Teacher, t.policy.MeanPolicy().Clone())
		if err != nil {
			return nil, err
		}
		teach.setLearner(lambda, std)
		return &actor{env: env, expert: expert, teach: teach, label: make([]float64, t.actDim)}, nil
	}
	job := func(a *actor, i int) error {
		e := &eps[i]
		a.ep = e
		rng := rand.New(rand.NewPCG(t.cfg.Seed, dagger.Stream(dagger.KindTraining, iter, i)))
		ep, err := common.Rollout(a.env, a, rng, common.RolloutConfig{
			MaxSteps: t.cfg.MaxSteps,
			OnStep: func(_ int, tr *common.Transition) {
				e.obs = append(e.obs, tr.Obs...)
				e.labels = append(e.labels, a.label...)
			},
		})
		if err != nil {
			return fmt.Errorf("plato: episode %d: %w", i, err)
		}
		e.ret, e.steps = ep.Return, ep.Steps
		return nil
	}
	if err := parallel.Run(ctx, n, t.cfg.Workers, newWorker, job); err != nil {
		return nil, err
	}
	return eps, nil
}

// Models returns the Gaussian learner, named "policy".
func (t *Trainer) Models() []nn.Model { return []nn.Model{t.policy} }

type trainerState struct {
	Data         *dagger.Dataset     `json:"data"`
	Learner      dagger.LearnerState `json:"learner"`
	ExpertReturn *float64            `json:"expert_return,omitempty"`
}

// State encodes the dataset, the optimiser moments, the random stream and
// the normaliser.
func (t *Trainer) State() (json.RawMessage, error) {
	ls, err := t.learner.State()
	if err != nil {
		return nil, err
	}
	s := trainerState{Data: t.data, Learner: ls}
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
		return fmt.Errorf("plato: trainer state: %w", err)
	}
	if s.Data == nil || s.Data.ObsDim != t.obsDim || s.Data.ActDim != t.actDim {
		return errors.New("plato: trainer state has no dataset for this env's dimensions")
	}
	if err := t.learner.Restore(s.Learner); err != nil {
		return err
	}
	t.data = s.Data
	t.expertReturn = math.NaN()
	if s.ExpertReturn != nil {
		t.expertReturn = *s.ExpertReturn
	}
	return nil
}
