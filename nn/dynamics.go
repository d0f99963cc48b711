package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// DynamicsArch is the JSON-able architecture of a DynamicsModel.
type DynamicsArch struct {
	ObsDim     int        `json:"obs_dim"`
	ActDim     int        `json:"act_dim"`
	Hidden     []int      `json:"hidden"`
	Activation Activation `json:"activation"`
}

func (a DynamicsArch) validate() error {
	if a.ObsDim <= 0 || a.ActDim <= 0 {
		return fmt.Errorf("nn: dynamics: obs_dim %d and act_dim %d must be positive", a.ObsDim, a.ActDim)
	}
	return MLPArch{Sizes: sizes(a.ObsDim+a.ActDim, a.Hidden, a.ObsDim), Hidden: a.Activation}.validate()
}

// DynamicsModel is a learned deterministic model of x' = f(x, u) that
// predicts the normalised change of observation:
//
//	z     = (concat(obs, act) - inMean) / inStd          input normaliser
//	y     = MLP(z)                                      [obsDim]
//	next  = obs + y·deltaStd + deltaMean                 delta normaliser
//
// The normaliser statistics come from the data (FitNormalisers); the MLP
// is trained on Y = (next - obs - deltaMean)/deltaStd (TrainingData,
// Regressor). The single-row methods are allocation-free and not safe for
// concurrent use (Clone per goroutine; PredictBatch is safe).
type DynamicsModel struct {
	name      string
	arch      DynamicsArch
	net       *MLP
	in, delta *Normaliser
	xa, z, y  []float64 // scratch [n+m], [n+m], [n]
	jnet      []float64 // scratch [n, n+m]
}

// NewDynamicsModel returns a model with Glorot-initialised weights drawn
// from rng and identity normalisers.
func NewDynamicsModel(name string, arch DynamicsArch, rng *rand.Rand) (*DynamicsModel, error) {
	if err := arch.validate(); err != nil {
		return nil, err
	}
	arch.Hidden = append([]int(nil), arch.Hidden...)
	d := &DynamicsModel{
		name:  name,
		arch:  arch,
		net:   NewMLP(name, sizes(arch.ObsDim+arch.ActDim, arch.Hidden, arch.ObsDim), arch.Activation, rng),
		in:    NewNormaliser(arch.ObsDim + arch.ActDim),
		delta: NewNormaliser(arch.ObsDim),
	}
	d.initScratch()
	return d, nil
}

func (d *DynamicsModel) initScratch() {
	n, m := d.arch.ObsDim, d.arch.ActDim
	d.xa, d.z, d.y = make([]float64, n+m), make([]float64, n+m), make([]float64, n)
	d.jnet = make([]float64, n*(n+m))
}

// Clone returns a deep copy sharing nothing with d.
func (d *DynamicsModel) Clone() *DynamicsModel {
	c := &DynamicsModel{name: d.name, arch: d.arch, net: d.net.Clone(), in: d.in.Clone(), delta: d.delta.Clone()}
	c.initScratch()
	return c
}

// Name returns the parameter name prefix.
func (d *DynamicsModel) Name() string { return d.name }

// Kind returns KindDynamics.
func (d *DynamicsModel) Kind() string { return KindDynamics }

// Arch returns the DynamicsArch.
func (d *DynamicsModel) Arch() any { return d.arch }

// Params returns the MLP's parameters.
func (d *DynamicsModel) Params() []*Param { return d.net.Params() }

// Net returns the MLP (normalised input -> normalised delta).
func (d *DynamicsModel) Net() *MLP { return d.net }

// ObsDim returns the observation width n.
func (d *DynamicsModel) ObsDim() int { return d.arch.ObsDim }

// ActDim returns the action width m.
func (d *DynamicsModel) ActDim() int { return d.arch.ActDim }

// InputNormaliser returns the normaliser of concat(obs, act) [n+m].
func (d *DynamicsModel) InputNormaliser() *Normaliser { return d.in }

// DeltaNormaliser returns the normaliser of next - obs [n].
func (d *DynamicsModel) DeltaNormaliser() *Normaliser { return d.delta }

// Normalisers returns the normalisers keyed "<name>.input" and
// "<name>.delta".
func (d *DynamicsModel) Normalisers() map[string]*Normaliser {
	return map[string]*Normaliser{d.name + ".input": d.in, d.name + ".delta": d.delta}
}

// concatRows returns [n, a+b] rows concat(x_i, y_i) of x [n, a], y [n, b].
func concatRows(x []float64, a int, y []float64, b, n int) []float64 {
	out := make([]float64, 0, n*(a+b))
	for i := range n {
		out = append(out, x[i*a:(i+1)*a]...)
		out = append(out, y[i*b:(i+1)*b]...)
	}
	return out
}

func (d *DynamicsModel) checkData(obs, act, next []float64, n int) {
	no, na := d.arch.ObsDim, d.arch.ActDim
	if n <= 0 || len(obs) != n*no || len(act) != n*na || (next != nil && len(next) != n*no) {
		panic(fmt.Sprintf("nn: dynamics %q: %d transitions with len(obs)=%d len(act)=%d len(next)=%d (obs %d, act %d)", d.name, n, len(obs), len(act), len(next), no, na))
	}
}

// FitNormalisers fits the input normaliser to concat(obs, act) and the
// delta normaliser to next - obs over n transitions (obs [n, obsDim],
// act [n, actDim], next [n, obsDim]), in place (bound graphs see them).
func (d *DynamicsModel) FitNormalisers(obs, act, next []float64, n int) {
	d.checkData(obs, act, next, n)
	no := d.arch.ObsDim
	d.in.Fit(concatRows(obs, no, act, d.arch.ActDim, n), n, no+d.arch.ActDim)
	delta := make([]float64, n*no)
	for i := range delta {
		delta[i] = next[i] - obs[i]
	}
	d.delta.Fit(delta, n, no)
}

// TrainingData returns the regression data for the MLP with the current
// normalisers: X = concat(obs, act) [n, obsDim+actDim] (raw; Build
// normalises it) and Y = normalised (next - obs) [n, obsDim].
func (d *DynamicsModel) TrainingData(obs, act, next []float64, n int) (x, y []float64) {
	d.checkData(obs, act, next, n)
	x = concatRows(obs, d.arch.ObsDim, act, d.arch.ActDim, n)
	y = make([]float64, len(next))
	for i := range y {
		y[i] = next[i] - obs[i]
	}
	d.delta.Apply(y, y)
	return x, y
}

// Predict writes the predicted next observation for one transition:
// obs [obsDim], act [actDim] -> dst [obsDim] (dst may be obs).
func (d *DynamicsModel) Predict(dst, obs, act []float64) {
	no := d.arch.ObsDim
	copy(d.xa[:no], obs)
	copy(d.xa[no:], act)
	d.in.Apply(d.z, d.xa)
	d.net.Forward(d.y, d.z)
	d.delta.Invert(d.y, d.y)
	for i, v := range d.y {
		dst[i] = obs[i] + v
	}
}

// PredictBatch predicts n transitions: obs [n, obsDim], act [n, actDim]
// -> dst [n, obsDim]. It allocates per call and is safe for concurrent
// use (while the weights are not updated).
func (d *DynamicsModel) PredictBatch(dst, obs, act []float64, n int) {
	d.checkData(obs, act, nil, n)
	z := concatRows(obs, d.arch.ObsDim, act, d.arch.ActDim, n)
	d.in.Apply(z, z)
	y := make([]float64, n*d.arch.ObsDim)
	d.net.ForwardBatch(y, z, n)
	d.delta.Invert(y, y)
	for i, v := range y {
		dst[i] = obs[i] + v
	}
}

// Jacobians writes the Jacobians of Predict at (obs, act):
// fx = d next/d obs [n, n] and fu = d next/d act [n, m], row-major:
//
//	fx = I + diag(deltaStd) J_x diag(1/inStd_x),  fu = diag(deltaStd) J_u diag(1/inStd_u)
//
// with [J_x J_u] the MLP's Jacobian (reverse mode). Allocation-free.
func (d *DynamicsModel) Jacobians(fx, fu, obs, act []float64) {
	n, m := d.arch.ObsDim, d.arch.ActDim
	if len(fx) != n*n || len(fu) != n*m {
		panic(fmt.Sprintf("nn: dynamics Jacobians: len(fx)=%d len(fu)=%d, want %d and %d", len(fx), len(fu), n*n, n*m))
	}
	copy(d.xa[:n], obs)
	copy(d.xa[n:], act)
	d.in.Apply(d.z, d.xa)
	d.net.Jacobian(d.jnet, d.z)
	w := n + m
	for i := range n {
		s := d.delta.Std[i]
		for j := range n {
			v := s * d.jnet[i*w+j] / d.in.Std[j]
			if i == j {
				v++
			}
			fx[i*n+j] = v
		}
		for k := range m {
			fu[i*m+k] = s * d.jnet[i*w+n+k] / d.in.Std[n+k]
		}
	}
}

// DynamicsNodes are a DynamicsModel's nodes in one graph.
type DynamicsNodes struct {
	net *MLPNodes
}

// Learnables returns the weight nodes in the order of Params.
func (n *DynamicsNodes) Learnables() G.Nodes { return n.net.Learnables() }

// Bind creates the model's weight nodes in g, aliasing its tensors.
func (d *DynamicsModel) Bind(g *G.ExprGraph) *DynamicsNodes {
	return &DynamicsNodes{net: d.net.Bind(g)}
}

// ApplyNext maps obs [B, obsDim] and act [B, actDim] to the predicted
// next observations [B, obsDim]; it is differentiable with respect to
// obs, act and the weights (for BPTT through the learned model).
func (d *DynamicsModel) ApplyNext(n *DynamicsNodes, obs, act *G.Node) (*G.Node, error) {
	xa, err := G.Concat(1, obs, act)
	if err != nil {
		return nil, fmt.Errorf("nn: dynamics %q: concat(obs %v, act %v): %w", d.name, obs.Shape(), act.Shape(), err)
	}
	y, err := d.applyDelta(n, xa)
	if err != nil {
		return nil, err
	}
	if y, err = d.delta.InvertNode(d.name+".delta", y); err != nil {
		return nil, fmt.Errorf("nn: dynamics %q: %w", d.name, err)
	}
	next, err := G.Add(obs, y)
	if err != nil {
		return nil, fmt.Errorf("nn: dynamics %q: %w", d.name, err)
	}
	return next, nil
}

// applyDelta maps raw concat(obs, act) [B, n+m] to the normalised delta.
func (d *DynamicsModel) applyDelta(n *DynamicsNodes, xa *G.Node) (*G.Node, error) {
	z, err := d.in.ApplyNode(d.name+".input", xa)
	if err != nil {
		return nil, fmt.Errorf("nn: dynamics %q: %w", d.name, err)
	}
	return n.net.Apply(z)
}

// Build binds the model in g and maps raw x = concat(obs, act)
// [B, obsDim+actDim] to the normalised delta [B, obsDim] (GraphModel:
// fit with the targets of TrainingData).
func (d *DynamicsModel) Build(g *G.ExprGraph, x *G.Node) (*G.Node, G.Nodes, error) {
	n := d.Bind(g)
	out, err := d.applyDelta(n, x)
	return out, n.Learnables(), err
}
