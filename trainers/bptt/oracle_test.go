package bptt

import (
	"fmt"

	"github.com/mbrl/mbrl/autodiff"
	"github.com/mbrl/mbrl/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// unrolled is the test oracle: the whole H-step rollout as one graph,
// differentiated by Gorgonia in one go. Its build time grows quadratically
// with H (a Gorgonia graph of H steps), so it is used at small H only.
type unrolled struct {
	g     *G.ExprGraph
	vm    G.VM
	xBuf  []float64
	j     *G.Node
	grads G.Nodes // dJ/dx0, then per parameter
}

func newUnrolled(sys System, pol Policy, batch, h int) (*unrolled, error) {
	n := sys.StateDim()
	u := &unrolled{g: G.NewGraph(), xBuf: make([]float64, batch*n)}
	x0 := G.NewMatrix(u.g, G.Float64, G.WithShape(batch, n), G.WithName("x0"),
		G.WithValue(tensor.New(tensor.WithShape(batch, n), tensor.WithBacking(u.xBuf))))
	// Bind the policy once and apply it at every step.
	in0, err := sys.GraphInput(x0)
	if err != nil {
		return nil, err
	}
	var learn G.Nodes
	var apply func(*G.Node) (*G.Node, error)
	switch p := pol.(type) {
	case MLPPolicy:
		b := p.Bind(u.g)
		learn, apply = b.Learnables(), b.Apply
	case *nn.DeterministicPolicy:
		b := p.Bind(u.g)
		learn = b.Learnables()
		apply = func(in *G.Node) (*G.Node, error) { return p.Apply(b, in) }
	default:
		return nil, fmt.Errorf("unrolled: policy %T", pol)
	}
	x := x0
	in := in0
	var total *G.Node
	for t := range h {
		if t > 0 {
			if in, err = sys.GraphInput(x); err != nil {
				return nil, err
			}
		}
		act, err := apply(in)
		if err != nil {
			return nil, err
		}
		c, err := sys.GraphCost(x, act)
		if err != nil {
			return nil, err
		}
		s, err := G.Sum(c)
		if err != nil {
			return nil, err
		}
		if total == nil {
			total = s
		} else if total, err = G.Add(total, s); err != nil {
			return nil, err
		}
		if x, err = sys.GraphNext(x, act); err != nil {
			return nil, err
		}
	}
	u.j = total
	if u.grads, err = G.Grad(total, append(G.Nodes{x0}, learn...)...); err != nil {
		return nil, fmt.Errorf("unrolled grad: %w", err)
	}
	u.vm = G.NewTapeMachine(u.g)
	return u, nil
}

// gradient returns J, dJ/dx0 and dJ/dtheta at x0.
func (u *unrolled) gradient(x0 []float64) (float64, []float64, [][]float64, error) {
	copy(u.xBuf, x0)
	defer u.vm.Reset()
	if err := u.vm.RunAll(); err != nil {
		return 0, nil, nil, err
	}
	out := make([][]float64, len(u.grads))
	if err := autodiff.CopyGrads(out, u.grads); err != nil {
		return 0, nil, nil, err
	}
	return u.j.Value().Data().(float64), out[0], out[1:], nil
}
