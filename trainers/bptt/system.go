package bptt

import (
	"fmt"

	"github.com/mbrl/mbrl/envs"
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
// pendulum [atan2(sin, cos), thdot] (with Atan2, so that a model's
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
		th, err := Atan2(sin, cos)
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
