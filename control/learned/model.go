package learned

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/nn"
	G "gorgonia.org/gorgonia"
)

// Model adapts a learned model of observations, an *nn.DynamicsModel or
// an *nn.Ensemble, to control.Model (for iLQR, MPC, CEM and GPS), to a
// Gorgonia graph (GraphNext, for BPTT) and to sampled transitions
// (SampleNext, for Dyna), mbrl-lib's one ModelEnv: the planner's state is
// the observation [n]. With bounds, actions are clipped into [Low, High]
// before the model sees them (as the environments do), and the action
// Jacobian is zero on dimensions strictly outside the bounds. The
// Jacobians are the model's fast-path reverse-mode Jacobians.
//
// An ensemble is used in one of two ways:
//
//   - mean (each = false): the state is one observation and the next is
//     the members' mean prediction, with the mean of their Jacobians;
//   - each member (each = true): the state is the E members' observations
//     stacked [E*n]; member e advances block e with its own prediction, so
//     fx is block-diagonal and fu stacks the members' fu. With
//     control.EnsembleCost over it, a planner scores a plan by the
//     members' mean cost (PETS trajectory sampling).
//
// StateFromObs maps an observation to the planner's state (the
// observation, repeated E times when stacked), so an MPC over a
// Model acts on observations through control.MPC.ObsPolicy(model).
//
// A Model uses the model's single-row scratch space and remembers its
// bindings in the graphs it was built into: it is not safe for concurrent
// use. Clone it (with a copy of the weights) per goroutine.
type Model struct {
	src       nn.Model
	members   []*nn.DynamicsModel
	ens       *nn.Ensemble // nil for a single model
	n, m      int
	each      bool
	low, high []float64
	uc        []float64 // clipped action
	jx, ju    []float64 // one member's Jacobians
	roll      []float64 // Disagreement: stacked member states [E*n]
	nodes     map[*G.ExprGraph]*nn.DynamicsNodes
}

var _ control.Model = (*Model)(nil)

// New wraps model (an *nn.DynamicsModel or *nn.Ensemble; weights
// shared, not copied) with the action bounds low, high (nil for
// none). each selects member-wise rollouts of an ensemble (ignored for a
// single model).
func New(model nn.Model, low, high []float64, each bool) (*Model, error) {
	l := &Model{src: model}
	switch v := model.(type) {
	case *nn.DynamicsModel:
		l.members = []*nn.DynamicsModel{v}
	case *nn.Ensemble:
		l.ens = v
		for i := range v.Size() {
			l.members = append(l.members, v.Member(i))
		}
		l.each = each && v.Size() > 1
	default:
		return nil, fmt.Errorf("learned: a %T (kind %q) is not a dynamics model or ensemble", model, model.Kind())
	}
	l.n, l.m = l.members[0].ObsDim(), l.members[0].ActDim()
	if (low == nil) != (high == nil) || (low != nil && (len(low) != l.m || len(high) != l.m)) {
		return nil, fmt.Errorf("learned: bounds of %d and %d values for %d actions", len(low), len(high), l.m)
	}
	if low != nil {
		l.low, l.high = append([]float64(nil), low...), append([]float64(nil), high...)
	}
	l.uc = make([]float64, l.m)
	l.jx, l.ju = make([]float64, l.n*l.n), make([]float64, l.n*l.m)
	l.roll = make([]float64, len(l.members)*l.n)
	l.nodes = map[*G.ExprGraph]*nn.DynamicsNodes{}
	return l, nil
}

// Clone returns an adapter over a deep copy of the model, for another
// goroutine.
func (l *Model) Clone() *Model {
	var src nn.Model
	if l.ens != nil {
		src = l.ens.Clone()
	} else {
		src = l.members[0].Clone()
	}
	c, err := New(src, l.low, l.high, l.each)
	if err != nil {
		panic(err) // the same arguments were valid for l
	}
	return c
}

// Source returns the wrapped nn model.
func (l *Model) Source() nn.Model { return l.src }

// Members returns the number of ensemble members E (1 for a single
// model).
func (l *Model) Members() int { return len(l.members) }

// Stacked reports whether the state stacks the members' observations.
func (l *Model) Stacked() bool { return l.each }

// ObsDim returns the observation width n.
func (l *Model) ObsDim() int { return l.n }

// StateDim returns n, or E*n when stacked.
func (l *Model) StateDim() int {
	if l.each {
		return len(l.members) * l.n
	}
	return l.n
}

// ActionDim returns m.
func (l *Model) ActionDim() int { return l.m }

// ActionBounds returns the action bounds (nil if none).
func (l *Model) ActionBounds() (low, high []float64) { return l.low, l.high }

// StateFromObs writes the planner state of observation obs [n] into dst
// [StateDim]: obs itself, repeated for every member when stacked.
func (l *Model) StateFromObs(dst, obs []float64) {
	for k := 0; k < len(dst); k += l.n {
		copy(dst[k:k+l.n], obs[:l.n])
	}
}

// clipU writes u clipped into the bounds into l.uc.
func (l *Model) clipU(u []float64) []float64 {
	copy(l.uc, u)
	if l.low != nil {
		for i, v := range l.uc {
			l.uc[i] = math.Min(math.Max(v, l.low[i]), l.high[i])
		}
	}
	return l.uc
}

// Next writes the predicted next state into dst (dst may alias x).
func (l *Model) Next(dst, x, u []float64) {
	uc := l.clipU(u)
	switch {
	case l.each:
		n := l.n
		for e, d := range l.members {
			d.Predict(dst[e*n:(e+1)*n], x[e*n:(e+1)*n], uc)
		}
	case l.ens != nil:
		l.ens.Predict(dst, x, uc)
	default:
		l.members[0].Predict(dst, x, uc)
	}
}

// Jacobians writes fx [StateDim, StateDim] and fu [StateDim, m] at (x, u).
func (l *Model) Jacobians(fx, fu, x, u []float64) {
	uc := l.clipU(u)
	n, m := l.n, l.m
	switch {
	case l.each:
		N := l.StateDim()
		clear(fx[:N*N])
		for e, d := range l.members {
			d.Jacobians(l.jx, l.ju, x[e*n:(e+1)*n], uc)
			for i := range n {
				copy(fx[(e*n+i)*N+e*n:(e*n+i)*N+e*n+n], l.jx[i*n:(i+1)*n])
			}
			copy(fu[e*n*m:(e+1)*n*m], l.ju)
		}
	case l.ens != nil:
		l.ens.Jacobians(fx, fu, x, uc)
	default:
		l.members[0].Jacobians(fx, fu, x, uc)
	}
	if l.low != nil {
		for k, v := range u {
			if v < l.low[k] || v > l.high[k] {
				for i := range l.StateDim() {
					fu[i*m+k] = 0
				}
			}
		}
	}
}

// Disagreement is the members' disagreement along a plan: from
// observation obs [n] every member rolls out the controls u [H][m] on its
// own, and the result is the mean over the H predicted steps of the
// members' standard deviation, averaged over the observation dimensions
// (0 for a single model).
func (l *Model) Disagreement(obs []float64, u [][]float64) float64 {
	E, n := len(l.members), l.n
	if E < 2 || len(u) == 0 {
		return 0
	}
	for e := range E {
		copy(l.roll[e*n:(e+1)*n], obs[:n])
	}
	var total float64
	for _, ut := range u {
		uc := l.clipU(ut)
		for e, d := range l.members {
			d.Predict(l.roll[e*n:(e+1)*n], l.roll[e*n:(e+1)*n], uc)
		}
		total += l.spread()
	}
	return total / float64(len(u))
}

// spread is the members' standard deviation in l.roll, averaged over the
// observation dimensions.
func (l *Model) spread() float64 {
	E, n := len(l.members), l.n
	var s float64
	for j := range n {
		var mean, sq float64
		for e := range E {
			mean += l.roll[e*n+j]
		}
		mean /= float64(E)
		for e := range E {
			d := l.roll[e*n+j] - mean
			sq += d * d
		}
		s += math.Sqrt(sq / float64(E))
	}
	return s / float64(n)
}

// GraphNext builds the prediction of a single model for a batch, x [B, n]
// and u [B, m] -> [B, n], in x's graph (the model's weights bound once per
// graph, as constants of it: BPTT through a frozen model). Actions are
// not clipped in the graph. Ensembles have no graph form.
func (l *Model) GraphNext(x, u *G.Node) (*G.Node, error) {
	if l.ens != nil {
		return nil, fmt.Errorf("learned: an ensemble of %d members has no graph form; use a single model", len(l.members))
	}
	g := x.Graph()
	n, ok := l.nodes[g]
	if !ok {
		n = l.members[0].Bind(g)
		l.nodes[g] = n
	}
	return l.members[0].ApplyNext(n, x, u)
}

// SampleNext writes into next the prediction at (obs [n], u [m]) of one
// member drawn uniformly from rng (for a single model, the model, and rng
// is not used): an ensemble's transitions sampled member by member, as
// Dyna's (and MBPO's) simulated rollouts do.
func (l *Model) SampleNext(next, obs, u []float64, rng *rand.Rand) {
	d := l.members[0]
	if len(l.members) > 1 {
		d = l.members[rng.IntN(len(l.members))]
	}
	d.Predict(next, obs, l.clipU(u))
}
