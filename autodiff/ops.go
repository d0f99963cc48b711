package autodiff

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the elementwise Gorgonia ops the graph versions of the
// dynamics and BPTT need and Gorgonia lacks, each with its gradient: Clamp,
// WrapAngle and Atan2.

// Clamp returns min(max(x, lo), hi) elementwise. Its gradient with respect to
// x is 1 where lo < x < hi and 0 elsewhere (including exactly at the bounds),
// the same convention as the analytic Jacobians of this package. It works on
// float64 and float32 tensors and scalars and supports symbolic
// differentiation (G.Grad); it does not implement G.ADOp, so use it with
// G.Grad and a TapeMachine, not LispMachine's automatic differentiation.
func Clamp(x *G.Node, lo, hi float64) (*G.Node, error) {
	if !(lo <= hi) {
		return nil, fmt.Errorf("autodiff: Clamp bounds [%g, %g] are not ordered", lo, hi)
	}
	return G.ApplyOp(clampOp{lo: lo, hi: hi}, x)
}

// WrapAngle returns AngleNormalize(x) = ((x+pi) mod 2pi) - pi elementwise
// (the mod taken into [0, 2pi) as Python's), with gradient 1, which is the
// derivative almost everywhere. Same support notes as Clamp.
func WrapAngle(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(wrapOp{}, x)
}

// AngleNormalize is Gymnasium's angle_normalize: ((x+pi) mod 2pi) - pi with
// Python's float modulo, so the result is in [-pi, pi).
//
// For |x+pi| < 4pi the remainder is taken without calling math.Mod: y =
// x+pi itself for |y| < 2pi (where math.Mod returns its argument), y ∓ 2pi
// one period further out (exact by Sterbenz's lemma, as math.Mod's
// remainder is), so the result is bit-identical
// (TestAngleNormalizeFastPath); other inputs go through math.Mod.
func AngleNormalize(x float64) float64 {
	const twoPi = 2 * math.Pi
	y := x + math.Pi
	var m float64
	switch {
	case y >= 0 && y < twoPi:
		m = y
	case y < 0 && y > -twoPi:
		m = y + twoPi
	case y >= twoPi && y < 2*twoPi:
		m = y - twoPi
	case y <= -twoPi && y > -2*twoPi:
		m = y + twoPi
		if m < 0 {
			m += twoPi
		}
	default:
		m = math.Mod(y, 2*math.Pi)
		if m < 0 {
			m += 2 * math.Pi
		}
	}
	return m - math.Pi
}

// clampOp is the forward op of Clamp.
type clampOp struct{ lo, hi float64 }

func (op clampOp) Arity() int { return 1 }
func (op clampOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}
func (op clampOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return firstShape(op, in) }
func (op clampOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkVals(op, vals); err != nil {
		return nil, err
	}
	return mapValues(op, op.value, vals...)
}
func (op clampOp) ReturnsPtr() bool      { return false }
func (op clampOp) CallsExtern() bool     { return false }
func (op clampOp) OverwritesInput() int  { return -1 }
func (op clampOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "autodiff.Clamp(%v, %v)", op.lo, op.hi) }
func (op clampOp) Hashcode() uint32      { return hashOf(op) }
func (op clampOp) String() string        { return fmt.Sprintf("Clamp[%g, %g]", op.lo, op.hi) }
func (op clampOp) DiffWRT(n int) []bool  { return []bool{true} }
func (op clampOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("autodiff: Clamp has 1 input, got %d", len(inputs))
	}
	d, err := G.ApplyOp(clampGradOp{op}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d}, nil
}

// value is min(max(v[0], lo), hi); NaN stays NaN, as with numpy.clip.
func (op clampOp) mapFunc() func([]float64) float64 { return op.value }

func (op clampOp) value(v []float64) float64 {
	switch x := v[0]; {
	case x < op.lo:
		return op.lo
	case x > op.hi:
		return op.hi
	default:
		return x
	}
}

// clampGradOp computes grad * 1{lo < x < hi} from (x, grad).
type clampGradOp struct{ c clampOp }

func (op clampGradOp) Arity() int { return 2 }
func (op clampGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}
func (op clampGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return firstShape(op, in) }
func (op clampGradOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkVals(op, vals); err != nil {
		return nil, err
	}
	return mapValues(op, op.value, vals...)
}

// value is v[1] (the gradient) times 1{lo < v[0] < hi}.
func (op clampGradOp) mapFunc() func([]float64) float64 { return op.value }

func (op clampGradOp) value(v []float64) float64 {
	in := 0.0
	if op.c.lo < v[0] && v[0] < op.c.hi {
		in = 1
	}
	return v[1] * in
}

func (op clampGradOp) ReturnsPtr() bool     { return false }
func (op clampGradOp) CallsExtern() bool    { return false }
func (op clampGradOp) OverwritesInput() int { return -1 }
func (op clampGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "autodiff.ClampGrad(%v, %v)", op.c.lo, op.c.hi)
}
func (op clampGradOp) Hashcode() uint32 { return hashOf(op) }
func (op clampGradOp) String() string   { return fmt.Sprintf("ClampGrad[%g, %g]", op.c.lo, op.c.hi) }

// wrapOp is the forward op of WrapAngle.
type wrapOp struct{}

func (op wrapOp) Arity() int { return 1 }
func (op wrapOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}
func (op wrapOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return firstShape(op, in) }
func (op wrapOp) Do(vals ...G.Value) (G.Value, error) {
	if err := checkVals(op, vals); err != nil {
		return nil, err
	}
	return mapValues(op, wrapValue, vals...)
}

func (op wrapOp) mapFunc() func([]float64) float64 { return wrapValue }

// wrapValue is WrapAngle's function of its one argument.
func wrapValue(v []float64) float64     { return AngleNormalize(v[0]) }
func (op wrapOp) ReturnsPtr() bool      { return false }
func (op wrapOp) CallsExtern() bool     { return false }
func (op wrapOp) OverwritesInput() int  { return -1 }
func (op wrapOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "autodiff.WrapAngle") }
func (op wrapOp) Hashcode() uint32      { return hashOf(op) }
func (op wrapOp) String() string        { return "WrapAngle" }
func (op wrapOp) DiffWRT(n int) []bool  { return []bool{true} }
func (op wrapOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("autodiff: WrapAngle has 1 input, got %d", len(inputs))
	}
	// d wrap(x)/dx = 1: the incoming gradient passes through unchanged.
	return G.Nodes{grad}, nil
}

func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func firstShape(op G.Op, in []G.DimSizer) (tensor.Shape, error) {
	if len(in) != op.Arity() {
		return nil, fmt.Errorf("autodiff: %v needs %d inputs, got %d", op, op.Arity(), len(in))
	}
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("autodiff: %v: input shape is a %T", op, in[0])
	}
	return s.Clone(), nil
}

func checkVals(op G.Op, vals []G.Value) error {
	if len(vals) != op.Arity() {
		return fmt.Errorf("autodiff: %v needs %d inputs, got %d", op, op.Arity(), len(vals))
	}
	return nil
}

// mapValues applies f elementwise over values of the same size: f gets the
// i-th element of every input. Inputs may be dense tensors (views are
// materialised) or scalars, of float64 or float32.
func mapValues(op G.Op, f func([]float64) float64, vals ...G.Value) (G.Value, error) {
	args := make([]float64, len(vals))
	switch v0 := vals[0].(type) {
	case *G.F64, *G.F32:
		for i, v := range vals {
			switch s := v.(type) {
			case *G.F64:
				args[i] = float64(*s)
			case *G.F32:
				args[i] = float64(*s)
			default:
				return nil, fmt.Errorf("autodiff: %v: mixed inputs %T and %T", op, vals[0], v)
			}
		}
		if _, ok := v0.(*G.F32); ok {
			r := G.F32(f(args))
			return &r, nil
		}
		r := G.F64(f(args))
		return &r, nil
	case tensor.Tensor:
		datas := make([]interface{}, len(vals))
		var n int
		for i, v := range vals {
			t, ok := v.(tensor.Tensor)
			if !ok {
				return nil, fmt.Errorf("autodiff: %v: mixed inputs %T and %T", op, vals[0], v)
			}
			if m, ok := t.(interface{ Materialize() tensor.Tensor }); ok && t.RequiresIterator() {
				t = m.Materialize()
			}
			if i == 0 {
				n = t.Shape().TotalSize()
			} else if t.Shape().TotalSize() != n {
				return nil, fmt.Errorf("autodiff: %v: input sizes %v and %v differ", op, vals[0].Shape(), t.Shape())
			}
			datas[i] = t.Data()
		}
		shape := v0.Shape().Clone()
		switch d0 := datas[0].(type) {
		case []float64:
			out := make([]float64, len(d0))
			for j := range out {
				for i, d := range datas {
					s, ok := d.([]float64)
					if !ok {
						return nil, fmt.Errorf("autodiff: %v: mixed dtypes", op)
					}
					args[i] = s[j]
				}
				out[j] = f(args)
			}
			return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out)), nil
		case []float32:
			out := make([]float32, len(d0))
			for j := range out {
				for i, d := range datas {
					s, ok := d.([]float32)
					if !ok {
						return nil, fmt.Errorf("autodiff: %v: mixed dtypes", op)
					}
					args[i] = float64(s[j])
				}
				out[j] = float32(f(args))
			}
			return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out)), nil
		case float64, float32:
			for i, d := range datas {
				switch s := d.(type) {
				case float64:
					args[i] = s
				case float32:
					args[i] = float64(s)
				}
			}
			if _, ok := d0.(float32); ok {
				return tensor.New(tensor.FromScalar(float32(f(args)))), nil
			}
			return tensor.New(tensor.FromScalar(f(args))), nil
		default:
			return nil, fmt.Errorf("autodiff: %v: unsupported dtype %v", op, v0.Dtype())
		}
	}
	return nil, fmt.Errorf("autodiff: %v: unsupported value %T", op, vals[0])
}

// Atan2 returns atan2(y, x) elementwise for float64 nodes of equal shape: the
// angle in [-pi, pi] of the point (x, y). Gorgonia has no atan2; this op
// supplies it with its gradient
//
//	d/dy atan2(y, x) =  x / (x² + y²)
//	d/dx atan2(y, x) = -y / (x² + y²)
//
// (taken as 0 at the origin, where atan2 is not differentiable). It supports
// symbolic differentiation (G.Grad with a TapeMachine). BPTT through a
// learned pendulum model (trainers/bptt) uses it to recover the angle from the predicted
// observation [cos th, sin th, thdot], where the model's cos and sin need
// not lie on the unit circle.
func Atan2(y, x *G.Node) (*G.Node, error) {
	if !y.Shape().Eq(x.Shape()) {
		return nil, fmt.Errorf("autodiff: Atan2: shapes %v and %v differ", y.Shape(), x.Shape())
	}
	if y.Dtype() != tensor.Float64 || x.Dtype() != tensor.Float64 {
		return nil, fmt.Errorf("autodiff: Atan2: dtypes %v and %v, want float64", y.Dtype(), x.Dtype())
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

func (op atan2Op) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return firstShape(op, in) }

// mapFunc returns the function Do applies elementwise.
func (op atan2Op) mapFunc() func([]float64) float64 { return op.eval }

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
	if err := checkVals(op, vals); err != nil {
		return nil, err
	}
	return mapValues(op, op.eval, vals...)
}

func (op atan2Op) ReturnsPtr() bool      { return false }
func (op atan2Op) CallsExtern() bool     { return false }
func (op atan2Op) OverwritesInput() int  { return -1 }
func (op atan2Op) WriteHash(h hash.Hash) { fmt.Fprintf(h, "autodiff.Atan2[%d]", op.part) }
func (op atan2Op) Hashcode() uint32      { return hashOf(op) }

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
		return nil, fmt.Errorf("autodiff: %v is not differentiable", op)
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
