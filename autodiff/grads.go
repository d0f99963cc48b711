package autodiff

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// valueData returns the float64 elements of n's current value in row-major
// order. The slice may alias the value's live memory.
func valueData(n *G.Node) ([]float64, error) {
	if n == nil {
		return nil, fmt.Errorf("nil node")
	}
	v := n.Value()
	if v == nil {
		return nil, fmt.Errorf("node %v has no value (was the machine run?)", n)
	}
	if v.Dtype() != tensor.Float64 {
		return nil, fmt.Errorf("node %v has dtype %v, want float64", n, v.Dtype())
	}
	if t, ok := v.(tensor.Tensor); ok && t.RequiresIterator() {
		v = tensor.Materialize(t)
	}
	switch d := v.Data().(type) {
	case []float64:
		size := v.Shape().TotalSize()
		if len(d) < size {
			return nil, fmt.Errorf("node %v: value holds %d elements for shape %v", n, len(d), v.Shape())
		}
		return d[:size], nil
	case float64:
		return []float64{d}, nil
	default:
		return nil, fmt.Errorf("node %v: value data is %T, want []float64 or float64", n, d)
	}
}

// CopyGrads copies the current value of each gradient node into dst:
// dst[i] receives the row-major elements of gradNodes[i].Value(). A dst[i]
// that is nil or of the wrong length is replaced by a newly allocated slice;
// otherwise it is overwritten in place. Copying is needed because a value's
// data aliases memory that the next run of the machine overwrites.
// CopyGrads returns an error if len(dst) != len(gradNodes), or if a node
// has no value or a value that is not float64; dst may then be partly
// written.
func CopyGrads(dst [][]float64, gradNodes G.Nodes) error {
	if len(dst) != len(gradNodes) {
		return fmt.Errorf("autodiff: CopyGrads: %d destination slices for %d nodes", len(dst), len(gradNodes))
	}
	for i, n := range gradNodes {
		d, err := valueData(n)
		if err != nil {
			return fmt.Errorf("autodiff: CopyGrads: gradient %d: %w", i, err)
		}
		if len(dst[i]) != len(d) {
			dst[i] = make([]float64, len(d))
		}
		copy(dst[i], d)
	}
	return nil
}

// AddGrads adds the current value of each gradient node to dst: dst[i][j]
// += gradNodes[i].Value() element j. A nil dst[i] is allocated (and so
// starts at zero); a non-nil dst[i] of the wrong length is an error, as are
// len(dst) != len(gradNodes) and a node without a float64 value. Use it to
// sum gradients over several runs of a machine built without
// G.BindDualValues, whose gradient values are fresh on every run. All nodes
// are checked before anything is added, so dst is unchanged on error.
func AddGrads(dst [][]float64, gradNodes G.Nodes) error {
	if len(dst) != len(gradNodes) {
		return fmt.Errorf("autodiff: AddGrads: %d destination slices for %d nodes", len(dst), len(gradNodes))
	}
	data := make([][]float64, len(gradNodes))
	for i, n := range gradNodes {
		d, err := valueData(n)
		if err != nil {
			return fmt.Errorf("autodiff: AddGrads: gradient %d: %w", i, err)
		}
		if dst[i] != nil && len(dst[i]) != len(d) {
			return fmt.Errorf("autodiff: AddGrads: gradient %d has %d elements, destination %d", i, len(d), len(dst[i]))
		}
		data[i] = d
	}
	for i, d := range data {
		if dst[i] == nil {
			dst[i] = make([]float64, len(d))
		}
		for j, v := range d {
			dst[i][j] += v
		}
	}
	return nil
}
