// Learned dynamics for planning: an adapter from the neural models of nn
// to Model, and costs on observations.
//
// Ensembles follow PETS (K. Chua, R. Calandra, R. McAllister, S. Levine,
// "Deep Reinforcement Learning in a Handful of Trials using Probabilistic
// Dynamics Models", NeurIPS 2018, Sec. 4-5): with Each, every member rolls
// its own trajectory out under the same controls (trajectory sampling with
// one particle per member, TS-inf) and a plan's cost is the mean of the
// members' costs.

package control

import (
	"errors"
	"fmt"
	"math"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
)

// LearnedModel adapts a learned model of observations, an
// *nn.DynamicsModel or an *nn.Ensemble, to Model: the planner's state is
// the observation [n]. Actions are clipped into [Low, High] before the
// model sees them (as the environments do), and the action Jacobian is
// zero on dimensions strictly outside the bounds. The Jacobians are the
// model's fast-path reverse-mode Jacobians.
//
// An ensemble is used in one of two ways:
//
//   - mean (each = false): the state is one observation and the next is
//     the members' mean prediction, with the mean of their Jacobians;
//   - each member (each = true): the state is the E members' observations
//     stacked [E*n]; member e advances block e with its own prediction, so
//     fx is block-diagonal and fu stacks the members' fu. With
//     EnsembleCost over it, a planner scores a plan by the members' mean
//     cost (PETS trajectory sampling).
//
// StateFromObs maps an observation to the planner's state (the
// observation, repeated E times when stacked), so an MPC over a
// LearnedModel acts on observations through MPC.ObsPolicy(model).
//
// A LearnedModel uses the model's single-row scratch space: it is not safe
// for concurrent use. Clone it (with a copy of the weights) per goroutine.
type LearnedModel struct {
	src       nn.Model
	members   []*nn.DynamicsModel
	ens       *nn.Ensemble // nil for a single model
	n, m      int
	each      bool
	low, high []float64
	uc        []float64 // clipped action
	jx, ju    []float64 // one member's Jacobians
	roll      []float64 // Disagreement: stacked member states [E*n]
}

var _ Model = (*LearnedModel)(nil)

// NewLearnedModel wraps model (an *nn.DynamicsModel or *nn.Ensemble;
// weights shared, not copied) with the action bounds low, high (nil for
// none). each selects member-wise rollouts of an ensemble (ignored for a
// single model).
func NewLearnedModel(model nn.Model, low, high []float64, each bool) (*LearnedModel, error) {
	l := &LearnedModel{src: model}
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
		return nil, fmt.Errorf("control: learned model: a %T (kind %q) is not a dynamics model or ensemble", model, model.Kind())
	}
	l.n, l.m = l.members[0].ObsDim(), l.members[0].ActDim()
	if (low == nil) != (high == nil) || (low != nil && (len(low) != l.m || len(high) != l.m)) {
		return nil, fmt.Errorf("control: learned model: bounds of %d and %d values for %d actions", len(low), len(high), l.m)
	}
	if low != nil {
		l.low, l.high = append([]float64(nil), low...), append([]float64(nil), high...)
	}
	l.uc = make([]float64, l.m)
	l.jx, l.ju = make([]float64, l.n*l.n), make([]float64, l.n*l.m)
	l.roll = make([]float64, len(l.members)*l.n)
	return l, nil
}

// Clone returns an adapter over a deep copy of the model, for another
// goroutine.
func (l *LearnedModel) Clone() *LearnedModel {
	var src nn.Model
	if l.ens != nil {
		src = l.ens.Clone()
	} else {
		src = l.members[0].Clone()
	}
	c, err := NewLearnedModel(src, l.low, l.high, l.each)
	if err != nil {
		panic(err) // the same arguments were valid for l
	}
	return c
}

// Source returns the wrapped nn model.
func (l *LearnedModel) Source() nn.Model { return l.src }

// Members returns the number of ensemble members E (1 for a single
// model).
func (l *LearnedModel) Members() int { return len(l.members) }

// Stacked reports whether the state stacks the members' observations.
func (l *LearnedModel) Stacked() bool { return l.each }

// ObsDim returns the observation width n.
func (l *LearnedModel) ObsDim() int { return l.n }

// StateDim returns n, or E*n when stacked.
func (l *LearnedModel) StateDim() int {
	if l.each {
		return len(l.members) * l.n
	}
	return l.n
}

// ActionDim returns m.
func (l *LearnedModel) ActionDim() int { return l.m }

// ActionBounds returns the action bounds (nil if none).
func (l *LearnedModel) ActionBounds() (low, high []float64) { return l.low, l.high }

// StateFromObs writes the planner state of observation obs [n] into dst
// [StateDim]: obs itself, repeated for every member when stacked.
func (l *LearnedModel) StateFromObs(dst, obs []float64) {
	for k := 0; k < len(dst); k += l.n {
		copy(dst[k:k+l.n], obs[:l.n])
	}
}

// clipU writes u clipped into the bounds into l.uc.
func (l *LearnedModel) clipU(u []float64) []float64 {
	copy(l.uc, u)
	if l.low != nil {
		for i, v := range l.uc {
			l.uc[i] = math.Min(math.Max(v, l.low[i]), l.high[i])
		}
	}
	return l.uc
}

// Next writes the predicted next state into dst (dst may alias x).
func (l *LearnedModel) Next(dst, x, u []float64) {
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
func (l *LearnedModel) Jacobians(fx, fu, x, u []float64) {
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
func (l *LearnedModel) Disagreement(obs []float64, u [][]float64) float64 {
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
func (l *LearnedModel) spread() float64 {
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

// EnsembleCost is the mean of a per-observation cost over the E blocks of
// a stacked state [E*n] (LearnedModel with each member):
//
//	c(x, u) = (1/E) sum_e Base(x_e, u)
//
// so its derivatives are the members' derivatives divided by E on their
// blocks (Lxx block-diagonal) and averaged for Lu, Luu. It keeps scratch
// space: not safe for concurrent use.
type EnsembleCost struct {
	base    Cost
	e, n, m int
	d       *envs.CostDerivs
}

var _ Cost = (*EnsembleCost)(nil)

// NewEnsembleCost returns the mean of base over e stacked observations of
// width n, with m actions.
func NewEnsembleCost(base Cost, e, n, m int) *EnsembleCost {
	return &EnsembleCost{base: base, e: e, n: n, m: m, d: envs.NewCostDerivs(n, m)}
}

// Cost returns the members' mean cost.
func (c *EnsembleCost) Cost(x, u []float64) float64 {
	var s float64
	for e := range c.e {
		s += c.base.Cost(x[e*c.n:(e+1)*c.n], u)
	}
	return s / float64(c.e)
}

// CostDerivs fills d [E*n states, m actions] at (x, u).
func (c *EnsembleCost) CostDerivs(d *envs.CostDerivs, x, u []float64) {
	n, m, N := c.n, c.m, c.e*c.n
	inv := 1 / float64(c.e)
	d.L = 0
	clear(d.Lx)
	clear(d.Lu)
	clear(d.Lxx)
	clear(d.Luu)
	clear(d.Lux)
	for e := range c.e {
		b := c.d
		zeroCostDerivs(b)
		c.base.CostDerivs(b, x[e*n:(e+1)*n], u)
		d.L += b.L * inv
		for i := range n {
			d.Lx[e*n+i] = b.Lx[i] * inv
			for j := range n {
				d.Lxx[(e*n+i)*N+e*n+j] = b.Lxx[i*n+j] * inv
			}
		}
		for k := range m {
			d.Lu[k] += b.Lu[k] * inv
			for j := range m {
				d.Luu[k*m+j] += b.Luu[k*m+j] * inv
			}
			for j := range n {
				d.Lux[k*N+e*n+j] = b.Lux[k*n+j] * inv
			}
		}
	}
}

func zeroCostDerivs(d *envs.CostDerivs) {
	d.L = 0
	clear(d.Lx)
	clear(d.Lu)
	clear(d.Lxx)
	clear(d.Luu)
	clear(d.Lux)
}

// PendulumObsCost is the Pendulum-v1 cost on observations
// (envs.PendulumObsCost, which the pendulum's dynamics give through
// envs.ObsCoster).
type PendulumObsCost = envs.PendulumObsCost

var _ Cost = PendulumObsCost{}

// ObsCost is a generic cost on observations for an env with known
// dynamics: c(obs, u) = Dyn.Cost(Dyn.StateFromObs(obs), u). Its
// derivatives compose the state cost's analytic derivatives with the
// Jacobian J of StateFromObs, taken by central differences (step 1e-6):
// Lx = Jᵀ c_x, Lxx = Jᵀ c_xx J (Gauss-Newton: the curvature of
// StateFromObs is dropped), Lux = c_ux J. Prefer an analytic cost such as
// PendulumObsCost where one exists. Not safe for concurrent use.
type ObsCost struct {
	dyn     envs.Dynamics
	no, ns  int
	x, xp   []float64
	ob      []float64
	jac     []float64 // [ns, no]
	d       *envs.CostDerivs
	scratch []float64
}

// NewObsCost returns the observation cost of dyn.
func NewObsCost(dyn envs.Dynamics) (*ObsCost, error) {
	if dyn == nil {
		return nil, errors.New("control: observation cost needs known dynamics")
	}
	no, ns, m := dyn.ObsDim(), dyn.StateDim(), dyn.ActionDim()
	return &ObsCost{
		dyn: dyn, no: no, ns: ns,
		x: make([]float64, ns), xp: make([]float64, ns), ob: make([]float64, no),
		jac: make([]float64, ns*no), d: envs.NewCostDerivs(ns, m), scratch: make([]float64, ns*no),
	}, nil
}

// Cost returns Dyn.Cost(StateFromObs(obs), u).
func (c *ObsCost) Cost(x, u []float64) float64 {
	c.dyn.StateFromObs(c.x, x)
	return c.dyn.Cost(c.x, u)
}

// CostDerivs fills d [ObsDim states] at (obs, u).
func (c *ObsCost) CostDerivs(d *envs.CostDerivs, x, u []float64) {
	no, ns, m := c.no, c.ns, len(u)
	const h = 1e-6
	copy(c.ob, x[:no])
	for j := range no {
		v := c.ob[j]
		c.ob[j] = v + h
		c.dyn.StateFromObs(c.xp, c.ob)
		c.ob[j] = v - h
		c.dyn.StateFromObs(c.x, c.ob)
		c.ob[j] = v
		for i := range ns {
			c.jac[i*no+j] = (c.xp[i] - c.x[i]) / (2 * h)
		}
	}
	c.dyn.StateFromObs(c.x, x)
	b := c.d
	zeroCostDerivs(b)
	c.dyn.CostDerivs(b, c.x, u)
	d.L = b.L
	copy(d.Lu, b.Lu)
	copy(d.Luu, b.Luu)
	for j := range no {
		var s float64
		for i := range ns {
			s += c.jac[i*no+j] * b.Lx[i]
		}
		d.Lx[j] = s
	}
	// t = c_xx J [ns, no]; Lxx = Jᵀ t.
	t := c.scratch
	for i := range ns {
		for j := range no {
			var s float64
			for k := range ns {
				s += b.Lxx[i*ns+k] * c.jac[k*no+j]
			}
			t[i*no+j] = s
		}
	}
	for a := range no {
		for bb := range no {
			var s float64
			for i := range ns {
				s += c.jac[i*no+a] * t[i*no+bb]
			}
			d.Lxx[a*no+bb] = s
		}
	}
	for k := range m {
		for j := range no {
			var s float64
			for i := range ns {
				s += b.Lux[k*ns+i] * c.jac[i*no+j]
			}
			d.Lux[k*no+j] = s
		}
	}
}
