//go:build !amd64 || purego

package blas

// haveKernel is false: without the amd64 kernels Dgemm is gonum's.
const haveKernel = false

// kernel6x8 is never called where haveKernel is false.
func kernel6x8(kc int, a, b, c *float64, ldc int, beta float64, load int) {
	panic("blas: no micro-kernel on this architecture")
}

// tanhAVX2 is never called where haveKernel is false.
func tanhAVX2(dst, src []float64) {
	panic("blas: no tanh kernel on this architecture")
}
