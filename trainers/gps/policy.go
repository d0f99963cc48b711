package gps

import (
	"fmt"

	"github.com/mbrl/mbrl/nn"
)

// Policy is a deterministic policy u = pi_theta(obs) that GPS can train:
// an nn.Model (checkpointed) with a graph form for the supervised step
// (Build, nn.GraphModel: obs [B, ObsDim] -> u [B, ActDim]) and single-row
// forms for the trajectory optimiser (Act and ActionJacobian, allocation
// free, not safe for concurrent use). *nn.DeterministicPolicy (tanh-squashed
// into the action bounds) and MLPPolicy (unbounded; with no hidden layer
// the affine policy u = W'obs + b) are Policies.
type Policy interface {
	nn.Model
	nn.GraphModel
	ObsDim() int
	ActDim() int
	// Act writes pi(obs) into dst [ActDim].
	Act(dst, obs []float64)
	// ActionJacobian writes d pi / d obs at obs into dst [ActDim, ObsDim].
	ActionJacobian(dst, obs []float64)
}

// Cloner is implemented by Policy types other than the two of this package's
// doc whose copies the trainer's workers need.
type Cloner interface {
	ClonePolicy() Policy
}

var (
	_ Policy = (*nn.DeterministicPolicy)(nil)
	_ Policy = MLPPolicy{}
)

// MLPPolicy adapts an nn.MLP to Policy with an unbounded action u =
// MLP(obs). With sizes [n, m] (no hidden layer) it is the linear policy of
// the LQR test. Its checkpoint kind is "mlp".
type MLPPolicy struct{ *nn.MLP }

// ObsDim returns the MLP's input width.
func (p MLPPolicy) ObsDim() int { return p.In() }

// ActDim returns the MLP's output width.
func (p MLPPolicy) ActDim() int { return p.Out() }

// Act writes MLP(obs) into dst.
func (p MLPPolicy) Act(dst, obs []float64) { p.Forward(dst, obs) }

// ActionJacobian writes d MLP / d obs into dst [ActDim, ObsDim].
func (p MLPPolicy) ActionJacobian(dst, obs []float64) { p.Jacobian(dst, obs) }

// ActAndJacobian writes Act(obs) and ActionJacobian(obs) with one forward
// pass.
func (p MLPPolicy) ActAndJacobian(dst, jac, obs []float64) { p.ForwardJacobian(dst, jac, obs) }

// actJacobianer is a Policy that gives its action and action Jacobian in
// one pass, bit-identical to Act and ActionJacobian.
type actJacobianer interface {
	ActAndJacobian(dst, jac, obs []float64)
}

var (
	_ actJacobianer = (*nn.DeterministicPolicy)(nil)
	_ actJacobianer = MLPPolicy{}
)

// ClonePolicy returns an independent copy of p for another goroutine (for
// evaluation workers, for example): a deep copy of the weights.
func ClonePolicy(p Policy) (Policy, error) {
	switch q := p.(type) {
	case *nn.DeterministicPolicy:
		return q.Clone(), nil
	case MLPPolicy:
		return MLPPolicy{MLP: q.MLP.Clone()}, nil
	case Cloner:
		return q.ClonePolicy(), nil
	}
	return nil, fmt.Errorf("gps: cannot copy a policy of type %T (implement gps.Cloner)", p)
}
