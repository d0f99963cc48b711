package blas

import (
	"math"

	gblas "gonum.org/v1/gonum/blas"
)

// Dgemv computes y = alpha·op(A)·x + beta·y on a row-major A [m, n] with
// the arguments, panics and results of gonum's Dgemv.
//
// For op(A) = Aᵀ (y [n], x [m]; the single-point MLP forward) gonum's
// GemvT sets y to +0 (beta 0) or to y·beta (beta ≠ 1), then adds
// A_rj·(x_r·alpha) to y_j one row r at a time, in row order, a multiply
// and an add each. Exact does the same operations in the same order with
// four-wide AVX2 registers, keeping up to 32 elements of y in registers
// over all m rows instead of loading and storing them every 4 rows.
// NoTrans, incX or incY ≠ 1, alpha 0, a NaN beta, invalid arguments (which
// panic as gonum's do) and CPUs without AVX2 use gonum's Dgemv.
// TestExactDgemvBitIdentical compares both bit for bit.
func (impl Exact) Dgemv(tA gblas.Transpose, m, n int, alpha float64, a []float64, lda int, x []float64, incX int, beta float64, y []float64, incY int) {
	if !haveExact || (tA != gblas.Trans && tA != gblas.ConjTrans) || incX != 1 || incY != 1 ||
		alpha == 0 || math.IsNaN(beta) || m < 1 || n < 1 || lda < n ||
		len(x) < m || len(y) < n || len(a) < lda*(m-1)+n {
		impl.Implementation.Dgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
		return
	}
	y = y[:n]
	switch beta {
	case 0: // gonum clears y: no 0·Inf or 0·NaN
		clear(y)
	case 1:
	default:
		for j := range y {
			y[j] *= beta
		}
	}
	var mask [4]int64
	for q := range n % 4 {
		mask[q] = -1
	}
	gemvT(m, n, alpha, &a[0], lda, &x[0], &y[0], &mask[0])
}
