package gps

import (
	"math"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
)

// System is what GPS optimises trajectories on: a state x of width
// StateDim carried by the dynamics (control.Model), the per-step cost
// (control.Cost), the observation the policy sees and its Jacobian, and the
// action bounds. TrueSystem is an environment's known dynamics; the policy's
// input is dyn.Obs(x) (pendulum: [cos th, sin th, thdot] of [th, thdot]).
//
// The trainer calls a System from several goroutines at once, each through
// its own Clone.
type System interface {
	control.Model
	control.Cost
	// ObsDim is the width p of the policy's input.
	ObsDim() int
	// Obs writes the policy's input for state x [n] into dst [p].
	Obs(dst, x []float64)
	// ObsJacobian writes d obs / dx at x into dst [p, n], row-major.
	ObsJacobian(dst, x []float64)
	// Start writes the state of env's current state into dst [n]; obs is
	// the observation env.Reset just returned.
	Start(dst []float64, env envs.Env, obs []float64)
	// ActionBounds returns the control bounds (nil, nil for unbounded).
	ActionBounds() (low, high []float64)
	// Clone returns a System for another goroutine (itself if stateless).
	Clone() System
}

// TrueSystem is an environment's known dynamics as a System: the state is
// the env's internal state, the cost is dyn.Cost and the policy sees
// dyn.Obs(x).
type TrueSystem struct {
	envs.Dynamics
	obsJac func(dst, x []float64)
}

var _ System = (*TrueSystem)(nil)

// NewTrueSystem wraps dyn. The observation Jacobian is analytic for the
// pendulum ([-sin th, 0; cos th, 0; 0, 1]) and for dynamics whose observation
// is the state (linear, cart-pole: the identity); for others it is a central
// difference of dyn.Obs.
func NewTrueSystem(dyn envs.Dynamics) *TrueSystem {
	s := &TrueSystem{Dynamics: dyn}
	n, p := dyn.StateDim(), dyn.ObsDim()
	switch dyn.(type) {
	case envs.PendulumDynamics, *envs.PendulumDynamics:
		s.obsJac = pendulumObsJacobian
	case *envs.LinearDynamics, envs.CartPoleDynamics, *envs.CartPoleDynamics:
		s.obsJac = func(dst, _ []float64) { identity(dst, p, n) }
	default:
		s.obsJac = func(dst, x []float64) { centralObsJacobian(dyn, dst, x) }
	}
	return s
}

// ObsJacobian writes d obs / dx [ObsDim, StateDim].
func (s *TrueSystem) ObsJacobian(dst, x []float64) { s.obsJac(dst, x) }

// Start copies env.State().
func (s *TrueSystem) Start(dst []float64, env envs.Env, _ []float64) { copy(dst, env.State()) }

// ActionBounds returns the dynamics' bounds, or nil, nil if every bound is
// infinite.
func (s *TrueSystem) ActionBounds() (low, high []float64) { return boundsOf(s.Dynamics.ActionBounds()) }

// Linearize writes the Jacobians and the cost derivatives at (x, u), in
// one call if the dynamics implement control.Linearizer (the same bits).
func (s *TrueSystem) Linearize(fx, fu []float64, d *envs.CostDerivs, x, u []float64) {
	if l, ok := s.Dynamics.(control.Linearizer); ok {
		l.Linearize(fx, fu, d, x, u)
		return
	}
	s.Jacobians(fx, fu, x, u)
	s.CostDerivs(d, x, u)
}

// CostNext returns the cost of (x, u) and writes the next state into dst,
// in one call if the dynamics implement control.CostStepper (the same
// bits).
func (s *TrueSystem) CostNext(dst, x, u []float64) float64 {
	if c, ok := s.Dynamics.(control.CostStepper); ok {
		return c.CostNext(dst, x, u)
	}
	c := s.Cost(x, u)
	s.Next(dst, x, u)
	return c
}

var (
	_ control.Linearizer  = (*TrueSystem)(nil)
	_ control.CostStepper = (*TrueSystem)(nil)
)

// Clone returns s: envs.Dynamics are stateless.
func (s *TrueSystem) Clone() System { return s }

func pendulumObsJacobian(dst, x []float64) {
	s, c := math.Sincos(x[0])
	dst[0], dst[1] = -s, 0
	dst[2], dst[3] = c, 0
	dst[4], dst[5] = 0, 1
}

func identity(dst []float64, rows, cols int) {
	clear(dst[:rows*cols])
	for i := range min(rows, cols) {
		dst[i*cols+i] = 1
	}
}

// centralObsJacobian differentiates dyn.Obs by central differences with
// steps 1e-6 max(1, |x_j|) (error O(h^2) ~ 1e-12 for smooth maps). It
// allocates; known envs use the analytic paths.
func centralObsJacobian(dyn envs.Dynamics, dst, x []float64) {
	n, p := dyn.StateDim(), dyn.ObsDim()
	xp := append([]float64(nil), x[:n]...)
	op, om := make([]float64, p), make([]float64, p)
	for j := range n {
		h := 1e-6 * math.Max(1, math.Abs(x[j]))
		xp[j] = x[j] + h
		dyn.Obs(op, xp)
		xp[j] = x[j] - h
		dyn.Obs(om, xp)
		xp[j] = x[j]
		for i := range p {
			dst[i*n+j] = (op[i] - om[i]) / (2 * h)
		}
	}
}
