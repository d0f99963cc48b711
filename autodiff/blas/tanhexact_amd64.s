//go:build amd64 && !purego && !noasm && !safe && !amd64.v3

#include "textflag.h"

// Constants of tanhExactAVX2, each repeated four times (one ymm register):
// the bits of the constants of math.tanh (tanh.go) and of math.archExp
// (exp_amd64.s), as Go rounds their decimal literals.
// +0: abs mask
DATA tanhexc<>+0(SB)/8, $0x7fffffffffffffff
DATA tanhexc<>+8(SB)/8, $0x7fffffffffffffff
DATA tanhexc<>+16(SB)/8, $0x7fffffffffffffff
DATA tanhexc<>+24(SB)/8, $0x7fffffffffffffff
// +32: sign mask
DATA tanhexc<>+32(SB)/8, $0x8000000000000000
DATA tanhexc<>+40(SB)/8, $0x8000000000000000
DATA tanhexc<>+48(SB)/8, $0x8000000000000000
DATA tanhexc<>+56(SB)/8, $0x8000000000000000
// +64: 0.5·MAXLOG (math.tanh)
DATA tanhexc<>+64(SB)/8, $0x404601e678fc457b
DATA tanhexc<>+72(SB)/8, $0x404601e678fc457b
DATA tanhexc<>+80(SB)/8, $0x404601e678fc457b
DATA tanhexc<>+88(SB)/8, $0x404601e678fc457b
// +96: 0.625
DATA tanhexc<>+96(SB)/8, $0x3fe4000000000000
DATA tanhexc<>+104(SB)/8, $0x3fe4000000000000
DATA tanhexc<>+112(SB)/8, $0x3fe4000000000000
DATA tanhexc<>+120(SB)/8, $0x3fe4000000000000
// +128: 1
DATA tanhexc<>+128(SB)/8, $0x3ff0000000000000
DATA tanhexc<>+136(SB)/8, $0x3ff0000000000000
DATA tanhexc<>+144(SB)/8, $0x3ff0000000000000
DATA tanhexc<>+152(SB)/8, $0x3ff0000000000000
// +160: 2
DATA tanhexc<>+160(SB)/8, $0x4000000000000000
DATA tanhexc<>+168(SB)/8, $0x4000000000000000
DATA tanhexc<>+176(SB)/8, $0x4000000000000000
DATA tanhexc<>+184(SB)/8, $0x4000000000000000
// +192: tanhP[0]
DATA tanhexc<>+192(SB)/8, $0xbfeedc5baafd6f4b
DATA tanhexc<>+200(SB)/8, $0xbfeedc5baafd6f4b
DATA tanhexc<>+208(SB)/8, $0xbfeedc5baafd6f4b
DATA tanhexc<>+216(SB)/8, $0xbfeedc5baafd6f4b
// +224: tanhP[1]
DATA tanhexc<>+224(SB)/8, $0xc058d26a0e26682d
DATA tanhexc<>+232(SB)/8, $0xc058d26a0e26682d
DATA tanhexc<>+240(SB)/8, $0xc058d26a0e26682d
DATA tanhexc<>+248(SB)/8, $0xc058d26a0e26682d
// +256: tanhP[2]
DATA tanhexc<>+256(SB)/8, $0xc0993ac030580563
DATA tanhexc<>+264(SB)/8, $0xc0993ac030580563
DATA tanhexc<>+272(SB)/8, $0xc0993ac030580563
DATA tanhexc<>+280(SB)/8, $0xc0993ac030580563
// +288: tanhQ[0]
DATA tanhexc<>+288(SB)/8, $0x405c33f28a581b86
DATA tanhexc<>+296(SB)/8, $0x405c33f28a581b86
DATA tanhexc<>+304(SB)/8, $0x405c33f28a581b86
DATA tanhexc<>+312(SB)/8, $0x405c33f28a581b86
// +320: tanhQ[1]
DATA tanhexc<>+320(SB)/8, $0x40a176fa0e5535fa
DATA tanhexc<>+328(SB)/8, $0x40a176fa0e5535fa
DATA tanhexc<>+336(SB)/8, $0x40a176fa0e5535fa
DATA tanhexc<>+344(SB)/8, $0x40a176fa0e5535fa
// +352: tanhQ[2]
DATA tanhexc<>+352(SB)/8, $0x40b2ec102442040c
DATA tanhexc<>+360(SB)/8, $0x40b2ec102442040c
DATA tanhexc<>+368(SB)/8, $0x40b2ec102442040c
DATA tanhexc<>+376(SB)/8, $0x40b2ec102442040c
// +384: LOG2E
DATA tanhexc<>+384(SB)/8, $0x3ff71547652b82fe
DATA tanhexc<>+392(SB)/8, $0x3ff71547652b82fe
DATA tanhexc<>+400(SB)/8, $0x3ff71547652b82fe
DATA tanhexc<>+408(SB)/8, $0x3ff71547652b82fe
// +416: LN2U
DATA tanhexc<>+416(SB)/8, $0x3fe62e42fefa3000
DATA tanhexc<>+424(SB)/8, $0x3fe62e42fefa3000
DATA tanhexc<>+432(SB)/8, $0x3fe62e42fefa3000
DATA tanhexc<>+440(SB)/8, $0x3fe62e42fefa3000
// +448: LN2L
DATA tanhexc<>+448(SB)/8, $0x3d53de6af278ece6
DATA tanhexc<>+456(SB)/8, $0x3d53de6af278ece6
DATA tanhexc<>+464(SB)/8, $0x3d53de6af278ece6
DATA tanhexc<>+472(SB)/8, $0x3d53de6af278ece6
// +480: 0.0625
DATA tanhexc<>+480(SB)/8, $0x3fb0000000000000
DATA tanhexc<>+488(SB)/8, $0x3fb0000000000000
DATA tanhexc<>+496(SB)/8, $0x3fb0000000000000
DATA tanhexc<>+504(SB)/8, $0x3fb0000000000000
// +512: 1/8!
DATA tanhexc<>+512(SB)/8, $0x3efa01a01a01a01a
DATA tanhexc<>+520(SB)/8, $0x3efa01a01a01a01a
DATA tanhexc<>+528(SB)/8, $0x3efa01a01a01a01a
DATA tanhexc<>+536(SB)/8, $0x3efa01a01a01a01a
// +544: 1/7!
DATA tanhexc<>+544(SB)/8, $0x3f2a01a01a01a01a
DATA tanhexc<>+552(SB)/8, $0x3f2a01a01a01a01a
DATA tanhexc<>+560(SB)/8, $0x3f2a01a01a01a01a
DATA tanhexc<>+568(SB)/8, $0x3f2a01a01a01a01a
// +576: 1/6!
DATA tanhexc<>+576(SB)/8, $0x3f56c16c16c16c17
DATA tanhexc<>+584(SB)/8, $0x3f56c16c16c16c17
DATA tanhexc<>+592(SB)/8, $0x3f56c16c16c16c17
DATA tanhexc<>+600(SB)/8, $0x3f56c16c16c16c17
// +608: 1/5!
DATA tanhexc<>+608(SB)/8, $0x3f81111111111111
DATA tanhexc<>+616(SB)/8, $0x3f81111111111111
DATA tanhexc<>+624(SB)/8, $0x3f81111111111111
DATA tanhexc<>+632(SB)/8, $0x3f81111111111111
// +640: 1/4!
DATA tanhexc<>+640(SB)/8, $0x3fa5555555555555
DATA tanhexc<>+648(SB)/8, $0x3fa5555555555555
DATA tanhexc<>+656(SB)/8, $0x3fa5555555555555
DATA tanhexc<>+664(SB)/8, $0x3fa5555555555555
// +672: 1/3!
DATA tanhexc<>+672(SB)/8, $0x3fc5555555555555
DATA tanhexc<>+680(SB)/8, $0x3fc5555555555555
DATA tanhexc<>+688(SB)/8, $0x3fc5555555555555
DATA tanhexc<>+696(SB)/8, $0x3fc5555555555555
// +704: 1/2!
DATA tanhexc<>+704(SB)/8, $0x3fe0000000000000
DATA tanhexc<>+712(SB)/8, $0x3fe0000000000000
DATA tanhexc<>+720(SB)/8, $0x3fe0000000000000
DATA tanhexc<>+728(SB)/8, $0x3fe0000000000000
// +736: exponent bias 1023
DATA tanhexc<>+736(SB)/8, $0x00000000000003ff
DATA tanhexc<>+744(SB)/8, $0x00000000000003ff
DATA tanhexc<>+752(SB)/8, $0x00000000000003ff
DATA tanhexc<>+760(SB)/8, $0x00000000000003ff
GLOBL tanhexc<>(SB), RODATA|NOPTR, $768

#define ABSMASK tanhexc<>+0(SB)
#define SIGNMASK tanhexc<>+32(SB)
#define BIG tanhexc<>+64(SB)
#define MID tanhexc<>+96(SB)
#define ONE tanhexc<>+128(SB)
#define TWO tanhexc<>+160(SB)
#define P0 tanhexc<>+192(SB)
#define P1 tanhexc<>+224(SB)
#define P2 tanhexc<>+256(SB)
#define Q0 tanhexc<>+288(SB)
#define Q1 tanhexc<>+320(SB)
#define Q2 tanhexc<>+352(SB)
#define LOG2E tanhexc<>+384(SB)
#define LN2U tanhexc<>+416(SB)
#define LN2L tanhexc<>+448(SB)
#define SIXTEENTH tanhexc<>+480(SB)
#define E8 tanhexc<>+512(SB)
#define E7 tanhexc<>+544(SB)
#define E6 tanhexc<>+576(SB)
#define E5 tanhexc<>+608(SB)
#define E4 tanhexc<>+640(SB)
#define E3 tanhexc<>+672(SB)
#define E2 tanhexc<>+704(SB)
#define BIAS tanhexc<>+736(SB)

// func tanhExactAVX2(dst, src []float64, fma bool)
//
// Per block of four: masks for |x| >= 0.625 (Y13) and |x| > 0.5·MAXLOG
// (Y14), both false for NaN; the polynomial branch (Y6) unless every lane
// has |x| >= 0.625, the exp branch blended in where |x| >= 0.625, ±1 where
// |x| > 0.5·MAXLOG. Each operation keeps the operand order of math.tanh's
// and math.archExp's scalar code (first source first), so that even NaN
// payloads propagate as there.
TEXT ·tanhExactAVX2(SB), NOSPLIT, $0-49
	MOVQ    dst_base+0(FP), DI
	MOVQ    src_base+24(FP), SI
	MOVQ    src_len+32(FP), CX
	MOVBLZX fma+48(FP), DX
	SHRQ    $2, CX
	JEQ     done

loop:
	VMOVUPD   (SI), Y0                // x
	VANDPD    ABSMASK, Y0, Y1         // z = |x|
	VANDPD    SIGNMASK, Y0, Y15       // sign bit of x
	VCMPPD    $0x1d, MID, Y1, Y13     // z >= 0.625 (GE_OQ)
	VCMPPD    $0x1e, BIG, Y1, Y14     // z > 0.5·MAXLOG (GT_OQ)
	VMOVMSKPD Y13, AX
	CMPQ      AX, $15
	JEQ       noPoly

	// |x| < 0.625 (and NaN): x + x·s·((P0·s+P1)·s+P2)/(((s+Q0)·s+Q1)·s+Q2).
	VMULPD    Y0, Y0, Y2              // s = x·x
	VMULPD    Y2, Y0, Y3              // x·s
	VMOVUPD   P0, Y4
	VMULPD    Y2, Y4, Y4              // P0·s
	VADDPD    P1, Y4, Y4              // + P1
	VMULPD    Y2, Y4, Y4              // ·s
	VADDPD    P2, Y4, Y4              // + P2
	VMULPD    Y3, Y4, Y4              // ·(x·s)
	VMOVUPD   Q0, Y5
	VADDPD    Y2, Y5, Y5              // Q0 + s
	VMULPD    Y2, Y5, Y5              // ·s
	VADDPD    Q1, Y5, Y5              // + Q1
	VMULPD    Y2, Y5, Y5              // ·s
	VADDPD    Q2, Y5, Y5              // + Q2
	VDIVPD    Y5, Y4, Y4              // quotient
	VADDPD    Y4, Y0, Y6              // x + quotient
	VXORPD    Y7, Y7, Y7
	VCMPPD    $0, Y7, Y0, Y7          // x == 0 (EQ_OQ)
	VBLENDVPD Y7, Y0, Y6, Y6          // ±0 stays x

noPoly:
	TESTQ AX, AX
	JEQ   noExp

	// |x| >= 0.625: s = Exp(2|x|) as math.archExp computes it.
	VADDPD     Y1, Y1, Y8             // a = z + z
	VMOVUPD    LOG2E, Y9
	VMULPD     Y8, Y9, Y9             // LOG2E·a
	VCVTPD2DQY Y9, X10                // n = round(LOG2E·a) (MXCSR: nearest)
	VCVTDQ2PD  X10, Y9                // float64(n)
	TESTQ      DX, DX
	JEQ        expNoFMA

	VFNMADD231PD LN2U, Y9, Y8         // a -= n·LN2U (fused)
	VFNMADD231PD LN2L, Y9, Y8         // a -= n·LN2L (fused)
	VMULPD       SIXTEENTH, Y8, Y8    // r = a·0.0625
	VMOVUPD      E8, Y11
	VFMADD213PD  E7, Y8, Y11          // p = p·r + 1/7!
	VFMADD213PD  E6, Y8, Y11          // p = p·r + 1/6!
	VFMADD213PD  E5, Y8, Y11          // p = p·r + 1/5!
	VFMADD213PD  E4, Y8, Y11          // p = p·r + 1/4!
	VFMADD213PD  E3, Y8, Y11          // p = p·r + 1/3!
	VFMADD213PD  E2, Y8, Y11          // p = p·r + 1/2
	VFMADD213PD  ONE, Y8, Y11         // p = p·r + 1
	VMULPD       Y11, Y8, Y8          // e = r·p
	VADDPD       TWO, Y8, Y11
	VMULPD       Y11, Y8, Y8          // e = e·(e+2)
	VADDPD       TWO, Y8, Y11
	VMULPD       Y11, Y8, Y8          // e = e·(e+2)
	VADDPD       TWO, Y8, Y11
	VMULPD       Y11, Y8, Y8          // e = e·(e+2)
	VADDPD       TWO, Y8, Y11
	VFMADD213PD  ONE, Y11, Y8         // e = e·(e+2) + 1 (fused)
	JMP          expScale

expNoFMA:
	VMOVUPD LN2U, Y11
	VMULPD  Y9, Y11, Y11              // LN2U·n
	VSUBPD  Y11, Y8, Y8               // a -= LN2U·n
	VMOVUPD LN2L, Y11
	VMULPD  Y9, Y11, Y11              // LN2L·n
	VSUBPD  Y11, Y8, Y8               // a -= LN2L·n
	VMULPD  SIXTEENTH, Y8, Y8         // r = a·0.0625
	VMOVUPD E8, Y11
	VMULPD  Y8, Y11, Y11
	VADDPD  E7, Y11, Y11              // p = p·r + 1/7!
	VMULPD  Y8, Y11, Y11
	VADDPD  E6, Y11, Y11              // p = p·r + 1/6!
	VMULPD  Y8, Y11, Y11
	VADDPD  E5, Y11, Y11              // p = p·r + 1/5!
	VMULPD  Y8, Y11, Y11
	VADDPD  E4, Y11, Y11              // p = p·r + 1/4!
	VMULPD  Y8, Y11, Y11
	VADDPD  E3, Y11, Y11              // p = p·r + 1/3!
	VMULPD  Y8, Y11, Y11
	VADDPD  E2, Y11, Y11              // p = p·r + 1/2
	VMULPD  Y8, Y11, Y11
	VADDPD  ONE, Y11, Y11             // p = p·r + 1
	VMULPD  Y11, Y8, Y8               // e = r·p
	VMOVUPD TWO, Y11
	VADDPD  Y8, Y11, Y11
	VMULPD  Y11, Y8, Y8               // e = e·(2+e)
	VMOVUPD TWO, Y11
	VADDPD  Y8, Y11, Y11
	VMULPD  Y11, Y8, Y8               // e = e·(2+e)
	VMOVUPD TWO, Y11
	VADDPD  Y8, Y11, Y11
	VMULPD  Y11, Y8, Y8               // e = e·(2+e)
	VMOVUPD TWO, Y11
	VADDPD  Y8, Y11, Y11
	VMULPD  Y11, Y8, Y8               // e = e·(2+e)
	VADDPD  ONE, Y8, Y8               // e + 1

expScale:
	VPMOVSXDQ X10, Y11
	VPADDQ    BIAS, Y11, Y11
	VPSLLQ    $52, Y11, Y11           // 2^n (2 <= n <= 127 on the lanes used)
	VMULPD    Y11, Y8, Y8             // s = e·2^n
	VADDPD    ONE, Y8, Y8             // s + 1
	VMOVUPD   TWO, Y11
	VDIVPD    Y8, Y11, Y11            // 2/(s+1)
	VMOVUPD   ONE, Y8
	VSUBPD    Y11, Y8, Y8             // 1 - 2/(s+1)
	VXORPD    Y15, Y8, Y8             // negated if x < 0
	VBLENDVPD Y13, Y8, Y6, Y6

noExp:
	VMOVMSKPD Y14, AX
	TESTQ     AX, AX
	JEQ       store
	VORPD     ONE, Y15, Y9            // ±1
	VBLENDVPD Y14, Y9, Y6, Y6

store:
	VMOVUPD Y6, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     loop
	VZEROUPPER

done:
	RET
