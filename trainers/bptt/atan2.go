package bptt

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Atan2 returns atan2(y, x) elementwise for float64 nodes of equal shape: the
// angle in [-pi, pi] of the point (x, y). Gorgonia has no atan2; this op
// supplies it with its gradient
//
//	d/dy atan2(y, x) =  x / (x² + y²)
//	d/dx atan2(y, x) = -y / (x² + y²)
//
// (taken as 0 at the origin, where atan2 is not differentiable). It supports
// symbolic differentiation (G.Grad with a TapeMachine). BPTT through a
// learned pendulum model uses it to recover the angle from the predicted
// observation [cos th, sin th, thdot], where the model's cos and sin need
// not lie on the unit circle.
func Atan2(y, x *G.Node) (*G.Node, error) {
	if !y.Shape().Eq(x.Shape()) {
		return nil, fmt.Errorf("bptt: Atan2: shapes %v and %v differ", y.Shape(), x.Shape())
	}
	if y.Dtype() != tensor.Float64 || x.Dtype() != tensor.Float64 {
		return nil, fmt.Errorf("bptt: Atan2: dtypes %v and %v, want float64", y.Dtype(), x.Dtype())
	}
	return G.ApplyOp(atan2Op{}, y, x)
}

// atan2Op is the forward op of Atan2; part selects what an elementwise op
// over (y, x[, grad]) computes: the angle, or one of its partial derivatives
// times grad.
type atan2Op struct{ part int }

const (
	atanValue = iota // atan2(y, x)
	atanDY           // grad · x/(x²+y²)
	atanDX           // grad · -y/(x²+y²)
)

func (op atan2Op) Arity() int {
	if op.part == atanValue {
		return 2
	}
	return 3
}

func (op atan2Op) Type() hm.Type {
	a := hm.TypeVariable('a')
	if op.part == atanValue {
		return hm.NewFnType(a, a, a)
	}
	return hm.NewFnType(a, a, a, a)
}

func (op atan2Op) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != op.Arity() {
		return nil, fmt.Errorf("bptt: %v needs %d inputs, got %d", op, op.Arity(), len(in))
	}
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("bptt: %v: input shape is a %T", op, in[0])
	}
	return s.Clone(), nil
}

func (op atan2Op) eval(v []float64) float64 {
	y, x := v[0], v[1]
	if op.part == atanValue {
		return math.Atan2(y, x)
	}
	r := x*x + y*y
	if r == 0 {
		return 0
	}
	if op.part == atanDY {
		return v[2] * x / r
	}
	return v[2] * -y / r
}

func (op atan2Op) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("bptt: %v needs %d inputs, got %d", op, op.Arity(), len(vals))
	}
	datas := make([][]float64, len(vals))
	var shape tensor.Shape
	for i, v := range vals {
		switch t := v.(type) {
		case *G.F64:
			datas[i] = []float64{float64(*t)}
		case tensor.Tensor:
			if t.RequiresIterator() {
				t = tensor.Materialize(t)
			}
			d, ok := t.Data().([]float64)
			if !ok {
				if s, ok := t.Data().(float64); ok {
					d = []float64{s}
				} else {
					return nil, fmt.Errorf("bptt: %v: input %d has data %T, want float64", op, i, t.Data())
				}
			}
			datas[i] = d
			if i == 0 {
				shape = t.Shape().Clone()
			}
		default:
			return nil, fmt.Errorf("bptt: %v: unsupported value %T", op, v)
		}
		if len(datas[i]) != len(datas[0]) {
			return nil, fmt.Errorf("bptt: %v: input sizes %d and %d differ", op, len(datas[0]), len(datas[i]))
		}
	}
	args := make([]float64, len(vals))
	out := make([]float64, len(datas[0]))
	for j := range out {
		for i, d := range datas {
			args[i] = d[j]
		}
		out[j] = op.eval(args)
	}
	if shape == nil {
		r := G.F64(out[0])
		return &r, nil
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out)), nil
}

func (op atan2Op) ReturnsPtr() bool      { return false }
func (op atan2Op) CallsExtern() bool     { return false }
func (op atan2Op) OverwritesInput() int  { return -1 }
func (op atan2Op) WriteHash(h hash.Hash) { fmt.Fprintf(h, "bptt.Atan2[%d]", op.part) }
func (op atan2Op) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op atan2Op) String() string {
	return [...]string{"Atan2", "Atan2GradY", "Atan2GradX"}[op.part]
}

// DiffWRT reports that the value op is differentiable in both inputs; the
// gradient ops are not differentiated again.
func (op atan2Op) DiffWRT(n int) []bool {
	if op.part != atanValue {
		return make([]bool, n)
	}
	return []bool{true, true}
}

// SymDiff returns the gradients with respect to y and x given the output's
// gradient.
func (op atan2Op) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.part != atanValue || len(inputs) != 2 {
		return nil, fmt.Errorf("bptt: %v is not differentiable", op)
	}
	dy, err := G.ApplyOp(atan2Op{part: atanDY}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	dx, err := G.ApplyOp(atan2Op{part: atanDX}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dy, dx}, nil
}
