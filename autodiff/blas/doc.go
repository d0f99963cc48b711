// Package blas makes Gorgonia's float64 hot paths fast on the small
// matrices of this project: a matrix multiply (Dgemm) for shapes like
// 256×64·64×64 and 32×3·3×64, plugged in under every graph, and a
// vectorised tanh, plugged in through a tensor engine.
//
// Exact is gonum's BLAS with a Dgemm and a Dgemv (op(A) = Aᵀ) whose results
// are gonum's bit for bit (the same multiplies and adds per element of C or
// y, in the same order, in AVX2 registers without fused multiply-adds);
// package autodiff installs it under Gorgonia (UseExact), so it is the
// default of the module, and nn's single-point MLP passes call it. TanhExact
// gives math.Tanh's bits four elements at a time (AVX2, math.Exp inlined on
// the path package math takes). The rest of this comment is about
// Implementation and Tanh, which are faster still but change rounding, and
// are only used on request (Use, Engine).
//
// Implementation is gonum's native BLAS with Dgemm overridden by a packed
// algorithm (Goto & van de Geijn, ACM TOMS 34(3), 2008): panels of A and B
// are packed into reused buffers and a 6×8 AVX2/FMA micro-kernel in Go
// assembly computes each tile of C. On CPUs without AVX2 and FMA, on other
// architectures, with the purego build tag, and for products with fewer
// than 6 rows or m·n·k < 512, Dgemm is gonum's. Tanh evaluates
// expm1(2|x|)/(expm1(2|x|)+2) four elements at a time, within 2 ulp.
//
//	impl := blas.Use() // gorgonia.Use(blas.New()): every later matrix product
//	vm := G.NewTapeMachine(g, G.WithEngine(blas.Engine{})) // tanh ops of this machine
//	blas.Tanh(dst, src) // on plain slices
//
// Both change rounding against gonum and math.Tanh: Dgemm's results differ
// from gonum's by at most about k·eps·Σ|A_ip||B_pj| per element (fused
// multiply-adds, another summation order), Tanh's from math.Tanh by a few
// ulp. Results are deterministic: the same inputs give the same bits, on
// any number of goroutines. An Implementation and Engine are safe for
// concurrent use; the package has no mutable state beyond the CPU feature
// flag read once at initialisation.
package blas
