package gps

import (
	"fmt"
	"math"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/control/learned"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
)

// ModelSystem optimises trajectories on a learned model of observations
// (an *nn.DynamicsModel or the mean of an *nn.Ensemble, from 'mbrl train
// model') through learned.Model and its reverse-mode Jacobians: the
// state is the observation itself, the policy's input is the state (the
// observation Jacobian is the identity), and the cost is the env's cost of
// the observation (ObsCostOf). Actions are clipped to the env's action
// bounds as the env does. It needs no known dynamics: the conditions are
// observations env.Reset returns.
type ModelSystem struct {
	*learned.Model
	cost    control.Cost
	newCost func() (control.Cost, error)
	n       int
}

var _ System = (*ModelSystem)(nil)

// NewModelSystem wraps model (weights shared, not copied) with env's
// cost on observations (ObsCostOf) and env's action bounds.
func NewModelSystem(model nn.Model, env envs.Env) (*ModelSystem, error) {
	newCost, err := ObsCostOf(env)
	if err != nil {
		return nil, err
	}
	low, high := boundsOf(env.ActionSpace().Low, env.ActionSpace().High)
	lm, err := learned.New(model, low, high, false)
	if err != nil {
		return nil, fmt.Errorf("gps: %w", err)
	}
	no, na := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	if lm.ObsDim() != no || lm.ActionDim() != na {
		return nil, fmt.Errorf("gps: the model maps %d observations and %d actions, the env has %d and %d",
			lm.ObsDim(), lm.ActionDim(), no, na)
	}
	return newModelSystem(lm, newCost)
}

// ObsCostOf returns a constructor of env's cost on observations, one per
// goroutine: the cost env or its known dynamics expose
// (envs.ObsCosterOf: gym:Pendulum-v1 and the pendulum, with Gauss-Newton
// curvature), otherwise control.ObsCost over env's known dynamics. An env
// with neither has no known cost: the error says so.
func ObsCostOf(env envs.Env) (func() (control.Cost, error), error) {
	if oc, ok := envs.ObsCosterOf(env); ok {
		return func() (control.Cost, error) { return oc.ObsCost(false), nil }, nil
	}
	if dyn, ok := envs.DynamicsOf(env); ok {
		return func() (control.Cost, error) { return control.NewObsCost(dyn) }, nil
	}
	return nil, fmt.Errorf("gps: env %q has no known cost on observations, which GPS minimises (known: the built-in envs, gym:Pendulum-v1)", env.Name())
}

func newModelSystem(lm *learned.Model, newCost func() (control.Cost, error)) (*ModelSystem, error) {
	cost, err := newCost()
	if err != nil {
		return nil, fmt.Errorf("gps: %w", err)
	}
	return &ModelSystem{Model: lm, cost: cost, newCost: newCost, n: lm.ObsDim()}, nil
}

// boundsOf returns copies of the action bounds low, high, or nil, nil if
// every bound is infinite.
func boundsOf(low, high []float64) ([]float64, []float64) {
	for i := range low {
		if !math.IsInf(low[i], 0) || !math.IsInf(high[i], 0) {
			return append([]float64(nil), low...), append([]float64(nil), high...)
		}
	}
	return nil, nil
}

// Cost returns the env's cost of the observation x.
func (s *ModelSystem) Cost(x, u []float64) float64 { return s.cost.Cost(x, u) }

// CostDerivs fills d with the cost's derivatives at (x, u).
func (s *ModelSystem) CostDerivs(d *envs.CostDerivs, x, u []float64) { s.cost.CostDerivs(d, x, u) }

// ObsDim returns the observation width (the state's).
func (s *ModelSystem) ObsDim() int { return s.n }

// Obs copies the state: the policy sees it as it is.
func (s *ModelSystem) Obs(dst, x []float64) { copy(dst, x[:s.n]) }

// ObsJacobian writes the identity.
func (s *ModelSystem) ObsJacobian(dst, _ []float64) { identity(dst, s.n, s.n) }

// Start copies the observation env.Reset returned.
func (s *ModelSystem) Start(dst []float64, _ envs.Env, obs []float64) { copy(dst, obs[:s.n]) }

// Clone returns a system over a deep copy of the model for another
// goroutine.
func (s *ModelSystem) Clone() System {
	c, err := newModelSystem(s.Model.Clone(), s.newCost)
	if err != nil {
		panic(err) // the same arguments were valid for s
	}
	return c
}

// ObsPlan adapts a plan generator written for the env's state (such as
// control.PendulumSwingUp) to a system whose state is the observation: the
// law sees dyn.StateFromObs of the current observation. Only
// control.FeedbackPlan generators carry such a law; others are returned
// unchanged.
func ObsPlan(gen control.Generator, dyn envs.Dynamics) control.Generator {
	fp, ok := gen.(control.FeedbackPlan)
	if !ok {
		return gen
	}
	n := dyn.StateDim()
	return control.FeedbackPlan{Policy: func(dst, obs []float64) {
		x := make([]float64, n)
		dyn.StateFromObs(x, obs)
		fp.Policy(dst, x)
	}}
}
