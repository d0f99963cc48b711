//go:build !amd64 || purego || noasm || safe || amd64.v3

package blas

// haveTanhExact is false: without the amd64 kernel (or with GOAMD64=v3,
// where math.tanh itself uses fused multiply-adds) TanhExact loops over
// math.Tanh.
const haveTanhExact = false

// tanhExactFMA is false where there is no kernel to choose a path for.
const tanhExactFMA = false

// tanhExactAVX2 is never called where haveTanhExact is false.
func tanhExactAVX2(dst, src []float64, fma bool) {
	panic("blas: no exact tanh kernel on this architecture")
}
