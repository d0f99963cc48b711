package blas

import "math"

// TanhExact sets dst[i] = math.Tanh(src[i]) for every i < len(src), bit for
// bit, four elements at a time with AVX2 where the CPU has it. dst may be
// src; otherwise the two must not overlap. It panics if dst is shorter than
// src.
//
// The claim is bit identity with math.Tanh for every float64 input (NaN in
// gives NaN out; its payload is not part of the claim). It holds because the
// assembly performs the IEEE operations of math.Tanh as compiled for
// GOAMD64=v1 or v2 (tanh.go: ±1 above 0.5·MAXLOG, 1 - 2/(s+1) with
// s = Exp(2|x|) from 0.625 on, x itself for ±0, the rational polynomial in
// x² below 0.625, each operand in Go's order and without fused
// multiply-adds), with math.Exp inlined as its amd64 assembly does it
// (Shibata, ISC'10: reduction by ln 2 in two parts, a degree-8 polynomial on
// the argument divided by 16, four squaring steps, scaling by 2^n), taking
// the same fused (VFMADD) or unfused path as math.Exp: the FMA path where
// AVX and FMA are present, read through golang.org/x/sys/cpu as package math
// reads them through internal/cpu (GODEBUG=cpu.fma=off turns both off). For
// 2|x| in [1.25, 88.03] Exp never takes its overflow, subnormal or
// non-finite branches. The branches are computed for whole blocks of four
// (the polynomial unless all four take the exp branch, the exp branch if
// any does) and blended per element. The tail elements (len(src) mod 4),
// CPUs without AVX2, other architectures, the purego, noasm and safe build
// tags, and GOAMD64=v3 or higher (where the compiler fuses a multiply-add
// inside math.tanh itself, which changes its bits) use a loop of math.Tanh.
func TanhExact(dst, src []float64) {
	if len(dst) < len(src) {
		panic("blas: TanhExact: dst shorter than src")
	}
	n := 0
	if haveTanhExact {
		n = len(src) &^ 3
		tanhExactAVX2(dst[:n], src[:n], tanhExactFMA)
	}
	for i := n; i < len(src); i++ {
		dst[i] = math.Tanh(src[i])
	}
}
