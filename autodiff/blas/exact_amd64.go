//go:build amd64 && !purego && !noasm && !safe

package blas

import "golang.org/x/sys/cpu"

// haveExact reports whether the exact (AVX2, no FMA) kernels can run on
// this CPU. It is set once at package initialisation and never changes.
var haveExact = cpu.X86.HasAVX2

// axpyTile4x8 updates a 4×8 tile of C with k rank-one terms in gonum's
// order (see the assembly). It needs AVX2.
//
//go:noescape
func axpyTile4x8(k int, a *float64, ai, al int, b *float64, ldb int, c *float64, ldc int)

// dotTile2x4 writes the DotUnitary partial sums of 2 rows of A by 4 rows
// of B over 4·k4 elements into dst [32] (see the assembly). It needs AVX2.
//
//go:noescape
func dotTile2x4(k4 int, a *float64, lda int, b *float64, ldb int, dst *float64)

// axpyTile4xN is axpyTile4x8 on the first q ≤ 4 columns of a 4-row tile,
// q the number of -1 lanes at the start of mask [4] (see the assembly).
// It needs AVX2.
//
//go:noescape
func axpyTile4xN(k int, a *float64, ai, al int, b *float64, ldb int, c *float64, ldc int, mask *int64)

// axpyTile1x8 is axpyTile4x8 on a single row of C, A(l) at a[l·al] (see
// the assembly). It needs AVX2.
//
//go:noescape
func axpyTile1x8(k int, a *float64, al int, b *float64, ldb int, c *float64)

// dotTile4x8 adds to a 4×8 tile of C the DotUnitary of 4 rows of A and 8
// rows of B over k < 4 elements, B given transposed in bt (see the
// assembly). It needs AVX2.
//
//go:noescape
func dotTile4x8(k int, a *float64, lda int, bt *float64, ldbt int, c *float64, ldc int)

// dotTile2x4C adds to a 2×4 tile of C the DotUnitary of 2 rows of A and 4
// rows of B over 4·k4 elements (see the assembly). It needs AVX2.
//
//go:noescape
func dotTile2x4C(k4 int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int)

// dotTile4x1C adds to c[r·ldc], r = 0..3, the DotUnitary of the rows
// x[r·ldx:] with y over 4·k4 elements (see the assembly). It needs AVX2.
//
//go:noescape
func dotTile4x1C(k4 int, x *float64, ldx int, y *float64, c *float64, ldc int)

// dotTile8x1C is dotTile4x1C on eight rows of x (see the assembly). It
// needs AVX2.
//
//go:noescape
func dotTile8x1C(k4 int, x *float64, ldx int, y *float64, c *float64, ldc int)

// dotTile1x8 is dotTile4x8 on one row of A, nb tiles of 8 columns in a
// row (see the assembly). It needs AVX2.
//
//go:noescape
func dotTile1x8(k int, a *float64, bt *float64, ldbt int, c *float64, nb int)

// dotTileQx1C is dotTile4x1C on q = 1..3 rows x0.., one pointer a row
// (see the assembly). It needs AVX2.
//
//go:noescape
func dotTileQx1C(k4 int, x0, x1, x2, x3 *float64, y *float64, c *float64, ldc int, q int)
