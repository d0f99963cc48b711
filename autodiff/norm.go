package autodiff

import (
	"math"

	"gonum.org/v1/gonum/floats"
)

// maxAbs returns the largest |x_i| over the given slices' elements and
// whether any element is NaN or infinite.
func maxAbs(m float64, x []float64, inf, nan *bool) float64 {
	for _, v := range x {
		a := math.Abs(v)
		switch {
		case a > m:
			if math.IsInf(a, 1) {
				*inf = true
				continue
			}
			m = a
		case a != a:
			*nan = true
		}
	}
	return m
}

// Plain sums of squares are exact enough and cannot overflow or underflow
// when the largest element is within [safeMin, safeMax]: 1e200 times the
// number of elements is far from overflow, and elements below
// 1e-100·safeMin contribute less than an ulp.
const (
	safeMin = 1e-100
	safeMax = 1e100
)

// sumSquares returns ssq + Σ (x_i·2^-e)². Scaling by a power of two is
// exact (barring underflow of elements negligible next to the largest).
func sumSquares(ssq float64, x []float64, e int) float64 {
	if e == 0 {
		return ssq + floats.Dot(x, x)
	}
	for _, v := range x {
		v = math.Ldexp(v, -e)
		ssq += v * v
	}
	return ssq
}

// normExp returns the binary exponent e by which to scale elements of
// largest magnitude m before squaring: 0 when m is in the safe range,
// otherwise the exponent that brings m into [0.5, 1).
func normExp(m float64) int {
	if m >= safeMin && m <= safeMax {
		return 0
	}
	_, e := math.Frexp(m)
	return e
}

// GlobalNorm returns the Euclidean norm of all elements of all slices of
// grads taken together, sqrt(Σ_i Σ_j grads[i][j]²). When the largest
// element is outside [1e-100, 1e100] it scales all elements by a power of
// two before squaring, so elements as large as 1e200 (or math.MaxFloat64)
// or as small as 1e-200 give the right answer without overflow or
// underflow. The result is NaN if any element is NaN, otherwise +Inf if any
// element is infinite. Nil or empty slices contribute nothing;
// GlobalNorm(nil) is 0.
func GlobalNorm(grads [][]float64) float64 {
	var m float64
	var inf, nan bool
	for _, g := range grads {
		m = maxAbs(m, g, &inf, &nan)
	}
	switch {
	case nan:
		return math.NaN()
	case inf:
		return math.Inf(1)
	case m == 0:
		return 0
	}
	e := normExp(m)
	var ssq float64
	for _, g := range grads {
		ssq = sumSquares(ssq, g, e)
	}
	return math.Ldexp(math.Sqrt(ssq), e)
}

// GroupNorms returns the Euclidean norm of each group of slices: element k
// of the result, of length nGroups, is the GlobalNorm of the slices
// grads[i] with groups[i] == k (0 for a group with no slices). A typical use
// is one norm per layer or per network when grads holds the gradients of
// several. GroupNorms panics if len(groups) != len(grads) or a group index is
// outside [0, nGroups): both are programmer errors.
func GroupNorms(grads [][]float64, groups []int, nGroups int) []float64 {
	if len(groups) != len(grads) {
		panic("autodiff: GroupNorms: len(groups) != len(grads)")
	}
	members := make([][][]float64, nGroups)
	for i, g := range grads {
		k := groups[i]
		if k < 0 || k >= nGroups {
			panic("autodiff: GroupNorms: group index out of range")
		}
		members[k] = append(members[k], g)
	}
	norms := make([]float64, nGroups)
	for k, m := range members {
		norms[k] = GlobalNorm(m)
	}
	return norms
}

// ClipByGlobalNorm rescales grads in place so that their global norm (see
// GlobalNorm) is at most maxNorm, and returns the norm before clipping
// (useful for logging). When the norm is larger than maxNorm every element is
// multiplied by maxNorm/norm, which keeps the direction of the whole
// gradient (Pascanu, Mikolov & Bengio 2013, "On the difficulty of training
// recurrent neural networks", Algorithm 1); otherwise grads are left
// untouched. maxNorm <= 0 disables clipping. A NaN or infinite norm cannot be
// scaled meaningfully: grads are then left untouched and the NaN or +Inf is
// returned for the caller to act on.
func ClipByGlobalNorm(grads [][]float64, maxNorm float64) (preClip float64) {
	norm := GlobalNorm(grads)
	if maxNorm <= 0 || !(norm > maxNorm) || math.IsInf(norm, 1) { // NaN > maxNorm is false
		return norm
	}
	s := maxNorm / norm
	for _, g := range grads {
		for j := range g {
			g[j] *= s
		}
	}
	return norm
}
