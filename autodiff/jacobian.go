package autodiff

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Jacobian computes per-sample Jacobians of a batched graph function
// out = f(ins...), with each input ins[i] of shape [B, d_i] and the output of
// shape [B, n], for example a learned dynamics model x' = f(x, u) applied to
// B states and actions at once, as iLQR needs.
//
// Requirement: rows are independent. Row b of out must depend only on row b
// of every input, as for an MLP or any other network applied row-wise (no
// batch normalisation, no attention or pooling over the batch, no
// reductions over axis 0). Compute relies on it: it runs one backward pass
// per output coordinate k, seeded with 1 at column k of every row, so the
// gradient it reads for row b of ins[i] is Σ_c ∂out[c,k]/∂ins[i][b,:], which
// is the wanted ∂out[b,k]/∂ins[i][b,:] only when the terms c != b vanish.
// If the requirement is broken the results are silently wrong; check a new
// model once against NumericJacobian.
//
// The graph parts are built once by NewJacobian: an input node seed [B, n],
// the scalar Σ seed ⊙ out, its gradients with respect to ins (GradWRT, so
// ins may be intermediate nodes too), and one Program (Compile) in two
// stages: the forward pass and the backward pass. Compute then costs one
// forward run and n backward runs of the graph, whatever B.
//
// A Jacobian is not safe for concurrent use.
type Jacobian struct {
	out   *G.Node
	ins   G.Nodes
	seed  *G.Node
	grads G.Nodes
	prog  *Program // stage 0: out; stage 1: the gradients
	ran   bool     // Compute has run
	batch int
	nOut  int
	dims  []int
}

// NewJacobian prepares the Jacobians of out [B, n] with respect to each of
// ins [B, d_i] in graph g, adding nodes to g and compiling what out and
// the gradients depend on (a Program: other nodes of g are not computed).
// Inputs are fed by writing into their values' backing slices before
// Compute (they must be bound to contiguous tensors before NewJacobian). All nodes must be float64 matrices
// of g with the same number of rows B. NewJacobian returns ErrDifferentiated
// if out's graph has already been differentiated (one Jacobian per graph;
// see GradWRT), and an error if out does not depend on one of ins.
func NewJacobian(g *G.ExprGraph, out *G.Node, ins ...*G.Node) (*Jacobian, error) {
	if g == nil || out == nil {
		return nil, errors.New("autodiff: NewJacobian: nil graph or output")
	}
	if out.Graph() != g {
		return nil, errors.New("autodiff: NewJacobian: output is not in the graph")
	}
	if len(ins) == 0 {
		return nil, errors.New("autodiff: NewJacobian: no inputs")
	}
	if err := checkBatchMatrix(out); err != nil {
		return nil, fmt.Errorf("autodiff: NewJacobian: output: %w", err)
	}
	B, n := out.Shape()[0], out.Shape()[1]
	dims := make([]int, len(ins))
	seen := make(map[*G.Node]bool, len(ins))
	for i, in := range ins {
		if in == nil {
			return nil, fmt.Errorf("autodiff: NewJacobian: input %d is nil", i)
		}
		if seen[in] {
			return nil, fmt.Errorf("autodiff: NewJacobian: input %d (%v) given twice", i, in)
		}
		seen[in] = true
		if err := checkBatchMatrix(in); err != nil {
			return nil, fmt.Errorf("autodiff: NewJacobian: input %d: %w", i, err)
		}
		if s := in.Shape(); s[0] != B {
			return nil, fmt.Errorf("autodiff: NewJacobian: input %d has %d rows, output %d", i, s[0], B)
		}
		dims[i] = in.Shape()[1]
	}

	// The seed's name must be unique in g: the graph merges same-name inputs.
	seed := G.NewMatrix(g, tensor.Float64, G.WithShape(B, n),
		G.WithName(fmt.Sprintf("autodiff.Jacobian.seed.%d", out.ID())),
		G.WithValue(tensor.New(tensor.WithShape(B, n), tensor.WithBacking(make([]float64, B*n)))))
	prod, err := G.HadamardProd(seed, out)
	if err != nil {
		return nil, fmt.Errorf("autodiff: NewJacobian: %w", err)
	}
	loss, err := G.Sum(prod)
	if err != nil {
		return nil, fmt.Errorf("autodiff: NewJacobian: %w", err)
	}
	grads, err := GradWRT(loss, ins...)
	if err != nil {
		return nil, fmt.Errorf("autodiff: NewJacobian: %w", err)
	}
	j := &Jacobian{out: out, ins: G.Nodes(ins), seed: seed, grads: grads, batch: B, nOut: n, dims: dims}
	if j.prog, err = CompileStages(G.Nodes{out}, grads); err != nil {
		return nil, fmt.Errorf("autodiff: NewJacobian: %w", err)
	}
	return j, nil
}

// checkBatchMatrix checks that n is a float64 matrix.
func checkBatchMatrix(n *G.Node) error {
	if s := n.Shape(); len(s) != 2 {
		return fmt.Errorf("node %v has shape %v, want [batch, dim]", n, s)
	}
	if dt := n.Dtype(); dt != tensor.Float64 {
		return fmt.Errorf("node %v has dtype %v, want float64", n, dt)
	}
	return nil
}

// Batch returns B, the number of rows of the output and inputs.
func (j *Jacobian) Batch() int { return j.batch }

// OutDim returns n, the number of columns of the output.
func (j *Jacobian) OutDim() int { return j.nOut }

// InDims returns d_i, the number of columns of each input, in order.
func (j *Jacobian) InDims() []int { return append([]int(nil), j.dims...) }

// Compute runs the graph for the current input values and returns, for each
// input i, the per-sample Jacobians ∂out[b,:]/∂ins[i][b,:] stacked as
// [B, n, d_i] row-major: element (b*n + k)*d_i + m is ∂out[b,k]/∂ins[i][b,m].
// It allocates the results; ComputeInto reuses slices.
func (j *Jacobian) Compute() ([][]float64, error) {
	dst := make([][]float64, len(j.ins))
	if err := j.ComputeInto(dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// ComputeInto is Compute writing into dst (len(dst) == number of inputs);
// a dst[i] that is nil or not of length B*n*d_i is replaced by a new slice.
func (j *Jacobian) ComputeInto(dst [][]float64) error {
	if len(dst) != len(j.ins) {
		return fmt.Errorf("autodiff: Jacobian.ComputeInto: %d destination slices for %d inputs", len(dst), len(j.ins))
	}
	B, n := j.batch, j.nOut
	for i, d := range j.dims {
		if len(dst[i]) != B*n*d {
			dst[i] = make([]float64, B*n*d)
		}
	}
	seed := j.prog.Data(j.seed)
	if err := j.prog.RunStage(0); err != nil {
		return fmt.Errorf("autodiff: Jacobian.ComputeInto: %w", err)
	}
	j.ran = true
	for k := 0; k < n; k++ {
		// One-hot seed at column k of every row: the gradient row b is
		// ∂out[b,k]/∂ins[i][b,:] (rows independent).
		clear(seed)
		for b := 0; b < B; b++ {
			seed[b*n+k] = 1
		}
		if err := j.prog.RunStage(1); err != nil {
			return fmt.Errorf("autodiff: Jacobian.ComputeInto: output column %d: %w", k, err)
		}
		for i, gn := range j.grads {
			gd := j.prog.Data(gn)
			d := j.dims[i]
			for b := 0; b < B; b++ {
				copy(dst[i][(b*n+k)*d:(b*n+k+1)*d], gd[b*d:(b+1)*d])
			}
		}
	}
	return nil
}

// Output returns a copy of the output [B, n] (row-major) computed by the
// last Compute, or nil before the first.
func (j *Jacobian) Output() []float64 {
	if !j.ran {
		return nil
	}
	return append([]float64(nil), j.prog.Data(j.out)[:j.batch*j.nOut]...)
}

// Close releases the Jacobian's resources (only memory). The Jacobian must
// not be used afterwards.
func (j *Jacobian) Close() error { return nil }
