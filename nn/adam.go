package nn

import (
	"fmt"
	"math"

	"github.com/mbrl/mbrl/checkpoints"
)

// Adam is the Adam optimiser (Kingma & Ba 2015, Algorithm 1, in the form
// PyTorch's torch.optim.Adam implements) over the flat data of a list of
// parameters. The exported fields are its configuration; a zero field
// means the default (LR 1e-3, Beta1 0.9, Beta2 0.999, Eps 1e-8). Use
// NewAdam to attach it to parameters; a bare Adam{} value only configures.
//
// With t the step count after increment, each element is updated as
//
//	m = Beta1 m + (1-Beta1) g
//	v = Beta2 v + (1-Beta2) g²
//	p -= LR/(1-Beta1^t) · m / (sqrt(v)/sqrt(1-Beta2^t) + Eps)
//
// Its state (t, m, v) is exported by State and restored by SetState, so a
// resumed run continues bit-identically. Adam allocates nothing per step.
type Adam struct {
	LR, Beta1, Beta2, Eps float64

	params []*Param
	data   [][]float64 // cached params[i].Data()
	step   int64
	m, v   [][]float64
}

// AdamState is the serialisable state of an Adam optimiser. Names records
// the parameter names, checked by SetState.
type AdamState struct {
	Step  int64              `json:"step"`
	Names []string           `json:"names"`
	M     []checkpoints.F64s `json:"m"` // binary in a checkpoint's JSON (checkpoints.F64s)
	V     []checkpoints.F64s `json:"v"`
}

// NewAdam returns an optimiser with cfg's settings (zero fields replaced by
// the defaults) over params, with zero moments.
func NewAdam(cfg Adam, params []*Param) *Adam {
	a := &Adam{LR: cfg.LR, Beta1: cfg.Beta1, Beta2: cfg.Beta2, Eps: cfg.Eps, params: params}
	a.setDefaults()
	for _, p := range params {
		n := len(p.Data())
		a.data = append(a.data, p.Data())
		a.m = append(a.m, make([]float64, n))
		a.v = append(a.v, make([]float64, n))
	}
	return a
}

func (a *Adam) setDefaults() {
	if a.LR == 0 {
		a.LR = 1e-3
	}
	if a.Beta1 == 0 {
		a.Beta1 = 0.9
	}
	if a.Beta2 == 0 {
		a.Beta2 = 0.999
	}
	if a.Eps == 0 {
		a.Eps = 1e-8
	}
}

// Params returns the optimised parameters.
func (a *Adam) Params() []*Param { return a.params }

// Steps returns the number of steps taken.
func (a *Adam) Steps() int64 { return a.step }

// Step applies one update; grads[i] is the gradient of the loss with
// respect to Params()[i].Data(), same length. It panics on mismatched
// lengths (a programmer error).
func (a *Adam) Step(grads [][]float64) {
	if len(grads) != len(a.params) {
		panic(fmt.Sprintf("nn: Adam.Step: %d gradients for %d parameters", len(grads), len(a.params)))
	}
	a.step++
	t := float64(a.step)
	b1, b2 := a.Beta1, a.Beta2
	stepSize := a.LR / (1 - math.Pow(b1, t))
	sqrtBC2 := math.Sqrt(1 - math.Pow(b2, t))
	for i, p := range a.params {
		d, g, m, v := a.data[i], grads[i], a.m[i], a.v[i]
		if len(g) != len(d) {
			panic(fmt.Sprintf("nn: Adam.Step: gradient %d (%s) has length %d, want %d", i, p.Name, len(g), len(d)))
		}
		for j, gj := range g {
			m[j] = b1*m[j] + (1-b1)*gj
			v[j] = b2*v[j] + (1-b2)*gj*gj
			d[j] -= stepSize * m[j] / (math.Sqrt(v[j])/sqrtBC2 + a.Eps)
		}
	}
}

// State returns a deep copy of the optimiser state.
func (a *Adam) State() AdamState {
	s := AdamState{Step: a.step}
	for i, p := range a.params {
		s.Names = append(s.Names, p.Name)
		s.M = append(s.M, append(checkpoints.F64s(nil), a.m[i]...))
		s.V = append(s.V, append(checkpoints.F64s(nil), a.v[i]...))
	}
	return s
}

// SetState restores a state returned by State (possibly of another
// optimiser over parameters with the same names and sizes).
func (a *Adam) SetState(s AdamState) error {
	if len(s.M) != len(a.params) || len(s.V) != len(a.params) || len(s.Names) != len(a.params) {
		return fmt.Errorf("nn: Adam state has %d names, %d m and %d v for %d parameters", len(s.Names), len(s.M), len(s.V), len(a.params))
	}
	if s.Step < 0 {
		return fmt.Errorf("nn: Adam state has negative step %d", s.Step)
	}
	for i, p := range a.params {
		n := len(p.Data())
		if s.Names[i] != p.Name {
			return fmt.Errorf("nn: Adam state parameter %d is %q, want %q", i, s.Names[i], p.Name)
		}
		if len(s.M[i]) != n || len(s.V[i]) != n {
			return fmt.Errorf("nn: Adam state for %q has %d m and %d v values, want %d", p.Name, len(s.M[i]), len(s.V[i]), n)
		}
	}
	a.step = s.Step
	for i := range a.params {
		copy(a.m[i], s.M[i])
		copy(a.v[i], s.V[i])
	}
	return nil
}
