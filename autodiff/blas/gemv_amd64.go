//go:build amd64 && !purego && !noasm && !safe

package blas

// gemvT adds (x[r]·alpha)·A[r][j] to y[j] for r = 0..m-1 in order, gonum's
// GemvT without beta, on m, n >= 1, A [m, n] with leading dimension lda,
// and mask [4] with its first n mod 4 lanes -1 (see the assembly). It
// needs AVX2.
//
//go:noescape
func gemvT(m, n int, alpha float64, a *float64, lda int, x *float64, y *float64, mask *int64)
