package blas

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Engine is Gorgonia's standard CPU engine with the tanh of float64
// tensors computed by this package's vectorised Tanh. Give it to a tape
// machine,
//
//	vm := G.NewTapeMachine(g, G.WithEngine(blas.Engine{}))
//
// and every value of that machine carries it, so Gorgonia's tanh op (which
// asks the engine of its input for a Tanh) runs Tanh. Everything else,
// tanh's gradient (1 - y², from the output) included, is the standard
// engine's. Engine has no state; it is safe for concurrent use.
type Engine struct{ G.StandardEngine }

// Tanh is tensor.Tanher's Tanh: a new tensor by default, in place with
// tensor.UseUnsafe(), into the given tensor with tensor.WithReuse(r). The
// float64 row-major tensors without views that Gorgonia's graphs produce
// take the vectorised path; any other tensor or option (tensor.WithIncr,
// tensor.As) is handed to the standard engine.
func (e Engine) Tanh(a tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	src, ok := plainFloat64s(a)
	if !ok {
		return e.StandardEngine.Tanh(a, opts...)
	}
	fo := tensor.ParseFuncOpts(opts...)
	reuse, incr, safe, as := fo.Reuse(), fo.Incr(), fo.Safe(), fo.As()
	switch {
	case incr != nil || as.Type != nil:
		return e.StandardEngine.Tanh(a, opts...)
	case reuse != nil:
		dst, ok := plainFloat64s(reuse)
		if !ok || !reuse.Shape().Eq(a.Shape()) {
			return e.StandardEngine.Tanh(a, opts...)
		}
		Tanh(dst, src)
		return reuse, nil
	case !safe:
		Tanh(src, src)
		return a, nil
	}
	out := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(a.Shape().Clone()...), tensor.WithEngine(e))
	Tanh(out.Float64s(), src)
	return out, nil
}

// plainFloat64s returns the elements of a float64 tensor whose backing
// holds them in row-major order and nothing else (not a view, not
// transposed, not over-allocated).
func plainFloat64s(t tensor.Tensor) ([]float64, bool) {
	d, ok := t.(*tensor.Dense)
	if !ok || d.Dtype() != tensor.Float64 || d.IsView() || d.IsMaterializable() ||
		!d.DataOrder().IsRowMajor() || d.RequiresIterator() || !d.IsNativelyAccessible() {
		return nil, false
	}
	s := d.Float64s()
	if len(s) != d.Shape().TotalSize() {
		return nil, false
	}
	return s, true
}
