//go:build amd64 && !purego && !noasm && !safe

#include "textflag.h"

// func axpyTile4x8(k int, a *float64, ai, al int, b *float64, ldb int, c *float64, ldc int)
//
// For r = 0..3, j = 0..7 and l = 0..k-1 in this order:
// C[r][j] = C[r][j] + A(r, l)·B[l][j], with A(r, l) at a[r·ai + l·al],
// B[l][j] at b[l·ldb + j] and C[r][j] at c[r·ldc + j]: a multiply and an add
// (two roundings, no fused multiply-add), the sequence of gonum's
// AxpyUnitary-based Dgemm. C is loaded, updated and stored.
// Accumulators: Y0..Y7, row r in Y(2r) (columns 0-3) and Y(2r+1) (4-7);
// Y8, Y9 hold B's row l; Y10 a broadcast A(r, l); Y11 a product.
TEXT ·axpyTile4x8(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ai+16(FP), R9
	SHLQ $3, R9
	MOVQ al+24(FP), R11
	SHLQ $3, R11
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R12
	SHLQ $3, R12
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	SHLQ $3, R8
	LEAQ (R9)(R9*2), R10 // 3·ai bytes
	LEAQ (R8)(R8*2), R13 // 3·ldc bytes

	VMOVUPD (DX), Y0
	VMOVUPD 32(DX), Y1
	VMOVUPD (DX)(R8*1), Y2
	VMOVUPD 32(DX)(R8*1), Y3
	VMOVUPD (DX)(R8*2), Y4
	VMOVUPD 32(DX)(R8*2), Y5
	VMOVUPD (DX)(R13*1), Y6
	VMOVUPD 32(DX)(R13*1), Y7

	TESTQ CX, CX
	JEQ   store

loop:
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VBROADCASTSD (SI), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y0, Y0
	VMULPD       Y9, Y10, Y11
	VADDPD       Y11, Y1, Y1
	VBROADCASTSD (SI)(R9*1), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y2, Y2
	VMULPD       Y9, Y10, Y11
	VADDPD       Y11, Y3, Y3
	VBROADCASTSD (SI)(R9*2), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y4, Y4
	VMULPD       Y9, Y10, Y11
	VADDPD       Y11, Y5, Y5
	VBROADCASTSD (SI)(R10*1), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y6, Y6
	VMULPD       Y9, Y10, Y11
	VADDPD       Y11, Y7, Y7
	ADDQ         R11, SI
	ADDQ         R12, DI
	DECQ         CX
	JNE          loop

store:
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	VMOVUPD Y2, (DX)(R8*1)
	VMOVUPD Y3, 32(DX)(R8*1)
	VMOVUPD Y4, (DX)(R8*2)
	VMOVUPD Y5, 32(DX)(R8*2)
	VMOVUPD Y6, (DX)(R13*1)
	VMOVUPD Y7, 32(DX)(R13*1)
	VZEROUPPER
	RET

// func dotTile2x4(k4 int, a *float64, lda int, b *float64, ldb int, dst *float64)
//
// For i = 0..1 and j = 0..3, the four partial sums of gonum's DotUnitary
// of A's row i and B's row j over their first 4·k4 elements: lane q of
// dst[(4i+j)·4 + q] = Σ_{p<k4} a[i·lda + 4p+q]·b[j·ldb + 4p+q], summed in
// p order from 0 with a multiply and an add per term (no fused
// multiply-add), as DotUnitary's two SSE2 accumulators do.
// Accumulators: Y0..Y7 (pair (i, j) in Y(4i+j)); Y8, Y9 A's rows; Y10..Y13
// B's rows; Y14 a product.
TEXT ·dotTile2x4(SB), NOSPLIT, $0-48
	MOVQ k4+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $3, R9
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R12
	SHLQ $3, R12
	MOVQ dst+40(FP), DX
	LEAQ (R12)(R12*2), R13 // 3·ldb bytes

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

	TESTQ CX, CX
	JEQ   dstore

dloop:
	VMOVUPD (SI), Y8
	VMOVUPD (SI)(R9*1), Y9
	VMOVUPD (DI), Y10
	VMOVUPD (DI)(R12*1), Y11
	VMOVUPD (DI)(R12*2), Y12
	VMOVUPD (DI)(R13*1), Y13
	VMULPD  Y10, Y8, Y14
	VADDPD  Y14, Y0, Y0
	VMULPD  Y11, Y8, Y14
	VADDPD  Y14, Y1, Y1
	VMULPD  Y12, Y8, Y14
	VADDPD  Y14, Y2, Y2
	VMULPD  Y13, Y8, Y14
	VADDPD  Y14, Y3, Y3
	VMULPD  Y10, Y9, Y14
	VADDPD  Y14, Y4, Y4
	VMULPD  Y11, Y9, Y14
	VADDPD  Y14, Y5, Y5
	VMULPD  Y12, Y9, Y14
	VADDPD  Y14, Y6, Y6
	VMULPD  Y13, Y9, Y14
	VADDPD  Y14, Y7, Y7
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     dloop

dstore:
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	VMOVUPD Y2, 64(DX)
	VMOVUPD Y3, 96(DX)
	VMOVUPD Y4, 128(DX)
	VMOVUPD Y5, 160(DX)
	VMOVUPD Y6, 192(DX)
	VMOVUPD Y7, 224(DX)
	VZEROUPPER
	RET

// func axpyTile4xN(k int, a *float64, ai, al int, b *float64, ldb int, c *float64, ldc int, mask *int64)
//
// axpyTile4x8 on a 4×q tile, q ≤ 4 the number of lanes of mask[0:4] that
// are -1 (the first q; the others 0): for r = 0..3, j < q and l = 0..k-1
// in this order, C[r][j] = C[r][j] + A(r, l)·B[l][j], a multiply and an
// add. C and B's rows are read and C written through the mask
// (VMASKMOVPD), so nothing beyond column q-1 is touched.
// Accumulators: Y0..Y3 (row r in Yr); Y8 B's row l; Y10 a broadcast
// A(r, l); Y11 a product; Y15 the mask.
TEXT ·axpyTile4xN(SB), NOSPLIT, $0-72
	MOVQ    k+0(FP), CX
	MOVQ    a+8(FP), SI
	MOVQ    ai+16(FP), R9
	SHLQ    $3, R9
	MOVQ    al+24(FP), R11
	SHLQ    $3, R11
	MOVQ    b+32(FP), DI
	MOVQ    ldb+40(FP), R12
	SHLQ    $3, R12
	MOVQ    c+48(FP), DX
	MOVQ    ldc+56(FP), R8
	SHLQ    $3, R8
	MOVQ    mask+64(FP), AX
	VMOVDQU (AX), Y15
	LEAQ    (R9)(R9*2), R10 // 3·ai bytes
	LEAQ    (R8)(R8*2), R13 // 3·ldc bytes

	VMASKMOVPD (DX), Y15, Y0
	VMASKMOVPD (DX)(R8*1), Y15, Y1
	VMASKMOVPD (DX)(R8*2), Y15, Y2
	VMASKMOVPD (DX)(R13*1), Y15, Y3

	TESTQ CX, CX
	JEQ   nstore

nloop:
	VMASKMOVPD   (DI), Y15, Y8
	VBROADCASTSD (SI), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y0, Y0
	VBROADCASTSD (SI)(R9*1), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y1, Y1
	VBROADCASTSD (SI)(R9*2), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y2, Y2
	VBROADCASTSD (SI)(R10*1), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y3, Y3
	ADDQ         R11, SI
	ADDQ         R12, DI
	DECQ         CX
	JNE          nloop

nstore:
	VMASKMOVPD Y0, Y15, (DX)
	VMASKMOVPD Y1, Y15, (DX)(R8*1)
	VMASKMOVPD Y2, Y15, (DX)(R8*2)
	VMASKMOVPD Y3, Y15, (DX)(R13*1)
	VZEROUPPER
	RET

// func axpyTile1x8(k int, a *float64, al int, b *float64, ldb int, c *float64)
//
// axpyTile4x8 on one row: for j = 0..7 and l = 0..k-1 in this order,
// C[j] = C[j] + A(l)·B[l][j] with A(l) at a[l·al], a multiply and an add.
// Accumulators: Y0, Y1; Y8, Y9 B's row l; Y10 a broadcast A(l); Y11 a
// product.
TEXT ·axpyTile1x8(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ al+16(FP), R11
	SHLQ $3, R11
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R12
	SHLQ $3, R12
	MOVQ c+40(FP), DX

	VMOVUPD (DX), Y0
	VMOVUPD 32(DX), Y1

	TESTQ CX, CX
	JEQ   rstore

rloop:
	VBROADCASTSD (SI), Y10
	VMULPD       (DI), Y10, Y8
	VADDPD       Y8, Y0, Y0
	VMULPD       32(DI), Y10, Y9
	VADDPD       Y9, Y1, Y1
	ADDQ         R11, SI
	ADDQ         R12, DI
	DECQ         CX
	JNE          rloop

rstore:
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	VZEROUPPER
	RET

// func dotTile4x8(k int, a *float64, lda int, bt *float64, ldbt int, c *float64, ldc int)
//
// For a dot product of k < 4 elements, gonum's DotUnitary is s0 (the sum
// from +0 of the products in element order) plus sums that are +0, which
// leaves s0 unchanged (s0 is never -0). For r = 0..3 and j = 0..7: s =
// +0, then s = s + a[r·lda + l]·bt[l·ldbt + j] for l = 0..k-1, then
// C[r][j] = C[r][j] + s, with bt holding B transposed (B_jl at
// bt[l·ldbt + j]). Multiplies and adds are separate (no fused
// multiply-add). Registers as in axpyTile4x8.
TEXT ·dotTile4x8(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $3, R9
	MOVQ bt+24(FP), DI
	MOVQ ldbt+32(FP), R12
	SHLQ $3, R12
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $3, R8
	LEAQ (R9)(R9*2), R10 // 3·lda bytes
	LEAQ (R8)(R8*2), R13 // 3·ldc bytes

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

	TESTQ CX, CX
	JEQ   tadd

tloop:
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VBROADCASTSD (SI), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y0, Y0
	VMULPD       Y9, Y10, Y11
	VADDPD       Y11, Y1, Y1
	VBROADCASTSD (SI)(R9*1), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y2, Y2
	VMULPD       Y9, Y10, Y11
	VADDPD       Y11, Y3, Y3
	VBROADCASTSD (SI)(R9*2), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y4, Y4
	VMULPD       Y9, Y10, Y11
	VADDPD       Y11, Y5, Y5
	VBROADCASTSD (SI)(R10*1), Y10
	VMULPD       Y8, Y10, Y11
	VADDPD       Y11, Y6, Y6
	VMULPD       Y9, Y10, Y11
	VADDPD       Y11, Y7, Y7
	ADDQ         $8, SI
	ADDQ         R12, DI
	DECQ         CX
	JNE          tloop

tadd:
	VADDPD  (DX), Y0, Y0
	VADDPD  32(DX), Y1, Y1
	VADDPD  (DX)(R8*1), Y2, Y2
	VADDPD  32(DX)(R8*1), Y3, Y3
	VADDPD  (DX)(R8*2), Y4, Y4
	VADDPD  32(DX)(R8*2), Y5, Y5
	VADDPD  (DX)(R13*1), Y6, Y6
	VADDPD  32(DX)(R13*1), Y7, Y7
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	VMOVUPD Y2, (DX)(R8*1)
	VMOVUPD Y3, 32(DX)(R8*1)
	VMOVUPD Y4, (DX)(R8*2)
	VMOVUPD Y5, 32(DX)(R8*2)
	VMOVUPD Y6, (DX)(R13*1)
	VMOVUPD Y7, 32(DX)(R13*1)
	VZEROUPPER
	RET

// func dotTile2x4C(k4 int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int)
//
// dotTile2x4's partial sums, combined as DotUnitary does and added to C:
// for i = 0..1 and j = 0..3, C[i][j] = C[i][j] + ((s0+s2) + (s1+s3)) with
// s_q the sum of lane q (over 4·k4 elements, no remainder). The lanes of
// pairs (i, j) and (i, j+2) are brought together by VPERM2F128 (s0, s1 of
// both in one register, s2, s3 in the other), added (s0+s2, s1+s3), and
// VHADDPD of the results for j and j+1 gives the four dot products of
// row i in order.
TEXT ·dotTile2x4C(SB), NOSPLIT, $0-56
	MOVQ k4+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $3, R9
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R12
	SHLQ $3, R12
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $3, R8
	LEAQ (R12)(R12*2), R13 // 3·ldb bytes

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

	TESTQ CX, CX
	JEQ   cstore

cloop:
	VMOVUPD (SI), Y8
	VMOVUPD (SI)(R9*1), Y9
	VMOVUPD (DI), Y10
	VMOVUPD (DI)(R12*1), Y11
	VMOVUPD (DI)(R12*2), Y12
	VMOVUPD (DI)(R13*1), Y13
	VMULPD  Y10, Y8, Y14
	VADDPD  Y14, Y0, Y0
	VMULPD  Y11, Y8, Y14
	VADDPD  Y14, Y1, Y1
	VMULPD  Y12, Y8, Y14
	VADDPD  Y14, Y2, Y2
	VMULPD  Y13, Y8, Y14
	VADDPD  Y14, Y3, Y3
	VMULPD  Y10, Y9, Y14
	VADDPD  Y14, Y4, Y4
	VMULPD  Y11, Y9, Y14
	VADDPD  Y14, Y5, Y5
	VMULPD  Y12, Y9, Y14
	VADDPD  Y14, Y6, Y6
	VMULPD  Y13, Y9, Y14
	VADDPD  Y14, Y7, Y7
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     cloop

cstore:
	// Row 0: pairs in Y0..Y3.
	VPERM2F128 $0x20, Y2, Y0, Y8  // s0, s1 of j=0 | s0, s1 of j=2
	VPERM2F128 $0x31, Y2, Y0, Y9  // s2, s3 of j=0 | s2, s3 of j=2
	VADDPD     Y9, Y8, Y8         // s0+s2, s1+s3 of j=0 | of j=2
	VPERM2F128 $0x20, Y3, Y1, Y10
	VPERM2F128 $0x31, Y3, Y1, Y11
	VADDPD     Y11, Y10, Y10      // the same of j=1 | of j=3
	VHADDPD    Y10, Y8, Y8        // dot of j = 0, 1, 2, 3
	VADDPD     (DX), Y8, Y8
	VMOVUPD    Y8, (DX)

	// Row 1: pairs in Y4..Y7.
	VPERM2F128 $0x20, Y6, Y4, Y8
	VPERM2F128 $0x31, Y6, Y4, Y9
	VADDPD     Y9, Y8, Y8
	VPERM2F128 $0x20, Y7, Y5, Y10
	VPERM2F128 $0x31, Y7, Y5, Y11
	VADDPD     Y11, Y10, Y10
	VHADDPD    Y10, Y8, Y8
	VADDPD     (DX)(R8*1), Y8, Y8
	VMOVUPD    Y8, (DX)(R8*1)
	VZEROUPPER
	RET

// func dotTile4x1C(k4 int, x *float64, ldx int, y *float64, c *float64, ldc int)
//
// For r = 0..3, c[r·ldc] = c[r·ldc] + DotUnitary(x[r·ldx:][:4·k4],
// y[:4·k4]): the four partial sums of each dot product (elements 4p+q
// into lane q, in p order, a multiply and an add per term), combined as
// (s0+s2) + (s1+s3) the way dotTile2x4C does, then added to C one element
// at a time. x holds rows of A and y a row of B (a column of C), or x rows
// of B and y a row of A (a row of C, ldc = 1); the products are the same.
// Accumulators: Y0..Y3; Y8 y's elements; Y9 a product.
TEXT ·dotTile4x1C(SB), NOSPLIT, $0-48
	MOVQ k4+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ ldx+16(FP), R9
	SHLQ $3, R9
	MOVQ y+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $3, R8
	LEAQ (R9)(R9*2), R10 // 3·ldx bytes
	LEAQ (R8)(R8*2), R13 // 3·ldc bytes

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

	TESTQ CX, CX
	JEQ   xstore

xloop:
	VMOVUPD (DI), Y8
	VMULPD  (SI), Y8, Y9
	VADDPD  Y9, Y0, Y0
	VMULPD  (SI)(R9*1), Y8, Y9
	VADDPD  Y9, Y1, Y1
	VMULPD  (SI)(R9*2), Y8, Y9
	VADDPD  Y9, Y2, Y2
	VMULPD  (SI)(R10*1), Y8, Y9
	VADDPD  Y9, Y3, Y3
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     xloop

xstore:
	VPERM2F128   $0x20, Y2, Y0, Y8  // s0, s1 of r=0 | of r=2
	VPERM2F128   $0x31, Y2, Y0, Y9  // s2, s3 of r=0 | of r=2
	VADDPD       Y9, Y8, Y8         // s0+s2, s1+s3 of r=0 | of r=2
	VPERM2F128   $0x20, Y3, Y1, Y10
	VPERM2F128   $0x31, Y3, Y1, Y11
	VADDPD       Y11, Y10, Y10      // the same of r=1 | of r=3
	VHADDPD      Y10, Y8, Y8        // dot of r = 0, 1, 2, 3
	VEXTRACTF128 $1, Y8, X9         // dot of r = 2, 3
	VADDSD       (DX), X8, X10
	VMOVSD       X10, (DX)
	VPERMILPD    $1, X8, X8
	VADDSD       (DX)(R8*1), X8, X10
	VMOVSD       X10, (DX)(R8*1)
	VADDSD       (DX)(R8*2), X9, X10
	VMOVSD       X10, (DX)(R8*2)
	VPERMILPD    $1, X9, X9
	VADDSD       (DX)(R13*1), X9, X10
	VMOVSD       X10, (DX)(R13*1)
	VZEROUPPER
	RET

// XCOMBINE4(A0, A1, A2, A3, C, LD, LD3) combines the partial sums of four
// dot products in A0..A3 as dotTile4x1C does and adds them to C[0],
// C[LD], C[2·LD] and C[LD3] (byte offsets) one element at a time.
#define XCOMBINE4(A0, A1, A2, A3, C, LD, LD3) \
	VPERM2F128   $0x20, A2, A0, Y8  \
	VPERM2F128   $0x31, A2, A0, Y9  \
	VADDPD       Y9, Y8, Y8         \
	VPERM2F128   $0x20, A3, A1, Y10 \
	VPERM2F128   $0x31, A3, A1, Y11 \
	VADDPD       Y11, Y10, Y10      \
	VHADDPD      Y10, Y8, Y8        \
	VEXTRACTF128 $1, Y8, X9         \
	VADDSD       (C), X8, X10       \
	VMOVSD       X10, (C)           \
	VPERMILPD    $1, X8, X8         \
	VADDSD       (C)(LD*1), X8, X10 \
	VMOVSD       X10, (C)(LD*1)     \
	VADDSD       (C)(LD*2), X9, X10 \
	VMOVSD       X10, (C)(LD*2)     \
	VPERMILPD    $1, X9, X9         \
	VADDSD       (C)(LD3*1), X9, X10 \
	VMOVSD       X10, (C)(LD3*1)

// func dotTile8x1C(k4 int, x *float64, ldx int, y *float64, c *float64, ldc int)
//
// dotTile4x1C on eight rows of x: for r = 0..7, c[r·ldc] = c[r·ldc] +
// DotUnitary(x[r·ldx:][:4·k4], y[:4·k4]), the same operations in the same
// order, with eight independent sums in flight instead of four.
// Accumulators: Y0..Y7; Y8 y's elements; Y9..Y12 products.
TEXT ·dotTile8x1C(SB), NOSPLIT, $0-48
	MOVQ k4+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ ldx+16(FP), R9
	SHLQ $3, R9
	MOVQ y+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $3, R8
	LEAQ (R9)(R9*2), R10 // 3·ldx bytes
	LEAQ (R8)(R8*2), R13 // 3·ldc bytes
	LEAQ (SI)(R9*4), R12 // row 4 of x
	LEAQ (DX)(R8*4), R11 // c[4·ldc]

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

	TESTQ CX, CX
	JEQ   x8store

x8loop:
	VMOVUPD (DI), Y8
	VMULPD  (SI), Y8, Y9
	VADDPD  Y9, Y0, Y0
	VMULPD  (SI)(R9*1), Y8, Y10
	VADDPD  Y10, Y1, Y1
	VMULPD  (SI)(R9*2), Y8, Y11
	VADDPD  Y11, Y2, Y2
	VMULPD  (SI)(R10*1), Y8, Y12
	VADDPD  Y12, Y3, Y3
	VMULPD  (R12), Y8, Y9
	VADDPD  Y9, Y4, Y4
	VMULPD  (R12)(R9*1), Y8, Y10
	VADDPD  Y10, Y5, Y5
	VMULPD  (R12)(R9*2), Y8, Y11
	VADDPD  Y11, Y6, Y6
	VMULPD  (R12)(R10*1), Y8, Y12
	VADDPD  Y12, Y7, Y7
	ADDQ    $32, SI
	ADDQ    $32, R12
	ADDQ    $32, DI
	DECQ    CX
	JNE     x8loop

x8store:
	XCOMBINE4(Y0, Y1, Y2, Y3, DX, R8, R13)
	XCOMBINE4(Y4, Y5, Y6, Y7, R11, R8, R13)
	VZEROUPPER
	RET

// func dotTile1x8(k int, a *float64, bt *float64, ldbt int, c *float64, nb int)
//
// dotTile4x8 on one row of A, nb ≥ 1 tiles of 8 columns in a row: for j =
// 0..8·nb-1, s = +0, then s = s + a[l]·bt[l·ldbt + j] for l = 0..k-1, then
// c[j] = c[j] + s, the same operations in the same order. Accumulators:
// Y0, Y1; Y8, Y9 products; Y10 a broadcast a[l].
TEXT ·dotTile1x8(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ bt+16(FP), DI
	MOVQ ldbt+24(FP), R12
	SHLQ $3, R12
	MOVQ c+32(FP), DX
	MOVQ nb+40(FP), BX

t1tile:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   CX, R13

	TESTQ R13, R13
	JEQ   t1add

t1loop:
	VMOVUPD      (R11), Y8
	VMOVUPD      32(R11), Y9
	VBROADCASTSD (R10), Y10
	VMULPD       Y8, Y10, Y8
	VADDPD       Y8, Y0, Y0
	VMULPD       Y9, Y10, Y9
	VADDPD       Y9, Y1, Y1
	ADDQ         $8, R10
	ADDQ         R12, R11
	DECQ         R13
	JNE          t1loop

t1add:
	VADDPD  (DX), Y0, Y0
	VADDPD  32(DX), Y1, Y1
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	ADDQ    $64, DI
	ADDQ    $64, DX
	DECQ    BX
	JNE     t1tile
	VZEROUPPER
	RET

// func dotTileQx1C(k4 int, x0, x1, x2, x3 *float64, y *float64, c *float64, ldc int, q int)
//
// dotTile4x1C on q = 1..3 rows given by pointers (x_r for r >= q may
// repeat a valid row; their sums are computed and dropped): for r =
// 0..q-1, c[r·ldc] = c[r·ldc] + DotUnitary(x_r[:4·k4], y[:4·k4]), the same
// operations in the same order. Accumulators: Y0..Y3; Y8 y's elements;
// Y9..Y12 products.
TEXT ·dotTileQx1C(SB), NOSPLIT, $0-72
	MOVQ k4+0(FP), CX
	MOVQ x0+8(FP), SI
	MOVQ x1+16(FP), R10
	MOVQ x2+24(FP), R11
	MOVQ x3+32(FP), R12
	MOVQ y+40(FP), DI
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	SHLQ $3, R8
	MOVQ q+64(FP), BX

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

	TESTQ CX, CX
	JEQ   qstore

qloop:
	VMOVUPD (DI), Y8
	VMULPD  (SI), Y8, Y9
	VADDPD  Y9, Y0, Y0
	VMULPD  (R10), Y8, Y10
	VADDPD  Y10, Y1, Y1
	VMULPD  (R11), Y8, Y11
	VADDPD  Y11, Y2, Y2
	VMULPD  (R12), Y8, Y12
	VADDPD  Y12, Y3, Y3
	ADDQ    $32, SI
	ADDQ    $32, R10
	ADDQ    $32, R11
	ADDQ    $32, R12
	ADDQ    $32, DI
	DECQ    CX
	JNE     qloop

qstore:
	VPERM2F128   $0x20, Y2, Y0, Y8
	VPERM2F128   $0x31, Y2, Y0, Y9
	VADDPD       Y9, Y8, Y8
	VPERM2F128   $0x20, Y3, Y1, Y10
	VPERM2F128   $0x31, Y3, Y1, Y11
	VADDPD       Y11, Y10, Y10
	VHADDPD      Y10, Y8, Y8        // dot of r = 0, 1, 2, 3
	VEXTRACTF128 $1, Y8, X9         // dot of r = 2, 3
	VADDSD       (DX), X8, X10
	VMOVSD       X10, (DX)
	CMPQ         BX, $2
	JLT          qdone
	VPERMILPD    $1, X8, X8
	VADDSD       (DX)(R8*1), X8, X10
	VMOVSD       X10, (DX)(R8*1)
	CMPQ         BX, $3
	JLT          qdone
	VADDSD       (DX)(R8*2), X9, X10
	VMOVSD       X10, (DX)(R8*2)

qdone:
	VZEROUPPER
	RET
