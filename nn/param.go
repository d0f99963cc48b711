package nn

import (
	"fmt"

	"github.com/mbrl/mbrl/autodiff/blas"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Param is one named learnable tensor owned by a model. Value is a float64
// *tensor.Dense whose backing slice is shared by every graph the model is
// bound to: write new values into Data() (never replace Value) and all
// bound graphs see them on their next run.
//
// Names follow PyTorch: "policy.l0.weight", "policy.l0.bias",
// "policy.log_std". Dense weights are stored [in, out] (not PyTorch's
// [out, in]) so that a layer computes y = x W + b for row vectors x.
type Param struct {
	Name  string
	Value *tensor.Dense
}

// newParam returns a zero-filled parameter of the given shape.
func newParam(name string, shape ...int) *Param {
	size := 1
	for _, s := range shape {
		size *= s
	}
	return &Param{
		Name:  name,
		Value: tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float64, size))),
	}
}

// Data returns the parameter's flat row-major backing slice (not a copy).
func (p *Param) Data() []float64 { return p.Value.Float64s() }

// Shape returns a copy of the parameter's shape.
func (p *Param) Shape() []int { return append([]int(nil), p.Value.Shape()...) }

// node creates a value node in g bound to the parameter's tensor and named
// after the parameter. The node's value aliases p.Value.
func (p *Param) node(g *G.ExprGraph) *G.Node {
	if p.Value.Dims() == 1 {
		return G.NewVector(g, G.Float64, G.WithValue(p.Value), G.WithName(p.Name))
	}
	return G.NewMatrix(g, G.Float64, G.WithValue(p.Value), G.WithName(p.Name))
}

// cloneParams deep-copies params.
func cloneParams(ps []*Param) []*Param {
	out := make([]*Param, len(ps))
	for i, p := range ps {
		q := newParam(p.Name, p.Value.Shape()...)
		copy(q.Data(), p.Data())
		out[i] = q
	}
	return out
}

// constNode returns a non-learnable vector node in g whose value aliases
// data (len n): a "constant" of the graph (normaliser statistics, action
// bounds) that can still be refreshed in place between runs.
func constNode(g *G.ExprGraph, name string, data []float64) *G.Node {
	t := tensor.New(tensor.WithShape(len(data)), tensor.WithBacking(data))
	return G.NewVector(g, G.Float64, G.WithValue(t), G.WithName(name))
}

// Activation names a hidden-layer nonlinearity.
type Activation string

// Supported activations.
const (
	Tanh     Activation = "tanh"
	ReLU     Activation = "relu"
	Identity Activation = "identity"
)

// Valid reports an error for an unknown activation.
func (a Activation) Valid() error {
	switch a {
	case Tanh, ReLU, Identity:
		return nil
	}
	return fmt.Errorf("nn: unknown activation %q (want %q, %q or %q)", string(a), Tanh, ReLU, Identity)
}

// actKind is an Activation resolved once, so the per-element loops of
// the fast path do not compare strings.
type actKind uint8

const (
	actIdentity actKind = iota
	actTanh
	actReLU
)

func (a Activation) kind() actKind {
	switch a {
	case Tanh:
		return actTanh
	case ReLU:
		return actReLU
	}
	return actIdentity
}

// apply applies the activation to h in place.
func (k actKind) apply(h []float64) {
	switch k {
	case actTanh:
		blas.TanhExact(h, h) // math.Tanh's bits, four at a time
	case actReLU:
		for i, v := range h {
			if v < 0 {
				h[i] = 0
			}
		}
	}
}

// scaleByDeriv multiplies row elementwise by the activation's derivative,
// expressed through the activation's output h (tanh' = 1 - h², relu' =
// [h > 0]).
func (k actKind) scaleByDeriv(row, h []float64) {
	switch k {
	case actTanh:
		for j, hj := range h {
			row[j] *= 1 - hj*hj
		}
	case actReLU:
		for j, hj := range h {
			if !(hj > 0) {
				row[j] = 0
			}
		}
	}
}

// node applies the activation to a graph node.
func (a Activation) node(x *G.Node) (*G.Node, error) {
	switch a {
	case Tanh:
		return G.Tanh(x)
	case ReLU:
		return G.Rectify(x)
	case Identity:
		return x, nil
	}
	return nil, a.Valid()
}
