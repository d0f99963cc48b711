package control

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestLinearGaussianController(t *testing.T) {
	c := NewLinearGaussianController(2, 2, 3)
	for tt := range 3 {
		c.K[tt] = []float64{1, float64(tt), 0, -1}
		c.Offset[tt] = []float64{0.5, -0.5}
	}
	cov := []float64{1, 0.6, 0.6, 2}
	if err := c.SetCov(1, cov); err != nil {
		t.Fatal(err)
	}
	if err := c.SetCov(0, []float64{1, 2, 2, 1}); !errors.Is(err, ErrNotPositiveDefinite) {
		t.Errorf("indefinite covariance: error %v", err)
	}
	x := []float64{2, 3}
	u := make([]float64, 2)
	c.Mean(u, 1, x)
	if u[0] != 2+3+0.5 || u[1] != -3-0.5 {
		t.Errorf("mean %v, want [5.5 -3.5]", u)
	}
	// Steps past the horizon use the last step.
	c.Mean(u, 10, x)
	if u[0] != 2+6+0.5 {
		t.Errorf("mean at t = 10: %v, want step 2's", u)
	}
	// Empirical mean and covariance of Sample at t = 1 (4e4 draws: the
	// standard error of each moment is below 0.02).
	rng := rand.New(rand.NewPCG(1, 1))
	const N = 40000
	var m0, m1, c00, c01, c11 float64
	for range N {
		c.Sample(u, 1, x, rng)
		d0, d1 := u[0]-5.5, u[1]+3.5
		m0, m1 = m0+d0, m1+d1
		c00, c01, c11 = c00+d0*d0, c01+d0*d1, c11+d1*d1
	}
	for _, e := range []struct {
		name      string
		got, want float64
	}{{"mean0", m0 / N, 0}, {"mean1", m1 / N, 0}, {"cov00", c00 / N, 1}, {"cov01", c01 / N, 0.6}, {"cov11", c11 / N, 2}} {
		if math.Abs(e.got-e.want) > 0.05 {
			t.Errorf("%s = %g, want %g", e.name, e.got, e.want)
		}
	}
	// Act walks through time; Clone is independent.
	d := c.Clone()
	c.Reset(nil)
	c.Act(u, x) // t = 0
	c.Act(u, x) // t = 1
	c.Act(u, x) // t = 2
	if u[0] != 8.5 {
		t.Errorf("third Act %v, want step 2's mean", u)
	}
	d.K[2][1] = 100
	c.Mean(u, 2, x)
	if u[0] != 8.5 {
		t.Error("Clone shares gains with the original")
	}
	if got := d.Cov(1); len(got) != 4 || got[1] != 0.6 {
		t.Errorf("clone covariance %v", got)
	}
}
