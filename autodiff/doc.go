// Package autodiff provides what Gorgonia lacks for gradient-based RL work:
// global and per-group gradient norms and global-norm clipping on plain
// slices, copying gradients out of a Gorgonia run, finite-difference
// gradients, Jacobians and gradient checks, gradients with respect to
// intermediate (non-leaf) nodes of a graph, batched per-sample Jacobians
// of a graph function (for iLQR on a learned dynamics model), and the
// elementwise ops with gradients the graph dynamics and BPTT need (Clamp,
// WrapAngle, Atan2).
//
// Trainers hold gradients as [][]float64, one slice per parameter tensor:
//
//	grads, _ := G.Grad(loss, params...)
//	vm := G.NewTapeMachine(g)
//	buf := make([][]float64, len(grads))
//	// each step:
//	vm.RunAll()
//	if err := autodiff.CopyGrads(buf, grads); err != nil { ... }
//	preClip := autodiff.ClipByGlobalNorm(buf, 10)
//	vm.Reset()
//
// Gradient checks compare an analytic gradient with central differences:
//
//	relErr := autodiff.CheckGradient(f, grad, x, 1e-6) // f: []float64 -> float64
//
// Per-timestep gradients of an unrolled graph, with the parameters' in the
// same backward pass (G.Grad accepts only leaves):
//
//	grads, err := autodiff.GradWRT(loss, append(params, hs...)...)
//
// Per-sample Jacobians of a row-wise model out [B, n] = f(x [B, dx], u [B, du]):
//
//	jac, err := autodiff.NewJacobian(g, out, x, u)
//	J, err := jac.Compute() // J[0]: [B, n, dx], J[1]: [B, n, du]
//
// The ops compose with Gorgonia's own (symbolic differentiation with G.Grad
// and a TapeMachine):
//
//	th, err := autodiff.Atan2(sin, cos) // the angle of a predicted [cos, sin]
//	u, err := autodiff.Clamp(raw, -2, 2) // gradient 0 outside (-2, 2)
//
// Importing autodiff installs blas.Exact under Gorgonia (gonum's BLAS with
// a faster Dgemm of bit-identical results), and Rewind readies a tape
// machine for its next run without dropping its op outputs, so that the
// run allocates none: both keep every result bit for bit.
//
// The package knows nothing about RL methods; it has no package-level
// mutable state, and its types are not safe for concurrent use (one Jacobian
// per goroutine, like one Gorgonia VM per goroutine).
package autodiff
