package common

import (
	"math/rand/v2"

	"github.com/mbrl/mbrl/envs"
)

// Policy maps an observation to an action. Act writes the action for obs into
// dst (len = the action space's Dim). A Policy need not be safe for
// concurrent use: evaluation makes one per worker.
type Policy interface {
	Act(dst, obs []float64)
}

// PolicyFunc adapts a function to Policy.
type PolicyFunc func(dst, obs []float64)

// Act calls f.
func (f PolicyFunc) Act(dst, obs []float64) { f(dst, obs) }

// Resetter is implemented by policies with per-episode state (MPC warm
// starts, exploration noise): Reset is called before each episode with that
// episode's random stream.
type Resetter interface {
	Reset(rng *rand.Rand)
}

// RandomPolicy samples uniformly from an action space with its own rng.
type RandomPolicy struct {
	Space envs.Space
	Rng   *rand.Rand
}

// Act samples an action.
func (p *RandomPolicy) Act(dst, _ []float64) { p.Space.Sample(dst, p.Rng) }

// Reset reseeds the policy from the episode's stream.
func (p *RandomPolicy) Reset(rng *rand.Rand) { p.Rng = rng }

// ZeroPolicy always returns the zero action (action 0 for discrete spaces).
type ZeroPolicy struct{}

// Act writes zeros.
func (ZeroPolicy) Act(dst, _ []float64) { clear(dst) }
