package control

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mbrl/mbrl/envs"
)

// cemClock is a model whose state counts time, x' = x + 1, with the cost
// c(x, u) = sum_i (u_i - g_i(x))² of a known per-step target g: the
// optimal plan from x = 0 is u_t = g(t), at cost 0 (plus the constant
// terminal term).
type cemClock struct{ m int }

func (c cemClock) StateDim() int                    { return 1 }
func (c cemClock) ActionDim() int                   { return c.m }
func (c cemClock) Next(dst, x, _ []float64)         { dst[0] = x[0] + 1 }
func (c cemClock) Jacobians(fx, fu, _, _ []float64) { fx[0] = 1; clear(fu) }
func (c cemClock) target(i int, t float64) float64 {
	return 0.8*math.Sin(0.5*t+float64(i)) + 0.3*float64(i)
}
func (c cemClock) Cost(x, u []float64) float64 {
	var s float64
	for i, v := range u {
		d := v - c.target(i, x[0])
		s += d * d
	}
	return s
}
func (c cemClock) CostDerivs(d *envs.CostDerivs, x, u []float64) { d.L = c.Cost(x, u) }

// cemLinear is x' = A x + B u with c = x'Qx + u'Ru: a convex quadratic in
// the plan whose optimum iLQR finds exactly in one iteration.
type cemLinear struct{}

func (cemLinear) StateDim() int  { return 2 }
func (cemLinear) ActionDim() int { return 1 }
func (cemLinear) Next(dst, x, u []float64) {
	a, b := x[0]+0.1*x[1], x[1]+0.1*u[0]
	dst[0], dst[1] = a, b
}
func (cemLinear) Jacobians(fx, fu, _, _ []float64) {
	copy(fx, []float64{1, 0.1, 0, 1})
	copy(fu, []float64{0, 0.1})
}
func (cemLinear) Cost(x, u []float64) float64 { return x[0]*x[0] + 0.1*x[1]*x[1] + 0.01*u[0]*u[0] }
func (l cemLinear) CostDerivs(d *envs.CostDerivs, x, u []float64) {
	d.L = l.Cost(x, u)
	d.Lx[0], d.Lx[1] = 2*x[0], 0.2*x[1]
	copy(d.Lxx, []float64{2, 0, 0, 0.2})
	d.Lu[0], d.Luu[0] = 0.02*u[0], 0.02
	clear(d.Lux)
}

func TestCEMFindsKnownQuadraticOptimum(t *testing.T) {
	cases := []struct {
		name      string
		model     Model
		cost      Cost
		x0        []float64
		low, high []float64
		tolU      float64 // max |u_t - u*_t|
		tolCost   float64 // excess cost over the optimum
	}{
		{"per-step targets, 2 actions", cemClock{m: 2}, cemClock{m: 2}, []float64{0}, []float64{-2, -2}, []float64{2, 2}, 2e-3, 1e-5},
		{"linear-quadratic", cemLinear{}, cemLinear{}, []float64{1, -0.5}, []float64{-10}, []float64{10}, 2e-3, 1e-5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			const H = 12
			s := &CEMSettings{Horizon: H, Samples: 300, Elites: 20, Iters: 30, Low: c.low, High: c.high, Rng: rand.New(rand.NewPCG(1, 2))}
			cem, err := NewCEM(c.model, c.cost, s)
			if err != nil {
				t.Fatal(err)
			}
			u0 := make([]float64, c.model.ActionDim())
			if err := cem.Step(u0, c.x0); err != nil {
				t.Fatal(err)
			}
			// The optimum: targets, or iLQR (exact on an LQ problem).
			want := make([][]float64, H)
			var optCost float64
			if ck, ok := c.model.(cemClock); ok {
				for tt := range H {
					want[tt] = []float64{ck.target(0, float64(tt)), ck.target(1, float64(tt))}
				}
				optCost = ck.Cost([]float64{H}, []float64{0, 0}) // terminal term only
			} else {
				il, err := NewILQR(c.model, c.cost, H, &ILQRSettings{Low: c.low, High: c.high})
				if err != nil {
					t.Fatal(err)
				}
				sol, err := il.Solve(c.x0, nil)
				if err != nil {
					t.Fatal(err)
				}
				want, optCost = sol.U, sol.Cost
			}
			var worst float64
			for tt, ut := range cem.Plan() {
				for i := range ut {
					worst = math.Max(worst, math.Abs(ut[i]-want[tt][i]))
				}
			}
			if worst > c.tolU {
				t.Errorf("plan differs from the optimum by up to %.3g (> %.3g):\n%v\n%v", worst, c.tolU, cem.Plan(), want)
			}
			if !slices.Equal(u0, cem.Plan()[0]) {
				t.Errorf("action %v is not the plan's first %v", u0, cem.Plan()[0])
			}
			t.Logf("plan cost %.8g, optimum %.8g, max |u - u*| %.3g", cem.Cost(), optCost, worst)
			if excess := cem.Cost() - optCost; excess < -1e-9 || excess > c.tolCost {
				t.Errorf("plan cost %.8g, optimum %.8g (excess %.3g > %.3g)", cem.Cost(), optCost, excess, c.tolCost)
			}
		})
	}
}

func TestCEMDeterministicWarmStartedAndBounded(t *testing.T) {
	mk := func() *CEM {
		c, err := NewCEM(cemClock{m: 1}, cemClock{m: 1}, &CEMSettings{Horizon: 8, Samples: 30, Iters: 3, Low: []float64{-0.5}, High: []float64{0.5}})
		if err != nil {
			t.Fatal(err)
		}
		c.Reset(rand.New(rand.NewPCG(4, 4)))
		return c
	}
	run := func(c *CEM) []float64 {
		var acts []float64
		x := []float64{0}
		u := make([]float64, 1)
		for range 10 {
			if err := c.Step(u, x); err != nil {
				t.Fatal(err)
			}
			acts = append(acts, u[0])
			x[0]++
		}
		return acts
	}
	a, b := run(mk()), run(mk())
	if !slices.Equal(a, b) {
		t.Fatalf("same stream, different actions:\n%v\n%v", a, b)
	}
	for _, v := range a {
		if v < -0.5 || v > 0.5 {
			t.Fatalf("action %v outside [-0.5, 0.5]", v)
		}
	}
	// Warm start: after a step the mean is the previous plan shifted.
	c := mk()
	u := make([]float64, 1)
	c.Step(u, []float64{0})
	prevMean := slices.Clone(c.mean)
	c.s.Iters = 0 // no sampling: Step only shifts
	c.Step(u, []float64{1})
	if !slices.Equal(c.mean[:7], prevMean[1:]) || c.mean[7] != 0 {
		t.Fatalf("mean not shifted: %v from %v", c.mean, prevMean)
	}
	// A clone starts from the source's plan and does not disturb it.
	c1 := mk()
	c1.Step(u, []float64{0})
	m1 := slices.Clone(c1.mean)
	c2 := c1.Clone()
	if !slices.Equal(c2.mean, m1) || !c2.planned {
		t.Fatal("clone lost the plan")
	}
	c2.Step(u, []float64{1})
	if !slices.Equal(c1.mean, m1) {
		t.Fatal("stepping a clone changed the source")
	}
}

func TestCEMSettingsErrors(t *testing.T) {
	bad := []CEMSettings{
		{Samples: 10, Elites: 11},
		{Alpha: 1},
		{Low: []float64{1}, High: []float64{0}},
		{Low: []float64{1}},
	}
	for i, s := range bad {
		if _, err := NewCEM(cemClock{m: 1}, cemClock{m: 1}, &s); err == nil {
			t.Errorf("settings %d %+v accepted", i, s)
		}
	}
}
