package envs

import (
	"fmt"
	"math"

	"github.com/mbrl/mbrl/autodiff"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ObsCoster is implemented by dynamics that have an analytic cost on
// observations, equal to their state cost Cost(StateFromObs(obs), u) on
// the observations the env produces and defined for the off-manifold
// observations a learned model predicts. Planners through a learned model
// on observations use it (else a generic composition with StateFromObs).
type ObsCoster interface {
	// ObsCost returns the cost; exactHessian keeps the full second
	// derivative instead of its Gauss-Newton (positive semidefinite) part.
	ObsCost(exactHessian bool) interface {
		Cost(obs, u []float64) float64
		CostDerivs(d *CostDerivs, obs, u []float64)
	}
}

// GraphObsCost is implemented by costs on observations (what
// ObsCoster.ObsCost returns) that also build as a Gorgonia graph, for the
// methods that differentiate a rollout of observations through a learned
// model (BPTT): GraphCost maps obs [B, ObsDim], u [B, ActionDim] to the
// per-row cost [B], equal to Cost row by row up to rounding.
type GraphObsCost interface {
	GraphCost(obs, u *G.Node) (*G.Node, error)
}

// ObsCosterOf returns what knows env's cost on observations: env itself
// if it implements ObsCoster (an env without known dynamics but with a
// known cost, such as gym:Pendulum-v1), otherwise its known dynamics if
// they do (the pendulum's), and false if neither does. A model-based
// method that plans or differentiates on observations through a learned
// model needs nothing else of the env.
func ObsCosterOf(env Env) (ObsCoster, bool) {
	if oc, ok := env.(ObsCoster); ok {
		return oc, true
	}
	if dyn, ok := DynamicsOf(env); ok {
		oc, ok := dyn.(ObsCoster)
		return oc, ok
	}
	return nil, false
}

// ObsHinter is implemented by envs without known dynamics (and by
// dynamics) that know a good initial feedback law on observations for a
// trajectory optimiser on a learned model of them: the observation-space
// counterpart of PlanningHints.InitialPolicy (from zero controls iLQR
// stays hanging on the pendulum).
type ObsHinter interface {
	// InitialObsPolicy returns the law u = pi(obs), safe for concurrent
	// use, or nil if none is known.
	InitialObsPolicy() func(dst, obs []float64)
}

// InitialObsPolicy returns the pendulum's swing-up (PendulumSwingUp) on
// the state StateFromObs reads from the observation.
func (d PendulumDynamics) InitialObsPolicy() func(dst, obs []float64) {
	return func(dst, obs []float64) {
		var x [2]float64
		d.StateFromObs(x[:], obs)
		PendulumSwingUp(dst, x[:])
	}
}

// ObsCost returns the pendulum's cost on observations (PendulumObsCost).
func (PendulumDynamics) ObsCost(exactHessian bool) interface {
	Cost(obs, u []float64) float64
	CostDerivs(d *CostDerivs, obs, u []float64)
} {
	return PendulumObsCost{GaussNewton: !exactHessian}
}

// PendulumObsCost is the Pendulum-v1 cost on observations [cos th,
// sin th, thdot], with the angle recovered as th = atan2(sin, cos):
//
//	c = atan2(s, c)² + 0.1 thdot² + 0.001 clip(u, -2, 2)²
//
// equal to PendulumDynamics.Cost on the unit circle, and defined for
// the off-circle observations a learned model predicts. Its derivatives
// are analytic (chain rule through atan2, with r² = c² + s²):
//
//	dth/dc = -s/r²,  dth/ds = c/r²,
//	d²th/dc² = 2cs/r⁴,  d²th/ds² = -2cs/r⁴,  d²th/dc ds = (s² - c²)/r⁴,
//	Lx = 2 th ∇th,  Lxx = 2 ∇th ∇thᵀ + 2 th ∇²th.
//
// With GaussNewton the th ∇²th term is dropped so that Lxx is positive
// semidefinite (the form iLQR prefers, the same approximation a wrapped
// angle makes on the state). Like the env's cost the angle jumps at
// th = ±pi, where the cost is continuous and its gradient is not.
type PendulumObsCost struct {
	GaussNewton bool
}

// Cost returns c(obs, u).
func (PendulumObsCost) Cost(x, u []float64) float64 {
	th := math.Atan2(x[1], x[0])
	uc := math.Min(math.Max(u[0], -PendulumMaxTorque), PendulumMaxTorque)
	return th*th + 0.1*x[2]*x[2] + 0.001*uc*uc
}

// CostDerivs fills d at (obs, u).
func (p PendulumObsCost) CostDerivs(d *CostDerivs, x, u []float64) {
	c, s, w := x[0], x[1], x[2]
	th := math.Atan2(s, c)
	r2 := c*c + s*s
	if r2 < 1e-12 {
		r2 = 1e-12 // at the origin the angle is undefined: keep it finite
	}
	gc, gs := -s/r2, c/r2
	r4 := r2 * r2
	hcc, hss, hcs := 2*c*s/r4, -2*c*s/r4, (s*s-c*c)/r4
	if p.GaussNewton {
		hcc, hss, hcs = 0, 0, 0
	}
	lim := PendulumMaxTorque
	uc := math.Min(math.Max(u[0], -lim), lim)
	du := 0.0
	if -lim < u[0] && u[0] < lim {
		du = 1
	}
	d.L = th*th + 0.1*w*w + 0.001*uc*uc
	d.Lx[0], d.Lx[1], d.Lx[2] = 2*th*gc, 2*th*gs, 0.2*w
	d.Lxx[0] = 2*gc*gc + 2*th*hcc
	d.Lxx[1] = 2*gc*gs + 2*th*hcs
	d.Lxx[2] = 0
	d.Lxx[3] = d.Lxx[1]
	d.Lxx[4] = 2*gs*gs + 2*th*hss
	d.Lxx[5] = 0
	d.Lxx[6], d.Lxx[7], d.Lxx[8] = 0, 0, 0.2
	d.Lu[0] = 0.002 * uc * du
	d.Luu[0] = 0.002 * du
	d.Lux[0], d.Lux[1], d.Lux[2] = 0, 0, 0
}

// GraphCost builds the cost of a batch obs [B, 3], u [B, 1] -> [B]: the
// state [atan2(sin, cos), thdot] (autodiff.Atan2, so that predicted cos
// and sin need not lie on the unit circle) through PendulumDynamics'
// GraphCost (which wraps the angle, a no-op up to rounding in [-pi, pi]).
func (PendulumObsCost) GraphCost(obs, u *G.Node) (*G.Node, error) {
	b, err := checkBatch("observation", obs, 3)
	if err != nil {
		return nil, err
	}
	col := func(j int) (*G.Node, error) {
		e := make([]float64, 3)
		e[j] = 1
		sel := G.NewConstant(tensor.New(tensor.WithShape(3), tensor.WithBacking(e)),
			G.WithName(fmt.Sprintf("envs.obsunit(3,%d)", j)))
		return G.Mul(obs, sel)
	}
	cos, err := col(0)
	if err != nil {
		return nil, err
	}
	sin, err := col(1)
	if err != nil {
		return nil, err
	}
	vel, err := col(2)
	if err != nil {
		return nil, err
	}
	th, err := autodiff.Atan2(sin, cos)
	if err != nil {
		return nil, err
	}
	if th, err = G.Reshape(th, tensor.Shape{b, 1}); err != nil {
		return nil, err
	}
	if vel, err = G.Reshape(vel, tensor.Shape{b, 1}); err != nil {
		return nil, err
	}
	st, err := G.Concat(1, th, vel)
	if err != nil {
		return nil, err
	}
	return PendulumDynamics{}.GraphCost(st, u)
}
