// The cross-entropy method as a receding-horizon planner, after
//
//	R. Y. Rubinstein, "Optimization of computer simulation models with
//	rare events", European Journal of Operational Research 1997, and its
//	use for MPC in K. Chua et al., "Deep Reinforcement Learning in a
//	Handful of Trials using Probabilistic Dynamics Models", NeurIPS 2018
//	(PETS, Sec. 5 and Appendix: Gaussian over the control sequence, N
//	samples, K elites, smoothed updates, mean shifted by one step between
//	time steps).
//
// CEM needs no Jacobians, so it is the planner of choice where a learned
// model's derivatives are poor away from its data.

package control

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Planner is a receding-horizon planner: Step plans from state x, warm
// started from the previous step's plan shifted by one step, with a fixed
// budget, and writes the first action into dst; Reset forgets the plan
// (a new episode) and, if rng is non-nil, makes it the planner's random
// stream; Plan returns the current plan [H][m]. *MPC (iLQR) and *CEM are
// Planners. A Planner is not safe for concurrent use: build one per
// goroutine.
type Planner interface {
	Step(dst, x []float64) error
	Reset(rng *rand.Rand)
	Plan() [][]float64
}

var (
	_ Planner = (*MPC)(nil)
	_ Planner = (*CEM)(nil)
)

// CEMSettings configures CEM. The zero value of every field means its
// default (DefaultCEMSettings lists them); Validate rejects values out of
// range.
type CEMSettings struct {
	// Horizon is the planning horizon H (default 20).
	Horizon int
	// Samples is N, the control sequences sampled per iteration (default
	// 100).
	Samples int
	// Elites is K, the cheapest samples the distribution is refitted to
	// (default max(N/10, 2)).
	Elites int
	// Iters is the number of CEM iterations per step (default 4).
	Iters int
	// Alpha smooths the updates: mean = Alpha mean + (1-Alpha) elite mean,
	// and the same for the standard deviation (default 0.1, as PETS).
	Alpha float64
	// InitStd is the standard deviation each step starts from: a fraction
	// of the half-width (high-low)/2 of a bounded dimension, or the
	// absolute value for an unbounded one (default 0.5).
	InitStd float64
	// Low and High bound the controls (nil: unbounded); samples are
	// clipped into them.
	Low, High []float64
	// Rng is the sampling stream (default PCG(1, 0)); Reset replaces it.
	Rng *rand.Rand
}

// CEM is a sampling-based receding-horizon planner. Each Step starts from
// a Gaussian over the H x m control sequence whose mean is the previous
// step's mean shifted by one step (the new last step at the middle of the
// bounds) and whose standard deviation is InitStd; each of Iters
// iterations samples N sequences (the first is the current mean), clips
// them into the bounds, rolls them out through the model from x, scores
// them with the trajectory cost sum_{t<H} c(x_t, u_t) + c(x_H, 0) (iLQR's
// convention) and refits mean and deviation to the K cheapest with
// smoothing Alpha. The first action of the cheapest sequence seen is
// applied. The budget per step is fixed: N*Iters rollouts of H steps.
//
// With a learned.Model stacking the members of an ensemble and an
// EnsembleCost, each sample is rolled out by every member and scored by
// the members' mean cost (PETS trajectory sampling).
type CEM struct {
	model Model
	cost  Cost
	s     CEMSettings
	H, m  int

	mean, std []float64 // [H*m]
	samples   []float64 // [N, H*m]
	costs     []float64 // [N]
	order     []int
	best      []float64 // [H*m] cheapest sequence of the last Step
	bestCost  float64
	x, xn     []float64
	zeroU     []float64
	init      []float64 // [m] initial std
	mid       []float64 // [m] middle of the bounds
	plan      [][]float64
	planned   bool
}

// NewCEM returns a CEM planner over model and cost.
func NewCEM(model Model, cost Cost, settings *CEMSettings) (*CEM, error) {
	var s CEMSettings
	if settings != nil {
		s = *settings
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s.fill()
	m := model.ActionDim()
	switch {
	case s.Elites > s.Samples:
		return nil, fmt.Errorf("control: CEM with %d elites of %d samples", s.Elites, s.Samples)
	case s.Alpha < 0 || s.Alpha >= 1:
		return nil, fmt.Errorf("control: CEM smoothing %v not in [0, 1)", s.Alpha)
	case (s.Low == nil) != (s.High == nil) || (s.Low != nil && (len(s.Low) != m || len(s.High) != m)):
		return nil, fmt.Errorf("control: CEM bounds of %d and %d values for %d actions", len(s.Low), len(s.High), m)
	}
	if s.Low != nil {
		s.Low, s.High = slices.Clone(s.Low), slices.Clone(s.High)
		for i := range m {
			if !(s.Low[i] <= s.High[i]) {
				return nil, fmt.Errorf("control: CEM bound %d: low %g > high %g", i, s.Low[i], s.High[i])
			}
		}
	}
	H, N := s.Horizon, s.Samples
	c := &CEM{model: model, cost: cost, s: s, H: H, m: m,
		mean: make([]float64, H*m), std: make([]float64, H*m),
		samples: make([]float64, N*H*m), costs: make([]float64, N), order: make([]int, N),
		best: make([]float64, H*m), x: make([]float64, model.StateDim()), xn: make([]float64, model.StateDim()),
		zeroU: make([]float64, m), init: make([]float64, m), mid: make([]float64, m),
	}
	for i := range m {
		c.init[i] = s.InitStd
		if s.Low != nil && !math.IsInf(s.Low[i], 0) && !math.IsInf(s.High[i], 0) {
			c.init[i] = s.InitStd * (s.High[i] - s.Low[i]) / 2
			c.mid[i] = (s.Low[i] + s.High[i]) / 2
		}
	}
	c.plan = make([][]float64, H)
	for t := range H {
		c.plan[t] = c.best[t*m : (t+1)*m : (t+1)*m]
	}
	c.Reset(nil)
	return c, nil
}

// Settings returns the effective settings.
func (c *CEM) Settings() CEMSettings { return c.s }

// Reset forgets the plan (the next Step starts from the middle of the
// bounds) and, if rng is non-nil, makes it the sampling stream.
func (c *CEM) Reset(rng *rand.Rand) {
	if rng != nil {
		c.s.Rng = rng
	}
	for t := range c.H {
		copy(c.mean[t*c.m:(t+1)*c.m], c.mid)
	}
	c.planned = false
}

// Clone returns an independent planner with the same settings, model and
// cost (which must then be safe for concurrent use, or be replaced: see
// learned.Model.Clone) and a copy of the current mean; its stream is the
// default PCG(1, 0) until Reset gives it one. Clone only reads c, so
// goroutines may clone one prototype at the same time.
func (c *CEM) Clone() *CEM {
	s := c.s
	s.Rng = nil
	d, err := NewCEM(c.model, c.cost, &s)
	if err != nil {
		panic(err) // the settings were valid for c
	}
	copy(d.mean, c.mean)
	d.planned = c.planned
	return d
}

// Plan returns the cheapest control sequence of the last Step ([H][m],
// the CEM's own slices).
func (c *CEM) Plan() [][]float64 { return c.plan }

// Cost returns the trajectory cost of the last Step's plan.
func (c *CEM) Cost() float64 { return c.bestCost }

// clip clips u into the bounds in place.
func (c *CEM) clip(u []float64) {
	if c.s.Low == nil {
		return
	}
	for i, v := range u {
		k := i % c.m
		u[i] = math.Min(math.Max(v, c.s.Low[k]), c.s.High[k])
	}
}

// rollout returns the trajectory cost of the controls u [H*m] from x0.
func (c *CEM) rollout(x0, u []float64) float64 {
	x, xn := c.x, c.xn
	copy(x, x0)
	var J float64
	for t := range c.H {
		ut := u[t*c.m : (t+1)*c.m]
		J += c.cost.Cost(x, ut)
		c.model.Next(xn, x, ut)
		x, xn = xn, x
	}
	J += c.cost.Cost(x, c.zeroU)
	return J
}

// Step plans from x and writes the first action into dst. It returns an
// error if no sampled sequence has a finite cost (dst is then the middle
// of the bounds).
func (c *CEM) Step(dst, x []float64) error {
	H, m, N, K := c.H, c.m, c.s.Samples, c.s.Elites
	hm := H * m
	if c.planned {
		copy(c.mean, c.mean[m:])
		copy(c.mean[hm-m:], c.mid)
	}
	for t := range H {
		copy(c.std[t*m:(t+1)*m], c.init)
	}
	c.bestCost = math.Inf(1)
	rng, alpha := c.s.Rng, c.s.Alpha
	for range c.s.Iters {
		for k := range N {
			u := c.samples[k*hm : (k+1)*hm]
			if k == 0 {
				copy(u, c.mean)
			} else {
				for i := range u {
					u[i] = c.mean[i] + c.std[i]*rng.NormFloat64()
				}
			}
			c.clip(u)
			J := c.rollout(x, u)
			if math.IsNaN(J) {
				J = math.Inf(1)
			}
			c.costs[k] = J
			c.order[k] = k
			if J < c.bestCost {
				c.bestCost = J
				copy(c.best, u)
			}
		}
		// The K cheapest samples (stable order for equal costs).
		slices.SortStableFunc(c.order, func(a, b int) int {
			switch {
			case c.costs[a] < c.costs[b]:
				return -1
			case c.costs[a] > c.costs[b]:
				return 1
			}
			return 0
		})
		for i := range hm {
			var mu float64
			for _, k := range c.order[:K] {
				mu += c.samples[k*hm+i]
			}
			mu /= float64(K)
			var v float64
			for _, k := range c.order[:K] {
				d := c.samples[k*hm+i] - mu
				v += d * d
			}
			sd := math.Sqrt(v / float64(K))
			c.mean[i] = alpha*c.mean[i] + (1-alpha)*mu
			c.std[i] = alpha*c.std[i] + (1-alpha)*sd
		}
	}
	c.planned = true
	if math.IsInf(c.bestCost, 1) {
		copy(dst, c.mid)
		copy(c.best, c.mean)
		return fmt.Errorf("control: CEM: every sampled plan has a non-finite cost")
	}
	copy(dst, c.best[:m])
	return nil
}
