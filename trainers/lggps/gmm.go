package lggps

import (
	"math"
	"math/rand/v2"
)

// GMM is a Gaussian mixture over transitions z = [x; u; x'] fitted by EM,
// the prior of the local dynamics fits (Levine & Abbeel 2014, Sec. 3.1:
// "a Gaussian mixture model over all transitions" of the current samples,
// so that each time step's regression borrows the shape of the dynamics
// from nearby data). A GMM is not safe for concurrent use except through
// Prior, which only reads it.
type GMM struct {
	k, d   int
	w      []float64   // [k] weights
	mu     [][]float64 // [k][d]
	sigma  [][]float64 // [k][d*d]
	prec   [][]float64 // [k][d*d] inverses of sigma
	logdet []float64   // [k]
	resp   []float64   // [N*k] log responsibilities of the last fit
}

// FitGMM fits a mixture of up to k components to the rows of data [N][d] by
// EM with iters iterations, starting from a random assignment of the rows
// drawn from rng. Each component's covariance gets reg times its own
// diagonal added to its diagonal (at least 1e-6 reg times the data's
// per-dimension variance, for a component of identical rows), which keeps
// it positive definite on degenerate data (noise-free linear dynamics are
// exactly a hyperplane in z). Relative to the component, not to all the
// data: on the pendulum, the samples near the top spread 1e-6 in angle
// while all transitions spread about 3, and a regulariser of 1e-6 times
// the latter halved the slopes the local fits took from the prior there
// (their forward passes then grew to 1e15 within 25 steps).
func FitGMM(data [][]float64, k, iters int, reg float64, rng *rand.Rand) *GMM {
	N, d := len(data), len(data[0])
	k = max(1, min(k, N/(2*d)))
	g := &GMM{k: k, d: d, w: make([]float64, k), mu: mat2(k, d), sigma: mat2(k, d*d), prec: mat2(k, d*d),
		logdet: make([]float64, k), resp: make([]float64, N*k)}
	// The data's variance per dimension scales the regulariser.
	mean, vr := make([]float64, d), make([]float64, d)
	for _, z := range data {
		for i, v := range z {
			mean[i] += v
		}
	}
	for i := range mean {
		mean[i] /= float64(N)
	}
	for _, z := range data {
		for i, v := range z {
			vr[i] += (v - mean[i]) * (v - mean[i])
		}
	}
	for i := range vr {
		vr[i] = reg * math.Max(vr[i]/float64(N), 1e-12)
	}
	// Start from a hard assignment of every row to the nearest of k
	// centres chosen by k-means++ seeding (Arthur & Vassilvitskii 2007:
	// each next centre a row drawn with probability proportional to its
	// squared distance to the nearest centre so far), distances scaled by
	// the data's spread.
	dist := func(z, y []float64) float64 {
		var s float64
		for a, v := range z {
			dv := v - y[a]
			s += dv * dv / (vr[a] / reg)
		}
		return s
	}
	r := make([]float64, N*k)
	near := make([]float64, N)
	owner := make([]int, N)
	first := data[rng.IntN(N)]
	for i, z := range data {
		near[i] = dist(z, first)
	}
	for c := 1; c < k; c++ {
		var total float64
		for _, v := range near {
			total += v
		}
		pick, u := N-1, rng.Float64()*total
		for i, v := range near {
			if u < v {
				pick = i
				break
			}
			u -= v
		}
		for i, z := range data {
			if dd := dist(z, data[pick]); dd < near[i] {
				near[i], owner[i] = dd, c
			}
		}
	}
	for i := range N {
		r[i*k+owner[i]] = 1
	}
	ch := newChol(d)
	floor := make([]float64, d)
	for i, v := range vr {
		floor[i] = 1e-6 * v
	}
	for it := 0; ; it++ {
		g.mStep(data, r, reg, floor, ch)
		if it == iters {
			break
		}
		g.eStep(data, r)
	}
	return g
}

// mStep sets weights, means and covariances from responsibilities r [N*k];
// each covariance's diagonal grows by reg times itself, at least floor.
func (g *GMM) mStep(data [][]float64, r []float64, reg float64, floor []float64, ch *chol) {
	k, d, N := g.k, g.d, len(data)
	for c := range k {
		var wc float64
		mu, sg := g.mu[c], g.sigma[c]
		clear(mu)
		clear(sg)
		for i, z := range data {
			ri := r[i*k+c]
			if ri == 0 {
				continue
			}
			wc += ri
			for a, v := range z {
				mu[a] += ri * v
			}
		}
		g.w[c] = (wc + 1e-10) / (float64(N) + 1e-10*float64(k))
		if wc > 0 {
			for a := range mu {
				mu[a] /= wc
			}
			for i, z := range data {
				ri := r[i*k+c]
				if ri == 0 {
					continue
				}
				for a := range d {
					da := ri * (z[a] - mu[a])
					for b := a; b < d; b++ {
						sg[a*d+b] += da * (z[b] - mu[b])
					}
				}
			}
			for a := range d {
				for b := a; b < d; b++ {
					sg[a*d+b] /= wc
					sg[b*d+a] = sg[a*d+b]
				}
			}
		}
		for a := range d {
			sg[a*d+a] += math.Max(reg*sg[a*d+a], floor[a])
		}
		if !ch.factor(sg) { // cannot happen with vr > 0; keep the component inert
			g.w[c] = 0
			continue
		}
		ch.inverse(g.prec[c])
		g.logdet[c] = ch.logDet()
	}
}

// eStep writes the responsibilities of every row into r [N*k] and keeps
// their logs.
func (g *GMM) eStep(data [][]float64, r []float64) {
	k := g.k
	diff := make([]float64, g.d)
	for i, z := range data {
		g.logResp(g.resp[i*k:(i+1)*k], z, diff)
		for c := range k {
			r[i*k+c] = math.Exp(g.resp[i*k+c])
		}
	}
}

// logResp writes log p(c | z) for every component into dst [k].
func (g *GMM) logResp(dst, z, diff []float64) {
	d := g.d
	mx := math.Inf(-1)
	for c := range g.k {
		if g.w[c] == 0 {
			dst[c] = math.Inf(-1)
			continue
		}
		for a := range d {
			diff[a] = z[a] - g.mu[c][a]
		}
		v := math.Log(g.w[c]) - 0.5*g.logdet[c] - 0.5*quad(g.prec[c], diff, d)
		dst[c] = v
		mx = math.Max(mx, v)
	}
	var s float64
	for c := range g.k {
		s += math.Exp(dst[c] - mx)
	}
	lse := mx + math.Log(s)
	for c := range g.k {
		dst[c] -= lse
	}
}

// Prior writes the moments of the mixture restricted to the points pts:
// the components weighted by the points' mean responsibility, mu0 [d] the
// weighted mean and sigma0 [d*d] the weighted covariance (within plus
// between components). scratch needs 2k + d values.
func (g *GMM) Prior(mu0, sigma0 []float64, pts [][]float64, scratch []float64) {
	k, d := g.k, g.d
	wts, lr, diff := scratch[:k], scratch[k:2*k], scratch[2*k:2*k+d]
	clear(wts)
	for _, z := range pts {
		g.logResp(lr, z, diff)
		for c := range k {
			wts[c] += math.Exp(lr[c])
		}
	}
	var s float64
	for _, w := range wts {
		s += w
	}
	clear(mu0)
	for c, w := range wts {
		wts[c] = w / s
		for a := range d {
			mu0[a] += wts[c] * g.mu[c][a]
		}
	}
	clear(sigma0)
	for c, w := range wts {
		if w == 0 {
			continue
		}
		for a := range d {
			da := g.mu[c][a] - mu0[a]
			for b := range d {
				sigma0[a*d+b] += w * (g.sigma[c][a*d+b] + da*(g.mu[c][b]-mu0[b]))
			}
		}
	}
}

// Components returns the number of mixture components.
func (g *GMM) Components() int { return g.k }
