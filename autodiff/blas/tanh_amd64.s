//go:build amd64 && !purego

#include "textflag.h"

// Constants of tanhAVX2, each repeated four times (one ymm register). Generated
// alongside tanhScalar in tanh.go; see there for the algorithm.
DATA tanhc<>+0(SB)/8, $0x7fffffffffffffff
DATA tanhc<>+8(SB)/8, $0x7fffffffffffffff
DATA tanhc<>+16(SB)/8, $0x7fffffffffffffff
DATA tanhc<>+24(SB)/8, $0x7fffffffffffffff
DATA tanhc<>+32(SB)/8, $0x8000000000000000
DATA tanhc<>+40(SB)/8, $0x8000000000000000
DATA tanhc<>+48(SB)/8, $0x8000000000000000
DATA tanhc<>+56(SB)/8, $0x8000000000000000
DATA tanhc<>+64(SB)/8, $0x4044000000000000
DATA tanhc<>+72(SB)/8, $0x4044000000000000
DATA tanhc<>+80(SB)/8, $0x4044000000000000
DATA tanhc<>+88(SB)/8, $0x4044000000000000
DATA tanhc<>+96(SB)/8, $0x3ff71547652b82fe
DATA tanhc<>+104(SB)/8, $0x3ff71547652b82fe
DATA tanhc<>+112(SB)/8, $0x3ff71547652b82fe
DATA tanhc<>+120(SB)/8, $0x3ff71547652b82fe
DATA tanhc<>+128(SB)/8, $0x4338000000000000
DATA tanhc<>+136(SB)/8, $0x4338000000000000
DATA tanhc<>+144(SB)/8, $0x4338000000000000
DATA tanhc<>+152(SB)/8, $0x4338000000000000
DATA tanhc<>+160(SB)/8, $0x3fe62e42fee00000
DATA tanhc<>+168(SB)/8, $0x3fe62e42fee00000
DATA tanhc<>+176(SB)/8, $0x3fe62e42fee00000
DATA tanhc<>+184(SB)/8, $0x3fe62e42fee00000
DATA tanhc<>+192(SB)/8, $0x3dea39ef35793c76
DATA tanhc<>+200(SB)/8, $0x3dea39ef35793c76
DATA tanhc<>+208(SB)/8, $0x3dea39ef35793c76
DATA tanhc<>+216(SB)/8, $0x3dea39ef35793c76
DATA tanhc<>+224(SB)/8, $0x3de6124613a86d09
DATA tanhc<>+232(SB)/8, $0x3de6124613a86d09
DATA tanhc<>+240(SB)/8, $0x3de6124613a86d09
DATA tanhc<>+248(SB)/8, $0x3de6124613a86d09
DATA tanhc<>+256(SB)/8, $0x3e21eed8eff8d898
DATA tanhc<>+264(SB)/8, $0x3e21eed8eff8d898
DATA tanhc<>+272(SB)/8, $0x3e21eed8eff8d898
DATA tanhc<>+280(SB)/8, $0x3e21eed8eff8d898
DATA tanhc<>+288(SB)/8, $0x3e5ae64567f544e4
DATA tanhc<>+296(SB)/8, $0x3e5ae64567f544e4
DATA tanhc<>+304(SB)/8, $0x3e5ae64567f544e4
DATA tanhc<>+312(SB)/8, $0x3e5ae64567f544e4
DATA tanhc<>+320(SB)/8, $0x3e927e4fb7789f5c
DATA tanhc<>+328(SB)/8, $0x3e927e4fb7789f5c
DATA tanhc<>+336(SB)/8, $0x3e927e4fb7789f5c
DATA tanhc<>+344(SB)/8, $0x3e927e4fb7789f5c
DATA tanhc<>+352(SB)/8, $0x3ec71de3a556c734
DATA tanhc<>+360(SB)/8, $0x3ec71de3a556c734
DATA tanhc<>+368(SB)/8, $0x3ec71de3a556c734
DATA tanhc<>+376(SB)/8, $0x3ec71de3a556c734
DATA tanhc<>+384(SB)/8, $0x3efa01a01a01a01a
DATA tanhc<>+392(SB)/8, $0x3efa01a01a01a01a
DATA tanhc<>+400(SB)/8, $0x3efa01a01a01a01a
DATA tanhc<>+408(SB)/8, $0x3efa01a01a01a01a
DATA tanhc<>+416(SB)/8, $0x3f2a01a01a01a01a
DATA tanhc<>+424(SB)/8, $0x3f2a01a01a01a01a
DATA tanhc<>+432(SB)/8, $0x3f2a01a01a01a01a
DATA tanhc<>+440(SB)/8, $0x3f2a01a01a01a01a
DATA tanhc<>+448(SB)/8, $0x3f56c16c16c16c17
DATA tanhc<>+456(SB)/8, $0x3f56c16c16c16c17
DATA tanhc<>+464(SB)/8, $0x3f56c16c16c16c17
DATA tanhc<>+472(SB)/8, $0x3f56c16c16c16c17
DATA tanhc<>+480(SB)/8, $0x3f81111111111111
DATA tanhc<>+488(SB)/8, $0x3f81111111111111
DATA tanhc<>+496(SB)/8, $0x3f81111111111111
DATA tanhc<>+504(SB)/8, $0x3f81111111111111
DATA tanhc<>+512(SB)/8, $0x3fa5555555555555
DATA tanhc<>+520(SB)/8, $0x3fa5555555555555
DATA tanhc<>+528(SB)/8, $0x3fa5555555555555
DATA tanhc<>+536(SB)/8, $0x3fa5555555555555
DATA tanhc<>+544(SB)/8, $0x3fc5555555555555
DATA tanhc<>+552(SB)/8, $0x3fc5555555555555
DATA tanhc<>+560(SB)/8, $0x3fc5555555555555
DATA tanhc<>+568(SB)/8, $0x3fc5555555555555
DATA tanhc<>+576(SB)/8, $0x3fe0000000000000
DATA tanhc<>+584(SB)/8, $0x3fe0000000000000
DATA tanhc<>+592(SB)/8, $0x3fe0000000000000
DATA tanhc<>+600(SB)/8, $0x3fe0000000000000
DATA tanhc<>+608(SB)/8, $0x00000000000003ff
DATA tanhc<>+616(SB)/8, $0x00000000000003ff
DATA tanhc<>+624(SB)/8, $0x00000000000003ff
DATA tanhc<>+632(SB)/8, $0x00000000000003ff
DATA tanhc<>+640(SB)/8, $0x3ff0000000000000
DATA tanhc<>+648(SB)/8, $0x3ff0000000000000
DATA tanhc<>+656(SB)/8, $0x3ff0000000000000
DATA tanhc<>+664(SB)/8, $0x3ff0000000000000
DATA tanhc<>+672(SB)/8, $0x4000000000000000
DATA tanhc<>+680(SB)/8, $0x4000000000000000
DATA tanhc<>+688(SB)/8, $0x4000000000000000
DATA tanhc<>+696(SB)/8, $0x4000000000000000
GLOBL tanhc<>(SB), RODATA|NOPTR, $704

// func tanhAVX2(dst, src []float64)
//
// tanhAVX2 sets dst[i] = tanh(src[i]) for i < len(src)/4*4, four at a time,
// with the operations of tanhScalar in the same order (bit-identical
// results). len(dst) >= len(src) is the caller's to check.
TEXT ·tanhAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $2, CX
	JEQ  done

loop:
	VMOVUPD (SI), Y0                    // x
	VANDPD  tanhc<>+0(SB), Y0, Y1      // |x|
	VADDPD  Y1, Y1, Y1                  // t = 2|x|
	VMINPD  tanhc<>+64(SB), Y1, Y1        // t = min(t, 40)
	VMOVUPD tanhc<>+96(SB), Y2
	VFMADD213PD tanhc<>+128(SB), Y1, Y2    // z = t·log2e + 1.5·2^52
	VSUBPD  tanhc<>+128(SB), Y2, Y3        // kf = z - 1.5·2^52 = round(t/ln2)
	VFNMADD231PD tanhc<>+160(SB), Y3, Y1   // r = t - kf·ln2hi
	VFNMADD231PD tanhc<>+192(SB), Y3, Y1   // r -= kf·ln2lo
	VMOVUPD tanhc<>+224(SB), Y4
	VFMADD213PD tanhc<>+256(SB), Y1, Y4	// q = q·r + 1/12!
	VFMADD213PD tanhc<>+288(SB), Y1, Y4	// q = q·r + 1/11!
	VFMADD213PD tanhc<>+320(SB), Y1, Y4	// q = q·r + 1/10!
	VFMADD213PD tanhc<>+352(SB), Y1, Y4	// q = q·r + 1/9!
	VFMADD213PD tanhc<>+384(SB), Y1, Y4	// q = q·r + 1/8!
	VFMADD213PD tanhc<>+416(SB), Y1, Y4	// q = q·r + 1/7!
	VFMADD213PD tanhc<>+448(SB), Y1, Y4	// q = q·r + 1/6!
	VFMADD213PD tanhc<>+480(SB), Y1, Y4	// q = q·r + 1/5!
	VFMADD213PD tanhc<>+512(SB), Y1, Y4	// q = q·r + 1/4!
	VFMADD213PD tanhc<>+544(SB), Y1, Y4	// q = q·r + 1/3!
	VFMADD213PD tanhc<>+576(SB), Y1, Y4	// q = q·r + 1/2!
	VMULPD  Y1, Y1, Y5                  // r²
	VFMADD213PD Y1, Y5, Y4              // p = r²·q + r = expm1(r)
	VPADDQ  tanhc<>+608(SB), Y2, Y2
	VPSLLQ  $52, Y2, Y2                 // s = 2^kf
	VSUBPD  tanhc<>+640(SB), Y2, Y6          // s - 1
	VFMADD231PD Y2, Y4, Y6              // em = s·p + (s-1) = expm1(t)
	VADDPD  tanhc<>+672(SB), Y6, Y7          // em + 2
	VDIVPD  Y7, Y6, Y6                  // y = em / (em + 2) = tanh(|x|)
	VANDPD  tanhc<>+32(SB), Y0, Y8
	VORPD   Y8, Y6, Y6                  // sign of x
	VCMPPD  $3, Y0, Y0, Y9              // x is NaN
	VBLENDVPD Y9, Y0, Y6, Y6            // NaN stays x
	VMOVUPD Y6, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     loop
	VZEROUPPER

done:
	RET
