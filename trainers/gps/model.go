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
// the observation (envs.ObsCoster with Gauss-Newton curvature for
// pendulum, control.ObsCost otherwise). Actions are clipped to the env's
// bounds as the env does.
type ModelSystem struct {
	*learned.Model
	cost control.Cost
	dyn  envs.Dynamics
	n    int
}

var _ System = (*ModelSystem)(nil)

// NewModelSystem wraps model (weights shared, not copied) with the cost
// and action bounds of the env's known dynamics dyn.
func NewModelSystem(model nn.Model, dyn envs.Dynamics) (*ModelSystem, error) {
	if dyn == nil {
		return nil, fmt.Errorf("gps: a learned-model system needs the env's cost (known dynamics)")
	}
	low, high := boundsOf(dyn)
	lm, err := learned.New(model, low, high, false)
	if err != nil {
		return nil, fmt.Errorf("gps: %w", err)
	}
	if lm.ObsDim() != dyn.ObsDim() || lm.ActionDim() != dyn.ActionDim() {
		return nil, fmt.Errorf("gps: the model maps %d observations and %d actions, the env has %d and %d",
			lm.ObsDim(), lm.ActionDim(), dyn.ObsDim(), dyn.ActionDim())
	}
	return newModelSystem(lm, dyn)
}

func newModelSystem(lm *learned.Model, dyn envs.Dynamics) (*ModelSystem, error) {
	var cost control.Cost
	switch oc := dyn.(type) {
	case envs.ObsCoster:
		cost = oc.ObsCost(false)
	default:
		c, err := control.NewObsCost(dyn)
		if err != nil {
			return nil, fmt.Errorf("gps: %w", err)
		}
		cost = c
	}
	return &ModelSystem{Model: lm, cost: cost, dyn: dyn, n: lm.ObsDim()}, nil
}

// boundsOf returns dyn's action bounds, or nil, nil if all are infinite.
func boundsOf(dyn envs.Dynamics) (low, high []float64) {
	low, high = dyn.ActionBounds()
	for i := range low {
		if !math.IsInf(low[i], 0) || !math.IsInf(high[i], 0) {
			return low, high
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
	c, err := newModelSystem(s.Model.Clone(), s.dyn)
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
