//go:build amd64 && !purego && !noasm && !safe && !amd64.v3

package blas

import "golang.org/x/sys/cpu"

// haveTanhExact reports whether tanhExactAVX2 can run on this CPU. It is
// set once at package initialisation and never changes.
var haveTanhExact = cpu.X86.HasAVX && cpu.X86.HasAVX2

// tanhExactFMA reports whether math.Exp takes its fused multiply-add path
// on this CPU: package math sets useFMA = cpu.X86.HasAVX && cpu.X86.HasFMA
// from internal/cpu (exp_amd64.go), which honours GODEBUG=cpu.avx=off and
// cpu.fma=off as golang.org/x/sys/cpu does. It is set once at package
// initialisation and never changes.
var tanhExactFMA = cpu.X86.HasAVX && cpu.X86.HasFMA

// tanhExactAVX2 sets dst[i] = math.Tanh(src[i]) bit for bit for
// i < len(src)/4·4 (see TanhExact), with math.Exp's fused path if fma is
// true and its unfused path otherwise; len(dst) >= len(src) is the caller's
// to check. It needs AVX2, and FMA if fma is true.
//
//go:noescape
func tanhExactAVX2(dst, src []float64, fma bool)
