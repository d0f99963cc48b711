package envs

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// Constants of Gymnasium's Pendulum-v1 (gymnasium/envs/classic_control/pendulum.py).
const (
	PendulumGravity   = 10.0 // g
	PendulumMass      = 1.0  // m
	PendulumLength    = 1.0  // l
	PendulumDt        = 0.05 // dt, seconds per step
	PendulumMaxSpeed  = 8.0  // |thdot| limit, rad/s
	PendulumMaxTorque = 2.0  // |u| limit
	PendulumMaxSteps  = 200  // TimeLimit of Pendulum-v1
)

// Pendulum is Gymnasium's Pendulum-v1, the inverted pendulum swing-up, with
// the same constants, equations, reset distribution and episode limit.
//
//	| item              | value                                                        |
//	|-------------------|--------------------------------------------------------------|
//	| name              | "pendulum"                                                   |
//	| state             | [th, thdot], th not wrapped, th = 0 is upright               |
//	| observation space | box(3): [cos th, sin th, thdot] in [-1,1]x[-1,1]x[-8,8]      |
//	| action space      | box(1) [-2, 2]: torque u, clipped to the bounds              |
//	| reward            | -(angle_normalize(th)^2 + 0.1*thdot^2 + 0.001*u^2), of the   |
//	|                   | state before the step and the clipped u; in [-16.27, 0]      |
//	| dynamics          | thdot' = clip(thdot + (3g/(2l) sin th + 3/(m l^2) u) dt, -8, 8) |
//	|                   | th' = th + thdot' dt  (g=10, m=1, l=1, dt=0.05)               |
//	| start             | th ~ U[-pi, pi], thdot ~ U[-1, 1]                            |
//	| termination       | never                                                        |
//	| truncation        | after 200 steps                                              |
//
// angle_normalize(x) = ((x+pi) mod 2pi) - pi (see AngleNormalize). The one
// difference from Gymnasium: observations are float64, where Gymnasium casts
// them to float32; the state and all arithmetic are float64 in both.
type Pendulum struct {
	x     [2]float64
	steps int
}

var (
	_ Env   = (*Pendulum)(nil)
	_ Known = (*Pendulum)(nil)
)

// NewPendulum returns a Pendulum-v1 environment in the state [0, 0]; call
// Reset or SetState to start an episode.
func NewPendulum() *Pendulum { return &Pendulum{} }

// Name returns "pendulum".
func (p *Pendulum) Name() string { return "pendulum" }

// ObservationSpace is box(3) [-1, 1] x [-1, 1] x [-8, 8].
func (p *Pendulum) ObservationSpace() Space {
	return Box([]float64{-1, -1, -PendulumMaxSpeed}, []float64{1, 1, PendulumMaxSpeed})
}

// ActionSpace is box(1) [-2, 2].
func (p *Pendulum) ActionSpace() Space {
	return Box([]float64{-PendulumMaxTorque}, []float64{PendulumMaxTorque})
}

// MaxSteps returns 200.
func (p *Pendulum) MaxSteps() int { return PendulumMaxSteps }

// StateDim returns 2.
func (p *Pendulum) StateDim() int { return 2 }

// Reset draws th ~ U[-pi, pi] then thdot ~ U[-1, 1] (in that order, as
// numpy's uniform(low=-high, high=high) fills the array).
func (p *Pendulum) Reset(rng *rand.Rand) []float64 {
	p.x[0] = -math.Pi + 2*math.Pi*rng.Float64()
	p.x[1] = -1 + 2*rng.Float64()
	p.steps = 0
	return p.obs()
}

// Step applies the torque action[0] (clipped to [-2, 2]). The reward is the
// negative cost of the state before the step; the episode never terminates
// and is truncated at step 200.
func (p *Pendulum) Step(action []float64) (obs []float64, reward float64, terminated, truncated bool) {
	reward = -PendulumDynamics{}.CostNext(p.x[:], p.x[:], action[:1])
	p.steps++
	return p.obs(), reward, false, p.steps >= PendulumMaxSteps
}

// State returns [th, thdot].
func (p *Pendulum) State() []float64 { return []float64{p.x[0], p.x[1]} }

// SetState starts an episode at x = [th, thdot] (any finite values; thdot is
// not clipped until the next step).
func (p *Pendulum) SetState(x []float64) ([]float64, error) {
	if err := checkState("pendulum", x, 2); err != nil {
		return nil, err
	}
	copy(p.x[:], x)
	p.steps = 0
	return p.obs(), nil
}

// Dynamics returns PendulumDynamics.
func (p *Pendulum) Dynamics() Dynamics { return PendulumDynamics{} }

// RewardIsNegCost reports true: Step's reward is -Dynamics().Cost(x, u).
func (p *Pendulum) RewardIsNegCost() bool { return true }

func (p *Pendulum) obs() []float64 {
	o := make([]float64, 3)
	PendulumDynamics{}.Obs(o, p.x[:])
	return o
}

// checkState checks a state given to SetState.
func checkState(env string, x []float64, n int) error {
	if len(x) != n {
		return fmt.Errorf("envs: %s state has %d values, want %d", env, len(x), n)
	}
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("envs: %s state %v is not finite", env, x)
		}
	}
	return nil
}

// PendulumDynamics is the Pendulum-v1 transition on the state [th, thdot]
// with the action [u] and the cost c = angle_normalize(th)^2 + 0.1 thdot^2 +
// 0.001 clip(u)^2 (reward = -c). Derivatives are exact where they exist: they
// are zero through a clipped torque (|u| >= 2) or a clipped new velocity
// (|thdot'| >= 8 before clipping), and the angle wrap has derivative 1. The
// zero value is ready to use.
type PendulumDynamics struct{}

var _ Dynamics = PendulumDynamics{}

// StateDim returns 2.
func (PendulumDynamics) StateDim() int { return 2 }

// ActionDim returns 1.
func (PendulumDynamics) ActionDim() int { return 1 }

// ObsDim returns 3.
func (PendulumDynamics) ObsDim() int { return 3 }

// ActionBounds returns [-2], [2].
func (PendulumDynamics) ActionBounds() (low, high []float64) {
	return []float64{-PendulumMaxTorque}, []float64{PendulumMaxTorque}
}

// StateBox returns the box of the state for grid methods (control/dp): th
// periodic over [-pi, pi) (f and the cost depend on th only modulo 2pi) and
// thdot in [-8, 8], the speed clip of every step.
func (PendulumDynamics) StateBox() (low, high []float64, periodic []bool) {
	return []float64{-math.Pi, -PendulumMaxSpeed}, []float64{math.Pi, PendulumMaxSpeed}, []bool{true, false}
}

// Next writes f(x, u) into dst; dst may alias x. The arithmetic is in
// Gymnasium's order so that results agree to the last bit.
func (PendulumDynamics) Next(dst, x, u []float64) {
	pendulumNext(dst, x, clip(u[0], -PendulumMaxTorque, PendulumMaxTorque))
}

// pendulumNext is Next for the clipped torque uc.
func pendulumNext(dst, x []float64, uc float64) {
	th, thdot := x[0], x[1]
	sin, _ := sincos(th) // math.Sin's bits
	dst[0], dst[1] = pendulumNextSin(th, thdot, uc, sin)
}

// pendulumNextSin is f(x, uc) given sin = math.Sin(th), in Gymnasium's
// order of operations.
func pendulumNextSin(th, thdot, uc, sin float64) (th1, thdot1 float64) {
	newthdot := thdot + (3*PendulumGravity/(2*PendulumLength)*sin+3.0/(PendulumMass*PendulumLength*PendulumLength)*uc)*PendulumDt
	newthdot = clip(newthdot, -PendulumMaxSpeed, PendulumMaxSpeed)
	return th + newthdot*PendulumDt, newthdot
}

// Jacobians writes fx [2, 2] and fu [2, 1] at (x, u).
func (PendulumDynamics) Jacobians(fx, fu, x, u []float64) {
	du := inside(u[0], -PendulumMaxTorque, PendulumMaxTorque)
	uc := clip(u[0], -PendulumMaxTorque, PendulumMaxTorque)
	pendulumJacobians(fx, fu, x, uc, du)
}

// pendulumJacobians writes fx and fu at x for the clipped torque uc, du = 1
// inside the torque bounds (0 outside). math.Sincos (and sincos) gives the
// same bits as math.Sin and math.Cos (checked in the tests) in one range
// reduction.
func pendulumJacobians(fx, fu, x []float64, uc, du float64) {
	sin, cos := sincos(x[0])
	pendulumJacobiansSinCos(fx, fu, x[1], uc, du, sin, cos)
}

// pendulumJacobiansSinCos is pendulumJacobians given sin and cos of th.
func pendulumJacobiansSinCos(fx, fu []float64, thdot, uc, du, sin, cos float64) {
	vth, vthdot, vu := pendulumSens(thdot, uc, du, sin, cos)
	pendulumJacobiansTo(fx, fu, vth, vthdot, vu)
}

// pendulumJacobiansTo writes fx and fu given d thdot' / d(th, thdot, u).
func pendulumJacobiansTo(fx, fu []float64, vth, vthdot, vu float64) {
	_, _ = fx[3], fu[1]
	fx[0], fx[1] = 1+PendulumDt*vth, PendulumDt*vthdot
	fx[2], fx[3] = vth, vthdot
	fu[0] = PendulumDt * vu
	fu[1] = vu
}

// pendulumSens returns d thdot' / d(th, thdot, u) for the clipped torque uc
// (du = 1 inside the torque bounds, 0 outside) given sin and cos of th.
func pendulumSens(thdot, uc, du, sin, cos float64) (vth, vthdot, vu float64) {
	const (
		a = 3 * PendulumGravity / (2 * PendulumLength)
		b = 3.0 / (PendulumMass * PendulumLength * PendulumLength)
	)
	raw := thdot + (a*sin+b*uc)*PendulumDt
	dv := inside(raw, -PendulumMaxSpeed, PendulumMaxSpeed)
	return dv * a * cos * PendulumDt, dv, dv * b * PendulumDt * du
}

// Cost returns angle_normalize(th)^2 + 0.1 thdot^2 + 0.001 clip(u)^2.
func (PendulumDynamics) Cost(x, u []float64) float64 {
	uc := clip(u[0], -PendulumMaxTorque, PendulumMaxTorque)
	return pendulumCost(x[0], x[1], uc)
}

// pendulumCost is Gymnasium's expression, in its order.
func pendulumCost(th, thdot, u float64) float64 {
	return pendulumCostWrapped(AngleNormalize(th), thdot, u)
}

// pendulumCostWrapped is pendulumCost with the angle already wrapped.
func pendulumCostWrapped(a, thdot, u float64) float64 {
	return a*a + 0.1*(thdot*thdot) + 0.001*(u*u)
}

// CostDerivs fills d at (x, u): Lx = [2 angle_normalize(th), 0.2 thdot],
// Lxx = diag(2, 0.2), Lu = 0.002 u and Luu = 0.002 inside the torque bounds
// (both 0 where the torque is clipped), Lux = 0.
func (PendulumDynamics) CostDerivs(d *CostDerivs, x, u []float64) {
	uc := clip(u[0], -PendulumMaxTorque, PendulumMaxTorque)
	du := inside(u[0], -PendulumMaxTorque, PendulumMaxTorque)
	pendulumCostDerivs(d, x, uc, du)
}

// Linearize writes the Jacobians (as Jacobians) and the cost derivatives
// (as CostDerivs) at one point (x, u), clipping u and wrapping the angle
// once for both: the iLQR derivative sweep (control.ILQR) calls it instead
// of the two methods when the model and the cost are the same dynamics.
func (PendulumDynamics) Linearize(fx, fu []float64, d *CostDerivs, x, u []float64) {
	uc := clip(u[0], -PendulumMaxTorque, PendulumMaxTorque)
	du := inside(u[0], -PendulumMaxTorque, PendulumMaxTorque)
	pendulumJacobians(fx, fu, x, uc, du)
	pendulumCostDerivs(d, x, uc, du)
}

// CostNext returns Cost(x, u) and writes Next(x, u) into dst (dst may
// alias x), clipping u once for both: a rollout's step.
func (PendulumDynamics) CostNext(dst, x, u []float64) float64 {
	uc := clip(u[0], -PendulumMaxTorque, PendulumMaxTorque)
	c := pendulumCost(x[0], x[1], uc)
	pendulumNext(dst, x, uc)
	return c
}

// StepLinearize is one step of an iLQR rollout that also linearises, on
// scalars: at x = [th, thdot] it returns c = Cost(x, u) and [th1, thdot1] =
// Next(x, u), and writes into lin the linearisation at (x, ud), where ud is
// u moved inside the control bounds (control.Interior): fx [2, 2]
// row-major, fu [2], Lx [2], Lu, Lxx [2, 2], Luu, Lux [2] in that order, as
// Jacobians and CostDerivs give them. One sincos (math.Sincos's bits) and
// one angle wrap serve all of them, bit for bit the separate calls. It makes
// PendulumDynamics a control.StepLinearizer: control.ILQR's rollouts
// linearise the trajectory as they go.
func (PendulumDynamics) StepLinearize(lin *[16]float64, th, thdot, u, ud float64) (c, th1, thdot1 float64) {
	sin, cos := sincos(th)
	a := th + math.Pi // AngleNormalize(th), its first case inline
	if a >= 0 && a < 2*math.Pi {
		a -= math.Pi
	} else {
		a = AngleNormalize(th)
	}
	uc := clip(u, -PendulumMaxTorque, PendulumMaxTorque)
	ucd := clip(ud, -PendulumMaxTorque, PendulumMaxTorque)
	du := inside(ud, -PendulumMaxTorque, PendulumMaxTorque)
	vth, vthdot, vu := pendulumSens(thdot, ucd, du, sin, cos)
	pendulumJacobiansTo(lin[0:4], lin[4:6], vth, vthdot, vu)
	pendulumCostGrad(lin[6:8], lin[8:9], lin[9:13], lin[13:14], lin[14:16], a, thdot, ucd, du)
	th1, thdot1 = pendulumNextSin(th, thdot, uc, sin)
	return pendulumCostWrapped(a, thdot, uc), th1, thdot1
}

// pendulumCostDerivs is CostDerivs for the clipped torque uc, du = 1 inside
// the torque bounds (0 outside).
func pendulumCostDerivs(d *CostDerivs, x []float64, uc, du float64) {
	pendulumCostDerivsWrapped(d, AngleNormalize(x[0]), x[1], uc, du)
}

// pendulumCostDerivsWrapped is pendulumCostDerivs given the wrapped angle
// a = AngleNormalize(th).
func pendulumCostDerivsWrapped(d *CostDerivs, a, thdot, uc, du float64) {
	d.L = pendulumCostWrapped(a, thdot, uc)
	pendulumCostGrad(d.Lx, d.Lu, d.Lxx, d.Luu, d.Lux, a, thdot, uc, du)
}

// pendulumCostGrad writes the derivatives of pendulumCostDerivsWrapped.
func pendulumCostGrad(lx, lu, lxx, luu, lux []float64, a, thdot, uc, du float64) {
	_, _, _, _, _ = lx[1], lu[0], lxx[3], luu[0], lux[1]
	lx[0], lx[1] = 2*a, 0.2*thdot
	lxx[0], lxx[1], lxx[2], lxx[3] = 2, 0, 0, 0.2
	lu[0] = 0.002 * uc * du
	luu[0] = 0.002 * du
	lux[0], lux[1] = 0, 0
}

// Obs writes [cos th, sin th, thdot] into dst.
func (PendulumDynamics) Obs(dst, x []float64) {
	th, thdot := x[0], x[1]
	dst[0], dst[1], dst[2] = math.Cos(th), math.Sin(th), thdot
}

// StateFromObs writes [atan2(sin, cos), thdot] into dst: the angle comes back
// in [-pi, pi], equal to the true angle modulo 2pi.
func (PendulumDynamics) StateFromObs(dst, obs []float64) {
	dst[0] = math.Atan2(obs[1], obs[0])
	dst[1] = obs[2]
}

// GraphNext builds f for a batch x [B, 2], u [B, 1] -> [B, 2].
func (PendulumDynamics) GraphNext(x, u *G.Node) (*G.Node, error) {
	if err := checkXU(x, u, 2, 1); err != nil {
		return nil, err
	}
	var b graphBuilder
	th, thdot := b.col(x, 0), b.col(x, 1)
	uc := b.clamp(b.col(u, 0), -PendulumMaxTorque, PendulumMaxTorque)
	acc := b.add(
		b.scale(3*PendulumGravity/(2*PendulumLength), b.sin(th)),
		b.scale(3.0/(PendulumMass*PendulumLength*PendulumLength), uc))
	newthdot := b.add(thdot, b.scale(PendulumDt, acc))
	newthdot = b.clamp(newthdot, -PendulumMaxSpeed, PendulumMaxSpeed)
	newth := b.add(th, b.scale(PendulumDt, newthdot))
	out := b.stack(newth, newthdot)
	return out, b.err
}

// GraphCost builds the cost for a batch x [B, 2], u [B, 1] -> [B].
func (PendulumDynamics) GraphCost(x, u *G.Node) (*G.Node, error) {
	if err := checkXU(x, u, 2, 1); err != nil {
		return nil, err
	}
	var b graphBuilder
	th, thdot := b.col(x, 0), b.col(x, 1)
	uc := b.clamp(b.col(u, 0), -PendulumMaxTorque, PendulumMaxTorque)
	c := b.add(b.square(b.wrap(th)), b.scale(0.1, b.square(thdot)))
	c = b.add(c, b.scale(0.001, b.square(uc)))
	return c, b.err
}

// GraphObs builds [cos th, sin th, thdot] for a batch x [B, 2] -> [B, 3].
func (PendulumDynamics) GraphObs(x *G.Node) (*G.Node, error) {
	if _, err := checkBatch("state", x, 2); err != nil {
		return nil, err
	}
	var b graphBuilder
	th, thdot := b.col(x, 0), b.col(x, 1)
	out := b.stack(b.cos(th), b.sin(th), thdot)
	return out, b.err
}
