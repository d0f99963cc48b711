package autodiff

import "math"

// DefaultEps is the finite-difference step used when a non-positive eps is
// given. For central differences in float64 the truncation error is O(eps²)
// and the rounding error O(1e-16/eps); 1e-6 balances both for functions whose
// values and third derivatives are of order 1, giving about 1e-10 accuracy.
const DefaultEps = 1e-6

// NumericGradient returns the gradient of f at x by central differences,
// g_j = (f(x + eps·e_j) - f(x - eps·e_j)) / (2·eps), using 2·len(x) calls of
// f. It perturbs x in place and restores every element to its exact
// original value before returning, so f must not keep x. eps <= 0 means
// DefaultEps.
func NumericGradient(f func(x []float64) float64, x []float64, eps float64) []float64 {
	if eps <= 0 {
		eps = DefaultEps
	}
	g := make([]float64, len(x))
	for j, xj := range x {
		x[j] = xj + eps
		fp := f(x)
		x[j] = xj - eps
		fm := f(x)
		x[j] = xj
		g[j] = (fp - fm) / (2 * eps)
	}
	return g
}

// NumericJacobian returns the Jacobian of f at x by central differences, as
// a row-major [nOut, len(x)] slice: element o*len(x)+j is ∂f_o/∂x_j. The
// function f writes its nOut outputs into dst (len(dst) == nOut) for input
// x. It uses 2·len(x) calls of f, perturbs x in place and restores it
// exactly before returning. eps <= 0 means DefaultEps.
func NumericJacobian(f func(dst, x []float64), nOut int, x []float64, eps float64) []float64 {
	if eps <= 0 {
		eps = DefaultEps
	}
	n := len(x)
	jac := make([]float64, nOut*n)
	fp := make([]float64, nOut)
	fm := make([]float64, nOut)
	for j, xj := range x {
		x[j] = xj + eps
		f(fp, x)
		x[j] = xj - eps
		f(fm, x)
		x[j] = xj
		for o := 0; o < nOut; o++ {
			jac[o*n+j] = (fp[o] - fm[o]) / (2 * eps)
		}
	}
	return jac
}

// RelErrFloor is the smallest scale MaxRelError divides by, so that two
// vectors that are both zero (or both tiny) compare as equal rather than
// giving 0/0.
const RelErrFloor = 1e-8

// MaxRelError returns the largest elementwise difference between a and b
// relative to the scale of the whole pair of vectors:
//
//	MaxRelError(a, b) = max_i |a_i - b_i| / max(RelErrFloor, max_i max(|a_i|, |b_i|))
//
// Dividing by the vector's scale rather than by each element's own magnitude
// keeps the measure meaningful for elements that are (nearly) zero in both,
// where a per-element ratio would amplify rounding noise: an element of a
// gradient that is 1e-12 in one and 3e-12 in the other counts as agreeing
// when other elements are of order 1. When both vectors are entirely below
// RelErrFloor in magnitude the result is an absolute error divided by 1e-8.
// The result is +Inf if an element is NaN or infinite in either vector (two
// equal infinities included: they carry no information), and 0 for empty
// vectors. MaxRelError panics if len(a) != len(b).
func MaxRelError(a, b []float64) float64 {
	if len(a) != len(b) {
		panic("autodiff: MaxRelError: slices of different lengths")
	}
	var diff, scale float64
	for i, ai := range a {
		bi := b[i]
		if math.IsNaN(ai) || math.IsNaN(bi) || math.IsInf(ai, 0) || math.IsInf(bi, 0) {
			return math.Inf(1)
		}
		diff = math.Max(diff, math.Abs(ai-bi))
		scale = math.Max(scale, math.Max(math.Abs(ai), math.Abs(bi)))
	}
	return diff / math.Max(RelErrFloor, scale)
}

// CheckGradient compares an analytic gradient grad of f at x with central
// differences (NumericGradient with step eps, DefaultEps if eps <= 0) and
// returns their MaxRelError. A correct float64 gradient of a smooth function
// of order-1 values typically gives 1e-9 or less; a wrong one gives order
// 1e-2 or more. x is restored exactly. CheckGradient panics if
// len(grad) != len(x).
func CheckGradient(f func(x []float64) float64, grad []float64, x []float64, eps float64) (relErr float64) {
	if len(grad) != len(x) {
		panic("autodiff: CheckGradient: len(grad) != len(x)")
	}
	return MaxRelError(grad, NumericGradient(f, x, eps))
}
