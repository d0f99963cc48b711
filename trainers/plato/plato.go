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
	"github.com/mbrl/mbrl/trainers/imitation"
)

// Trainer is PLATO as a common.Trainer: each Iterate is one iteration of
// Kahn et al.'s Algorithm 1.
type Trainer struct {
	*imitation.Core // D, the learner's fit, the expert's return
	cfg             Config
	policy          *nn.GaussianPolicy
}

var _ common.Trainer = (*Trainer)(nil)

// Iterate runs PLATO iteration i = iter+1 (Algorithm 1):
//
//  1. for M episodes, at every visited state x_t (observation o_t):
//     compute the adaptive teacher pi_hat_t (KL-augmented MPC) and execute
//     a draw from it; label o_t with the plain MPC action (lambda = 0);
//  2. aggregate the labelled observations into D;
//  3. retrain the learner's mean on D (warm start) and set its standard
//     deviation to the fit's root-mean-square residual.
func (t *Trainer) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	if err := t.EvaluateExpert(); err != nil {
		return nil, err
	}
	lambda := t.KLWeight(iter)

	// 1. Teacher episodes, labelled by the expert.
	eps, stats, err := t.collect(ctx, iter, lambda)
	if err != nil {
		return nil, err
	}
	// 2. Aggregate, in episode order.
	ret, steps := imitation.Aggregate(t.Data, eps)
	var gap, tstd float64
	var covSteps int
	for _, s := range stats {
		gap += s.gap2
		tstd += s.std
		covSteps += s.covSteps
	}
	// 3. Retrain the mean; the std is the residual's RMS.
	fr, err := t.Learner.Fit(t.Data, 0)
	if err != nil {
		return nil, err
	}
	msr := make([]float64, t.ActDim)
	if err := t.Learner.MeanSquaredResidual(msr, t.Data, 0); err != nil {
		return nil, err
	}
	ls := t.policy.LogStdParam().Data()
	var meanStd float64
	for j, v := range msr {
		s := math.Max(math.Sqrt(v), t.cfg.MinStd)
		ls[j] = math.Log(s)
		meanStd += s / float64(t.ActDim)
	}
	ms := []common.Metric{
		{Name: "labels", Value: float64(t.Data.Len())},
		{Name: "kl_weight", Value: lambda},
		{Name: "train_return", Value: ret},
		// RMS distance between the executed teacher mean and the expert's
		// label: how far the KL term pulled the teacher.
		{Name: "teacher_pull", Value: math.Sqrt(gap / float64(max(steps, 1)))},
		{Name: "teacher_std", Value: tstd / float64(max(covSteps, 1))},
		{Name: "learner_std", Value: meanStd},
	}
	ms = append(ms, imitation.FitMetrics("", fr)...)
	return append(ms, t.ExpertMetric()...), nil
}

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

// teacherStats are one episode's teacher statistics.
type teacherStats struct {
	gap2     float64 // sum over steps of |teacher mean - label|^2
	std      float64 // sum over steps of the teacher's mean std
	covSteps int
}

// collect runs the iteration's M teacher episodes in parallel.
func (t *Trainer) collect(ctx context.Context, iter int, lambda float64) ([]imitation.Episode, []teacherStats, error) {
	stats := make([]teacherStats, t.cfg.EpisodesPerIter)
	std := t.policy.Std()
	eps, err := imitation.Collect(ctx, t.Core, imitation.KindTraining, iter, 0, t.cfg.EpisodesPerIter,
		func(env envs.Env, expert common.Policy) (*actor, error) {
			teach, err := newTeacher(t.cfg.Dynamics, t.cfg.Teacher, t.policy.MeanPolicy().Clone())
			if err != nil {
				return nil, err
			}
			teach.setLearner(lambda, std)
			return &actor{env: env, expert: expert, teach: teach, label: make([]float64, t.ActDim)}, nil
		},
		func(a *actor, i int) { stats[i] = a.stats })
	return eps, stats, err
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
	stats  teacherStats // of the current episode
}

// Reset splits the teacher-noise and expert streams from the episode's.
func (a *actor) Reset(rng *rand.Rand) {
	a.noise = rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	if r, ok := a.expert.(common.Resetter); ok {
		r.Reset(rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
	}
	a.teach.Reset(rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
	a.stats = teacherStats{}
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
	a.stats.gap2 += g
	if a.teach.valid {
		m := len(a.label)
		var s float64
		for j := range m {
			s += math.Sqrt(a.teach.cov[j*m+j]) / float64(m)
		}
		a.stats.std += s
		a.stats.covSteps++
	}
}

// Label returns the expert's action at the last observation.
func (a *actor) Label() []float64 { return a.label }

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
	// Config holds the settings PLATO shares with DAgger: env and expert
	// factories (the expert labels: the plain MPC on the true dynamics,
	// lambda = 0; the env's State() is the state of Dynamics), the
	// learner's architecture (an nn.GaussianPolicy), N (used by the Linear
	// schedule), M, the fit, workers, seed and the expert's evaluation.
	imitation.Config

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

	// InitStd is the learner's standard deviation before its first fit;
	// 0 (the default) means half the action range, a learner that knows
	// nothing.
	InitStd float64
	// MinStd floors the fitted standard deviation, bounding the learner's
	// precision in the KL pull; 0 (the default) means 0.05 of half the
	// action range.
	MinStd float64
}

// kindInit is the kind of this package's own streams (imitation.Stream);
// the training episodes use imitation.KindTraining, so that PLATO's iteration-i
// episodes start where DAgger's do for the same seed.
const kindInit = 13

// DefaultConfig returns the default Config: lambda = 0.01 constant, a
// [64, 64] tanh Gaussian learner, N = 10 iterations of M = 20 episodes,
// the default fit, expert evaluated; MakeEnv, Expert and Dynamics are left
// to set.
func DefaultConfig() Config {
	return Config{Config: imitation.DefaultConfig(), KLWeight: 0.01, Schedule: Constant, KLGrowth: 2}
}

// Validate returns a *config.Error naming the first invalid field (the
// required MakeEnv, Expert and Dynamics are checked by New).
func (c Config) Validate() error {
	v := config.Checker{Pkg: "plato"}
	c.Config.Check(&v)
	v.NonNegative("KLWeight", c.KLWeight)
	_, err := ParseSchedule(string(c.Schedule))
	v.Nested("Schedule", err)
	v.Positive("KLGrowth", c.KLGrowth)
	v.NonNegative("InitStd", c.InitStd)
	v.NonNegative("MinStd", c.MinStd)
	return v.Err()
}

// New returns a trainer with a fresh learner.
func New(cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Dynamics == nil {
		return nil, errors.New("plato: Config needs MakeEnv, Expert and Dynamics")
	}
	core, as, err := imitation.NewCore("plato", cfg.Config)
	if err != nil {
		return nil, err
	}
	env, err := cfg.MakeEnv()
	if err != nil {
		return nil, fmt.Errorf("plato: %w", err)
	}
	d := cfg.Dynamics
	if d.StateDim() != env.StateDim() || d.ObsDim() != core.ObsDim || d.ActionDim() != core.ActDim {
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
	t := &Trainer{Core: core, cfg: cfg}
	arch := nn.GaussianPolicyArch{
		PolicyArch: nn.PolicyArch{
			ObsDim: t.ObsDim, ActDim: t.ActDim, Hidden: cfg.Hidden, Activation: cfg.Activation,
			Low: as.Low, High: as.High, ObsNorm: true,
		},
		InitLogStd: math.Log(cfg.InitStd),
	}
	if t.policy, err = nn.NewGaussianPolicy("policy", arch, rand.New(rand.NewPCG(cfg.Seed, imitation.Stream(kindInit, 0, 0)))); err != nil {
		return nil, fmt.Errorf("plato: %w", err)
	}
	if t.Learner, err = imitation.NewLearner(t.policy, t.policy.Normaliser(), t.ObsDim, t.ActDim, cfg.Fit, rand.NewPCG(cfg.Seed, imitation.Stream(kindInit, 0, 1))); err != nil {
		return nil, err
	}
	// Check the teacher settings once.
	if _, err := newTeacher(cfg.Dynamics, cfg.Teacher, t.policy.MeanPolicy().Clone()); err != nil {
		t.Learner.Close()
		return nil, err
	}
	return t, nil
}

// Close releases the training graph.
func (t *Trainer) Close() { t.Learner.Close() }

// Policy returns the Gaussian learner (trained in place by Iterate).
func (t *Trainer) Policy() *nn.GaussianPolicy { return t.policy }

// Dataset returns the aggregated dataset (do not modify it).
func (t *Trainer) Dataset() *imitation.Dataset { return t.Data }

// Models returns the Gaussian learner, named "policy".
func (t *Trainer) Models() []nn.Model { return []nn.Model{t.policy} }

// State encodes the dataset, the optimiser moments, the random stream and
// the normaliser.
func (t *Trainer) State() (json.RawMessage, error) {
	cs, err := t.Core.State()
	if err != nil {
		return nil, err
	}
	return json.Marshal(cs)
}

// Restore sets the state returned by State.
func (t *Trainer) Restore(raw json.RawMessage) error {
	var s imitation.CoreState
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("plato: trainer state: %w", err)
	}
	return t.Core.Restore(s)
}

// Memory estimates what c allocates on env (imitation.Config.Memory).
func (c Config) Memory(env envs.Env) config.Memory { return c.Config.Memory(env, 0).As("plato") }
