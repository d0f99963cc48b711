package autodiff

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ErrDifferentiated is returned by GradWRT when part of the loss's graph has
// already been differentiated (by G.Grad, G.Backpropagate or GradWRT).
// Gorgonia memoises one derivative per node (Node.Deriv) and reuses it
// without looking at which loss it was taken of, and without propagating
// further to the node's children: a second differentiation over the same
// nodes fails with "No gradients found" or, when its loss differs from the
// first, silently returns derivatives of the first loss. Differentiate once,
// with every node you need.
var ErrDifferentiated = errors.New("autodiff: graph already differentiated")

// GradWRT adds to loss's graph the symbolic gradient of the scalar loss with
// respect to each of nodes and returns the gradient nodes, in order, each
// of the same shape as its node. Unlike G.Grad, which rejects anything but
// input (leaf) nodes, nodes may be intermediate results such as the states
// h_t of an unrolled recurrence, so that one backward pass gives dL/dh_t for
// every t (per-timestep gradient norms) together with, if they are passed as
// well, the gradients of the parameters: GradWRT(loss, append(params,
// hs...)...). Intermediate gradients are total derivatives: dL/dh_t sums
// every path from h_t to the loss, h_t's own cost term included.
//
// GradWRT calls G.Backpropagate with a unit seed, as G.Grad does: only
// G.Grad checks for leaves, and Backpropagate's reverse sweep handles any
// target that lies on a path to the loss. The children of the earliest
// intermediate targets receive gradient terms that nothing uses; those few
// nodes stay in the graph and are computed by a machine built on the whole
// graph (build it on g.SubgraphRoots of the nodes you need to skip them).
//
// The gradient of an intermediate node is returned through a copy (x + 0)
// that nothing else reads: without it, Gorgonia's TapeMachine, which keeps
// only gradients of input nodes alive to the end of the program, reuses
// the gradient's memory in place later in the backward sweep, and Value()
// after the run shows another quantity (measured: with a residual
// recurrence h_{t+1} = h_t + tanh(...), dL/dh_2 and dL/dh_3 read back
// equal to dL/dh_1). After the machine has run, read the gradients with
// CopyGrads or AddGrads (their Value() aliases memory that the next run
// overwrites). Do not read the Value() of the intermediate nodes
// themselves: the backward pass overwrites them in place too; read them
// with G.Read instead.
//
// GradWRT must be called at most once per graph region: it returns
// ErrDifferentiated if loss or anything it depends on already has a
// derivative (see ErrDifferentiated). Other errors: a nil, non-scalar or
// non-float loss, no or nil nodes, nodes of another graph, and a node on
// which loss does not depend.
func GradWRT(loss *G.Node, nodes ...*G.Node) (G.Nodes, error) {
	if loss == nil {
		return nil, errors.New("autodiff: GradWRT: nil loss")
	}
	if !loss.IsScalar() {
		return nil, fmt.Errorf("autodiff: GradWRT: loss %v has shape %v, want a scalar", loss, loss.Shape())
	}
	var one *G.Node
	switch dt := loss.Dtype(); dt {
	case tensor.Float64:
		one = G.NewConstant(1.0)
	case tensor.Float32:
		one = G.NewConstant(float32(1))
	default:
		return nil, fmt.Errorf("autodiff: GradWRT: loss %v has dtype %v, want float64 or float32", loss, dt)
	}
	if len(nodes) == 0 {
		return nil, errors.New("autodiff: GradWRT: no nodes to differentiate with respect to")
	}
	g := loss.Graph()
	for i, n := range nodes {
		if n == nil {
			return nil, fmt.Errorf("autodiff: GradWRT: node %d is nil", i)
		}
		if n.Graph() != g {
			return nil, fmt.Errorf("autodiff: GradWRT: node %d (%v) is not in the loss's graph", i, n)
		}
	}
	deps := dependencies(loss)
	for _, n := range deps {
		if n.Deriv() != nil {
			return nil, fmt.Errorf("%w: node %v already has derivative %v", ErrDifferentiated, n, n.Deriv())
		}
	}
	for i, n := range nodes {
		if deps[n.ID()] != n {
			return nil, fmt.Errorf("autodiff: GradWRT: loss does not depend on node %d (%v)", i, n)
		}
	}
	grads, err := G.Backpropagate(G.Nodes{loss}, G.Nodes{g.AddNode(one)}, G.Nodes(nodes))
	if err != nil {
		return nil, fmt.Errorf("autodiff: GradWRT: %w", err)
	}
	// The TapeMachine keeps a gradient's register alive to the end of the
	// program only if the gradient is of an input node; the register of
	// any other gradient is free for in-place reuse after its last reader,
	// and the backward sweep does reuse it (e.g. through a residual
	// connection: dL/dh_t is accumulated in place into dL/dh_{t-1}). A
	// fresh node reading the gradient keeps it alive until that node has
	// run, and its own register is never reused since nothing reads it.
	for i, n := range nodes {
		if n.Op() == nil {
			continue // input: safe
		}
		zero := G.NewConstant(zeroOf(grads[i].Dtype()))
		if grads[i], err = G.Add(grads[i], zero); err != nil {
			return nil, fmt.Errorf("autodiff: GradWRT: copying the gradient of node %d: %w", i, err)
		}
	}
	return grads, nil
}

// zeroOf returns a zero scalar of dtype dt (float64 or float32).
func zeroOf(dt tensor.Dtype) any {
	if dt == tensor.Float32 {
		return float32(0)
	}
	return 0.0
}

// dependencies returns loss and every node it depends on, by ID.
func dependencies(loss *G.Node) map[int64]*G.Node {
	g := loss.Graph()
	seen := map[int64]*G.Node{loss.ID(): loss}
	stack := []*G.Node{loss}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		children := g.From(n.ID())
		for children.Next() {
			c, ok := children.Node().(*G.Node)
			if !ok || seen[c.ID()] != nil {
				continue
			}
			seen[c.ID()] = c
			stack = append(stack, c)
		}
	}
	return seen
}
