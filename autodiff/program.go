package autodiff

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"unsafe"

	"github.com/mbrl/mbrl/autodiff/blas"
	gblas "gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Program runs a float64 Gorgonia graph without Gorgonia's tape machine:
// Compile orders the ancestors of some root nodes once, gives every op node
// an output buffer of its own, and binds each op to a kernel over those
// buffers, so that Run does no allocation, no logging and no instruction
// decoding: it calls one function per op.
//
// Results are bit-identical to a tape machine's (TestProgramMatchesTape):
// every kernel performs the IEEE operations of the Gorgonia or tensor
// function it replaces, in the same order. Matrix products call the BLAS
// installed under Gorgonia (G.WhichBLAS) with the arguments tensor's engine
// passes; reductions add in tensor's order; elementwise ops apply the same
// scalar functions (math.Sin, x*x, ...; tanh by blas.TanhExact, which
// gives math.Tanh's bits); data movement (repeat, slice, concat,
// transpose) is a copy whose source indices were found at compile time by
// running the op once on index-coded inputs; a reshape aliases its input's
// buffer. Ops with inputs that never change (constants, sizes) are
// evaluated once at compile time. Any other op falls back to its own Do on
// tensors over the Program's buffers: exact, but it allocates as Gorgonia
// does (Fallbacks lists them).
//
// CompileStages splits the work into stages run one at a time (RunStage),
// and Parallel splits large ops between two goroutines; neither changes a
// bit of the results.
//
// The graph's input nodes must be bound (G.WithValue) to contiguous
// float64 tensors or *G.F64 scalars before Compile, and are read in place:
// write new inputs into their backing slices between runs (a later G.Let
// is not seen). Values are read back with Data, not Node.Value, which
// Program does not set.
//
// A Program is not safe for concurrent use.
type Program struct {
	steps []step
	// ends[i] is the end of stage i's steps.
	ends  []int
	data  map[*G.Node][]float64
	blas  G.BLAS
	order G.Nodes
	// carried are the buffers computed by stage 0 that later stages read.
	carried [][]float64
	// fallbacks names the ops Run executes through Gorgonia's Do.
	fallbacks []string
	// exact reports that the installed BLAS is blas.Exact (which can
	// compute a product's rows in parts).
	exact bool
	// pool runs halves of the large ops on a second goroutine (Parallel).
	pool    *pool
	cleanup runtime.Cleanup
}

// step is one op of a Program: whole computes it; part, if not nil,
// computes the part [lo, hi) of a range [0, n) of independent pieces
// (elements, rows or columns of the output), any split of which gives
// whole's bits; ok, if not nil, tells at run time whether part may be
// used (a matrix product whose inputs make gonum's path matter may not).
type step struct {
	whole func() error
	part  func(lo, hi int)
	n     int
	align int
	ok    func() bool
}

// splitWork is the number of element operations from which an op is worth
// splitting between two goroutines (tens of microseconds of work: below
// that the hand-over costs about what it saves; measured on the policy
// regression of GPS, 3-64-64-1 at batch 256).
const splitWork = 1 << 16

// ranged makes the step of a kernel given by its part over [0, n), split
// only when work (element operations of the whole) is at least splitWork.
func ranged(part func(lo, hi int), n, align, work int) step {
	st := step{whole: func() error { part(0, n); return nil }, n: n, align: max(align, 1)}
	if work >= splitWork && n >= 2*st.align {
		st.part = part
	}
	return st
}

// Compile builds the Program that computes roots and every node they
// depend on. Only float64 graphs are supported.
func Compile(roots ...*G.Node) (*Program, error) { return CompileStages(roots) }

// CompileStages builds a Program in stages: stage i computes the nodes of
// stages[i] and those of their ancestors no earlier stage computes. Run
// runs every stage; RunStage runs one, reading what earlier stages left
// in their buffers. With two stages, a forward pass (stage 0) and a
// backward pass (stage 1), Carried lists the forward buffers the backward
// pass reads: save them after a forward run and restore them before the
// backward run to backpropagate later without running the forward again.
func CompileStages(stages ...G.Nodes) (*Program, error) {
	p := &Program{data: make(map[*G.Node][]float64)}
	c := compiler{p: p, static: make(map[*G.Node]bool), seen: make(map[*G.Node]bool), owner: make(map[*float64]int)}
	for i, roots := range stages {
		from := len(p.order)
		for _, r := range roots {
			if r == nil {
				return nil, errors.New("autodiff: Compile: nil root")
			}
			c.visit(r)
		}
		c.stage = i
		for _, n := range p.order[from:] {
			if err := c.compile(n); err != nil {
				return nil, fmt.Errorf("autodiff: Compile: node %v (%v): %w", n.Name(), n.Op(), err)
			}
		}
		p.ends = append(p.ends, len(p.steps))
	}
	return p, nil
}

// Run computes every node of the Program from the current inputs.
func (p *Program) Run() error { return p.run(0, len(p.steps)) }

// run runs steps [from, to).
func (p *Program) run(from, to int) error {
	p.blas = G.WhichBLAS()
	_, p.exact = p.blas.(blas.Exact)
	if p.pool != nil && p.pool.serial > 0 && !p.pool.handOff {
		p.pool.serial--
	} else if p.pool != nil && runtime.GOMAXPROCS(0) >= 2 {
		return p.runSplit(from, to)
	}
	for _, s := range p.steps[from:to] {
		if err := s.whole(); err != nil {
			return err
		}
	}
	return nil
}

// runSplit runs steps [from, to) with the large ops split between this
// goroutine and the pool's helper.
func (p *Program) runSplit(from, to int) error {
	p.pool.begin()
	defer p.pool.end()
	for _, s := range p.steps[from:to] {
		if s.part == nil || s.ok != nil && !s.ok() {
			if err := s.whole(); err != nil {
				return err
			}
			continue
		}
		mid := (s.n/2 + s.align - 1) / s.align * s.align
		p.pool.split(s.part, mid, s.n)
	}
	return nil
}

// RunStage runs stage i of a Program built by CompileStages.
func (p *Program) RunStage(i int) error {
	if i < 0 || i >= len(p.ends) {
		return fmt.Errorf("autodiff: stage %d of a program with %d", i, len(p.ends))
	}
	from := 0
	if i > 0 {
		from = p.ends[i-1]
	}
	return p.run(from, p.ends[i])
}

// Carried returns the buffers that stage 0 computes and later stages read
// (each once, in a fixed order): a forward pass's activations that its
// backward pass needs. Graph inputs are not among them.
func (p *Program) Carried() [][]float64 { return p.carried }

// Data returns the buffer holding n's value after Run (one element for a
// scalar), or nil if n is not part of the Program. The buffer is reused by
// the next Run: copy what you keep. It aliases the input's backing slice
// for an input node, and the reshaped node's buffer for a reshape.
func (p *Program) Data(n *G.Node) []float64 { return p.data[n] }

// Fallbacks returns the ops (as "type op") that Run executes through
// Gorgonia's own Do, which allocates: no kernel of Program covers them.
func (p *Program) Fallbacks() []string { return p.fallbacks }

// compiler holds the state of one Compile.
type compiler struct {
	p      *Program
	static map[*G.Node]bool // value fixed at compile time
	seen   map[*G.Node]bool
	stage  int
	owner  map[*float64]int // buffer (first element) -> stage that computes it
}

// visit appends n's ancestors, then n, to the order (depth first, children
// in argument order).
func (c *compiler) visit(n *G.Node) {
	if c.seen[n] {
		return
	}
	c.seen[n] = true
	for _, ch := range childrenOf(n) {
		c.visit(ch)
	}
	c.p.order = append(c.p.order, n)
}

// isConstant reports whether n is a Gorgonia constant.
func isConstant(n *G.Node) bool {
	op := n.Op()
	return op != nil && strings.HasPrefix(reflect.TypeOf(op).Name(), "constant")
}

// compile binds n's buffer and, for an op node, appends its step.
func (c *compiler) compile(n *G.Node) error {
	if n.Dtype() != tensor.Float64 {
		return fmt.Errorf("dtype %v, want float64", n.Dtype())
	}
	if n.Op() == nil || isConstant(n) {
		d, err := boundData(n)
		if err != nil {
			return err
		}
		c.p.data[n] = d
		c.static[n] = isConstant(n)
		return nil
	}
	kids := childrenOf(n)
	ins := make([][]float64, len(kids))
	allStatic := true
	for i, k := range kids {
		ins[i] = c.p.data[k]
		allStatic = allStatic && c.static[k]
	}
	size := n.Shape().TotalSize()
	if n.IsScalar() {
		size = 1
	}
	name := reflect.TypeOf(n.Op()).String()
	if name == "gorgonia.reshapeOp" && len(kids) == 1 && len(ins[0]) == size {
		c.p.data[n] = ins[0]
		c.static[n] = c.static[kids[0]]
		return nil
	}
	out := make([]float64, size)
	c.p.data[n] = out
	if allStatic || name == "gorgonia.sizeOp" {
		// Evaluate once: the inputs never change.
		f, err := c.fallback(n, kids, out)
		if err != nil {
			return err
		}
		if err := f.whole(); err != nil {
			return err
		}
		c.static[n] = true
		return nil
	}
	step, err := c.kernel(n, name, kids, ins, out)
	if err != nil {
		return err
	}
	c.p.steps = append(c.p.steps, step)
	if len(out) > 0 {
		c.owner[&out[0]] = c.stage
	}
	if c.stage > 0 {
		for _, in := range ins {
			if len(in) == 0 {
				continue
			}
			if st, ok := c.owner[&in[0]]; ok && st == 0 {
				c.p.carried = append(c.p.carried, in)
				c.owner[&in[0]] = -1 // listed once
			}
		}
	}
	return nil
}

// boundData returns the float64 slice behind an input or constant node's
// value.
func boundData(n *G.Node) ([]float64, error) {
	switch v := n.Value().(type) {
	case nil:
		return nil, errors.New("input has no value: bind one with G.WithValue before Compile")
	case *G.F64:
		return unsafeSliceOf(v), nil
	case *tensor.Dense:
		if v.RequiresIterator() || v.IsView() {
			return nil, errors.New("input is a view; bind a contiguous tensor")
		}
		d, ok := v.Data().([]float64)
		if !ok {
			if s, ok := v.Data().(float64); ok && v.IsScalar() {
				// A scalar tensor: copy (constants only; inputs are not read
				// again).
				return []float64{s}, nil
			}
			return nil, fmt.Errorf("input data is %T, want []float64", v.Data())
		}
		if len(d) < n.Shape().TotalSize() {
			return nil, fmt.Errorf("input holds %d values for shape %v", len(d), n.Shape())
		}
		return d[:max(n.Shape().TotalSize(), 1)], nil
	default:
		return nil, fmt.Errorf("input value %T is not a *tensor.Dense or *G.F64", v)
	}
}

// kernel returns the step computing n into out.
func (c *compiler) kernel(n *G.Node, name string, kids G.Nodes, ins [][]float64, out []float64) (step, error) {
	op := n.Op()
	s := op.String()
	switch name {
	case "gorgonia.elemBinOp":
		if f := binKernel(s, kids, ins, out); f != nil {
			return ranged(f, len(out), 8, len(out)), nil
		}
	case "gorgonia.elemUnaryOp":
		if f, cost := unaryKernel(s, ins[0], out); f != nil {
			return ranged(f, len(out), 8, cost*len(out)), nil
		}
	case "gorgonia.linAlgBinOp":
		if st, ok := c.linAlgKernel(s, kids, ins, out); ok {
			return st, nil
		}
	case "gorgonia.sumOp":
		if st, ok := sumKernel(s, kids[0], ins[0], out); ok {
			return st, nil
		}
	case "gorgonia.sliceIncrOp":
		f, err := c.sliceIncrKernel(n, kids, ins, out)
		if err == nil {
			return step{whole: f}, nil
		}
	case "*gorgonia.repeatOp", "*gorgonia.sliceOp", "gorgonia.concatOp", "gorgonia.transposeOp", "gorgonia.reshapeOp":
		st, err := c.gatherKernel(n, kids, ins, out)
		if err == nil {
			return st, nil
		}
	}
	if m, ok := op.(mapOp); ok {
		if f := mapKernel(m.mapFunc(), ins, out); f != nil {
			return ranged(f, len(out), 8, 4*len(out)), nil
		}
	}
	c.p.fallbacks = append(c.p.fallbacks, name+" "+s)
	return c.fallback(n, kids, out)
}

// mapOp is implemented by this package's elementwise ops: out_j =
// f(in_0j, in_1j, ...), the function their Do applies.
type mapOp interface {
	mapFunc() func([]float64) float64
}

func mapKernel(f func([]float64) float64, ins [][]float64, out []float64) func(lo, hi int) {
	for _, in := range ins {
		if len(in) != len(out) {
			return nil
		}
	}
	// One argument buffer per half: the halves may run at once.
	args := [2][]float64{make([]float64, len(ins)), make([]float64, len(ins))}
	return func(lo, hi int) {
		a := args[0]
		if lo > 0 {
			a = args[1]
		}
		for j := lo; j < hi; j++ {
			for i, in := range ins {
				a[i] = in[j]
			}
			out[j] = f(a)
		}
	}
}

// binKernel returns the elementwise kernel of an elemBinOp ("+ false" and
// so on; comparisons "< true" and so on give 1 or 0 in the inputs' type as
// tensor's LtSame does), over a range of output elements: tensor ⊙ tensor
// of one size, or with a scalar on either side, or two scalars. Nil for
// anything else.
func binKernel(s string, kids G.Nodes, ins [][]float64, out []float64) func(lo, hi int) {
	sym, same, _ := strings.Cut(s, " ")
	a, b := ins[0], ins[1]
	as, bs := kids[0].IsScalar(), kids[1].IsScalar()
	switch {
	case as && bs, !as && !bs:
		if len(a) != len(out) || len(b) != len(out) {
			return nil
		}
	case as:
		if len(b) != len(out) {
			return nil
		}
	default:
		if len(a) != len(out) {
			return nil
		}
	}
	vv := !as && !bs || as && bs
	if same == "true" {
		var cmp func(x, y float64) bool
		switch sym {
		case "<":
			cmp = func(x, y float64) bool { return x < y }
		case ">":
			cmp = func(x, y float64) bool { return x > y }
		case "<=":
			cmp = func(x, y float64) bool { return x <= y }
		case ">=":
			cmp = func(x, y float64) bool { return x >= y }
		case "==":
			cmp = func(x, y float64) bool { return x == y }
		case "!=":
			cmp = func(x, y float64) bool { return x != y }
		default:
			return nil
		}
		ia, ib := 1, 1
		if as && !bs {
			ia = 0
		}
		if bs && !as {
			ib = 0
		}
		return func(lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] = 0
				if cmp(a[i*ia], b[i*ib]) {
					out[i] = 1
				}
			}
		}
	}
	if same != "false" {
		return nil
	}
	switch sym {
	case "+":
		switch {
		case vv:
			return func(lo, hi int) {
				o, x, y := out[lo:hi], a[lo:hi], b[lo:hi]
				for i := range o {
					o[i] = x[i] + y[i]
				}
			}
		case as:
			return func(lo, hi int) {
				o, x, y := out[lo:hi], a[0], b[lo:hi]
				for i, v := range y {
					o[i] = x + v
				}
			}
		default:
			return func(lo, hi int) {
				o, x, y := out[lo:hi], a[lo:hi], b[0]
				for i, v := range x {
					o[i] = v + y
				}
			}
		}
	case "-":
		switch {
		case vv:
			return func(lo, hi int) {
				o, x, y := out[lo:hi], a[lo:hi], b[lo:hi]
				for i := range o {
					o[i] = x[i] - y[i]
				}
			}
		case as:
			return func(lo, hi int) {
				o, x, y := out[lo:hi], a[0], b[lo:hi]
				for i, v := range y {
					o[i] = x - v
				}
			}
		default:
			return func(lo, hi int) {
				o, x, y := out[lo:hi], a[lo:hi], b[0]
				for i, v := range x {
					o[i] = v - y
				}
			}
		}
	case "⊙":
		switch {
		case vv:
			return func(lo, hi int) {
				o, x, y := out[lo:hi], a[lo:hi], b[lo:hi]
				for i := range o {
					o[i] = x[i] * y[i]
				}
			}
		case as:
			return func(lo, hi int) {
				o, x, y := out[lo:hi], a[0], b[lo:hi]
				for i, v := range y {
					o[i] = x * v
				}
			}
		default:
			return func(lo, hi int) {
				o, x, y := out[lo:hi], a[lo:hi], b[0]
				for i, v := range x {
					o[i] = v * y
				}
			}
		}
	case "÷":
		switch {
		case vv:
			return func(lo, hi int) {
				o, x, y := out[lo:hi], a[lo:hi], b[lo:hi]
				for i := range o {
					o[i] = x[i] / y[i]
				}
			}
		case as:
			return func(lo, hi int) {
				o, x, y := out[lo:hi], a[0], b[lo:hi]
				for i, v := range y {
					o[i] = x / v
				}
			}
		default:
			return func(lo, hi int) {
				o, x, y := out[lo:hi], a[lo:hi], b[0]
				for i, v := range x {
					o[i] = v / y
				}
			}
		}
	}
	return nil
}

// unaryKernel returns the kernel of an elemUnaryOp whose float64 function
// it knows (tensor's and Gorgonia's: math.Tanh, -x, x*x, ...) over a range
// of elements, and its rough cost per element; nil for the others.
func unaryKernel(s string, in, out []float64) (func(lo, hi int), int) {
	if len(in) != len(out) {
		return nil, 0
	}
	var f func(float64) float64
	switch s {
	case "tanh":
		return func(lo, hi int) {
			blas.TanhExact(out[lo:hi], in[lo:hi]) // math.Tanh's bits, four at a time
		}, 4
	case "neg":
		return func(lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] = -in[i]
			}
		}, 1
	case "square":
		return func(lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] = in[i] * in[i]
			}
		}, 1
	case "cube":
		return func(lo, hi int) {
			for i := lo; i < hi; i++ {
				v := in[i]
				out[i] = v * v * v
			}
		}, 1
	case "inv":
		return func(lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] = 1 / in[i]
			}
		}, 2
	case "sign":
		return func(lo, hi int) {
			for i := lo; i < hi; i++ {
				switch v := in[i]; {
				case v < 0:
					out[i] = -1
				case v > 0:
					out[i] = 1
				default:
					out[i] = v // ±0 and NaN stay
				}
			}
		}, 1
	case "sin":
		f = math.Sin
	case "cos":
		f = math.Cos
	case "exp":
		f = math.Exp
	case "ln":
		f = math.Log
	case "sqrt":
		f = math.Sqrt
	case "abs":
		f = math.Abs
	default:
		return nil, 0
	}
	return func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = f(in[i])
		}
	}, 8
}

// linAlgKernel returns the kernel of a matrix product, matrix-vector
// product or outer product on 2-D/1-D operands: the BLAS call tensor's
// engine makes for it, with the same arguments. A matrix product splits by
// rows of C (blas.Exact.DgemmRows) when the installed BLAS is blas.Exact
// and RowSplit allows it for the run's inputs.
func (c *compiler) linAlgKernel(s string, kids G.Nodes, ins [][]float64, out []float64) (step, bool) {
	sa, sb := kids[0].Shape(), kids[1].Shape()
	p := c.p
	switch {
	case strings.Contains(s, " × B"): // A × B, Aᵀ × B, A × Bᵀ, Aᵀ × Bᵀ
		if len(sa) != 2 || len(sb) != 2 {
			return step{}, false
		}
		transA, transB := strings.HasPrefix(s, "Aᵀ"), strings.HasSuffix(s, "Bᵀ")
		tA, tB := gblas.NoTrans, gblas.NoTrans
		m, k, lda := sa[0], sa[1], sa[1]
		if transA {
			tA, m, k = gblas.Trans, sa[1], sa[0]
		}
		n, ldb := sb[1], sb[1]
		if transB {
			tB, n = gblas.Trans, sb[0]
		}
		if len(out) != m*n {
			return step{}, false
		}
		a, b := ins[0], ins[1]
		st := step{whole: func() error {
			p.blas.Dgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, out, n)
			return nil
		}, n: m, align: 4}
		if m*n*k >= splitWork && m >= 8 {
			st.part = func(lo, hi int) { blas.Exact{}.DgemmRows(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, out, n, lo, hi) }
			st.ok = func() bool {
				return p.exact && blas.Exact{}.RowSplit(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, out, n)
			}
		}
		return st, true
	case strings.Contains(s, " × b"): // A × b, Aᵀ × b
		if len(sa) != 2 || len(sb) != 1 {
			return step{}, false
		}
		t := gblas.NoTrans
		rows := sa[0]
		if strings.HasPrefix(s, "Aᵀ") {
			t, rows = gblas.Trans, sa[1]
		}
		if len(out) != rows {
			return step{}, false
		}
		a, x := ins[0], ins[1]
		m, n := sa[0], sa[1]
		return step{whole: func() error {
			p.blas.Dgemv(t, m, n, 1, a, n, x, 1, 0, out, 1)
			return nil
		}}, true
	case s == "a ⊗ b":
		if len(sa) != 1 || len(sb) != 1 || len(out) != sa[0]*sb[0] {
			return step{}, false
		}
		x, y := ins[0], ins[1]
		m, n := sa[0], sb[0]
		return step{whole: func() error {
			clear(out)
			p.blas.Dger(m, n, 1, x, 1, y, 1, out, n)
			return nil
		}}, true
	}
	return step{}, false
}

// sumKernel returns the kernel of a sum over all axes ("Σ[0 1]" of a
// matrix, "Σ[0]" of a vector: 0 + v0 + v1 + ..., tensor's MonotonicSum),
// over the rows of a matrix ("Σ[0]": the first row, then each next row
// added, tensor's ReduceFirst; split by columns) or over its columns
// ("Σ[1]": per row 0 + v0 + ..., tensor's ReduceLast; split by rows).
func sumKernel(s string, kid *G.Node, in, out []float64) (step, bool) {
	shape := kid.Shape()
	switch {
	case len(shape) == 1 && s == "Σ[0]", len(shape) == 2 && s == "Σ[0 1]":
		if len(out) != 1 {
			return step{}, false
		}
		return step{whole: func() error {
			var t float64
			for _, v := range in {
				t += v
			}
			out[0] = t
			return nil
		}}, true
	case len(shape) == 2 && s == "Σ[0]":
		rows, cols := shape[0], shape[1]
		if len(out) != cols || rows < 1 {
			return step{}, false
		}
		return ranged(func(lo, hi int) {
			copy(out[lo:hi], in[lo:hi])
			for r := 1; r < rows; r++ {
				row := in[r*cols+lo : r*cols+hi]
				o := out[lo:hi]
				for j, v := range row {
					o[j] += v
				}
			}
		}, cols, 8, rows*cols), true
	case len(shape) == 2 && s == "Σ[1]":
		rows, cols := shape[0], shape[1]
		if len(out) != rows {
			return step{}, false
		}
		return ranged(func(lo, hi int) {
			for r := lo; r < hi; r++ {
				var t float64
				for _, v := range in[r*cols : (r+1)*cols] {
					t += v
				}
				out[r] = t
			}
		}, rows, 1, rows*cols), true
	}
	return step{}, false
}

// run is one contiguous copy of a gather: out[dst:dst+n] =
// ins[src][from:from+n].
type run struct{ src, from, dst, n int }

// gatherKernel returns a data-movement op as copies. It runs the op once
// on inputs whose values encode (input, index) — the tensor inputs that
// change; static inputs (sizes) keep their values — and reads back where
// each output element came from.
func (c *compiler) gatherKernel(n *G.Node, kids G.Nodes, ins [][]float64, out []float64) (step, error) {
	const code = 1 << 24 // index < code; (input+1)·code + index is exact
	vals := make([]G.Value, len(kids))
	for i, k := range kids {
		if c.static[k] {
			v, err := valueOver(k, ins[i])
			if err != nil {
				return step{}, err
			}
			vals[i] = v
			continue
		}
		if len(ins[i]) >= code {
			return step{}, errors.New("too large to gather")
		}
		probe := make([]float64, len(ins[i]))
		for j := range probe {
			probe[j] = float64((i+1)*code + j)
		}
		v, err := valueOver(k, probe)
		if err != nil {
			return step{}, err
		}
		vals[i] = v
	}
	res, err := n.Op().Do(vals...)
	if err != nil {
		return step{}, err
	}
	got, err := valueFloats(res)
	if err != nil {
		return step{}, err
	}
	if len(got) != len(out) {
		return step{}, fmt.Errorf("probe gave %d values for %d", len(got), len(out))
	}
	var runs []run
	for j, v := range got {
		if v != math.Trunc(v) || v < code {
			return step{}, errors.New("probe output is not a copy")
		}
		src, idx := int(v)/code-1, int(v)%code
		if src >= len(kids) || c.static[kids[src]] || idx >= len(ins[src]) {
			return step{}, errors.New("probe output is not a copy")
		}
		if l := len(runs) - 1; l >= 0 && runs[l].src == src && runs[l].from+runs[l].n == idx && runs[l].dst+runs[l].n == j {
			runs[l].n++
			continue
		}
		runs = append(runs, run{src, idx, j, 1})
	}
	return ranged(func(lo, hi int) {
		for _, r := range runs[lo:hi] {
			copy(out[r.dst:r.dst+r.n], ins[r.src][r.from:r.from+r.n])
		}
	}, len(runs), 1, len(out)/4), nil
}

// sliceIncrKernel returns the kernel of a slice's gradient (sliceIncrOp:
// zeros of x's shape with the incoming gradient added into the slice, 0 +
// g_k, as Gorgonia computes it). The positions come from one run of the op
// on a gradient whose values encode their index.
func (c *compiler) sliceIncrKernel(n *G.Node, kids G.Nodes, ins [][]float64, out []float64) (func() error, error) {
	if len(kids) != 2 || kids[1].IsScalar() {
		return nil, errors.New("not a tensor slice gradient")
	}
	x, err := valueOver(kids[0], make([]float64, len(ins[0])))
	if err != nil {
		return nil, err
	}
	probe := make([]float64, len(ins[1]))
	for k := range probe {
		probe[k] = float64(k + 1)
	}
	g, err := valueOver(kids[1], probe)
	if err != nil {
		return nil, err
	}
	res, err := n.Op().Do(x, g)
	if err != nil {
		return nil, err
	}
	got, err := valueFloats(res)
	if err != nil {
		return nil, err
	}
	if len(got) != len(out) {
		return nil, fmt.Errorf("probe gave %d values for %d", len(got), len(out))
	}
	pos := make([]int, len(probe))
	seen := 0
	for j, v := range got {
		if v == 0 {
			continue
		}
		k := int(v) - 1
		if v != math.Trunc(v) || k < 0 || k >= len(pos) {
			return nil, errors.New("probe output is not a scatter")
		}
		pos[k] = j
		seen++
	}
	if seen != len(pos) {
		return nil, errors.New("probe output is not a scatter")
	}
	gd := ins[1]
	return func() error {
		clear(out)
		for k, j := range pos {
			out[j] = 0 + gd[k]
		}
		return nil
	}, nil
}

// fallback returns a step that runs n's op through Gorgonia: Do on values
// over the inputs' buffers, and a copy of the result into out. (Not
// UsePreallocDo: some ops add into the preallocated value, sliceIncrOp
// for one, and a tape machine with Reset calls Do.)
func (c *compiler) fallback(n *G.Node, kids G.Nodes, out []float64) (step, error) {
	vals := make([]G.Value, len(kids))
	scalars := make([]*G.F64, len(kids))
	srcs := make([][]float64, len(kids))
	for i, k := range kids {
		d := c.p.data[k]
		srcs[i] = d
		if k.IsScalar() {
			f := new(G.F64)
			scalars[i], vals[i] = f, f
			continue
		}
		v, err := valueOver(k, d)
		if err != nil {
			return step{}, err
		}
		vals[i] = v
	}
	op := n.Op()
	return step{whole: func() error {
		for i, f := range scalars {
			if f != nil {
				*f = G.F64(srcs[i][0])
			}
		}
		res, err := op.Do(vals...)
		if err != nil {
			return fmt.Errorf("autodiff: %v: %w", op, err)
		}
		got, err := valueFloats(res)
		if err != nil {
			return fmt.Errorf("autodiff: %v: %w", op, err)
		}
		if len(got) != len(out) {
			return fmt.Errorf("autodiff: %v: %d values for %d", op, len(got), len(out))
		}
		copy(out, got)
		return nil
	}}, nil
}

// valueOver returns a Value of n's shape over d (a *G.F64 copy for a
// scalar).
func valueOver(n *G.Node, d []float64) (G.Value, error) {
	if n.IsScalar() {
		f := G.F64(d[0])
		return &f, nil
	}
	if len(d) != n.Shape().TotalSize() {
		return nil, fmt.Errorf("%d values for shape %v", len(d), n.Shape())
	}
	return tensor.New(tensor.WithShape(n.Shape().Clone()...), tensor.WithBacking(d)), nil
}

// valueFloats returns the float64 data of an op's result.
func valueFloats(v G.Value) ([]float64, error) {
	switch r := v.(type) {
	case *G.F64:
		return []float64{float64(*r)}, nil
	case tensor.Tensor:
		if r.RequiresIterator() {
			r = tensor.Materialize(r)
		}
		switch d := r.Data().(type) {
		case []float64:
			return d[:max(r.Shape().TotalSize(), 1)], nil
		case float64:
			return []float64{d}, nil
		}
		return nil, fmt.Errorf("result data %T, want float64", r.Data())
	}
	return nil, fmt.Errorf("result %T, want float64", v)
}

// unsafeSliceOf returns a one-element slice over a scalar's memory, so that
// a scalar input updated in place is seen by the next Run.
func unsafeSliceOf(f *G.F64) []float64 { return unsafe.Slice((*float64)(f), 1) }

// childrenOf returns n's arguments in order.
func childrenOf(n *G.Node) G.Nodes {
	it := n.Graph().From(n.ID())
	if it == nil {
		return nil
	}
	var out G.Nodes
	for it.Next() {
		if c, ok := it.Node().(*G.Node); ok {
			out = append(out, c)
		}
	}
	return out
}
