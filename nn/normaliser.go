package nn

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
)

// StdFloor is the smallest standard deviation Normaliser.Fit keeps; a
// column with a smaller spread (e.g. constant) gets Std 1 so that it is
// only centred.
const StdFloor = 1e-6

// Normaliser maps rows x [dim] to z = (x - Mean) / Std elementwise.
// A nil *Normaliser is the identity for every method.
//
// Graph nodes created by ApplyNode and InvertNode alias Mean and Std, so
// refitting in place (Fit with the same dim) updates every bound graph.
type Normaliser struct {
	Mean, Std []float64
}

// NewNormaliser returns the identity normaliser of width dim (Mean 0, Std 1).
func NewNormaliser(dim int) *Normaliser {
	nm := &Normaliser{Mean: make([]float64, dim), Std: make([]float64, dim)}
	for i := range nm.Std {
		nm.Std[i] = 1
	}
	return nm
}

// Dim returns the width (0 for nil).
func (nm *Normaliser) Dim() int {
	if nm == nil {
		return 0
	}
	return len(nm.Mean)
}

// Fit sets Mean and Std to the column means and population standard
// deviations of data [n, dim] (row-major). Columns whose std is below
// StdFloor get Std 1. Existing slices of length dim are overwritten in
// place so that bound graphs see the new statistics. n must be positive.
func (nm *Normaliser) Fit(data []float64, n, dim int) {
	if n <= 0 || len(data) != n*dim {
		panic(fmt.Sprintf("nn: Normaliser.Fit: len(data)=%d, n=%d, dim=%d", len(data), n, dim))
	}
	if len(nm.Mean) != dim {
		nm.Mean = make([]float64, dim)
	}
	if len(nm.Std) != dim {
		nm.Std = make([]float64, dim)
	}
	for j := range dim {
		var s float64
		for r := range n {
			s += data[r*dim+j]
		}
		mean := s / float64(n)
		var ss float64
		for r := range n {
			d := data[r*dim+j] - mean
			ss += d * d
		}
		std := math.Sqrt(ss / float64(n))
		if !(std >= StdFloor) {
			std = 1
		}
		nm.Mean[j], nm.Std[j] = mean, std
	}
}

// Apply normalises rows: x [k, dim] -> dst [k, dim]; dst may be x.
func (nm *Normaliser) Apply(dst, x []float64) {
	if nm == nil {
		copy(dst, x)
		return
	}
	d := len(nm.Mean)
	for i, v := range x {
		j := i % d
		dst[i] = (v - nm.Mean[j]) / nm.Std[j]
	}
}

// Invert undoes Apply: z [k, dim] -> dst = z*Std + Mean; dst may be z.
func (nm *Normaliser) Invert(dst, z []float64) {
	if nm == nil {
		copy(dst, z)
		return
	}
	d := len(nm.Mean)
	for i, v := range z {
		j := i % d
		dst[i] = v*nm.Std[j] + nm.Mean[j]
	}
}

// Clone returns a deep copy (nil for nil).
func (nm *Normaliser) Clone() *Normaliser {
	if nm == nil {
		return nil
	}
	return &Normaliser{Mean: append([]float64(nil), nm.Mean...), Std: append([]float64(nil), nm.Std...)}
}

func (nm *Normaliser) check(x *G.Node) error {
	if x.Dims() != 2 || x.Shape()[1] != len(nm.Mean) || len(nm.Std) != len(nm.Mean) {
		return fmt.Errorf("nn: normaliser of width %d applied to node of shape %v", len(nm.Mean), x.Shape())
	}
	return nil
}

// ApplyNode returns (x - Mean) / Std for x [B, dim] in x's graph; the
// statistics enter as non-learnable nodes named name+".mean" and
// name+".std" aliasing nm's slices. A nil normaliser returns x.
//
// The name must be unique to the normaliser within the graph (the models
// use the keys of their Normalisers map, e.g. "policy.obs"): Gorgonia merges input nodes of equal name and shape,
// so two normalisers of the same width under one name would silently share
// the statistics of the first one bound.
func (nm *Normaliser) ApplyNode(name string, x *G.Node) (*G.Node, error) {
	if nm == nil {
		return x, nil
	}
	if err := nm.check(x); err != nil {
		return nil, err
	}
	g := x.Graph()
	c, err := G.BroadcastSub(x, constNode(g, name+".mean", nm.Mean), nil, []byte{0})
	if err != nil {
		return nil, fmt.Errorf("nn: normaliser: %w", err)
	}
	z, err := G.BroadcastHadamardDiv(c, constNode(g, name+".std", nm.Std), nil, []byte{0})
	if err != nil {
		return nil, fmt.Errorf("nn: normaliser: %w", err)
	}
	return z, nil
}

// InvertNode returns z*Std + Mean for z [B, dim] in z's graph, with the
// statistics named as in ApplyNode. A nil normaliser returns z.
func (nm *Normaliser) InvertNode(name string, z *G.Node) (*G.Node, error) {
	if nm == nil {
		return z, nil
	}
	if err := nm.check(z); err != nil {
		return nil, err
	}
	g := z.Graph()
	s, err := G.BroadcastHadamardProd(z, constNode(g, name+".std", nm.Std), nil, []byte{0})
	if err != nil {
		return nil, fmt.Errorf("nn: normaliser: %w", err)
	}
	x, err := G.BroadcastAdd(s, constNode(g, name+".mean", nm.Mean), nil, []byte{0})
	if err != nil {
		return nil, fmt.Errorf("nn: normaliser: %w", err)
	}
	return x, nil
}
