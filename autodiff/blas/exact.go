package blas

import (
	"math"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// Exact is gonum's native BLAS with a faster Dgemm whose results are
// bit-identical to gonum's Dgemm: every element of C is computed by the
// same sequence of IEEE multiplies and adds (no fused multiply-adds), only
// with four-wide AVX2 registers and a tile of C kept in registers.
//
//   - C = A·B and C = Aᵀ·B: gonum adds the products A_il·B_lj into C_ij one
//     l at a time (AxpyUnitary); 4×8 tiles do the same, in l order, and
//     so do 4×q tiles (q ≤ 4 columns, masked) for the last n mod 8
//     columns (the narrow output layers, n = 1 or 3) and 1×8 tiles for
//     the last m mod 4 rows. gonum skips a term whose A_il is zero; that
//     changes nothing unless B_lj is infinite or NaN or C_ij starts as
//     -0, so for such inputs (checked before the product) Dgemm is
//     gonum's.
//   - C = A·Bᵀ: gonum adds dot(A_i·, B_j·) to C_ij, the dot product taken by
//     DotUnitary with four partial sums (elements 4p+q into sum q, the
//     remainder into sum 0, then (s0+s2)+(s1+s3)), over chunks of 64 when
//     gonum's Dgemm splits the product into blocks; 2×4 tiles (and 4×1
//     tiles at the edges) compute the same partial sums, one 4-wide
//     register per pair (i, j), and combine them in the same order. For
//     k < 4 the dot product is the sum from +0 of the k products in
//     order; 4×8 tiles compute it from a transposed copy of B.
//
// Aᵀ·Bᵀ, alpha ≠ 1, A·Bᵀ with m < 2 or n < 4 and k > 4 not a multiple of
// 4, CPUs without AVX2, other architectures and the purego, noasm and
// safe build tags use gonum's Dgemm. TestExactBitIdentical compares both
// on random and special inputs. Dgemv with op(A) = Aᵀ (the single-point
// MLP forward) is gonum's bit for bit too (see Dgemv). Every other routine
// is gonum's. An Exact is safe for concurrent use; it has no state.
type Exact struct {
	gonum.Implementation
}

// UseExact installs Exact under every Gorgonia graph and tensor operation
// of the process (gorgonia.Use, which also calls tensor.Use). Results do
// not change; matrix products get faster where the CPU has AVX2.
func UseExact() {
	G.Use(Exact{})
}

// ExactAccelerated reports whether Exact's Dgemm runs the AVX2 kernels on
// this CPU; otherwise it is gonum's.
func ExactAccelerated() bool { return haveExact }

// Dgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices with
// the arguments, panics and results of gonum's Dgemm (see Exact).
func (impl Exact) Dgemm(tA, tB gblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	aTrans, okA := transposed(tA)
	bTrans, okB := transposed(tB)
	switch {
	case !haveExact, !okA, !okB, alpha != 1, aTrans && bTrans, k < 1,
		!dgemmArgsOK(aTrans, bTrans, m, n, k, a, lda, b, ldb, c, ldc),
		bTrans && k%4 != 0 && k > 4 && (m < 2 || n < 4):
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	scale(m, n, beta, c, ldc)
	if bTrans && k < 4 {
		dotShort(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	if bTrans {
		dotProduct(m, n, k, dotChunk(m, n, k), a, lda, b, ldb, c, ldc)
		return
	}
	if !axpyExactOK(aTrans, m, n, k, a, lda, b, ldb, beta == 0, c, ldc) {
		impl.Implementation.Dgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 1, c, ldc)
		return
	}
	axpyProduct(aTrans, m, n, k, a, lda, b, ldb, c, ldc)
}

// RowSplit reports whether Dgemm, given these arguments and the current
// contents of a, b and c, computes C row by row with this package's
// kernels, so that DgemmRows may compute any ranges of its rows, on any
// goroutines, with the bits of one Dgemm call. False where Dgemm would
// call gonum's (unsupported flags or shapes, alpha ≠ 1, zero terms whose
// skip could matter), and for beta other than 0 and 1: call Dgemm then.
func (impl Exact) RowSplit(tA, tB gblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) bool {
	aTrans, okA := transposed(tA)
	bTrans, okB := transposed(tB)
	switch {
	case !haveExact, !okA, !okB, alpha != 1, aTrans && bTrans, k < 1, beta != 0 && beta != 1,
		!dgemmArgsOK(aTrans, bTrans, m, n, k, a, lda, b, ldb, c, ldc),
		bTrans && k%4 != 0 && k > 4 && (m < 2 || n < 4):
		return false
	}
	return bTrans || axpyExactOK(aTrans, m, n, k, a, lda, b, ldb, beta == 0, c, ldc)
}

// DgemmRows computes rows [i0, i1) of Dgemm's C = op(A)·op(B) + beta·C
// (the whole product's dimensions m, n, k), bit for bit as Dgemm computes
// them. Call it only after RowSplit returned true for the same arguments
// and data; ranges of different calls must not overlap.
func (impl Exact) DgemmRows(tA, tB gblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int, i0, i1 int) {
	if i0 >= i1 {
		return
	}
	aTrans, _ := transposed(tA)
	bTrans, _ := transposed(tB)
	r := i1 - i0
	cc := c[i0*ldc:]
	scale(r, n, beta, cc, ldc)
	switch {
	case bTrans && k < 4:
		dotShort(r, n, k, a[i0*lda:], lda, b, ldb, cc, ldc)
	case bTrans:
		dotProduct(r, n, k, dotChunk(m, n, k), a[i0*lda:], lda, b, ldb, cc, ldc)
	case aTrans:
		axpyProduct(true, r, n, k, a[i0:], lda, b, ldb, cc, ldc)
	default:
		axpyProduct(false, r, n, k, a[i0*lda:], lda, b, ldb, cc, ldc)
	}
}

// transposed maps a gonum transpose flag to whether the matrix is
// transposed; ok is false for an illegal flag (gonum's Dgemm panics).
func transposed(t gblas.Transpose) (trans, ok bool) {
	switch t {
	case gblas.NoTrans:
		return false, true
	case gblas.Trans, gblas.ConjTrans:
		return true, true
	}
	return false, false
}

// dgemmArgsOK reports whether gonum's Dgemm would accept the dimensions,
// leading dimensions and slice lengths (for m, n, k >= 1).
func dgemmArgsOK(aTrans, bTrans bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) bool {
	if m < 1 || n < 1 || k < 1 || ldc < n {
		return false
	}
	if aTrans {
		if lda < m || len(a) < (k-1)*lda+m {
			return false
		}
	} else if lda < k || len(a) < (m-1)*lda+k {
		return false
	}
	if bTrans {
		if ldb < k || len(b) < (n-1)*ldb+k {
			return false
		}
	} else if ldb < n || len(b) < (k-1)*ldb+n {
		return false
	}
	return len(c) >= (m-1)*ldc+n
}

// axpyExactOK reports whether adding every product, as the kernels do,
// gives gonum's result although gonum skips the terms with A_il = 0: true
// if A has no zero, or else if B is finite and C (already scaled) holds no
// -0 (then C_ij + 0·B_lj = C_ij). cZero says that C was set to +0 (beta
// 0), so it holds no -0. It scans first whichever of A and B, C is
// smaller (the narrow products have a large A and a small B and C).
func axpyExactOK(aTrans bool, m, n, k int, a []float64, lda int, b []float64, ldb int, cZero bool, c []float64, ldc int) bool {
	bc := k * n
	if !cZero {
		bc += m * n
	}
	finiteNoNegZero := func() bool {
		return finite(k, n, b, ldb) && (cZero || !hasNegZero(m, n, c, ldc))
	}
	if m*k <= bc {
		return !hasZero(aTrans, m, k, a, lda) || finiteNoNegZero()
	}
	return finiteNoNegZero() || !hasZero(aTrans, m, k, a, lda)
}

// hasZero reports whether op(A), m×k, holds a zero.
func hasZero(aTrans bool, m, k int, a []float64, lda int) bool {
	rows, cols := m, k
	if aTrans {
		rows, cols = k, m
	}
	for i := range rows {
		for _, v := range a[i*lda : i*lda+cols] {
			if v == 0 {
				return true
			}
		}
	}
	return false
}

// finite reports whether the r×q matrix x holds neither an infinity nor a
// NaN.
func finite(r, q int, x []float64, ld int) bool {
	for i := range r {
		for _, v := range x[i*ld : i*ld+q] {
			if v-v != 0 { // NaN for ±Inf and NaN
				return false
			}
		}
	}
	return true
}

// hasNegZero reports whether the r×q matrix x holds a -0.
func hasNegZero(r, q int, x []float64, ld int) bool {
	for i := range r {
		for _, v := range x[i*ld : i*ld+q] {
			if v == 0 && math.Signbit(v) {
				return true
			}
		}
	}
	return false
}

// axpyProduct adds op(A)·B to C term by term in gonum's order: 4×8 tiles
// by axpyTile4x8, the last n mod 8 columns of those rows by axpyTile4xN
// (four columns at a time), the last m mod 4 rows by axpyTile1x8 and the
// Go loop of the same operations.
func axpyProduct(aTrans bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	ai, al := lda, 1 // A(i, l) = a[i·ai + l·al]
	if aTrans {
		ai, al = 1, lda
	}
	m4, n8 := m/4*4, n/8*8
	for i := 0; i < m4; i += 4 {
		for j := 0; j < n8; j += 8 {
			axpyTile4x8(k, &a[i*ai], ai, al, &b[j], ldb, &c[i*ldc+j], ldc)
		}
		for j := n8; j < n; j += 4 {
			var mask [4]int64
			for q := range min(4, n-j) {
				mask[q] = -1
			}
			axpyTile4xN(k, &a[i*ai], ai, al, &b[j], ldb, &c[i*ldc+j], ldc, &mask[0])
		}
	}
	for i := m4; i < m; i++ {
		for j := 0; j < n8; j += 8 {
			axpyTile1x8(k, &a[i*ai], al, &b[j], ldb, &c[i*ldc+j])
		}
		row := c[i*ldc : i*ldc+n]
		for l := range k {
			tmp := a[i*ai+l*al]
			if tmp == 0 {
				continue
			}
			brow := b[l*ldb : l*ldb+n]
			for j := n8; j < n; j++ {
				row[j] += float64(tmp * brow[j])
			}
		}
	}
}

// dotShortCols is the number of columns of C that dotShort computes per
// pass, the width of its transposed copy of B.
const dotShortCols = 64

// dotShort adds A·Bᵀ to C for k < 4 the way gonum's Dgemm does, C_ij +=
// DotUnitary(A_i·, B_j·): 4×8 tiles by dotTile4x8 and, for the last m mod
// 4 rows, 1×8 tiles by dotTile1x8, from a transposed copy of B (on the
// stack, dotShortCols columns at a time; B itself if it is one contiguous
// column), the last columns by dotUnitary.
func dotShort(m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	var buf [3 * dotShortCols]float64 // B_jl at bt[l·dotShortCols + j-j0]
	m4 := m / 4 * 4
	for j0 := 0; j0 < n; j0 += dotShortCols {
		w := min(dotShortCols, n-j0)
		w8 := w / 8 * 8
		if w8 > 0 {
			bt, ldbt := buf[:], dotShortCols
			if k == 1 && ldb == 1 { // B is a column: its own transpose
				bt = b[j0 : j0+w8]
			} else {
				transposeShort(bt, b[j0*ldb:], ldb, w8, k)
			}
			for i := 0; i < m4; i += 4 {
				for j := 0; j < w8; j += 8 {
					dotTile4x8(k, &a[i*lda], lda, &bt[j], ldbt, &c[i*ldc+j0+j], ldc)
				}
			}
			for i := m4; i < m; i++ {
				dotTile1x8(k, &a[i*lda], &bt[0], ldbt, &c[i*ldc+j0], w8/8)
			}
		}
		for i := range m {
			ar := a[i*lda : i*lda+k]
			for j := j0 + w8; j < j0+w; j++ {
				c[i*ldc+j] += dotUnitary(ar, b[j*ldb:j*ldb+k])
			}
		}
	}
}

// transposeShort copies the first k < 4 elements of w rows of b (leading
// dimension ldb) into the columns of bt [k, dotShortCols]: b[j·ldb + l]
// to bt[l·dotShortCols + j], w ≤ dotShortCols.
func transposeShort(bt, b []float64, ldb, w, k int) {
	bt0, bt1, bt2 := bt[:w], bt[dotShortCols:dotShortCols+w], bt[2*dotShortCols:2*dotShortCols+w]
	switch k {
	case 1:
		for j := range bt0 {
			bt0[j] = b[j*ldb]
		}
	case 2:
		for j := range bt0 {
			r := b[j*ldb : j*ldb+2]
			bt0[j], bt1[j] = r[0], r[1]
		}
	default:
		for j := range bt0 {
			r := b[j*ldb : j*ldb+3]
			bt0[j], bt1[j], bt2[j] = r[0], r[1], r[2]
		}
	}
}

// dotChunk returns the chunks of k over which gonum's Dgemm of an m×n C =
// A·Bᵀ takes its dot products: whole rows, or 64 elements when it splits
// the product into 64×64 blocks, which it does for at least 4 blocks of C.
func dotChunk(m, n, k int) int {
	const block, minParBlock = 64, 4 // gonum's blockSize and minParBlock
	if ((m+block-1)/block)*((n+block-1)/block) >= minParBlock {
		return block
	}
	return k
}

// dotProduct adds A·Bᵀ to C: C_ij += dot(A_i·, B_j·), one dot product per
// chunk of k (dotChunk of the whole product). When the chunk is a multiple
// of 4: 2×4 tiles by dotTile2x4C (a column of tiles at a time, so that the
// four rows of B stay in L1 while A streams by), the last row if m is odd
// and the last n mod 4 columns by dotTile8x1C (eight dot products at a
// time) and dotTile4x1C, the corner of the last m mod 4 rows and n mod 4
// columns by dotTileQx1C, a row of C at a time. Otherwise 2×4 tiles by dotTile2x4 with
// the remainder and combination in Go, the other elements by dotUnitary.
func dotProduct(m, n, k, chunk int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	var buf [32]float64
	m2, n4 := m/2*2, n/4*4
	for p := 0; p < k; p += chunk {
		kl := min(chunk, k-p)
		k4 := kl / 4
		if k4 > 0 && 4*k4 == kl {
			for j := 0; j < n4; j += 4 {
				for i := 0; i < m2; i += 2 {
					dotTile2x4C(k4, &a[i*lda+p], lda, &b[j*ldb+p], ldb, &c[i*ldc+j], ldc)
				}
			}
			if m2 < m { // the last row: against eight rows of B at a time
				j := 0
				for ; j+8 <= n4; j += 8 {
					dotTile8x1C(k4, &b[j*ldb+p], ldb, &a[m2*lda+p], &c[m2*ldc+j], 1)
				}
				if j < n4 {
					dotTile4x1C(k4, &b[j*ldb+p], ldb, &a[m2*lda+p], &c[m2*ldc+j], 1)
				}
			}
			m4 := m / 4 * 4
			for j := n4; j < n; j++ { // the last columns: eight rows of A at a time
				i := 0
				for ; i+8 <= m4; i += 8 {
					dotTile8x1C(k4, &a[i*lda+p], lda, &b[j*ldb+p], &c[i*ldc+j], ldc)
				}
				if i < m4 {
					dotTile4x1C(k4, &a[i*lda+p], lda, &b[j*ldb+p], &c[i*ldc+j], ldc)
				}
			}
			if q := n - n4; q > 0 { // the corner: a row against the last rows of B
				x := func(r int) *float64 { return &b[(n4+min(r, q-1))*ldb+p] }
				for i := m4; i < m; i++ {
					dotTileQx1C(k4, x(0), x(1), x(2), x(3), &a[i*lda+p], &c[i*ldc+n4], 1, q)
				}
			}
			continue
		}
		if k4 > 0 {
			for i := 0; i < m2; i += 2 {
				for j := 0; j < n4; j += 4 {
					dotTile2x4(k4, &a[i*lda+p], lda, &b[j*ldb+p], ldb, &buf[0])
					for r := range 2 {
						for q := range 4 {
							s := buf[(4*r+q)*4 : (4*r+q)*4+4]
							s0 := s[0]
							ar, br := a[(i+r)*lda+p:(i+r)*lda+p+kl], b[(j+q)*ldb+p:(j+q)*ldb+p+kl]
							for l := 4 * k4; l < kl; l++ {
								s0 += float64(ar[l] * br[l])
							}
							c[(i+r)*ldc+j+q] += (s0 + s[2]) + (s[1] + s[3])
						}
					}
				}
			}
		}
		for i := range m {
			j0 := 0
			if k4 > 0 && i < m2 {
				j0 = n4
			}
			ar := a[i*lda+p : i*lda+p+kl]
			for j := j0; j < n; j++ {
				c[i*ldc+j] += dotUnitary(ar, b[j*ldb+p:j*ldb+p+kl])
			}
		}
	}
}

// dotUnitary is gonum's DotUnitary on amd64 in Go: four partial sums over
// the elements 4p+q, the remainder added to the first, then
// (s0+s2)+(s1+s3).
func dotUnitary(x, y []float64) float64 {
	var s0, s1, s2, s3 float64
	n4 := len(x) / 4 * 4
	for i := 0; i < n4; i += 4 {
		s0 += float64(x[i] * y[i])
		s1 += float64(x[i+1] * y[i+1])
		s2 += float64(x[i+2] * y[i+2])
		s3 += float64(x[i+3] * y[i+3])
	}
	for i := n4; i < len(x); i++ {
		s0 += float64(x[i] * y[i])
	}
	return (s0 + s2) + (s1 + s3)
}
