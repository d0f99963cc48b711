package control

import "math"

// This file holds the small dense linear algebra the controllers share.

// Cholesky overwrites the symmetric [m, m] matrix a by its lower Cholesky
// factor (upper part zeroed), row-major, and reports whether a was positive
// definite (the Cholesky-Banachiewicz order; no allocation, for the small
// [m, m] blocks of iLQR, its box QP and PLATO's teacher).
func Cholesky(a []float64, m int) bool {
	for j := range m {
		d := a[j*m+j]
		for k := range j {
			d -= a[j*m+k] * a[j*m+k]
		}
		if !(d > 0) || math.IsInf(d, 0) {
			return false
		}
		d = math.Sqrt(d)
		a[j*m+j] = d
		for i := j + 1; i < m; i++ {
			s := a[i*m+j]
			for k := range j {
				s -= a[i*m+k] * a[j*m+k]
			}
			a[i*m+j] = s / d
		}
		for k := j + 1; k < m; k++ {
			a[j*m+k] = 0
		}
	}
	return true
}

// CholSolve solves L L' x = b in place (b becomes x) for the lower factor L
// [m, m] of Cholesky.
func CholSolve(L []float64, m int, b []float64) {
	for i := range m {
		s := b[i]
		for k := range i {
			s -= L[i*m+k] * b[k]
		}
		b[i] = s / L[i*m+i]
	}
	for i := m - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < m; k++ {
			s -= L[k*m+i] * b[k]
		}
		b[i] = s / L[i*m+i]
	}
}

// Interior writes into dst the control u moved a relative 1e-9 inside the
// box [low, high] on the dimensions where it sits on (or beyond) a finite
// bound, and returns dst; with nil bounds it returns u itself. Derivatives
// at a bound are so taken from the side of the feasible controls: models
// that clip their input (as the envs do) report zero sensitivity exactly at
// the bound, which would make Q_uu singular for a clamped control.
func Interior(dst, u, low, high []float64) []float64 {
	if low == nil {
		return u
	}
	for i, ui := range u {
		dst[i] = interior1(ui, low[i], high[i])
	}
	return dst
}

// interior1 is Interior for one control u in [lo, hi]. It takes the
// maximum and minimum of Interior's eps by comparisons, as math.Max and
// math.Min give them for these operands (eps >= 1e-9 and (hi - lo)/4 >= 0,
// or NaN, where the result is u either way), without their calls.
func interior1(u, lo, hi float64) float64 {
	if u > lo && u < hi { // strictly inside: unchanged
		return u
	}
	eps := 1e-9 // 1e-9 * max(1, |u|)
	if a := math.Abs(u); a > 1 {
		eps = 1e-9 * a
	}
	if !math.IsInf(lo, 0) && !math.IsInf(hi, 0) {
		if w := (hi - lo) / 4; w < eps {
			eps = w
		}
	}
	switch {
	case u <= lo && u+eps < hi:
		u = lo + eps
	case u >= hi && u-eps > lo:
		u = hi - eps
	}
	return u
}

// clip1 returns math.Min(math.Max(u, lo), hi) (NaN stays NaN), calling
// them only where comparisons do not settle the result: NaN, a zero bound
// (signed zeros) or lo = hi.
func clip1(u, lo, hi float64) float64 {
	if u > lo && u < hi {
		return u
	}
	if lo < hi {
		if u < lo {
			return lo
		}
		if u > hi {
			return hi
		}
		if (u == lo || u == hi) && u != 0 {
			return u // equal non-zero values have equal bits
		}
	}
	return math.Min(math.Max(u, lo), hi)
}
