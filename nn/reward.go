package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// RewardArch is the JSON-able architecture of a RewardModel.
type RewardArch struct {
	ObsDim     int        `json:"obs_dim"`
	ActDim     int        `json:"act_dim"`
	Hidden     []int      `json:"hidden"`
	Activation Activation `json:"activation"`
}

// RewardModel is a learned reward r(obs, act) = MLP(norm(concat(obs, act)))
// with a scalar output; the input normaliser ("<name>.input") is fitted to
// the data. Predict is allocation-free and not safe for concurrent use.
type RewardModel struct {
	name       string
	arch       RewardArch
	net        *MLP
	in         *Normaliser
	xa, z, out []float64
}

// NewRewardModel returns a reward model with Glorot-initialised weights
// and an identity normaliser.
func NewRewardModel(name string, arch RewardArch, rng *rand.Rand) (*RewardModel, error) {
	if arch.ObsDim <= 0 || arch.ActDim <= 0 {
		return nil, fmt.Errorf("nn: reward: obs_dim %d and act_dim %d must be positive", arch.ObsDim, arch.ActDim)
	}
	w := arch.ObsDim + arch.ActDim
	if err := (MLPArch{Sizes: sizes(w, arch.Hidden, 1), Hidden: arch.Activation}).validate(); err != nil {
		return nil, err
	}
	arch.Hidden = append([]int(nil), arch.Hidden...)
	r := &RewardModel{name: name, arch: arch, net: NewMLP(name, sizes(w, arch.Hidden, 1), arch.Activation, rng), in: NewNormaliser(w)}
	r.initScratch()
	return r, nil
}

func (r *RewardModel) initScratch() {
	w := r.arch.ObsDim + r.arch.ActDim
	r.xa, r.z, r.out = make([]float64, w), make([]float64, w), make([]float64, 1)
}

// Clone returns a deep copy sharing nothing with r.
func (r *RewardModel) Clone() *RewardModel {
	c := &RewardModel{name: r.name, arch: r.arch, net: r.net.Clone(), in: r.in.Clone()}
	c.initScratch()
	return c
}

// Name returns the parameter name prefix.
func (r *RewardModel) Name() string { return r.name }

// Kind returns KindReward.
func (r *RewardModel) Kind() string { return KindReward }

// Arch returns the RewardArch.
func (r *RewardModel) Arch() any { return r.arch }

// Params returns the MLP's parameters.
func (r *RewardModel) Params() []*Param { return r.net.Params() }

// Net returns the MLP.
func (r *RewardModel) Net() *MLP { return r.net }

// InputNormaliser returns the normaliser of concat(obs, act).
func (r *RewardModel) InputNormaliser() *Normaliser { return r.in }

// Normalisers returns the normaliser keyed "<name>.input".
func (r *RewardModel) Normalisers() map[string]*Normaliser {
	return map[string]*Normaliser{r.name + ".input": r.in}
}

// Inputs returns the regression inputs concat(obs, act) [n, obsDim+actDim]
// for obs [n, obsDim] and act [n, actDim].
func (r *RewardModel) Inputs(obs, act []float64, n int) []float64 {
	if n <= 0 || len(obs) != n*r.arch.ObsDim || len(act) != n*r.arch.ActDim {
		panic(fmt.Sprintf("nn: reward %q: %d rows with len(obs)=%d len(act)=%d", r.name, n, len(obs), len(act)))
	}
	return concatRows(obs, r.arch.ObsDim, act, r.arch.ActDim, n)
}

// FitNormaliser fits the input normaliser to concat(obs, act), in place.
func (r *RewardModel) FitNormaliser(obs, act []float64, n int) {
	r.in.Fit(r.Inputs(obs, act, n), n, r.arch.ObsDim+r.arch.ActDim)
}

// Predict returns the predicted reward for one observation and action.
func (r *RewardModel) Predict(obs, act []float64) float64 {
	copy(r.xa, obs)
	copy(r.xa[r.arch.ObsDim:], act)
	r.in.Apply(r.z, r.xa)
	r.net.Forward(r.out, r.z)
	return r.out[0]
}

// RewardNodes are a RewardModel's nodes in one graph.
type RewardNodes struct {
	net *MLPNodes
}

// Learnables returns the weight nodes in the order of Params.
func (n *RewardNodes) Learnables() G.Nodes { return n.net.Learnables() }

// Bind creates the model's weight nodes in g, aliasing its tensors.
func (r *RewardModel) Bind(g *G.ExprGraph) *RewardNodes { return &RewardNodes{net: r.net.Bind(g)} }

// Apply maps obs [B, obsDim] and act [B, actDim] to rewards [B, 1].
func (r *RewardModel) Apply(n *RewardNodes, obs, act *G.Node) (*G.Node, error) {
	xa, err := G.Concat(1, obs, act)
	if err != nil {
		return nil, fmt.Errorf("nn: reward %q: %w", r.name, err)
	}
	return r.applyRaw(n, xa)
}

func (r *RewardModel) applyRaw(n *RewardNodes, xa *G.Node) (*G.Node, error) {
	z, err := r.in.ApplyNode(r.name+".input", xa)
	if err != nil {
		return nil, fmt.Errorf("nn: reward %q: %w", r.name, err)
	}
	return n.net.Apply(z)
}

// Build binds the model in g and maps raw x = concat(obs, act)
// [B, obsDim+actDim] to rewards [B, 1] (GraphModel; inputs from Inputs).
func (r *RewardModel) Build(g *G.ExprGraph, x *G.Node) (*G.Node, G.Nodes, error) {
	n := r.Bind(g)
	out, err := r.applyRaw(n, x)
	return out, n.Learnables(), err
}
