package bptt

import (
	"fmt"
	"math"

	"github.com/mbrl/mbrl/nn"
	G "gorgonia.org/gorgonia"
)

// Policy is a differentiable deterministic policy u = pi(input): a model
// whose weights BPTT trains, with a graph form (Build binds it in a graph
// and maps inputs [B, in] to actions [B, m], returning the weight nodes in
// the order of Params) and a single-row form (Act). *nn.DeterministicPolicy
// (tanh-squashed to the action bounds) and MLPPolicy (unbounded) are
// Policies.
type Policy interface {
	nn.Model
	Build(g *G.ExprGraph, x *G.Node) (out *G.Node, learn G.Nodes, err error)
	Act(dst, obs []float64)
}

var (
	_ Policy = (*nn.DeterministicPolicy)(nil)
	_ Policy = MLPPolicy{}
)

// MLPPolicy adapts an nn.MLP to Policy with an unbounded action u =
// MLP(input). With no hidden layer (sizes [n, m]) it is the linear policy
// u = x W + b of the closed-form tests on the linear environment.
type MLPPolicy struct{ *nn.MLP }

// Act writes MLP(obs) into dst.
func (p MLPPolicy) Act(dst, obs []float64) { p.Forward(dst, obs) }

// rowGrad computes per-sample parameter gradients of a Policy from the
// activations of one input row and the gradient arriving at the action:
// dst[i] += (du/dtheta_i)^T du for parameter i. It implements reverse mode
// through the dense layers by hand (gonum-style loops), so that the
// gradient study gets one gradient per start state instead of the batch
// sum a graph gives. Not safe for concurrent use.
type rowGrad struct {
	net       *nn.MLP
	act       nn.Activation
	norm      *nn.Normaliser
	half      []float64 // nil: no squashing
	sizes     []int
	h         [][]float64 // h[0] = (normalised) input, h[l+1] = output of layer l
	delta     [][]float64
	squashOut []float64
}

// newRowGrad prepares per-row gradients of pol (a *nn.DeterministicPolicy
// or an MLPPolicy).
func newRowGrad(pol Policy) (*rowGrad, error) {
	r := &rowGrad{}
	switch p := pol.(type) {
	case *nn.DeterministicPolicy:
		r.net, r.norm = p.Net(), p.Normaliser()
		arch, ok := p.Arch().(nn.PolicyArch)
		if !ok {
			return nil, fmt.Errorf("bptt: policy architecture is a %T", p.Arch())
		}
		r.half = make([]float64, arch.ActDim)
		for i := range r.half {
			r.half[i] = (arch.High[i] - arch.Low[i]) / 2
		}
	case MLPPolicy:
		r.net = p.MLP
	default:
		return nil, fmt.Errorf("bptt: per-sample gradients need a deterministic or MLP policy, got %T", pol)
	}
	arch, ok := r.net.Arch().(nn.MLPArch)
	if !ok {
		return nil, fmt.Errorf("bptt: MLP architecture is a %T", r.net.Arch())
	}
	r.act = arch.Hidden
	r.sizes = arch.Sizes
	for _, s := range r.sizes {
		r.h = append(r.h, make([]float64, s))
		r.delta = append(r.delta, make([]float64, s))
	}
	return r, nil
}

func (r *rowGrad) activate(v float64) float64 {
	switch r.act {
	case nn.Tanh:
		return math.Tanh(v)
	case nn.ReLU:
		return math.Max(v, 0)
	}
	return v
}

// deriv is the activation's derivative given its output h.
func (r *rowGrad) deriv(h float64) float64 {
	switch r.act {
	case nn.Tanh:
		return 1 - h*h
	case nn.ReLU:
		if h > 0 {
			return 1
		}
		return 0
	}
	return 1
}

// add accumulates (du/dtheta)^T gu at input obs into dst (one slice per
// parameter, in Params order).
func (r *rowGrad) add(dst [][]float64, obs, gu []float64) {
	ps := r.net.Params()
	in := r.h[0]
	copy(in, obs)
	if r.norm != nil {
		for j := range in {
			in[j] = (in[j] - r.norm.Mean[j]) / r.norm.Std[j]
		}
	}
	L := len(r.sizes) - 1
	for l := range L {
		w, b := ps[2*l].Data(), ps[2*l+1].Data()
		k, o := r.sizes[l], r.sizes[l+1]
		out := r.h[l+1]
		copy(out, b)
		for i, x := range r.h[l] {
			if x == 0 {
				continue
			}
			row := w[i*o : (i+1)*o]
			for j, wij := range row {
				out[j] += x * wij
			}
		}
		_ = k
		if l+1 < L {
			for j, v := range out {
				out[j] = r.activate(v)
			}
		}
	}
	d := r.delta[L]
	copy(d, gu)
	if r.half != nil {
		for j, v := range r.h[L] {
			t := math.Tanh(v)
			d[j] *= r.half[j] * (1 - t*t)
		}
	}
	for l := L - 1; l >= 0; l-- {
		o := r.sizes[l+1]
		gw, gb := dst[2*l], dst[2*l+1]
		w := ps[2*l].Data()
		for j, v := range d {
			gb[j] += v
		}
		prev := r.delta[l]
		for i, x := range r.h[l] {
			row := gw[i*o : (i+1)*o]
			wrow := w[i*o : (i+1)*o]
			s := 0.0
			for j, v := range d {
				row[j] += x * v
				s += wrow[j] * v
			}
			prev[i] = s
		}
		if l > 0 {
			for i, hv := range r.h[l] {
				prev[i] *= r.deriv(hv)
			}
		}
		d = prev
	}
}
