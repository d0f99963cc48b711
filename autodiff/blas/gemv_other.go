//go:build !amd64 || purego || noasm || safe

package blas

// gemvT is never called where haveExact is false.
func gemvT(m, n int, alpha float64, a *float64, lda int, x *float64, y *float64, mask *int64) {
	panic("blas: no exact kernel on this architecture")
}
