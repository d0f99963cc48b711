package common

import (
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
)

// NewPolicyNet returns a fresh policy network named "policy" for env with
// the given tanh hidden layers: a deterministic policy squashed into the
// action bounds when they are all finite (det), otherwise an unbounded MLP
// obs -> action (mlp; with no hidden layer the linear policy u = W'obs + b).
// Exactly one of det and mlp is non-nil.
func NewPolicyNet(env envs.Env, hidden []int, rng *rand.Rand) (det *nn.DeterministicPolicy, mlp *nn.MLP, err error) {
	as := env.ActionSpace()
	bounded := true
	for i := range as.Low {
		if math.IsInf(as.Low[i], 0) || math.IsInf(as.High[i], 0) {
			bounded = false
		}
	}
	obsDim := env.ObservationSpace().Dim()
	if bounded {
		det, err = nn.NewDeterministicPolicy("policy", nn.PolicyArch{
			ObsDim: obsDim, ActDim: as.Dim(), Hidden: hidden, Activation: nn.Tanh,
			Low: as.Low, High: as.High,
		}, rng)
		return det, nil, err
	}
	sizes := append(append([]int{obsDim}, hidden...), as.Dim())
	return nil, nn.NewMLP("policy", sizes, nn.Tanh, rng), nil
}
