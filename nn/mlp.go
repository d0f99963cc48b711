package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	mbrlblas "github.com/mbrl/mbrl/autodiff/blas"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
)

// MLPArch is the JSON-able architecture of an MLP.
type MLPArch struct {
	// Sizes is [in, h1, ..., out].
	Sizes []int `json:"sizes"`
	// Hidden is the activation after every hidden layer; the output
	// layer is linear.
	Hidden Activation `json:"hidden"`
}

func (a MLPArch) validate() error {
	if len(a.Sizes) < 2 {
		return fmt.Errorf("nn: MLP needs at least 2 sizes [in, out], got %v", a.Sizes)
	}
	for _, s := range a.Sizes {
		if s <= 0 {
			return fmt.Errorf("nn: MLP sizes must be positive, got %v", a.Sizes)
		}
	}
	return a.Hidden.Valid()
}

// MLP is a multi-layer perceptron with float64 weights. Layer l computes
// h_{l+1} = act(h_l W_l + b_l) for row vectors h_l, with W_l of shape
// [sizes[l], sizes[l+1]] (named "<name>.l<l>.weight") and b_l of shape
// [sizes[l+1]] ("<name>.l<l>.bias"); the last layer has no activation.
//
// The MLP owns its weights; Bind creates nodes bound to them in any number
// of graphs. The single-row methods Forward, VJP and Jacobian use per-model
// scratch buffers and are allocation-free but not safe for concurrent use;
// use Clone for per-goroutine copies or ForwardBatch, which is.
type MLP struct {
	name   string
	sizes  []int
	hidden Activation
	act    actKind
	params []*Param // l0.weight, l0.bias, l1.weight, ...

	h          [][]float64 // h[l] = output of layer l, len sizes[l+1]
	ping, pong []float64   // VJP/Jacobian scratch, len out*maxWidth
	eye        []float64   // identity [out, out], the Jacobian seed
	wd, bd     [][]float64 // cached parameter data (Dense.Data allocates)
}

// NewMLP returns an MLP with Glorot-uniform weights (U(-a, a) with
// a = sqrt(6/(in+out))) and zero biases drawn from rng. sizes is
// [in, h1, ..., out]. It panics on invalid sizes or activation (a
// programmer error; the model constructors taking an Arch return errors).
func NewMLP(name string, sizes []int, hidden Activation, rng *rand.Rand) *MLP {
	arch := MLPArch{Sizes: sizes, Hidden: hidden}
	if err := arch.validate(); err != nil {
		panic(err)
	}
	m := &MLP{name: name, sizes: append([]int(nil), sizes...), hidden: hidden}
	for l := 0; l+1 < len(sizes); l++ {
		in, out := sizes[l], sizes[l+1]
		w := newParam(fmt.Sprintf("%s.l%d.weight", name, l), in, out)
		lim := math.Sqrt(6 / float64(in+out))
		for i := range w.Data() {
			w.Data()[i] = (2*rng.Float64() - 1) * lim
		}
		b := newParam(fmt.Sprintf("%s.l%d.bias", name, l), out)
		m.params = append(m.params, w, b)
	}
	m.initScratch()
	return m
}

func (m *MLP) initScratch() {
	m.act = m.hidden.kind()
	m.wd, m.bd = nil, nil
	for l := range m.layers() {
		m.wd = append(m.wd, m.params[2*l].Data())
		m.bd = append(m.bd, m.params[2*l+1].Data())
	}
	maxW := 0
	m.h = make([][]float64, len(m.sizes)-1)
	for l, s := range m.sizes {
		maxW = max(maxW, s)
		if l > 0 {
			m.h[l-1] = make([]float64, s)
		}
	}
	n := m.Out() * maxW
	m.ping, m.pong = make([]float64, n), make([]float64, n)
	k := m.Out()
	m.eye = make([]float64, k*k)
	for i := range k {
		m.eye[i*k+i] = 1
	}
}

// Clone returns a deep copy sharing nothing with m (weights are copied).
func (m *MLP) Clone() *MLP {
	c := &MLP{name: m.name, sizes: append([]int(nil), m.sizes...), hidden: m.hidden, params: cloneParams(m.params)}
	c.initScratch()
	return c
}

// Name returns the parameter name prefix.
func (m *MLP) Name() string { return m.name }

// Kind returns "mlp".
func (m *MLP) Kind() string { return KindMLP }

// Arch returns the MLPArch.
func (m *MLP) Arch() any {
	return MLPArch{Sizes: append([]int(nil), m.sizes...), Hidden: m.hidden}
}

// In returns the input width.
func (m *MLP) In() int { return m.sizes[0] }

// Out returns the output width.
func (m *MLP) Out() int { return m.sizes[len(m.sizes)-1] }

// Sizes returns a copy of [in, h1, ..., out].
func (m *MLP) Sizes() []int { return append([]int(nil), m.sizes...) }

// Params returns the parameters in layer order: weight then bias.
func (m *MLP) Params() []*Param { return m.params }

func (m *MLP) layers() int { return len(m.sizes) - 1 }

func (m *MLP) w(l int) []float64 { return m.wd[l] }
func (m *MLP) b(l int) []float64 { return m.bd[l] }

// Forward computes the output for one input row: x [in] -> dst [out].
// It is allocation-free and not safe for concurrent use.
func (m *MLP) Forward(dst, x []float64) {
	if len(x) != m.In() || len(dst) != m.Out() {
		panic(fmt.Sprintf("nn: MLP.Forward: got len(x)=%d len(dst)=%d, want %d and %d", len(x), len(dst), m.In(), m.Out()))
	}
	m.forward(x)
	copy(dst, m.h[len(m.h)-1])
}

// forward fills m.h for one input row.
func (m *MLP) forward(x []float64) {
	impl := exact
	in := x
	for l := range m.layers() {
		out := m.h[l]
		copy(out, m.b(l))
		// out += W^T in, with W stored [in, out] row-major.
		impl.Dgemv(blas.Trans, m.sizes[l], m.sizes[l+1], 1, m.w(l), m.sizes[l+1], in, 1, 1, out, 1)
		if l+1 < m.layers() {
			m.act.apply(out)
		}
		in = out
	}
}

// ForwardBatch computes n rows at once: x [n, in] -> dst [n, out], with
// gonum matrix products. It allocates its intermediate buffers per call and
// is safe for concurrent use (as long as the weights are not being
// updated).
func (m *MLP) ForwardBatch(dst, x []float64, n int) {
	if len(x) != n*m.In() || len(dst) != n*m.Out() {
		panic(fmt.Sprintf("nn: MLP.ForwardBatch: got len(x)=%d len(dst)=%d for n=%d, want %d and %d", len(x), len(dst), n, n*m.In(), n*m.Out()))
	}
	impl := exact
	in := x
	for l := range m.layers() {
		k, w := m.sizes[l], m.sizes[l+1]
		var out []float64
		if l+1 == m.layers() {
			out = dst
		} else {
			out = make([]float64, n*w)
		}
		b := m.b(l)
		for r := range n {
			copy(out[r*w:(r+1)*w], b)
		}
		impl.Dgemm(blas.NoTrans, blas.NoTrans, n, w, k, 1, in, k, m.w(l), w, 1, out, w)
		if l+1 < m.layers() {
			m.act.apply(out)
		}
		in = out
	}
}

// VJP computes the vector-Jacobian product dst = v^T (d out / d x) at x:
// x [in], v [out] -> dst [in], by reverse mode. Allocation-free; not safe
// for concurrent use.
func (m *MLP) VJP(dst, x, v []float64) {
	if len(x) != m.In() || len(v) != m.Out() || len(dst) != m.In() {
		panic("nn: MLP.VJP: wrong slice lengths")
	}
	m.forward(x)
	m.backward(dst, v, 1)
}

// Jacobian computes d out / d x at x: x [in] -> dst [out, in] row-major,
// by reverse mode (one pass for all outputs, seeded with the identity).
// Allocation-free; not safe for concurrent use.
func (m *MLP) Jacobian(dst, x []float64) {
	if len(x) != m.In() || len(dst) != m.Out()*m.In() {
		panic("nn: MLP.Jacobian: wrong slice lengths")
	}
	m.forward(x)
	m.backward(dst, m.eye, m.Out())
}

// ForwardJacobian writes both Forward(x) into out and Jacobian(x) into
// jac, with one forward pass (the same bits as the two calls).
func (m *MLP) ForwardJacobian(out, jac, x []float64) {
	if len(x) != m.In() || len(out) != m.Out() || len(jac) != m.Out()*m.In() {
		panic("nn: MLP.ForwardJacobian: wrong slice lengths")
	}
	m.forward(x)
	copy(out, m.h[len(m.h)-1])
	m.backward(jac, m.eye, m.Out())
}

// backward propagates k seed rows R [k, out] (d·/d out) through the
// layers of the last forward pass into dst [k, in].
func (m *MLP) backward(dst, seed []float64, k int) {
	impl := exact
	r := seed
	buf := [2][]float64{m.ping, m.pong}
	for l := m.layers() - 1; l >= 0; l-- {
		kin, w := m.sizes[l], m.sizes[l+1]
		var next []float64
		if l == 0 {
			next = dst
		} else {
			next = buf[l%2][:k*kin]
		}
		// next = R W_l^T: [k, w] x [w, kin].
		impl.Dgemm(blas.NoTrans, blas.Trans, k, kin, w, 1, r, w, m.w(l), w, 0, next, kin)
		if l > 0 {
			for i := range k {
				m.act.scaleByDeriv(next[i*kin:(i+1)*kin], m.h[l-1])
			}
		}
		r = next
	}
}

// MLPNodes are an MLP's weight nodes in one graph.
type MLPNodes struct {
	m     *MLP
	nodes G.Nodes // same order as m.Params()
}

// Bind creates nodes in g whose values alias the MLP's weight tensors;
// bind once per graph and reuse.
func (m *MLP) Bind(g *G.ExprGraph) *MLPNodes {
	b := &MLPNodes{m: m}
	for _, p := range m.params {
		b.nodes = append(b.nodes, p.node(g))
	}
	return b
}

// Apply maps x [B, in] to the output [B, out].
func (b *MLPNodes) Apply(x *G.Node) (*G.Node, error) {
	if x.Dims() != 2 || x.Shape()[1] != b.m.In() {
		return nil, fmt.Errorf("nn: MLP %q: input shape %v, want [B, %d]", b.m.name, x.Shape(), b.m.In())
	}
	h := x
	var err error
	for l := range b.m.layers() {
		if h, err = G.Mul(h, b.nodes[2*l]); err != nil {
			return nil, fmt.Errorf("nn: MLP %q layer %d: %w", b.m.name, l, err)
		}
		if h, err = G.BroadcastAdd(h, b.nodes[2*l+1], nil, []byte{0}); err != nil {
			return nil, fmt.Errorf("nn: MLP %q layer %d bias: %w", b.m.name, l, err)
		}
		if l+1 < b.m.layers() {
			if h, err = b.m.hidden.node(h); err != nil {
				return nil, err
			}
		}
	}
	return h, nil
}

// Learnables returns the weight nodes in the order of Params.
func (b *MLPNodes) Learnables() G.Nodes { return append(G.Nodes(nil), b.nodes...) }

// Build binds the MLP in g and applies it to x [B, in]; it makes an MLP a
// GraphModel for Regressor.
func (m *MLP) Build(g *G.ExprGraph, x *G.Node) (*G.Node, G.Nodes, error) {
	b := m.Bind(g)
	out, err := b.Apply(x)
	return out, b.Learnables(), err
}

// output returns the output of the last forward pass (scratch; do not keep).
func (m *MLP) output() []float64 { return m.h[len(m.h)-1] }

// exact is the BLAS of the MLP's own forward and backward passes:
// gonum's, with blas.Exact's Dgemm (gonum's bits, AVX2 kernels).
var exact = mbrlblas.Exact{}
