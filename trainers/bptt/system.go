package bptt

import (
	"fmt"

	"github.com/mbrl/mbrl/control/learned"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	G "gorgonia.org/gorgonia"
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

// ObsCost is a per-step cost on observations in the two forms BPTT needs:
// one row, and a Gorgonia graph over a batch obs [B, ObsDim], u [B,
// ActionDim] -> [B] (envs.GraphObsCost).
type ObsCost interface {
	Cost(obs, u []float64) float64
	envs.GraphObsCost
}

// ObsCostOf returns env's cost on observations for a rollout through a
// learned model: the one env or its known dynamics expose
// (envs.ObsCosterOf: gym:Pendulum-v1 and the pendulum, the angle taken as
// atan2(sin, cos) of the observation), or, for known dynamics whose
// observation is their state (equal widths: linear, the cart-poles), the
// dynamics' own cost. Other envs have none: the error says so.
func ObsCostOf(env envs.Env) (ObsCost, error) {
	if oc, ok := envs.ObsCosterOf(env); ok {
		if c, ok := oc.ObsCost(false).(ObsCost); ok {
			return c, nil
		}
	}
	if dyn, ok := envs.DynamicsOf(env); ok && dyn.ObsDim() == dyn.StateDim() {
		return stateCost{dyn: dyn, st: make([]float64, dyn.StateDim())}, nil
	}
	return nil, fmt.Errorf("bptt: env %q has no known cost on observations, which BPTT through a model minimises (known: pendulum, linear, cartpole-continuous, gym:Pendulum-v1)", env.Name())
}

// stateCost is the cost of dynamics whose observation is their state.
type stateCost struct {
	dyn envs.Dynamics
	st  []float64
}

// Cost returns dyn.Cost(StateFromObs(obs), u).
func (c stateCost) Cost(obs, u []float64) float64 {
	c.dyn.StateFromObs(c.st, obs)
	return c.dyn.Cost(c.st, u)
}

// GraphCost builds dyn's cost of the observation, which is the state.
func (c stateCost) GraphCost(obs, u *G.Node) (*G.Node, error) { return c.dyn.GraphCost(obs, u) }

// ModelSystem rolls out observations through a learned dynamics model
// (frozen: its weights are not differentiated), the learned.Model every
// model-based method shares: x_t is the observation, the policy sees it
// unchanged, x_{t+1} = the model's prediction (its graph form in the step
// graph), and the cost is the env's cost on the observation (ObsCostOf;
// for the pendulum the angle is atan2(sin, cos) of the predicted
// observation). It needs no known dynamics. It binds the model once per
// graph and is not safe for concurrent use.
type ModelSystem struct {
	Model *learned.Model
	cost  ObsCost
}

var _ System = (*ModelSystem)(nil)

// NewModelSystem returns the system of model with the cost on
// observations cost (ObsCostOf). Actions are not clipped: the policy
// squashes them into the bounds.
func NewModelSystem(model *nn.DynamicsModel, cost ObsCost) (*ModelSystem, error) {
	if cost == nil {
		return nil, fmt.Errorf("bptt: a model system needs a cost on observations")
	}
	if _, ok := cost.(envs.Dynamics); ok { // its cost is on states: a programming error
		return nil, fmt.Errorf("bptt: a model system needs the cost on observations (ObsCostOf), got dynamics %T", cost)
	}
	lm, err := learned.New(model, nil, nil, false)
	if err != nil {
		return nil, fmt.Errorf("bptt: %w", err)
	}
	return &ModelSystem{Model: lm, cost: cost}, nil
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

// GraphCost builds the env's cost of the observation.
func (s *ModelSystem) GraphCost(x, u *G.Node) (*G.Node, error) { return s.cost.GraphCost(x, u) }

// Input copies x.
func (s *ModelSystem) Input(dst, x []float64) { copy(dst, x) }

// Next writes the model's prediction.
func (s *ModelSystem) Next(dst, x, u []float64) { s.Model.Next(dst, x, u) }

// Cost returns the env's cost of the observation.
func (s *ModelSystem) Cost(x, u []float64) float64 { return s.cost.Cost(x, u) }

// Start copies the observation.
func (s *ModelSystem) Start(dst []float64, _ envs.Env, obs []float64) { copy(dst, obs) }
