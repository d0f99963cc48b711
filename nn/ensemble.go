package nn

import (
	"fmt"
	"math/rand/v2"
)

// EnsembleArch is the JSON-able architecture of an Ensemble.
type EnsembleArch struct {
	Members int          `json:"members"`
	Member  DynamicsArch `json:"member"`
}

// Ensemble is E independently initialised DynamicsModels (Chua et al.
// 2018, PETS, without the probabilistic heads), member i named
// "<name>.m<i>" so its tensors are "<name>.m<i>.l<k>.weight". Each member
// is initialised from its own random stream and trained on its own
// bootstrap resample (Fit). Predict returns the members' mean.
type Ensemble struct {
	name    string
	arch    EnsembleArch
	members []*DynamicsModel
	params  []*Param
	tmp     []float64 // scratch [n] or [n*n + n*m]
}

// NewEnsemble draws one seed from rng and initialises member i from the
// stream rand.NewPCG(seed, i).
func NewEnsemble(name string, arch EnsembleArch, rng *rand.Rand) (*Ensemble, error) {
	if arch.Members <= 0 {
		return nil, fmt.Errorf("nn: ensemble: members %d must be positive", arch.Members)
	}
	if err := arch.Member.validate(); err != nil {
		return nil, err
	}
	arch.Member.Hidden = append([]int(nil), arch.Member.Hidden...)
	e := &Ensemble{name: name, arch: arch}
	seed := rng.Uint64()
	for i := range arch.Members {
		d, err := NewDynamicsModel(fmt.Sprintf("%s.m%d", name, i), arch.Member, rand.New(rand.NewPCG(seed, uint64(i))))
		if err != nil {
			return nil, err
		}
		e.members = append(e.members, d)
	}
	e.init()
	return e, nil
}

func (e *Ensemble) init() {
	e.params = nil
	for _, d := range e.members {
		e.params = append(e.params, d.Params()...)
	}
	n, m := e.arch.Member.ObsDim, e.arch.Member.ActDim
	e.tmp = make([]float64, n*n+n*m)
}

// Clone returns a deep copy sharing nothing with e.
func (e *Ensemble) Clone() *Ensemble {
	c := &Ensemble{name: e.name, arch: e.arch}
	for _, d := range e.members {
		c.members = append(c.members, d.Clone())
	}
	c.init()
	return c
}

// Name returns the parameter name prefix.
func (e *Ensemble) Name() string { return e.name }

// Kind returns KindEnsemble.
func (e *Ensemble) Kind() string { return KindEnsemble }

// Arch returns the EnsembleArch.
func (e *Ensemble) Arch() any { return e.arch }

// Params returns every member's parameters, member by member.
func (e *Ensemble) Params() []*Param { return e.params }

// Size returns the number of members E.
func (e *Ensemble) Size() int { return len(e.members) }

// Member returns member i (sharing weights).
func (e *Ensemble) Member(i int) *DynamicsModel { return e.members[i] }

// Normalisers returns every member's normalisers.
func (e *Ensemble) Normalisers() map[string]*Normaliser {
	out := make(map[string]*Normaliser)
	for _, d := range e.members {
		for k, v := range d.Normalisers() {
			out[k] = v
		}
	}
	return out
}

// Predict writes the members' mean prediction of the next observation
// into dst [obsDim]. Allocation-free; not safe for concurrent use.
func (e *Ensemble) Predict(dst, obs, act []float64) {
	n := e.arch.Member.ObsDim
	y := e.tmp[:n]
	// dst may alias obs: accumulate in scratch first (len(tmp) =
	// n*n + n*m >= 2n).
	acc := e.tmp[n : 2*n]
	clear(acc)
	for _, d := range e.members {
		d.Predict(y, obs, act)
		for i, v := range y {
			acc[i] += v
		}
	}
	inv := 1 / float64(len(e.members))
	for i, v := range acc {
		dst[i] = v * inv
	}
}

// PredictAll writes every member's prediction into dst [E, obsDim].
func (e *Ensemble) PredictAll(dst, obs, act []float64) {
	n := e.arch.Member.ObsDim
	for i, d := range e.members {
		d.Predict(dst[i*n:(i+1)*n], obs, act)
	}
}

// Jacobians writes the Jacobians of the mean prediction (the members'
// average Jacobians) into fx [n, n] and fu [n, m].
func (e *Ensemble) Jacobians(fx, fu, obs, act []float64) {
	n, m := e.arch.Member.ObsDim, e.arch.Member.ActDim
	jx, ju := e.tmp[:n*n], e.tmp[n*n:]
	clear(fx[:n*n])
	clear(fu[:n*m])
	inv := 1 / float64(len(e.members))
	for _, d := range e.members {
		d.Jacobians(jx, ju, obs, act)
		for i, v := range jx {
			fx[i] += v * inv
		}
		for i, v := range ju {
			fu[i] += v * inv
		}
	}
}

// FitNormalisers fits every member's normalisers to the same data (see
// DynamicsModel.FitNormalisers).
func (e *Ensemble) FitNormalisers(obs, act, next []float64, n int) {
	for _, d := range e.members {
		d.FitNormalisers(obs, act, next, n)
	}
}

// Bootstrap returns E resamples of 0..n-1 with replacement, each of size n.
func (e *Ensemble) Bootstrap(n int, rng *rand.Rand) [][]int {
	out := make([][]int, len(e.members))
	for i := range out {
		out[i] = make([]int, n)
		for j := range out[i] {
			out[i][j] = rng.IntN(n)
		}
	}
	return out
}

// NewRegressors builds one Regressor (one training graph) per member;
// build them once and pass them to every Fit.
func (e *Ensemble) NewRegressors(cfg RegressorConfig) ([]*Regressor, error) {
	var regs []*Regressor
	n, m := e.arch.Member.ObsDim, e.arch.Member.ActDim
	for i, d := range e.members {
		r, err := NewRegressor(d, n+m, n, cfg)
		if err != nil {
			for _, r := range regs {
				r.Close()
			}
			return nil, fmt.Errorf("nn: ensemble member %d: %w", i, err)
		}
		regs = append(regs, r)
	}
	return regs, nil
}

// Fit refits every member's normalisers to all n transitions, then trains
// member i with regs[i] (from NewRegressors) on its own bootstrap
// resample of the transitions, drawn from rng, with Regressor.Fit's
// epochs, valFrac and patience (the validation split is taken from the
// resample).
func (e *Ensemble) Fit(regs []*Regressor, obs, act, next []float64, n, epochs int, rng *rand.Rand, valFrac float64, patience int) ([]FitResult, error) {
	if len(regs) != len(e.members) {
		return nil, fmt.Errorf("nn: ensemble fit: %d regressors for %d members", len(regs), len(e.members))
	}
	e.FitNormalisers(obs, act, next, n)
	x, y := e.members[0].TrainingData(obs, act, next, n)
	in, out := e.arch.Member.ObsDim+e.arch.Member.ActDim, e.arch.Member.ObsDim
	xb, yb := make([]float64, n*in), make([]float64, n*out)
	var res []FitResult
	for i, idx := range e.Bootstrap(n, rng) {
		for r, j := range idx {
			copy(xb[r*in:(r+1)*in], x[j*in:(j+1)*in])
			copy(yb[r*out:(r+1)*out], y[j*out:(j+1)*out])
		}
		fr, err := regs[i].Fit(xb, yb, n, epochs, rng, valFrac, patience)
		res = append(res, fr)
		if err != nil {
			return res, fmt.Errorf("nn: ensemble member %d: %w", i, err)
		}
	}
	return res, nil
}
