//go:build amd64 && !purego && !noasm && !safe

#include "textflag.h"

// func gemvT(m, n int, alpha float64, a *float64, lda int, x *float64, y *float64, mask *int64)
//
// For j = 0..n-1 and r = 0..m-1 in this order (m, n >= 1):
// y[j] = y[j] + a[r·lda + j]·(x[r]·alpha), a multiply and an add (no fused
// multiply-add), with the operands in the order of gonum's GemvT (the
// element of A first in the multiply, y first in the add) so that even a
// NaN's payload is gonum's. Columns go 32 at a time (y in Y0..Y7 for all
// m rows), then 16, 8 and 4 at a time, the last n mod 4 by masked loads
// and stores with mask [4] (its first n mod 4 lanes -1), so nothing
// beyond y[n-1] or a row's element n-1 is touched.
// Registers: Y0..Y7 y; Y8 x[r]·alpha; Y9..Y12 products; Y14 the mask;
// Y15 alpha; SI A's column block, DI x, DX y's block, CX m, BX the columns
// left, R9 lda bytes, R10..R12 the row loop's A, x and count.
TEXT ·gemvT(SB), NOSPLIT, $0-64
	MOVQ         m+0(FP), CX
	MOVQ         n+8(FP), BX
	VBROADCASTSD alpha+16(FP), Y15
	MOVQ         a+24(FP), SI
	MOVQ         lda+32(FP), R9
	SHLQ         $3, R9
	MOVQ         x+40(FP), DI
	MOVQ         y+48(FP), DX
	MOVQ         mask+56(FP), AX
	VMOVDQU      (AX), Y14

c32:
	CMPQ BX, $32
	JLT  c32_next
	VMOVUPD (DX), Y0
	VMOVUPD 32(DX), Y1
	VMOVUPD 64(DX), Y2
	VMOVUPD 96(DX), Y3
	VMOVUPD 128(DX), Y4
	VMOVUPD 160(DX), Y5
	VMOVUPD 192(DX), Y6
	VMOVUPD 224(DX), Y7
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ CX, R12
c32_row:
	VBROADCASTSD (R11), Y8
	VMULPD       Y15, Y8, Y8
	VMOVUPD      (R10), Y9
	VMULPD       Y8, Y9, Y9
	VADDPD       Y9, Y0, Y0
	VMOVUPD      32(R10), Y10
	VMULPD       Y8, Y10, Y10
	VADDPD       Y10, Y1, Y1
	VMOVUPD      64(R10), Y11
	VMULPD       Y8, Y11, Y11
	VADDPD       Y11, Y2, Y2
	VMOVUPD      96(R10), Y12
	VMULPD       Y8, Y12, Y12
	VADDPD       Y12, Y3, Y3
	VMOVUPD      128(R10), Y9
	VMULPD       Y8, Y9, Y9
	VADDPD       Y9, Y4, Y4
	VMOVUPD      160(R10), Y10
	VMULPD       Y8, Y10, Y10
	VADDPD       Y10, Y5, Y5
	VMOVUPD      192(R10), Y11
	VMULPD       Y8, Y11, Y11
	VADDPD       Y11, Y6, Y6
	VMOVUPD      224(R10), Y12
	VMULPD       Y8, Y12, Y12
	VADDPD       Y12, Y7, Y7
	ADDQ         R9, R10
	ADDQ         $8, R11
	DECQ         R12
	JNE          c32_row
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	VMOVUPD Y2, 64(DX)
	VMOVUPD Y3, 96(DX)
	VMOVUPD Y4, 128(DX)
	VMOVUPD Y5, 160(DX)
	VMOVUPD Y6, 192(DX)
	VMOVUPD Y7, 224(DX)
	ADDQ $256, DX
	ADDQ $256, SI
	SUBQ $32, BX
	JMP  c32
c32_next:

c16:
	CMPQ BX, $16
	JLT  c16_next
	VMOVUPD (DX), Y0
	VMOVUPD 32(DX), Y1
	VMOVUPD 64(DX), Y2
	VMOVUPD 96(DX), Y3
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ CX, R12
c16_row:
	VBROADCASTSD (R11), Y8
	VMULPD       Y15, Y8, Y8
	VMOVUPD      (R10), Y9
	VMULPD       Y8, Y9, Y9
	VADDPD       Y9, Y0, Y0
	VMOVUPD      32(R10), Y10
	VMULPD       Y8, Y10, Y10
	VADDPD       Y10, Y1, Y1
	VMOVUPD      64(R10), Y11
	VMULPD       Y8, Y11, Y11
	VADDPD       Y11, Y2, Y2
	VMOVUPD      96(R10), Y12
	VMULPD       Y8, Y12, Y12
	VADDPD       Y12, Y3, Y3
	ADDQ         R9, R10
	ADDQ         $8, R11
	DECQ         R12
	JNE          c16_row
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	VMOVUPD Y2, 64(DX)
	VMOVUPD Y3, 96(DX)
	ADDQ $128, DX
	ADDQ $128, SI
	SUBQ $16, BX
c16_next:

c8:
	CMPQ BX, $8
	JLT  c8_next
	VMOVUPD (DX), Y0
	VMOVUPD 32(DX), Y1
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ CX, R12
c8_row:
	VBROADCASTSD (R11), Y8
	VMULPD       Y15, Y8, Y8
	VMOVUPD      (R10), Y9
	VMULPD       Y8, Y9, Y9
	VADDPD       Y9, Y0, Y0
	VMOVUPD      32(R10), Y10
	VMULPD       Y8, Y10, Y10
	VADDPD       Y10, Y1, Y1
	ADDQ         R9, R10
	ADDQ         $8, R11
	DECQ         R12
	JNE          c8_row
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	ADDQ $64, DX
	ADDQ $64, SI
	SUBQ $8, BX
c8_next:

c4:
	CMPQ BX, $4
	JLT  c4_next
	VMOVUPD (DX), Y0
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ CX, R12
c4_row:
	VBROADCASTSD (R11), Y8
	VMULPD       Y15, Y8, Y8
	VMOVUPD      (R10), Y9
	VMULPD       Y8, Y9, Y9
	VADDPD       Y9, Y0, Y0
	ADDQ         R9, R10
	ADDQ         $8, R11
	DECQ         R12
	JNE          c4_row
	VMOVUPD Y0, (DX)
	ADDQ $32, DX
	ADDQ $32, SI
	SUBQ $4, BX
c4_next:

ctail:
	TESTQ BX, BX
	JEQ   done
	VMASKMOVPD (DX), Y14, Y0
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ CX, R12
ctail_row:
	VBROADCASTSD (R11), Y8
	VMULPD       Y15, Y8, Y8
	VMASKMOVPD   (R10), Y14, Y9
	VMULPD       Y8, Y9, Y9
	VADDPD       Y9, Y0, Y0
	ADDQ         R9, R10
	ADDQ         $8, R11
	DECQ         R12
	JNE          ctail_row
	VMASKMOVPD Y0, Y14, (DX)

done:
	VZEROUPPER
	RET
