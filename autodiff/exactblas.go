package autodiff

import "github.com/mbrl/mbrl/autodiff/blas"

// init installs blas.Exact under every Gorgonia graph and tensor operation
// of the process: gonum's BLAS with a Dgemm that gives gonum's results bit
// for bit, faster (AVX2 kernels where the CPU has them). Every package of
// this module that builds graphs imports autodiff, so every graph gets it;
// results are those of gonum's Dgemm either way. blas.Use (fused
// multiply-adds, other rounding) replaces it when called explicitly.
func init() { blas.UseExact() }
