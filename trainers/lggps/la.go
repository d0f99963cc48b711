package lggps

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Small dense helpers on row-major []float64 matrices. The matrices of
// this package are tiny ([n+m, n+m] with n+m <= ~10), so plain loops beat
// gonum's general routines, which allocate; the factorisation itself is
// gonum's (chol).

// mul writes a [r, k] times b [k, c] into dst [r, c] (dst must not alias).
func mul(dst, a, b []float64, r, k, c int) {
	for i := range r {
		row := dst[i*c : (i+1)*c]
		clear(row)
		for l := range k {
			ail := a[i*k+l]
			if ail == 0 {
				continue
			}
			for j, v := range b[l*c : (l+1)*c] {
				row[j] += ail * v
			}
		}
	}
}

// mulTN writes a' b into dst [c1, c2] for a [r, c1] and b [r, c2].
func mulTN(dst, a, b []float64, r, c1, c2 int) {
	clear(dst[:c1*c2])
	for l := range r {
		ar, br := a[l*c1:(l+1)*c1], b[l*c2:(l+1)*c2]
		for i, ai := range ar {
			if ai == 0 {
				continue
			}
			row := dst[i*c2 : (i+1)*c2]
			for j, v := range br {
				row[j] += ai * v
			}
		}
	}
}

// mulNT writes a b' into dst [r1, r2] for a [r1, c] and b [r2, c].
func mulNT(dst, a, b []float64, r1, r2, c int) {
	for i := range r1 {
		ar := a[i*c : (i+1)*c]
		for j := range r2 {
			br := b[j*c : (j+1)*c]
			var s float64
			for l, v := range ar {
				s += v * br[l]
			}
			dst[i*r2+j] = s
		}
	}
}

// mulVec writes a [r, c] times x [c] into dst [r].
func mulVec(dst, a, x []float64, r, c int) {
	for i := range r {
		var s float64
		for j, v := range a[i*c : (i+1)*c] {
			s += v * x[j]
		}
		dst[i] = s
	}
}

// mulTVec writes a' x into dst [c] for a [r, c] and x [r].
func mulTVec(dst, a, x []float64, r, c int) {
	clear(dst[:c])
	for i := range r {
		xi := x[i]
		for j, v := range a[i*c : (i+1)*c] {
			dst[j] += v * xi
		}
	}
}

// quad returns x' a x for a [n, n].
func quad(a, x []float64, n int) float64 {
	var s float64
	for i := range n {
		var r float64
		for j, v := range a[i*n : (i+1)*n] {
			r += v * x[j]
		}
		s += x[i] * r
	}
	return s
}

// traceMul returns tr(a b) for a, b [n, n].
func traceMul(a, b []float64, n int) float64 {
	var s float64
	for i := range n {
		for j := range n {
			s += a[i*n+j] * b[j*n+i]
		}
	}
	return s
}

// symmetrize replaces a [n, n] by (a + a')/2.
func symmetrize(a []float64, n int) {
	for i := range n {
		for j := i + 1; j < n; j++ {
			v := 0.5 * (a[i*n+j] + a[j*n+i])
			a[i*n+j], a[j*n+i] = v, v
		}
	}
}

// block copies the [rows, cols] block of a [*, n] at (r0, c0) into dst.
func block(dst, a []float64, n, r0, c0, rows, cols int) {
	for i := range rows {
		copy(dst[i*cols:(i+1)*cols], a[(r0+i)*n+c0:(r0+i)*n+c0+cols])
	}
}

// chol is a reusable Cholesky factorisation of a symmetric [n, n] matrix
// (gonum's), with the inverse and log-determinant of the last factorised
// matrix.
type chol struct {
	n   int
	sym *mat.SymDense
	c   mat.Cholesky
	inv mat.SymDense
}

func newChol(n int) *chol {
	return &chol{n: n, sym: mat.NewSymDense(n, nil)}
}

// factor factorises the symmetric part of a [n, n] and reports whether it
// is positive definite.
func (c *chol) factor(a []float64) bool {
	n := c.n
	for i := range n {
		for j := i; j < n; j++ {
			v := 0.5 * (a[i*n+j] + a[j*n+i])
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
			c.sym.SetSym(i, j, v)
		}
	}
	return c.c.Factorize(c.sym)
}

// inverse writes the inverse of the factorised matrix into dst [n, n].
func (c *chol) inverse(dst []float64) {
	if err := c.c.InverseTo(&c.inv); err != nil {
		// Factorize succeeded, so the matrix is invertible; gonum reports a
		// condition-number warning here, and the inverse is still filled.
		_ = err
	}
	n := c.n
	for i := range n {
		for j := range n {
			dst[i*n+j] = c.inv.At(i, j)
		}
	}
}

// solveVec solves A x = b in place for the factorised A.
func (c *chol) solveVec(b []float64) {
	v := mat.NewVecDense(c.n, b)
	if err := c.c.SolveVecTo(v, v); err != nil {
		_ = err // as in inverse: only a conditioning warning is possible
	}
}

// logDet returns log det of the factorised matrix.
func (c *chol) logDet() float64 { return c.c.LogDet() }
