//go:build amd64 && !purego

package blas

import "golang.org/x/sys/cpu"

// haveKernel reports whether the AVX2/FMA kernels can run on this CPU. It
// is set once at package initialisation and never changes.
var haveKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel6x8 computes the 6×8 tile C = A·B + beta·C (C = A·B, C not read,
// when load is 0) from a packed 6×kc panel of A (six values per k) and a
// packed kc×8 panel of B (eight values per k); C's rows are ldc elements
// apart. It needs AVX2 and FMA.
//
//go:noescape
func kernel6x8(kc int, a, b, c *float64, ldc int, beta float64, load int)

// tanhAVX2 sets dst[i] = tanh(src[i]) for i < len(src)/4·4 (see Tanh);
// len(dst) >= len(src) is the caller's to check. It needs AVX2 and FMA.
//
//go:noescape
func tanhAVX2(dst, src []float64)
