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
