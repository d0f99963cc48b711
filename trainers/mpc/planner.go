package mpc

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/control/learned"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

// Planner names accepted by PlannerConfig.Planner.
const (
	PlannerILQR = "ilqr"
	PlannerCEM  = "cem"
)

// PlannerConfig configures the planner that acts through a learned model;
// DefaultPlannerConfig gives the defaults.
type PlannerConfig struct {
	// Planner is "ilqr" (default: receding-horizon iLQR, control.MPC) or
	// "cem" (control.CEM).
	Planner string `json:"planner"`
	// Horizon is the planning horizon H; 0 (the default) means the
	// planner's own: 20 for iLQR, 25 for CEM.
	Horizon int `json:"horizon"`
	// Iters is the number of planner iterations per step; 0 (the default)
	// means the planner's own: 2 for iLQR, 3 for CEM.
	Iters int `json:"iters"`
	// Plans is the number of iLQR candidate plans (default 4: the
	// previous plan shifted plus fresh ones, the cheapest applied; 1 keeps
	// a single warm-started plan; see control.MPCSettings.Plans). With one
	// plan, receding-horizon iLQR through a learned pendulum model
	// occasionally stays in a local minimum and never swings up (one of the
	// 100 seed-11 starts at seed 1 of gym:Pendulum-v1: -150.8 against
	// -140.2 with 4 plans); 4 plans cost about 2.5x the planning time.
	Plans int `json:"plans"`
	// Samples and Elites are CEM's N and K per iteration (defaults 60 and
	// 6), 1 <= K <= N, N >= 2.
	Samples int `json:"samples"`
	Elites  int `json:"elites"`
	// Mean plans an ensemble through the members' mean prediction; by
	// default every member rolls the plan out and the plan's cost is the
	// members' mean cost (PETS trajectory sampling).
	Mean bool `json:"mean"`
	// ExactHessian uses the exact Hessian of the pendulum's observation
	// cost instead of its Gauss-Newton part (see control.PendulumObsCost).
	ExactHessian bool `json:"exact_hessian"`
}

// DefaultPlannerConfig returns the default PlannerConfig: iLQR with its
// own horizon and iterations, 4 candidate plans (and, for CEM, 60 samples
// with 6 elites).
func DefaultPlannerConfig() PlannerConfig {
	return PlannerConfig{Planner: PlannerILQR, Plans: 4, Samples: 60, Elites: 6}
}

// Validate returns a *config.Error naming the first invalid field.
func (c PlannerConfig) Validate() error {
	v := config.Checker{Pkg: "mpc"}
	c.check(&v)
	return v.Err()
}

func (c PlannerConfig) check(v *config.Checker) {
	v.Check(c.Planner == PlannerILQR || c.Planner == PlannerCEM, "Planner", "must be %s or %s, got %q", PlannerILQR, PlannerCEM, c.Planner)
	v.AtLeast("Horizon", c.Horizon, 0)
	v.AtLeast("Iters", c.Iters, 0)
	v.AtLeast("Plans", c.Plans, 1)
	v.AtLeast("Samples", c.Samples, 2)
	v.Check(c.Elites >= 1 && c.Elites <= c.Samples, "Elites", "must be in [1, Samples=%d], got %d", c.Samples, c.Elites)
}

// resolved validates c and replaces the zero Horizon and Iters by the
// planner's own.
func (c PlannerConfig) resolved() (PlannerConfig, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	h, it := 20, 2
	if c.Planner == PlannerCEM {
		h, it = 25, 3
	}
	if c.Horizon == 0 {
		c.Horizon = h
	}
	if c.Iters == 0 {
		c.Iters = it
	}
	return c, nil
}

// ObsCost returns the cost on observations that planning in env
// minimises, equal to the negative of env's reward: the env's own cost on
// observations if it has one (envs.ObsCoster and envs.CostReward on the
// env: a known Gymnasium id), the analytic cost of dynamics that have one (envs.ObsCoster: the pendulum's), otherwise
// control.ObsCost over the env's known dynamics (numerical Jacobian of
// StateFromObs). Envs without
// known dynamics, or whose reward is not the negative of their cost, have
// no such cost.
func ObsCost(env envs.Env, exactHessian bool) (control.Cost, error) {
	if oc, ok := env.(envs.ObsCoster); ok { // an env without known dynamics but with a known cost (gym:Pendulum-v1)
		if cr, ok := env.(envs.CostReward); ok && cr.RewardIsNegCost() {
			return oc.ObsCost(exactHessian), nil
		}
	}
	dyn, ok := envs.DynamicsOf(env)
	if !ok {
		return nil, fmt.Errorf("mpc: env %q has no known cost to plan with (envs with known dynamics: see 'mbrl envs')", env.Name())
	}
	if cr, ok := env.(envs.CostReward); !ok || !cr.RewardIsNegCost() {
		return nil, fmt.Errorf("mpc: the reward of env %q is not the negative of its dynamics' cost, so planning on that cost would not maximise it", env.Name())
	}
	if oc, ok := dyn.(envs.ObsCoster); ok {
		return oc.ObsCost(exactHessian), nil
	}
	return control.NewObsCost(dyn)
}

// PlannerPolicy acts in an environment by planning through a learned
// model at every step (receding horizon, warm started) and applying the
// plan's first action. It implements common.Policy and common.Resetter
// (Reset starts a new episode). It is not safe for concurrent use: build
// one per goroutine with NewPlannerPolicy, which copies the model.
type PlannerPolicy struct {
	model     *learned.Model
	planner   control.Planner
	x         []float64
	low, high []float64
	measure   bool

	steps, errs int
	disagree    float64
	lastErr     error
}

var (
	_ common.Policy   = (*PlannerPolicy)(nil)
	_ common.Resetter = (*PlannerPolicy)(nil)
)

// NewPlannerPolicy returns a policy that plans through a copy of model
// (an *nn.DynamicsModel or *nn.Ensemble over env's observations, e.g.
// nn.LoadModel(c, "dynamics") of a checkpoint written by "mbrl train
// model" or "mbrl train mpc") with the planner of cfg and the cost of
// ObsCost(env). The result is a *PlannerPolicy; each call returns an
// independent instance, so call it once per goroutine.
func NewPlannerPolicy(model nn.Model, env envs.Env, cfg PlannerConfig) (common.Policy, error) {
	return newPlannerPolicy(model, env, cfg)
}

func newPlannerPolicy(model nn.Model, env envs.Env, cfg PlannerConfig) (*PlannerPolicy, error) {
	cfg, err := cfg.resolved()
	if err != nil {
		return nil, err
	}
	as := env.ActionSpace()
	if as.Discrete {
		return nil, fmt.Errorf("mpc: env %q has discrete actions; the planners need continuous ones", env.Name())
	}
	var copyOf nn.Model
	switch v := model.(type) {
	case *nn.DynamicsModel:
		copyOf = v.Clone()
	case *nn.Ensemble:
		copyOf = v.Clone()
	default:
		return nil, fmt.Errorf("mpc: model %q is a %s, want a dynamics model or ensemble", model.Name(), model.Kind())
	}
	low, high := as.Low, as.High
	lm, err := learned.New(copyOf, low, high, !cfg.Mean)
	if err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	if lm.ObsDim() != env.ObservationSpace().Dim() || lm.ActionDim() != as.Dim() {
		return nil, fmt.Errorf("mpc: model of obs %d, act %d does not fit env %q (obs %d, act %d)", lm.ObsDim(), lm.ActionDim(), env.Name(), env.ObservationSpace().Dim(), as.Dim())
	}
	cost, err := ObsCost(env, cfg.ExactHessian)
	if err != nil {
		return nil, err
	}
	if lm.Stacked() {
		cost = control.NewEnsembleCost(cost, lm.Members(), lm.ObsDim(), lm.ActionDim())
	}
	var pl control.Planner
	switch cfg.Planner {
	case PlannerILQR:
		s := &control.MPCSettings{Plans: cfg.Plans, Horizon: cfg.Horizon, Iters: cfg.Iters, Low: low, High: high}
		pl, err = control.NewMPC(lm, cost, s)
	case PlannerCEM:
		pl, err = control.NewCEM(lm, cost, &control.CEMSettings{Horizon: cfg.Horizon, Samples: cfg.Samples,
			Elites: cfg.Elites, Iters: cfg.Iters, Low: low, High: high})
	}
	if err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	return &PlannerPolicy{model: lm, planner: pl, x: make([]float64, lm.StateDim()),
		low: low, high: high, measure: lm.Members() > 1}, nil
}

// Act plans from obs and writes the first action (clipped into the
// action bounds) into dst. A planning failure keeps the best plan found
// and is counted (Errors).
func (p *PlannerPolicy) Act(dst, obs []float64) {
	p.model.StateFromObs(p.x, obs)
	if err := p.planner.Step(dst, p.x); err != nil {
		p.errs++
		p.lastErr = err
	}
	for i := range dst {
		if math.IsNaN(dst[i]) {
			dst[i] = 0
		}
		dst[i] = math.Min(math.Max(dst[i], p.low[i]), p.high[i])
	}
	if p.measure {
		p.disagree += p.model.Disagreement(obs, p.planner.Plan())
	}
	p.steps++
}

// Reset starts a new episode: the planner forgets its plan and samples
// from rng; the counters restart.
func (p *PlannerPolicy) Reset(rng *rand.Rand) {
	p.planner.Reset(rng)
	p.steps, p.errs, p.disagree, p.lastErr = 0, 0, 0, nil
}

// Disagreement is the mean, over the steps since Reset, of the ensemble
// members' disagreement along the plan they acted on
// (learned.Model.Disagreement); 0 for a single model.
func (p *PlannerPolicy) Disagreement() float64 {
	if p.steps == 0 {
		return 0
	}
	return p.disagree / float64(p.steps)
}

// Errors returns the number of steps since Reset whose planning failed
// and the last such error.
func (p *PlannerPolicy) Errors() (int, error) { return p.errs, p.lastErr }

// Model returns the policy's learned model adapter.
func (p *PlannerPolicy) Model() *learned.Model { return p.model }

// Planner returns the policy's planner.
func (p *PlannerPolicy) Planner() control.Planner { return p.planner }
