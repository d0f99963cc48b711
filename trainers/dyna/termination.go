package dyna

import (
	"math"

	"github.com/mbrl/mbrl/envs"
)

// Terminator is implemented by environments that can tell whether an
// observation is terminal (the MDP's absorbing states). Dyna uses it to end
// and stop bootstrapping simulated transitions, as MBPO (Janner et al. 2019)
// does with the known termination functions of its tasks.
type Terminator interface {
	Terminal(obs []float64) bool
}

// TerminalFunc returns the known termination rule of env for simulated
// transitions: env's own Terminal method if it implements Terminator,
// otherwise the rule of a known env by name. It returns nil (no simulated
// transition is terminal) for environments whose episodes only truncate
// (pendulum, linear) and for unknown ones.
//
//	cartpole, cartpole-continuous: |x| > 2.4 or |theta| > 12 degrees (obs = [x, x_dot, theta, theta_dot])
func TerminalFunc(env envs.Env) func(obs []float64) bool {
	if t, ok := env.(Terminator); ok {
		return t.Terminal
	}
	switch env.Name() {
	case "cartpole", "cartpole-continuous":
		return CartPoleTerminal
	}
	return nil
}

// CartPoleTerminal is CartPole-v1's termination rule on an observation
// [x, x_dot, theta, theta_dot]: the cart beyond 2.4 m or the pole beyond 12
// degrees (strictly), as Gymnasium tests it. NaN observations are terminal.
func CartPoleTerminal(obs []float64) bool {
	th := envs.CartPoleThetaThreshold()
	x, theta := obs[0], obs[2]
	return !(math.Abs(x) <= envs.CartPoleXThreshold && math.Abs(theta) <= th)
}
