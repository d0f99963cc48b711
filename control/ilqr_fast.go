package control

// This file holds the fast paths of ILQR: the same IEEE operations per value
// in the same order as the general code (so results are bit for bit those
// of ilqr.go; TestILQRFastPathsBitIdentical), without its interface calls
// per quantity, slices of slices and bounds checks.
//
//   - rolloutFused: when the model and the cost are the same
//     StepLinearizer (envs.PendulumDynamics) and there is no extra cost, a
//     rollout linearises the trajectory as it goes: the pendulum's one
//     math.Sincos per step serves the transition, the Jacobians and the
//     cost derivatives, and the derivative sweep of Iterate is skipped for
//     the accepted trajectory. A rollout is a chain of dependent sines
//     (x_{t+1} needs sin th_t), so the derivative work off that chain is
//     nearly free.
//   - backward21: the backward pass for n = 2 states and m = 1 control
//     (the pendulum, the linear env) in scalars, the algebra of backward1.

import (
	"math"

	"github.com/mbrl/mbrl/envs"
)

var _ StepLinearizer = envs.PendulumDynamics{}

// fastRollout reports whether rollouts may take rolloutFused.
func (p *ILQR) fastRollout() bool { return p.sl != nil && p.s.Extra == nil && !p.slow }

// rolloutFused is rollout (open = true: Init's rollout of tr's own
// controls; otherwise the line-search policy about p.cur into tr) through
// StepLinearize, which also writes into tr the linearisation of derivatives()
// (d[t].L, which nothing reads, excepted). The state stays in registers
// from step to step.
func (p *ILQR) rolloutFused(tr *traj, alpha float64, open bool) float64 {
	const st = 16 // linStride(2, 1)
	sl := p.sl
	H := p.H
	xb, ub, rec := tr.xb[:2*H+2], tr.ub[:H], tr.rec[:st*H+st]
	ref, uRef := p.cur.xb[:2*H+2], p.cur.ub[:H]
	K, kff := p.kb[:2*H], p.kfb[:H]
	bounded := p.s.Low != nil
	var lo, hi, loIn, hiIn float64
	var loBits, hiBits uint64
	if bounded {
		// The controls clipped onto a bound and moved inside: computed
		// once, for the bits of lo and hi, rather than at every such step.
		lo, hi = p.s.Low[0], p.s.High[0]
		loIn, hiIn = interior1(lo, lo, hi), interior1(hi, lo, hi)
		loBits, hiBits = math.Float64bits(lo), math.Float64bits(hi)
	}
	th, thd := p.x0[0], p.x0[1]
	xb[0], xb[1] = th, thd
	var J float64
	for t := range H {
		u := ub[t]
		if !open {
			u = uRef[t] + alpha*kff[t]
			u += K[2*t] * (th - ref[2*t])
			u += K[2*t+1] * (thd - ref[2*t+1])
		}
		ud := u
		if bounded && !(u > lo && u < hi) {
			if !open {
				switch { // clip1(u, lo, hi)
				case u < lo && lo < hi:
					u = lo
				case u > hi && lo < hi:
					u = hi
				default:
					u = clip1(u, lo, hi)
				}
			}
			switch math.Float64bits(u) { // interior1(u, lo, hi)
			case loBits:
				ud = loIn
			case hiBits:
				ud = hiIn
			default:
				ud = interior1(u, lo, hi)
			}
		}
		if !open {
			ub[t] = u
		}
		c, th1, thd1 := sl.StepLinearize((*[st]float64)(rec[st*t:st*t+st]), th, thd, u, ud)
		J += c
		th, thd = th1, thd1
		xb[2*t+2], xb[2*t+3] = th, thd
	}
	d := tr.d[H]
	d.Zero()
	if !p.s.NoTerminalCost {
		xH := xb[2*H : 2*H+2]
		J += p.cost.Cost(xH, p.zeroU)
		p.cost.CostDerivs(d, xH, p.zeroU)
		clear(d.Lu)
		clear(d.Luu)
		clear(d.Lux)
	}
	return J
}

// backward21 is backward1 for n = 2: every value is computed by the same
// operations in the same order, held in scalars.
func (p *ILQR) backward21() bool {
	const st = 16 // linStride(2, 1)
	H, mu := p.H, p.mu
	rec := p.cur.rec[:st*H+st]
	K, kff, ub, grad := p.kb[:2*H], p.kfb[:H], p.cur.ub[:H], p.grad[:H]
	bounded := p.s.Low != nil
	var lo, hi float64
	if bounded {
		lo, hi = p.s.Low[0], p.s.High[0]
	}
	vx0, vx1 := p.vx[0], p.vx[1]
	vxx00, vxx01, vxx10, vxx11 := p.vxx[0], p.vxx[1], p.vxx[2], p.vxx[3]
	dV1, dV2 := p.dV1, p.dV2
	for t := H - 1; t >= 0; t-- {
		r := (*[st]float64)(rec[st*t : st*t+st])
		fx00, fx01, fx10, fx11 := r[0], r[1], r[2], r[3]
		fu0, fu1 := r[4], r[5]
		lx0, lx1, lu := r[6], r[7], r[8]
		lxx00, lxx01, lxx11 := r[9], r[10], r[12]
		luu, lux0, lux1 := r[13], r[14], r[15]
		// vfx = Vxx fx, vfu = Vxx fu.
		vfx00 := 0 + vxx00*fx00 + vxx01*fx10
		vfx01 := 0 + vxx00*fx01 + vxx01*fx11
		vfu0 := 0 + vxx00*fu0 + vxx01*fu1
		vfx10 := 0 + vxx10*fx00 + vxx11*fx10
		vfx11 := 0 + vxx10*fx01 + vxx11*fx11
		vfu1 := 0 + vxx10*fu0 + vxx11*fu1
		quu := luu + fu0*vfu0 + fu1*vfu1
		qu := lu + fu0*vx0 + fu1*vx1
		rr := 0 + fu0*fu0 + fu1*fu1
		qx0 := lx0 + fx00*vx0 + fx10*vx1
		qx1 := lx1 + fx01*vx0 + fx11*vx1
		qux0 := lux0 + vfu0*fx00 + vfu1*fx10
		qux1 := lux1 + vfu0*fx01 + vfu1*fx11
		quxr0 := qux0 + mu*(0+fu0*fx00+fu1*fx10)
		quxr1 := qux1 + mu*(0+fu0*fx01+fu1*fx11)
		qxx00 := lxx00 + fx00*vfx00 + fx10*vfx10
		qxx01 := lxx01 + fx00*vfx01 + fx10*vfx11
		qxx11 := lxx11 + fx01*vfx01 + fx11*vfx11
		quur := quu + mu*rr
		if !(quur > 0) || math.IsInf(quur, 0) {
			p.dV1, p.dV2 = dV1, dV2
			return false
		}
		u := ub[t]
		k, free := step1(qu, quur, u, lo, hi, bounded)
		kff[t] = k
		// The term of Iterate's gradient test, off this pass's chain of
		// dependent operations.
		grad[t] = math.Abs(k) / (math.Abs(u) + 1)
		var k0, k1 float64
		if free {
			k0, k1 = -quxr0/quur, -quxr1/quur
		}
		K[2*t], K[2*t+1] = k0, k1
		quuk := quu * k
		dV1 += k * qu
		dV2 += 0.5 * k * quuk
		vx0 = qx0 + k0*(quuk+qu) + qux0*k
		vx1 = qx1 + k1*(quuk+qu) + qux1*k
		vxx00 = qxx00 + quu*k0*k0 + k0*qux0 + qux0*k0
		vxx01 = qxx01 + quu*k0*k1 + k0*qux1 + qux0*k1
		vxx10 = vxx01
		vxx11 = qxx11 + quu*k1*k1 + k1*qux1 + qux1*k1
	}
	p.vx[0], p.vx[1] = vx0, vx1
	p.vxx[0], p.vxx[1], p.vxx[2], p.vxx[3] = vxx00, vxx01, vxx10, vxx11
	p.dV1, p.dV2 = dV1, dV2
	p.gradOK = isFinite(dV1) && isFinite(dV2)
	return p.gradOK
}
