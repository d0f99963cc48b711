package blas

import G "gorgonia.org/gorgonia"

// Use installs a new Implementation under every Gorgonia graph and tensor
// operation of the process (gorgonia.Use, which also calls tensor.Use) and
// returns it. It changes the rounding of every matrix product, so results
// differ from those with gonum's Dgemm in the last bits.
func Use() *Implementation {
	impl := New()
	G.Use(impl)
	return impl
}
