package gym

import (
	"math"

	"github.com/mbrl/mbrl/envs"
)

// Known describes what mbrl knows about a Gymnasium id beyond what the
// bridge reports, written from Gymnasium's source (classic_control): a
// cost on observations equal to minus the reward, and the termination
// rule on observations. Methods that plan or differentiate on a known
// cost through a learned model (mpc, bptt --model and --learn-model, gps
// --model: envs.ObsCosterOf) use the first, Dyna's simulated transitions
// the second. They hold for the
// default constructor arguments only; with --gym-kwargs other than
// render_mode nothing is added.
type Known struct {
	// Cost is the cost on observations whose negative is the reward of
	// the state before the step (nil: unknown).
	Cost envs.ObsCoster
	// Terminal is the termination rule on observations (nil: none known,
	// or the env only truncates).
	Terminal func(obs []float64) bool
}

// KnownIDs returns what mbrl knows about the Gymnasium ids it knows:
//
//	Pendulum-v1                 cost: Pendulum-v1's, as envs.PendulumObsCost (the built-in pendulum's);
//	                            initial plan: the swing-up on observations (envs.ObsHinter)
//	CartPole-v0, CartPole-v1    terminal: |x| > 2.4 or |theta| > 12 degrees, as the built-in cartpole
//	Acrobot-v1                  terminal: -cos(th1) - cos(th1 + th2) > 1
//	MountainCar-v0              terminal: position >= 0.5 and velocity >= 0
//	MountainCarContinuous-v0    terminal: position >= 0.45 and velocity >= 0
func KnownIDs() map[string]Known {
	cartpole := func(o []float64) bool {
		th := envs.CartPoleThetaThreshold()
		return !(math.Abs(o[0]) <= envs.CartPoleXThreshold && math.Abs(o[2]) <= th)
	}
	return map[string]Known{
		"Pendulum-v1": {Cost: envs.PendulumDynamics{}},
		"CartPole-v0": {Terminal: cartpole},
		"CartPole-v1": {Terminal: cartpole},
		"Acrobot-v1": {Terminal: func(o []float64) bool {
			// o = [cos th1, sin th1, cos th2, sin th2, ...]; cos(th1+th2) = c1 c2 - s1 s2.
			return -o[0]-(o[0]*o[2]-o[1]*o[3]) > 1
		}},
		"MountainCar-v0":           {Terminal: func(o []float64) bool { return o[0] >= 0.5 && o[1] >= 0 }},
		"MountainCarContinuous-v0": {Terminal: func(o []float64) bool { return o[0] >= 0.45 && o[1] >= 0 }},
	}
}

// costEnv is a bridge env with a known cost on observations
// (envs.ObsCoster, envs.CostReward) and, where known, an initial plan law
// on them (envs.ObsHinter).
type costEnv struct {
	*Env
	cost envs.ObsCoster
}

// ObsCost returns the known cost on observations.
func (c costEnv) ObsCost(exactHessian bool) interface {
	Cost(obs, u []float64) float64
	CostDerivs(d *envs.CostDerivs, obs, u []float64)
} {
	return c.cost.ObsCost(exactHessian)
}

// InitialObsPolicy returns the known cost's initial feedback law on
// observations (envs.ObsHinter: Pendulum-v1's swing-up), or nil.
func (c costEnv) InitialObsPolicy() func(dst, obs []float64) {
	if h, ok := c.cost.(envs.ObsHinter); ok {
		return h.InitialObsPolicy()
	}
	return nil
}

// RewardIsNegCost reports true: the reward is minus the known cost.
func (costEnv) RewardIsNegCost() bool { return true }

// terminalEnv is a bridge env with a known termination rule.
type terminalEnv struct {
	*Env
	rule func(obs []float64) bool
}

// Terminal reports whether obs is terminal by the env's known rule.
func (t terminalEnv) Terminal(obs []float64) bool { return t.rule(obs) }

// withKnown adds to e what KnownIDs knows of its id, unless kwargs
// (other than render_mode) change the env.
func withKnown(e *Env, kwargs map[string]any) envs.Env {
	for k := range kwargs {
		if k != "render_mode" {
			return e
		}
	}
	k, ok := KnownIDs()[e.id]
	switch {
	case !ok:
		return e
	case k.Cost != nil && !e.act.Discrete && e.obs.Dim() == 3:
		return costEnv{e, k.Cost}
	case k.Terminal != nil:
		return terminalEnv{e, k.Terminal}
	}
	return e
}
