package envs

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the Gorgonia pieces the graph versions of the dynamics
// need and Gorgonia lacks: a clamp and an angle wrap with gradients, and
// helpers to take columns of a [B, n] batch apart and put them back together.

// Clamp returns min(max(x, lo), hi) elementwise. Its gradient with respect to
// x is 1 where lo < x < hi and 0 elsewhere (including exactly at the bounds),
// the same convention as the analytic Jacobians of this package. It works on
// float64 and float32 tensors and scalars and supports symbolic
// differentiation (G.Grad); it does not implement G.ADOp, so use it with
// G.Grad and a TapeMachine, not LispMachine's automatic differentiation.
func Clamp(x *G.Node, lo, hi float64) (*G.Node, error) {
	if !(lo <= hi) {
		return nil, fmt.Errorf("envs: Clamp bounds [%g, %g] are not ordered", lo, hi)
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
func AngleNormalize(x float64) float64 {
	m := math.Mod(x+math.Pi, 2*math.Pi)
	if m < 0 {
		m += 2 * math.Pi
	}
	return m - math.Pi
}

// clip returns v limited to [lo, hi] (NaN stays NaN, as with numpy.clip).
func clip(v, lo, hi float64) float64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// inside is the derivative of clip at v: 1 strictly inside (lo, hi), else 0.
func inside(v, lo, hi float64) float64 {
	if lo < v && v < hi {
		return 1
	}
	return 0
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
	return mapValues(op, func(v []float64) float64 { return clip(v[0], op.lo, op.hi) }, vals...)
}
func (op clampOp) ReturnsPtr() bool      { return false }
func (op clampOp) CallsExtern() bool     { return false }
func (op clampOp) OverwritesInput() int  { return -1 }
func (op clampOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "envs.Clamp(%v, %v)", op.lo, op.hi) }
func (op clampOp) Hashcode() uint32      { return hashOf(op) }
func (op clampOp) String() string        { return fmt.Sprintf("Clamp[%g, %g]", op.lo, op.hi) }
func (op clampOp) DiffWRT(n int) []bool  { return []bool{true} }
func (op clampOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("envs: Clamp has 1 input, got %d", len(inputs))
	}
	d, err := G.ApplyOp(clampGradOp{op}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d}, nil
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
	return mapValues(op, func(v []float64) float64 { return v[1] * inside(v[0], op.c.lo, op.c.hi) }, vals...)
}
func (op clampGradOp) ReturnsPtr() bool     { return false }
func (op clampGradOp) CallsExtern() bool    { return false }
func (op clampGradOp) OverwritesInput() int { return -1 }
func (op clampGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "envs.ClampGrad(%v, %v)", op.c.lo, op.c.hi)
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
	return mapValues(op, func(v []float64) float64 { return AngleNormalize(v[0]) }, vals...)
}
func (op wrapOp) ReturnsPtr() bool      { return false }
func (op wrapOp) CallsExtern() bool     { return false }
func (op wrapOp) OverwritesInput() int  { return -1 }
func (op wrapOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "envs.WrapAngle") }
func (op wrapOp) Hashcode() uint32      { return hashOf(op) }
func (op wrapOp) String() string        { return "WrapAngle" }
func (op wrapOp) DiffWRT(n int) []bool  { return []bool{true} }
func (op wrapOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("envs: WrapAngle has 1 input, got %d", len(inputs))
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
		return nil, fmt.Errorf("envs: %v needs %d inputs, got %d", op, op.Arity(), len(in))
	}
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("envs: %v: input shape is a %T", op, in[0])
	}
	return s.Clone(), nil
}

func checkVals(op G.Op, vals []G.Value) error {
	if len(vals) != op.Arity() {
		return fmt.Errorf("envs: %v needs %d inputs, got %d", op, op.Arity(), len(vals))
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
				return nil, fmt.Errorf("envs: %v: mixed inputs %T and %T", op, vals[0], v)
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
				return nil, fmt.Errorf("envs: %v: mixed inputs %T and %T", op, vals[0], v)
			}
			if m, ok := t.(interface{ Materialize() tensor.Tensor }); ok && t.RequiresIterator() {
				t = m.Materialize()
			}
			if i == 0 {
				n = t.Shape().TotalSize()
			} else if t.Shape().TotalSize() != n {
				return nil, fmt.Errorf("envs: %v: input sizes %v and %v differ", op, vals[0].Shape(), t.Shape())
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
						return nil, fmt.Errorf("envs: %v: mixed dtypes", op)
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
						return nil, fmt.Errorf("envs: %v: mixed dtypes", op)
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
			return nil, fmt.Errorf("envs: %v: unsupported dtype %v", op, v0.Dtype())
		}
	}
	return nil, fmt.Errorf("envs: %v: unsupported value %T", op, vals[0])
}

// constant returns a float64 scalar constant with a name unique to this
// package and exact to the last bit: Gorgonia merges constants of equal name
// in a graph, and the default name is the printed value.
func constant(v float64) *G.Node {
	return G.NewConstant(v, G.WithName(fmt.Sprintf("envs.const(%v)", v)))
}

// constMatrix returns a constant [r, c] matrix with the given row-major data.
func constMatrix(name string, r, c int, data []float64) *G.Node {
	d := append([]float64(nil), data...)
	t := tensor.New(tensor.WithShape(r, c), tensor.WithBacking(d))
	return G.NewConstant(t, G.WithName(fmt.Sprintf("envs.%s%v%v", name, []int{r, c}, d)))
}

// checkBatch checks that x is a float64 [B, n] matrix and returns B.
func checkBatch(what string, x *G.Node, n int) (int, error) {
	if x == nil {
		return 0, fmt.Errorf("envs: %s node is nil", what)
	}
	s := x.Shape()
	if len(s) != 2 || s[1] != n {
		return 0, fmt.Errorf("envs: %s has shape %v, want [B, %d]", what, s, n)
	}
	if x.Dtype() != tensor.Float64 {
		return 0, fmt.Errorf("envs: %s has dtype %v, want float64", what, x.Dtype())
	}
	return s[0], nil
}

// checkXU checks x [B, n] and u [B, m] with the same B.
func checkXU(x, u *G.Node, n, m int) error {
	bx, err := checkBatch("state", x, n)
	if err != nil {
		return err
	}
	bu, err := checkBatch("action", u, m)
	if err != nil {
		return err
	}
	if bx != bu {
		return fmt.Errorf("envs: state batch %d and action batch %d differ", bx, bu)
	}
	return nil
}

// graphBuilder strings Gorgonia calls together and keeps the first error, so
// that the dynamics read like their Go versions.
type graphBuilder struct{ err error }

func (b *graphBuilder) do(n *G.Node, err error) *G.Node {
	if b.err == nil && err != nil {
		b.err = fmt.Errorf("envs: building graph: %w", err)
	}
	return n
}

// col returns column j of a [B, n] matrix as a [B] vector: x e_j, a
// matrix-vector product with a unit vector. (G.Slice(x, nil, G.S(j)) fails
// at run time when B = 1: Gorgonia's slice of a [1, n] matrix is a scalar.)
func (b *graphBuilder) col(x *G.Node, j int) *G.Node {
	if b.err != nil {
		return nil
	}
	n := x.Shape()[1]
	e := make([]float64, n)
	e[j] = 1
	sel := G.NewConstant(tensor.New(tensor.WithShape(n), tensor.WithBacking(e)),
		G.WithName(fmt.Sprintf("envs.unit(%d,%d)", n, j)))
	return b.do(G.Mul(x, sel))
}

// stack puts [B] vectors side by side into a [B, len(cols)] matrix.
func (b *graphBuilder) stack(cols ...*G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	r := make([]*G.Node, len(cols))
	for i, c := range cols {
		r[i] = b.do(G.Reshape(c, tensor.Shape{c.Shape().TotalSize(), 1}))
		if b.err != nil {
			return nil
		}
	}
	if len(r) == 1 {
		return r[0]
	}
	return b.do(G.Concat(1, r...))
}

func (b *graphBuilder) add(x, y *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(G.Add(x, y))
}

func (b *graphBuilder) sub(x, y *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(G.Sub(x, y))
}

// mul multiplies elementwise (or by a scalar).
func (b *graphBuilder) mul(x, y *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(G.HadamardProd(x, y))
}

func (b *graphBuilder) div(x, y *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(G.HadamardDiv(x, y))
}

// scale multiplies x by the constant c.
func (b *graphBuilder) scale(c float64, x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(G.HadamardProd(constant(c), x))
}

// addConst adds the constant c to x.
func (b *graphBuilder) addConst(c float64, x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(G.Add(constant(c), x))
}

func (b *graphBuilder) square(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(G.Square(x))
}

func (b *graphBuilder) sin(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(G.Sin(x))
}

func (b *graphBuilder) cos(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(G.Cos(x))
}

func (b *graphBuilder) clamp(x *G.Node, lo, hi float64) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(Clamp(x, lo, hi))
}

func (b *graphBuilder) wrap(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(WrapAngle(x))
}
