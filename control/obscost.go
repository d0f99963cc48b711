// Costs on observations, for planning through a learned model of
// observations (package control/learned): the pendulum's analytic one, a
// generic one through an env's known dynamics, and the mean cost of the
// stacked members of an ensemble (PETS: K. Chua, R. Calandra, R.
// McAllister, S. Levine, "Deep Reinforcement Learning in a Handful of
// Trials using Probabilistic Dynamics Models", NeurIPS 2018, Sec. 4-5).

package control

import (
	"errors"

	"github.com/mbrl/mbrl/envs"
)

// EnsembleCost is the mean of a per-observation cost over the E blocks of
// a stacked state [E*n] (learned.Model with each member):
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
	d.Zero()
	for e := range c.e {
		b := c.d
		b.Zero()
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
	b.Zero()
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
