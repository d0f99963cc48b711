package bptt

import (
	"fmt"

	"github.com/mbrl/mbrl/autodiff"
	"github.com/mbrl/mbrl/control/learned"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// System is what BPTT differentiates through: a state x_t of width
// StateDim that the rollout carries from step to step, the policy's input
// computed from it, the transition x_{t+1} = f(x_t, u_t) and the per-step
// cost c(x_t, u_t), as Gorgonia graph operations on a batch [B, ·] and as
// single-row functions (used for the closed-loop Jacobians of the gradient
// study). TrueSystem rolls out an environment's internal state through its
// known dynamics; ModelSystem rolls out observations through a learned
// dynamics model.
type System interface {
	// StateDim is the width n of the rolled-out state x_t.
	StateDim() int
	// InputDim is the width of the policy's input.
	InputDim() int
	// ActionDim is the width m of the action.
	ActionDim() int
	// GraphInput builds the policy input of x [B, n]: [B, InputDim].
	GraphInput(x *G.Node) (*G.Node, error)
	// GraphNext builds f(x, u): x [B, n], u [B, m] -> [B, n].
	GraphNext(x, u *G.Node) (*G.Node, error)
	// GraphCost builds c(x, u): [B].
	GraphCost(x, u *G.Node) (*G.Node, error)
	// Input writes the policy input of one state x [n] into dst.
	Input(dst, x []float64)
	// Next writes f(x, u) for one row into dst [n].
	Next(dst, x, u []float64)
	// Cost returns c(x, u) for one row.
	Cost(x, u []float64) float64
	// Start writes the rollout state of env's current state into dst [n];
	// obs is the observation env.Reset just returned.
	Start(dst []float64, env envs.Env, obs []float64)
}

// TrueSystem rolls out the internal state of an environment with known
// dynamics: x is the env's state (pendulum: [th, thdot]), the policy sees
// the observation dyn.Obs(x) (pendulum: [cos th, sin th, thdot]) and the
// cost is dyn.Cost.
type TrueSystem struct{ Dyn envs.Dynamics }

var _ System = TrueSystem{}

// StateDim returns the dynamics' state width.
func (s TrueSystem) StateDim() int { return s.Dyn.StateDim() }

// InputDim returns the observation width.
func (s TrueSystem) InputDim() int { return s.Dyn.ObsDim() }

// ActionDim returns the action width.
func (s TrueSystem) ActionDim() int { return s.Dyn.ActionDim() }

// GraphInput builds the observation of x.
func (s TrueSystem) GraphInput(x *G.Node) (*G.Node, error) { return s.Dyn.GraphObs(x) }

// GraphNext builds the true transition.
func (s TrueSystem) GraphNext(x, u *G.Node) (*G.Node, error) { return s.Dyn.GraphNext(x, u) }

// GraphCost builds the true cost.
func (s TrueSystem) GraphCost(x, u *G.Node) (*G.Node, error) { return s.Dyn.GraphCost(x, u) }

// Input writes the observation of x.
func (s TrueSystem) Input(dst, x []float64) { s.Dyn.Obs(dst, x) }

// Next writes the true transition.
func (s TrueSystem) Next(dst, x, u []float64) { s.Dyn.Next(dst, x, u) }

// Cost returns the true cost.
func (s TrueSystem) Cost(x, u []float64) float64 { return s.Dyn.Cost(x, u) }

// Start copies env.State().
func (s TrueSystem) Start(dst []float64, env envs.Env, _ []float64) { copy(dst, env.State()) }

// ObsCostGraph builds, for a batch of observations obs [B, ObsDim] of an
// environment with known dynamics dyn, the state the cost needs: for the
// pendulum [atan2(sin, cos), thdot] (with autodiff.Atan2, so that a model's
// predicted cos and sin need not lie on the unit circle), for envs whose
// observation is the state (linear) the observation itself. Other dynamics
// give an error.
func ObsCostGraph(dyn envs.Dynamics, obs *G.Node) (*G.Node, error) {
	switch dyn.(type) {
	case envs.PendulumDynamics, *envs.PendulumDynamics:
		if s := obs.Shape(); len(s) != 2 || s[1] != 3 {
			return nil, fmt.Errorf("bptt: pendulum observation has shape %v, want [B, 3]", s)
		}
		c := func(j int) (*G.Node, error) {
			e := make([]float64, 3)
			e[j] = 1
			sel := G.NewConstant(tensor.New(tensor.WithShape(3), tensor.WithBacking(e)),
				G.WithName(fmt.Sprintf("bptt.unit(3,%d)", j)))
			return G.Mul(obs, sel)
		}
		cos, err := c(0)
		if err != nil {
			return nil, err
		}
		sin, err := c(1)
		if err != nil {
			return nil, err
		}
		vel, err := c(2)
		if err != nil {
			return nil, err
		}
		th, err := autodiff.Atan2(sin, cos)
		if err != nil {
			return nil, err
		}
		b := th.Shape()[0]
		if th, err = G.Reshape(th, tensor.Shape{b, 1}); err != nil {
			return nil, err
		}
		if vel, err = G.Reshape(vel, tensor.Shape{b, 1}); err != nil {
			return nil, err
		}
		return G.Concat(1, th, vel)
	case *envs.LinearDynamics:
		return obs, nil
	}
	return nil, fmt.Errorf("bptt: no cost on observations for dynamics %T (pendulum and linear only)", dyn)
}

// ModelSystem rolls out observations through a learned dynamics model
// (frozen: its weights are not differentiated), the learned.Model every
// model-based method shares: x_t is the observation, the policy sees it
// unchanged, x_{t+1} = the model's prediction (its graph form in the step
// graph), and the cost is the env's cost evaluated on the observation
// (ObsCostGraph; for the pendulum the angle is atan2(sin, cos) of the
// predicted observation). It binds the model once per graph and is not
// safe for concurrent use.
type ModelSystem struct {
	Model *learned.Model
	Dyn   envs.Dynamics
	st    []float64
}

var _ System = (*ModelSystem)(nil)

// NewModelSystem checks that model matches dyn's observation and action
// widths and that the cost on observations is known for dyn. Actions are
// not clipped: the policy squashes them into the bounds.
func NewModelSystem(model *nn.DynamicsModel, dyn envs.Dynamics) (*ModelSystem, error) {
	if model.ObsDim() != dyn.ObsDim() || model.ActDim() != dyn.ActionDim() {
		return nil, fmt.Errorf("bptt: dynamics model maps (obs %d, act %d), the env has obs %d and act %d",
			model.ObsDim(), model.ActDim(), dyn.ObsDim(), dyn.ActionDim())
	}
	switch dyn.(type) {
	case envs.PendulumDynamics, *envs.PendulumDynamics, *envs.LinearDynamics:
	default:
		return nil, fmt.Errorf("bptt: no cost on observations for dynamics %T (pendulum and linear only)", dyn)
	}
	lm, err := learned.New(model, nil, nil, false)
	if err != nil {
		return nil, fmt.Errorf("bptt: %w", err)
	}
	return &ModelSystem{Model: lm, Dyn: dyn, st: make([]float64, dyn.StateDim())}, nil
}

// StateDim returns the observation width.
func (s *ModelSystem) StateDim() int { return s.Model.ObsDim() }

// InputDim returns the observation width.
func (s *ModelSystem) InputDim() int { return s.Model.ObsDim() }

// ActionDim returns the action width.
func (s *ModelSystem) ActionDim() int { return s.Model.ActionDim() }

// GraphInput returns x: the policy sees the observation.
func (s *ModelSystem) GraphInput(x *G.Node) (*G.Node, error) { return x, nil }

// GraphNext builds the model's prediction.
func (s *ModelSystem) GraphNext(x, u *G.Node) (*G.Node, error) { return s.Model.GraphNext(x, u) }

// GraphCost builds the env's cost of the observation's state.
func (s *ModelSystem) GraphCost(x, u *G.Node) (*G.Node, error) {
	st, err := ObsCostGraph(s.Dyn, x)
	if err != nil {
		return nil, err
	}
	return s.Dyn.GraphCost(st, u)
}

// Input copies x.
func (s *ModelSystem) Input(dst, x []float64) { copy(dst, x) }

// Next writes the model's prediction.
func (s *ModelSystem) Next(dst, x, u []float64) { s.Model.Next(dst, x, u) }

// Cost returns the env's cost of the observation's state.
func (s *ModelSystem) Cost(x, u []float64) float64 {
	s.Dyn.StateFromObs(s.st, x)
	return s.Dyn.Cost(s.st, u)
}

// Start copies the observation.
func (s *ModelSystem) Start(dst []float64, _ envs.Env, obs []float64) { copy(dst, obs) }
