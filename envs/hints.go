package envs

import "math"

// PlanningHints is what an environment with known dynamics tells a
// trajectory optimiser beyond its dynamics and cost, as plain data and
// functions (control turns them into plan generators). The zero value
// means no hints: plans start from zero controls.
type PlanningHints struct {
	// InitialPolicy, if not nil, is a state-feedback law u = pi(x) on the
	// dynamics' state whose rollout is a better initial plan than zero
	// controls: from u = 0 iLQR stays in a poor local optimum on some
	// problems (pendulum: hanging down). It must be safe for concurrent
	// use.
	InitialPolicy func(dst, x []float64)
	// AngleDims are the state dimensions that are angles the observation
	// determines only modulo 2 pi; a feedback law following a plan
	// expresses them on the plan's branch.
	AngleDims []int
}

// Hinter is implemented by environments (or their dynamics) that provide
// planning hints.
type Hinter interface {
	PlanningHints() PlanningHints
}

// HintsOf returns the planning hints of env, or of its known dynamics, or
// the zero PlanningHints.
func HintsOf(env Env) PlanningHints {
	if h, ok := env.(Hinter); ok {
		return h.PlanningHints()
	}
	if dyn, ok := DynamicsOf(env); ok {
		return DynamicsHints(dyn)
	}
	return PlanningHints{}
}

// DynamicsHints returns the planning hints of dyn, or the zero
// PlanningHints.
func DynamicsHints(dyn Dynamics) PlanningHints {
	if h, ok := dyn.(Hinter); ok {
		return h.PlanningHints()
	}
	return PlanningHints{}
}

// PlanningHints of the pendulum: the energy-shaping swing-up as the initial
// plan, and the angle th (state 0), which the observation [cos th, sin th,
// thdot] gives modulo 2 pi.
func (PendulumDynamics) PlanningHints() PlanningHints {
	return PlanningHints{InitialPolicy: PendulumSwingUp, AngleDims: []int{0}}
}

// PendulumSwingUp is a swing-up law for the pendulum (state [th, thdot],
// th = 0 upright): energy shaping u = k (E* - E) thdot far from the top,
// with E = I thdot^2 / 2 + m g l/2 (cos th - 1) (zero at rest upright,
// I = m l^2 / 3, k = 2), and the linear balance law u = -(10 th' + 2 thdot)
// within 0.5 rad of the top (th' the wrapped angle), clipped to the torque
// limit (K. J. Astrom, K. Furuta, "Swinging up a pendulum by energy
// control", Automatica 36, 2000).
func PendulumSwingUp(dst, x []float64) {
	const (
		g, m, l = PendulumGravity, PendulumMass, PendulumLength
		inertia = m * l * l / 3
		umax    = PendulumMaxTorque
		gain    = 2.0
	)
	th, thdot := AngleNormalize(x[0]), x[1]
	if math.Abs(th) < 0.5 {
		dst[0] = -(10*th + 2*thdot)
	} else {
		e := 0.5*inertia*thdot*thdot + m*g*l/2*(math.Cos(th)-1)
		dst[0] = gain * (0 - e) * thdot
	}
	dst[0] = math.Min(math.Max(dst[0], -umax), umax)
}
