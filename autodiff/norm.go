package autodiff

import "math"

// ssqUpdate folds x into the scaled sum of squares (scale, ssq), which
// represents scale² · ssq, as in LAPACK's dlassq. It never squares a number
// larger than 1 in magnitude relative to scale, so it neither overflows for
// huge values nor underflows to zero for tiny ones. Non-finite elements
// are reported through inf and nan.
func ssqUpdate(scale, ssq float64, x []float64, inf, nan *bool) (float64, float64) {
	for _, v := range x {
		if v == 0 {
			continue
		}
		a := math.Abs(v)
		switch {
		case math.IsNaN(a):
			*nan = true
			continue
		case math.IsInf(a, 1):
			*inf = true
			continue
		}
		if scale < a {
			r := scale / a
			ssq = 1 + ssq*r*r
			scale = a
		} else {
			r := a / scale
			ssq += r * r
		}
	}
	return scale, ssq
}

// finishNorm turns a scaled sum of squares into a norm, giving NaN if any
// element was NaN and +Inf if any element was infinite.
func finishNorm(scale, ssq float64, inf, nan bool) float64 {
	switch {
	case nan:
		return math.NaN()
	case inf:
		return math.Inf(1)
	case scale == 0:
		return 0
	}
	return scale * math.Sqrt(ssq)
}

// GlobalNorm returns the Euclidean norm of all elements of all slices of
// grads taken together, sqrt(Σ_i Σ_j grads[i][j]²). It scales as it sums
// (like BLAS dnrm2), so elements as large as 1e200 or as small as 1e-200 give
// the right answer without overflow or underflow. The result is NaN if any
// element is NaN and +Inf if any element is infinite. Nil or empty slices
// contribute nothing; GlobalNorm(nil) is 0.
func GlobalNorm(grads [][]float64) float64 {
	var scale, ssq float64
	var inf, nan bool
	for _, g := range grads {
		scale, ssq = ssqUpdate(scale, ssq, g, &inf, &nan)
	}
	return finishNorm(scale, ssq, inf, nan)
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
	scale := make([]float64, nGroups)
	ssq := make([]float64, nGroups)
	inf := make([]bool, nGroups)
	nan := make([]bool, nGroups)
	for i, g := range grads {
		k := groups[i]
		if k < 0 || k >= nGroups {
			panic("autodiff: GroupNorms: group index out of range")
		}
		scale[k], ssq[k] = ssqUpdate(scale[k], ssq[k], g, &inf[k], &nan[k])
	}
	norms := make([]float64, nGroups)
	for k := range norms {
		norms[k] = finishNorm(scale[k], ssq[k], inf[k], nan[k])
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
	if maxNorm <= 0 || !(norm > maxNorm) || math.IsInf(norm, 1) {
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
