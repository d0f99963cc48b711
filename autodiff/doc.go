// Package autodiff provides what Gorgonia lacks for gradient-based RL work:
// global and per-group gradient norms and global-norm clipping on plain
// slices, copying gradients out of a Gorgonia run, finite-difference
// gradients, Jacobians and gradient checks, gradients with respect to
// intermediate (non-leaf) nodes of a graph, batched per-sample Jacobians
// of a graph function (for iLQR on a learned dynamics model), and the
// elementwise ops with gradients the graph dynamics and BPTT need (Clamp,
// WrapAngle, Atan2), and Program, which runs a float64 graph without
// Gorgonia's tape machine: one kernel per op over buffers allocated once,
// bit-identical to the tape machine, with no allocation per run.
//
// Trainers hold gradients as [][]float64, one slice per parameter tensor:
//
//	grads, _ := G.Grad(loss, params...)
//	prog, err := autodiff.Compile(append(G.Nodes{loss}, grads...)...)
//	// each step: write the inputs into their backing slices, then
//	prog.Run()
//	for i, g := range grads { copy(buf[i], prog.Data(g)) }
//	preClip := autodiff.ClipByGlobalNorm(buf, 10)
//
// CompileStages splits a Program into a forward and a backward stage whose
// forward activations (Carried) can be saved and restored, so that BPTT
// backpropagates through a step without running its forward pass again.
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
// a faster Dgemm of bit-identical results).
//
// The package knows nothing about RL methods; it has no package-level
// mutable state, and its types are not safe for concurrent use (one Jacobian
// per goroutine, like one Gorgonia VM per goroutine).
package autodiff
