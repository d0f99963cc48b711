package autodiff

import (
	"math"
	"testing"
)

func TestNumericGradient(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(x []float64) float64
		grad func(x []float64) []float64
		x    []float64
		tol  float64 // central differences with eps 1e-6: ~1e-10 for O(1) values and derivatives
	}{
		{
			"quadratic", // exact for central differences up to rounding
			func(x []float64) float64 { return x[0]*x[0] + 3*x[0]*x[1] - 2*x[1]*x[1] },
			func(x []float64) []float64 { return []float64{2*x[0] + 3*x[1], 3*x[0] - 4*x[1]} },
			[]float64{0.7, -1.3}, 1e-9,
		},
		{
			"sin exp",
			func(x []float64) float64 { return math.Sin(x[0]) * math.Exp(x[1]) },
			func(x []float64) []float64 {
				return []float64{math.Cos(x[0]) * math.Exp(x[1]), math.Sin(x[0]) * math.Exp(x[1])}
			},
			[]float64{0.4, 0.2}, 1e-9,
		},
		{
			"sum tanh",
			func(x []float64) float64 {
				s := 0.0
				for _, v := range x {
					s += math.Tanh(v)
				}
				return s
			},
			func(x []float64) []float64 {
				g := make([]float64, len(x))
				for i, v := range x {
					th := math.Tanh(v)
					g[i] = 1 - th*th
				}
				return g
			},
			[]float64{-2, -0.5, 0, 0.5, 2}, 1e-9,
		},
	} {
		x := append([]float64(nil), tc.x...)
		num := NumericGradient(tc.f, x, 0)
		for i := range x {
			if x[i] != tc.x[i] {
				t.Errorf("%s: x[%d] not restored: %v, was %v", tc.name, i, x[i], tc.x[i])
			}
		}
		if e := MaxRelError(num, tc.grad(x)); e > tc.tol {
			t.Errorf("%s: numeric %v vs analytic %v: rel err %g > %g", tc.name, num, tc.grad(x), e, tc.tol)
		}
		if e := CheckGradient(tc.f, tc.grad(x), x, 1e-6); e > tc.tol {
			t.Errorf("%s: CheckGradient of the right gradient = %g > %g", tc.name, e, tc.tol)
		}
		// A wrong gradient: one element off by 10% of the scale.
		bad := tc.grad(x)
		bad[len(bad)-1] += 0.1 * math.Max(1, math.Abs(bad[len(bad)-1]))
		if e := CheckGradient(tc.f, bad, x, 1e-6); e < 0.05 {
			t.Errorf("%s: CheckGradient of a wrong gradient = %g, want >= 0.05", tc.name, e)
		}
	}
}

func TestNumericJacobian(t *testing.T) {
	// f(x) = [x0*x1, sin(x2), x0+x1+x2], J = [[x1, x0, 0], [0, 0, cos x2], [1, 1, 1]].
	f := func(dst, x []float64) {
		dst[0] = x[0] * x[1]
		dst[1] = math.Sin(x[2])
		dst[2] = x[0] + x[1] + x[2]
	}
	x := []float64{0.5, -2, 1.1}
	want := []float64{-2, 0.5, 0, 0, 0, math.Cos(1.1), 1, 1, 1}
	got := NumericJacobian(f, 3, x, 0)
	if e := MaxRelError(got, want); e > 1e-9 {
		t.Errorf("NumericJacobian = %v, want %v (rel err %g)", got, want, e)
	}
	if x[0] != 0.5 || x[1] != -2 || x[2] != 1.1 {
		t.Errorf("x not restored: %v", x)
	}
	// Non-square: 1 output, 2 inputs.
	got = NumericJacobian(func(dst, x []float64) { dst[0] = x[0] - 3*x[1] }, 1, []float64{1, 2}, 1e-4)
	if e := MaxRelError(got, []float64{1, -3}); e > 1e-10 {
		t.Errorf("linear NumericJacobian = %v, rel err %g", got, e)
	}
}

func TestMaxRelError(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, tc := range []struct {
		name string
		a, b []float64
		want float64
	}{
		{"empty", nil, nil, 0},
		{"equal", []float64{1, -2, 3}, []float64{1, -2, 3}, 0},
		{"both zero", []float64{0, 0}, []float64{0, 0}, 0},
		{"both tiny", []float64{1e-20}, []float64{3e-20}, 2e-12},
		{"scale of vector", []float64{10, 1e-12}, []float64{10, 3e-12}, 2e-13},
		{"relative", []float64{100, 1}, []float64{100, 2}, 0.01},
		{"sign flip", []float64{1}, []float64{-1}, 2},
		{"nan", []float64{1, nan}, []float64{1, 0}, inf},
		{"inf both", []float64{inf}, []float64{inf}, inf},
	} {
		got := MaxRelError(tc.a, tc.b)
		if math.Abs(got-tc.want) > 1e-15*math.Max(1, tc.want) && !(math.IsInf(got, 1) && math.IsInf(tc.want, 1)) {
			t.Errorf("%s: MaxRelError = %g, want %g", tc.name, got, tc.want)
		}
		if back := MaxRelError(tc.b, tc.a); back != got && !(math.IsInf(back, 1) && math.IsInf(got, 1)) {
			t.Errorf("%s: not symmetric: %g vs %g", tc.name, got, back)
		}
	}
}
