package envs

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// Constants of Gymnasium's CartPole-v1 (gymnasium/envs/classic_control/cartpole.py).
const (
	CartPoleGravity    = 9.8
	CartPoleMassCart   = 1.0
	CartPoleMassPole   = 0.1
	CartPoleLength     = 0.5  // half the pole's length
	CartPoleForceMag   = 10.0 // |force| of a push, and the bound of cartpole-continuous
	CartPoleTau        = 0.02 // seconds per step (Euler integration)
	CartPoleXThreshold = 2.4  // |x| beyond which the episode terminates
	CartPoleMaxSteps   = 500  // TimeLimit of CartPole-v1
)

// CartPoleThetaThreshold returns 12*2*pi/360, the |theta| (radians) beyond
// which the episode terminates, computed in float64 in Python's order so that
// it equals Gymnasium's theta_threshold_radians to the bit.
func CartPoleThetaThreshold() float64 {
	deg := 12.0
	return deg * 2 * math.Pi / 360
}

// CartPoleCostQ returns diag(Q) = [1, 0.1, 10, 0.1] of the cart-pole control
// cost c = x'Qx + R F^2 over [x, x_dot, theta, theta_dot] (see
// CartPoleDynamics).
func CartPoleCostQ() [4]float64 { return [4]float64{1, 0.1, 10, 0.1} }

// CartPoleCostR is R of the cartpole control cost c = x'Qx + R F^2.
const CartPoleCostR = 0.01

// cartPoleCore holds the state and episode bookkeeping shared by CartPole
// and CartPoleContinuous.
type cartPoleCore struct {
	x     [4]float64
	steps int
	// fell is Gymnasium's steps_beyond_terminated != None: the reward of the
	// terminating step is 1, of later steps 0.
	fell bool
}

func (c *cartPoleCore) reset(rng *rand.Rand) []float64 {
	for i := range c.x {
		c.x[i] = -0.05 + 0.1*rng.Float64()
	}
	c.steps, c.fell = 0, false
	return c.state()
}

func (c *cartPoleCore) state() []float64 { return []float64{c.x[0], c.x[1], c.x[2], c.x[3]} }

func (c *cartPoleCore) setState(x []float64) ([]float64, error) {
	if err := checkState("cartpole", x, 4); err != nil {
		return nil, err
	}
	copy(c.x[:], x)
	c.steps, c.fell = 0, false
	return c.state(), nil
}

// step integrates one step with the given (already clipped) force and
// applies CartPole-v1's termination, reward and TimeLimit.
func (c *cartPoleCore) step(force float64) (obs []float64, reward float64, terminated, truncated bool) {
	cartPoleNext(c.x[:], c.x[:], force)
	c.steps++
	terminated = cartPoleTerminal(c.x[:])
	switch {
	case !terminated:
		reward = 1
	case !c.fell:
		c.fell = true // the pole just fell: this step still earns 1
		reward = 1
	default:
		reward = 0
	}
	return c.state(), reward, terminated, c.steps >= CartPoleMaxSteps
}

// cartPoleTerminal is CartPole-v1's termination test.
func cartPoleTerminal(x []float64) bool {
	th := CartPoleThetaThreshold()
	return x[0] < -CartPoleXThreshold || x[0] > CartPoleXThreshold || x[2] < -th || x[2] > th
}

// cartPoleParams returns total_mass and polemass_length computed in float64
// as Gymnasium does (masspole + masscart, masspole * length).
func cartPoleParams() (totalMass, poleMassLength float64) {
	mp, mc, l := CartPoleMassPole, CartPoleMassCart, CartPoleLength
	return mp + mc, mp * l
}

// cartPoleNext writes the Euler step of CartPole-v1 under force into dst
// (which may alias x), in Gymnasium's order of operations.
func cartPoleNext(dst, x []float64, force float64) {
	totalMass, pml := cartPoleParams()
	xx, xDot, theta, thetaDot := x[0], x[1], x[2], x[3]
	costheta, sintheta := math.Cos(theta), math.Sin(theta)
	temp := (force + pml*(thetaDot*thetaDot)*sintheta) / totalMass
	thetaacc := (CartPoleGravity*sintheta - costheta*temp) /
		(CartPoleLength * (4.0/3.0 - CartPoleMassPole*(costheta*costheta)/totalMass))
	xacc := temp - pml*thetaacc*costheta/totalMass
	dst[0] = xx + CartPoleTau*xDot
	dst[1] = xDot + CartPoleTau*xacc
	dst[2] = theta + CartPoleTau*thetaDot
	dst[3] = thetaDot + CartPoleTau*thetaacc
}

// CartPole is Gymnasium's CartPole-v1: push a cart left or right to keep a
// pole upright, with the same constants, Euler integration, termination,
// reward, reset distribution and episode limit.
//
//	| item              | value                                                          |
//	|-------------------|----------------------------------------------------------------|
//	| name              | "cartpole"                                                     |
//	| state             | [x, x_dot, theta, theta_dot]; the observation is the state     |
//	| observation space | box(4): x in [-4.8, 4.8], theta in [-0.419, 0.419], velocities |
//	|                   | unbounded (Gymnasium: float32 max)                             |
//	| action space      | discrete(2): 0 pushes with force -10, 1 with +10               |
//	| dynamics          | g 9.8, cart 1.0, pole 0.1, half length 0.5, tau 0.02, Euler:   |
//	|                   | temp = (F + ml thd^2 sin th)/M                                  |
//	|                   | thacc = (g sin th - cos th temp)/(l (4/3 - m cos^2 th / M))    |
//	|                   | xacc = temp - ml thacc cos th / M                               |
//	|                   | x += tau x_dot, x_dot += tau xacc, th += tau thd, thd += tau thacc |
//	| reward            | 1 every step, the terminating step included; 0 for steps taken |
//	|                   | after termination (as Gymnasium's steps_beyond_terminated)     |
//	| start             | every state variable ~ U[-0.05, 0.05]                          |
//	| termination       | |x| > 2.4 or |theta| > 12 degrees (12*2*pi/360 rad), strictly |
//	| truncation        | at step 500 (also when that step terminates, as TimeLimit)     |
//
// M = 1.1 (total mass), ml = 0.05 (pole mass times half length). The one
// difference from Gymnasium: observations are float64, where Gymnasium casts
// them to float32; the state and all arithmetic are float64 in both.
// Dynamics returns CartPoleDynamics, the same physics with a continuous force
// in [-10, 10]; DynamicsAction maps a discrete action to its force.
type CartPole struct{ c cartPoleCore }

var (
	_ Env   = (*CartPole)(nil)
	_ Known = (*CartPole)(nil)
)

// NewCartPole returns CartPole-v1 in the state 0; call Reset or SetState to
// start an episode.
func NewCartPole() *CartPole { return &CartPole{} }

// Name returns "cartpole".
func (e *CartPole) Name() string { return "cartpole" }

// ObservationSpace is box(4) [-4.8, 4.8] x (-Inf, Inf) x [-0.419, 0.419] x (-Inf, Inf).
func (e *CartPole) ObservationSpace() Space { return cartPoleObsSpace() }

func cartPoleObsSpace() Space {
	th := 2 * CartPoleThetaThreshold()
	inf := math.Inf(1)
	return Box([]float64{-2 * CartPoleXThreshold, -inf, -th, -inf},
		[]float64{2 * CartPoleXThreshold, inf, th, inf})
}

// ActionSpace is discrete(2).
func (e *CartPole) ActionSpace() Space { return DiscreteSpace(2) }

// MaxSteps returns 500.
func (e *CartPole) MaxSteps() int { return CartPoleMaxSteps }

// StateDim returns 4.
func (e *CartPole) StateDim() int { return 4 }

// Reset draws every state variable from U[-0.05, 0.05], in order.
func (e *CartPole) Reset(rng *rand.Rand) []float64 { return e.c.reset(rng) }

// Step pushes the cart: action[0] = 1 with force +10, 0 with force -10. Any
// other action is a programmer error (validate user input with
// ActionSpace().Validate) and panics.
func (e *CartPole) Step(action []float64) (obs []float64, reward float64, terminated, truncated bool) {
	return e.c.step(e.Force(action[0]))
}

// Force returns the force of a discrete action: +10 for 1, -10 for 0. It
// panics on any other value.
func (e *CartPole) Force(action float64) float64 {
	switch action {
	case 1:
		return CartPoleForceMag
	case 0:
		return -CartPoleForceMag
	}
	panic(fmt.Sprintf("envs: cartpole action %g is not 0 or 1", action))
}

// DynamicsAction writes the force of the discrete action into dst (len 1).
func (e *CartPole) DynamicsAction(dst, action []float64) { dst[0] = e.Force(action[0]) }

// State returns [x, x_dot, theta, theta_dot].
func (e *CartPole) State() []float64 { return e.c.state() }

// SetState starts an episode at x (len 4, finite).
func (e *CartPole) SetState(x []float64) ([]float64, error) { return e.c.setState(x) }

// Dynamics returns CartPoleDynamics (a continuous force in [-10, 10]).
func (e *CartPole) Dynamics() Dynamics { return CartPoleDynamics{} }

// RewardIsNegCost reports false: the reward is 1 per step alive, and the
// cost of CartPoleDynamics is a control cost.
func (e *CartPole) RewardIsNegCost() bool { return false }

// CartPoleContinuous is CartPole-v1's physics, termination, reset and episode
// limit with a continuous force as the action. It is not a Gymnasium
// environment.
//
//	| item              | value                                                          |
//	|-------------------|----------------------------------------------------------------|
//	| name              | "cartpole-continuous"                                          |
//	| state             | [x, x_dot, theta, theta_dot]; the observation is the state     |
//	| observation space | as CartPole                                                    |
//	| action space      | box(1) [-10, 10]: the force F, clipped to the bounds           |
//	| dynamics          | as CartPole with the given F                                   |
//	| reward            | as CartPole: 1 per step alive (the terminating step included), |
//	|                   | so returns compare with CartPole-v1                            |
//	| start             | every state variable ~ U[-0.05, 0.05]                          |
//	| termination       | |x| > 2.4 or |theta| > 12 degrees                              |
//	| truncation        | at step 500                                                    |
//
// Dynamics returns CartPoleDynamics, whose quadratic cost is what LQR, iLQR
// and MPC minimise; it is not the reward.
type CartPoleContinuous struct{ c cartPoleCore }

var (
	_ Env   = (*CartPoleContinuous)(nil)
	_ Known = (*CartPoleContinuous)(nil)
)

// NewCartPoleContinuous returns the continuous-force cart-pole in the state 0.
func NewCartPoleContinuous() *CartPoleContinuous { return &CartPoleContinuous{} }

// Name returns "cartpole-continuous".
func (e *CartPoleContinuous) Name() string { return "cartpole-continuous" }

// ObservationSpace is CartPole's.
func (e *CartPoleContinuous) ObservationSpace() Space { return cartPoleObsSpace() }

// ActionSpace is box(1) [-10, 10].
func (e *CartPoleContinuous) ActionSpace() Space {
	return Box([]float64{-CartPoleForceMag}, []float64{CartPoleForceMag})
}

// MaxSteps returns 500.
func (e *CartPoleContinuous) MaxSteps() int { return CartPoleMaxSteps }

// StateDim returns 4.
func (e *CartPoleContinuous) StateDim() int { return 4 }

// Reset draws every state variable from U[-0.05, 0.05], in order.
func (e *CartPoleContinuous) Reset(rng *rand.Rand) []float64 { return e.c.reset(rng) }

// Step applies the force clip(action[0], -10, 10).
func (e *CartPoleContinuous) Step(action []float64) (obs []float64, reward float64, terminated, truncated bool) {
	return e.c.step(clip(action[0], -CartPoleForceMag, CartPoleForceMag))
}

// State returns [x, x_dot, theta, theta_dot].
func (e *CartPoleContinuous) State() []float64 { return e.c.state() }

// SetState starts an episode at x (len 4, finite).
func (e *CartPoleContinuous) SetState(x []float64) ([]float64, error) { return e.c.setState(x) }

// Dynamics returns CartPoleDynamics.
func (e *CartPoleContinuous) Dynamics() Dynamics { return CartPoleDynamics{} }

// RewardIsNegCost reports false: the reward is 1 per step alive.
func (e *CartPoleContinuous) RewardIsNegCost() bool { return false }

// CartPoleDynamics is CartPole-v1's Euler step on [x, x_dot, theta,
// theta_dot] with the action [F], a force clipped to [-10, 10], and the
// quadratic control cost
//
//	c(x, F) = 1 x^2 + 0.1 x_dot^2 + 10 theta^2 + 0.1 theta_dot^2 + 0.01 clip(F)^2
//
// (Q = diag(1, 0.1, 10, 0.1), R = CartPoleCostR = 0.01): the pole angle
// weighs most (the termination angle 0.21 rad costs 0.44), 1 m of cart
// position costs 1, a full 10 N push costs 1. The cost is not the
// environments' reward (1 per step alive). Termination is not part of f.
// Derivatives are exact; they are zero with respect to F where |F| >= 10.
// The zero value is ready to use.
type CartPoleDynamics struct{}

var _ Dynamics = CartPoleDynamics{}

// StateDim returns 4.
func (CartPoleDynamics) StateDim() int { return 4 }

// ActionDim returns 1.
func (CartPoleDynamics) ActionDim() int { return 1 }

// ObsDim returns 4.
func (CartPoleDynamics) ObsDim() int { return 4 }

// ActionBounds returns [-10], [10].
func (CartPoleDynamics) ActionBounds() (low, high []float64) {
	return []float64{-CartPoleForceMag}, []float64{CartPoleForceMag}
}

// Next writes f(x, u) into dst; dst may alias x.
func (CartPoleDynamics) Next(dst, x, u []float64) {
	cartPoleNext(dst, x, clip(u[0], -CartPoleForceMag, CartPoleForceMag))
}

// Jacobians writes fx [4, 4] and fu [4, 1] at (x, u).
func (CartPoleDynamics) Jacobians(fx, fu, x, u []float64) {
	totalMass, pml := cartPoleParams()
	const (
		g   = CartPoleGravity
		l   = CartPoleLength
		mp  = CartPoleMassPole
		tau = CartPoleTau
	)
	force := clip(u[0], -CartPoleForceMag, CartPoleForceMag)
	dF := inside(u[0], -CartPoleForceMag, CartPoleForceMag)
	w := x[3]
	c, s := math.Cos(x[2]), math.Sin(x[2])

	temp := (force + pml*w*w*s) / totalMass
	tempTh, tempW, tempF := pml*w*w*c/totalMass, 2*pml*w*s/totalMass, 1/totalMass
	num := g*s - c*temp
	numTh, numW, numF := g*c+s*temp-c*tempTh, -c*tempW, -c*tempF
	den := l * (4.0/3.0 - mp*c*c/totalMass)
	denTh := l * 2 * mp * c * s / totalMass
	thacc := num / den
	thaccTh, thaccW, thaccF := (numTh-thacc*denTh)/den, numW/den, numF/den
	xaccTh := tempTh - pml/totalMass*(thaccTh*c-thacc*s)
	xaccW := tempW - pml/totalMass*thaccW*c
	xaccF := tempF - pml/totalMass*thaccF*c

	copy(fx, []float64{
		1, tau, 0, 0,
		0, 1, tau * xaccTh, tau * xaccW,
		0, 0, 1, tau,
		0, 0, tau * thaccTh, 1 + tau*thaccW,
	})
	fu[0], fu[1], fu[2], fu[3] = 0, tau*xaccF*dF, 0, tau*thaccF*dF
}

// Cost returns x'Qx + R clip(F)^2.
func (CartPoleDynamics) Cost(x, u []float64) float64 {
	q := CartPoleCostQ()
	f := clip(u[0], -CartPoleForceMag, CartPoleForceMag)
	c := 0.0
	for i, qi := range q {
		c += qi * (x[i] * x[i])
	}
	return c + CartPoleCostR*(f*f)
}

// CostDerivs fills d: Lx = 2 Q x, Lxx = 2 Q, Lu = 2 R F and Luu = 2 R
// inside the force bounds (0 where F is clipped), Lux = 0.
func (d CartPoleDynamics) CostDerivs(cd *CostDerivs, x, u []float64) {
	q := CartPoleCostQ()
	f := clip(u[0], -CartPoleForceMag, CartPoleForceMag)
	dF := inside(u[0], -CartPoleForceMag, CartPoleForceMag)
	cd.L = d.Cost(x, u)
	clear(cd.Lxx)
	for i, qi := range q {
		cd.Lx[i] = 2 * qi * x[i]
		cd.Lxx[i*4+i] = 2 * qi
	}
	cd.Lu[0] = 2 * CartPoleCostR * f * dF
	cd.Luu[0] = 2 * CartPoleCostR * dF
	clear(cd.Lux)
}

// Obs copies x into dst.
func (CartPoleDynamics) Obs(dst, x []float64) { copy(dst, x[:4]) }

// StateFromObs copies obs into dst.
func (CartPoleDynamics) StateFromObs(dst, obs []float64) { copy(dst, obs[:4]) }

// GraphNext builds f for a batch x [B, 4], u [B, 1] -> [B, 4].
func (CartPoleDynamics) GraphNext(x, u *G.Node) (*G.Node, error) {
	if err := checkXU(x, u, 4, 1); err != nil {
		return nil, err
	}
	totalMass, pml := cartPoleParams()
	var b graphBuilder
	xx, xDot, theta, thetaDot := b.col(x, 0), b.col(x, 1), b.col(x, 2), b.col(x, 3)
	force := b.clamp(b.col(u, 0), -CartPoleForceMag, CartPoleForceMag)
	c, s := b.cos(theta), b.sin(theta)
	temp := b.scale(1/totalMass, b.add(force, b.scale(pml, b.mul(b.square(thetaDot), s))))
	num := b.sub(b.scale(CartPoleGravity, s), b.mul(c, temp))
	den := b.scale(CartPoleLength, b.addConst(4.0/3.0, b.scale(-CartPoleMassPole/totalMass, b.square(c))))
	thetaacc := b.div(num, den)
	xacc := b.sub(temp, b.scale(pml/totalMass, b.mul(thetaacc, c)))
	out := b.stack(
		b.add(xx, b.scale(CartPoleTau, xDot)),
		b.add(xDot, b.scale(CartPoleTau, xacc)),
		b.add(theta, b.scale(CartPoleTau, thetaDot)),
		b.add(thetaDot, b.scale(CartPoleTau, thetaacc)),
	)
	return out, b.err
}

// GraphCost builds x'Qx + R clip(F)^2 for a batch -> [B].
func (CartPoleDynamics) GraphCost(x, u *G.Node) (*G.Node, error) {
	if err := checkXU(x, u, 4, 1); err != nil {
		return nil, err
	}
	var b graphBuilder
	force := b.clamp(b.col(u, 0), -CartPoleForceMag, CartPoleForceMag)
	c := b.scale(CartPoleCostR, b.square(force))
	for i, qi := range CartPoleCostQ() {
		c = b.add(c, b.scale(qi, b.square(b.col(x, i))))
	}
	return c, b.err
}

// GraphObs returns x itself.
func (CartPoleDynamics) GraphObs(x *G.Node) (*G.Node, error) {
	if _, err := checkBatch("state", x, 4); err != nil {
		return nil, err
	}
	return x, nil
}
