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
