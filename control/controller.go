package control

import (
	"fmt"
	"math/rand/v2"
)

// LinearGaussianController is a time-varying linear-Gaussian controller
//
//	u_t = K[t] x_t + Offset[t] + e_t,  e_t ~ N(0, Sigma_t),
//
// with K[t] [m, n] row-major, Offset[t] [m] and Sigma_t [m, m] for
// t = 0..H-1. For t >= H the last step's parameters are used, so a one-step
// controller is stationary (infinite-horizon LQR). This is the controller
// class of guided policy search (Levine & Abbeel 2014).
//
// Mean, Sample and Cov are safe for concurrent use; Act and Reset keep a
// step counter and are not (use Clone per goroutine).
type LinearGaussianController struct {
	K      [][]float64 // [H][m*n]
	Offset [][]float64 // [H][m]

	n, m int
	cov  [][]float64 // [H][m*m], nil entries mean zero covariance
	chol [][]float64 // lower Cholesky factors of cov
	t    int         // step counter of Act
	rng  *rand.Rand  // noise stream of Act; nil means the mean action
}

// NewLinearGaussianController returns a zero controller (u = 0, no noise)
// for n states, m actions and horizon H >= 1.
func NewLinearGaussianController(n, m, H int) *LinearGaussianController {
	c := &LinearGaussianController{
		K: make([][]float64, H), Offset: make([][]float64, H),
		n: n, m: m, cov: make([][]float64, H), chol: make([][]float64, H),
	}
	for t := range H {
		c.K[t] = make([]float64, m*n)
		c.Offset[t] = make([]float64, m)
	}
	return c
}

// StateDim returns n.
func (c *LinearGaussianController) StateDim() int { return c.n }

// ActionDim returns m.
func (c *LinearGaussianController) ActionDim() int { return c.m }

// Horizon returns H, the number of time-indexed steps.
func (c *LinearGaussianController) Horizon() int { return len(c.K) }

func (c *LinearGaussianController) step(t int) int {
	if t < 0 {
		return 0
	}
	return min(t, len(c.K)-1)
}

// SetCov sets the noise covariance Sigma_t [m*m] (row-major, symmetric
// positive definite) of step t; nil sets it to zero.
func (c *LinearGaussianController) SetCov(t int, cov []float64) error {
	if cov == nil {
		c.cov[t], c.chol[t] = nil, nil
		return nil
	}
	if len(cov) != c.m*c.m {
		return fmt.Errorf("control: covariance has %d entries, want %d", len(cov), c.m*c.m)
	}
	l := make([]float64, len(cov))
	copy(l, cov)
	if !Cholesky(l, c.m) {
		return fmt.Errorf("%w: covariance of step %d", ErrNotPositiveDefinite, t)
	}
	c.cov[t] = append([]float64(nil), cov...)
	c.chol[t] = l
	return nil
}

// Cov returns Sigma_t (nil for zero covariance). The slice is the
// controller's own; do not modify it.
func (c *LinearGaussianController) Cov(t int) []float64 { return c.cov[c.step(t)] }

// Mean writes the mean action K[t] x + Offset[t] into dst.
func (c *LinearGaussianController) Mean(dst []float64, t int, x []float64) {
	t = c.step(t)
	K, k, n := c.K[t], c.Offset[t], c.n
	for i := range c.m {
		v := k[i]
		for j := range n {
			v += K[i*n+j] * x[j]
		}
		dst[i] = v
	}
}

// Sample writes a draw of u_t given x into dst using rng.
func (c *LinearGaussianController) Sample(dst []float64, t int, x []float64, rng *rand.Rand) {
	c.Mean(dst, t, x)
	L := c.chol[c.step(t)]
	if L == nil {
		return
	}
	m := c.m
	var buf [8]float64
	z := buf[:0]
	if m > len(buf) {
		z = make([]float64, 0, m)
	}
	for range m {
		z = append(z, rng.NormFloat64())
	}
	for i := range m {
		var v float64
		for j := 0; j <= i; j++ {
			v += L[i*m+j] * z[j]
		}
		dst[i] += v
	}
}

// Reset restarts the step counter of Act at t = 0. With a non-nil rng, Act
// samples from the controller with it; with nil, Act returns the mean.
func (c *LinearGaussianController) Reset(rng *rand.Rand) {
	c.t = 0
	c.rng = rng
}

// Act writes the action for state x at the controller's internal step and
// advances the step: the mean action, or a sample if Reset was given an rng.
// Here the "observation" is the state x the gains act on.
func (c *LinearGaussianController) Act(dst, x []float64) {
	if c.rng != nil {
		c.Sample(dst, c.t, x, c.rng)
	} else {
		c.Mean(dst, c.t, x)
	}
	c.t++
}

// Clone returns a deep copy (step counter reset, no rng).
func (c *LinearGaussianController) Clone() *LinearGaussianController {
	d := NewLinearGaussianController(c.n, c.m, len(c.K))
	for t := range c.K {
		copy(d.K[t], c.K[t])
		copy(d.Offset[t], c.Offset[t])
		if c.cov[t] != nil {
			d.cov[t] = append([]float64(nil), c.cov[t]...)
			d.chol[t] = append([]float64(nil), c.chol[t]...)
		}
	}
	return d
}
