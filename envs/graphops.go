package envs

import (
	"fmt"

	"github.com/mbrl/mbrl/autodiff"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the helpers the graph versions of the dynamics need: the
// scalar clip and its derivative, and a builder that takes columns of a
// [B, n] batch apart and puts them back together (the custom ops Clamp and
// WrapAngle are autodiff's).

// AngleNormalize is Gymnasium's angle_normalize: ((x+pi) mod 2pi) - pi with
// Python's float modulo, so the result is in [-pi, pi) (autodiff.WrapAngle
// is its graph version).
func AngleNormalize(x float64) float64 { return autodiff.AngleNormalize(x) }

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
	return b.do(autodiff.Clamp(x, lo, hi))
}

func (b *graphBuilder) wrap(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.do(autodiff.WrapAngle(x))
}
