//go:build !amd64 || purego || noasm || safe

package blas

// haveExact is false: without the amd64 kernels Exact's Dgemm is gonum's.
const haveExact = false

// axpyTile4x8 is never called where haveExact is false.
func axpyTile4x8(k int, a *float64, ai, al int, b *float64, ldb int, c *float64, ldc int) {
	panic("blas: no exact kernel on this architecture")
}

// dotTile2x4 is never called where haveExact is false.
func dotTile2x4(k4 int, a *float64, lda int, b *float64, ldb int, dst *float64) {
	panic("blas: no exact kernel on this architecture")
}

// axpyTile4xN is never called where haveExact is false.
func axpyTile4xN(k int, a *float64, ai, al int, b *float64, ldb int, c *float64, ldc int, mask *int64) {
	panic("blas: no exact kernel on this architecture")
}

// axpyTile1x8 is never called where haveExact is false.
func axpyTile1x8(k int, a *float64, al int, b *float64, ldb int, c *float64) {
	panic("blas: no exact kernel on this architecture")
}

// dotTile4x8 is never called where haveExact is false.
func dotTile4x8(k int, a *float64, lda int, bt *float64, ldbt int, c *float64, ldc int) {
	panic("blas: no exact kernel on this architecture")
}

// dotTile2x4C is never called where haveExact is false.
func dotTile2x4C(k4 int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int) {
	panic("blas: no exact kernel on this architecture")
}

// dotTile4x1C is never called where haveExact is false.
func dotTile4x1C(k4 int, x *float64, ldx int, y *float64, c *float64, ldc int) {
	panic("blas: no exact kernel on this architecture")
}

// dotTile8x1C is never called where haveExact is false.
func dotTile8x1C(k4 int, x *float64, ldx int, y *float64, c *float64, ldc int) {
	panic("blas: no exact kernel on this architecture")
}

// dotTile1x8 is never called where haveExact is false.
func dotTile1x8(k int, a *float64, bt *float64, ldbt int, c *float64, nb int) {
	panic("blas: no exact kernel on this architecture")
}

// dotTileQx1C is never called where haveExact is false.
func dotTileQx1C(k4 int, x0, x1, x2, x3 *float64, y *float64, c *float64, ldc int, q int) {
	panic("blas: no exact kernel on this architecture")
}
