package nn

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// QArch is the JSON-able architecture of a QNetwork.
type QArch struct {
	ObsDim     int        `json:"obs_dim"`
	NumActions int        `json:"num_actions"`
	Hidden     []int      `json:"hidden"`
	Activation Activation `json:"activation"`
	// ObsNorm adds an observation normaliser (initially the identity).
	ObsNorm bool `json:"obs_norm"`
}

// QNetwork maps an observation to one Q value per discrete action:
// Q(obs, ·) = MLP(norm(obs)) [NumActions]. Values and Greedy are
// allocation-free and not safe for concurrent use (Clone per goroutine).
type QNetwork struct {
	name string
	arch QArch
	net  *MLP
	norm *Normaliser
	z, q []float64
}

// NewQNetwork returns a Q-network with Glorot-initialised weights.
func NewQNetwork(name string, arch QArch, rng *rand.Rand) (*QNetwork, error) {
	if arch.ObsDim <= 0 || arch.NumActions <= 0 {
		return nil, fmt.Errorf("nn: q-network: obs_dim %d and num_actions %d must be positive", arch.ObsDim, arch.NumActions)
	}
	if err := (MLPArch{Sizes: sizes(arch.ObsDim, arch.Hidden, arch.NumActions), Hidden: arch.Activation}).validate(); err != nil {
		return nil, err
	}
	arch.Hidden = append([]int(nil), arch.Hidden...)
	q := &QNetwork{name: name, arch: arch, net: NewMLP(name, sizes(arch.ObsDim, arch.Hidden, arch.NumActions), arch.Activation, rng)}
	if arch.ObsNorm {
		q.norm = NewNormaliser(arch.ObsDim)
	}
	q.z, q.q = make([]float64, arch.ObsDim), make([]float64, arch.NumActions)
	return q, nil
}

// Clone returns a deep copy sharing nothing with q (e.g. a target network).
func (q *QNetwork) Clone() *QNetwork {
	return &QNetwork{name: q.name, arch: q.arch, net: q.net.Clone(), norm: q.norm.Clone(),
		z: make([]float64, q.arch.ObsDim), q: make([]float64, q.arch.NumActions)}
}

// Name returns the parameter name prefix.
func (q *QNetwork) Name() string { return q.name }

// Kind returns KindQNetwork.
func (q *QNetwork) Kind() string { return KindQNetwork }

// Arch returns the QArch.
func (q *QNetwork) Arch() any { return q.arch }

// Params returns the MLP's parameters.
func (q *QNetwork) Params() []*Param { return q.net.Params() }

// Net returns the MLP.
func (q *QNetwork) Net() *MLP { return q.net }

// Normaliser returns the observation normaliser, nil without ObsNorm.
func (q *QNetwork) Normaliser() *Normaliser { return q.norm }

// Normalisers returns the normaliser keyed "<name>.obs" (empty without).
func (q *QNetwork) Normalisers() map[string]*Normaliser {
	if q.norm == nil {
		return nil
	}
	return map[string]*Normaliser{q.name + ".obs": q.norm}
}

// Values writes Q(obs, a) for every action into dst [NumActions].
func (q *QNetwork) Values(dst, obs []float64) {
	q.norm.Apply(q.z, obs)
	q.net.Forward(dst, q.z)
}

// Greedy returns argmax_a Q(obs, a), the lowest index on ties.
func (q *QNetwork) Greedy(obs []float64) int {
	q.Values(q.q, obs)
	best := 0
	for a, v := range q.q {
		if v > q.q[best] {
			best = a
		}
	}
	return best
}

// QNodes are a QNetwork's nodes in one graph.
type QNodes struct {
	net *MLPNodes
}

// Learnables returns the weight nodes in the order of Params.
func (n *QNodes) Learnables() G.Nodes { return n.net.Learnables() }

// Bind creates the network's weight nodes in g, aliasing its tensors.
func (q *QNetwork) Bind(g *G.ExprGraph) *QNodes { return &QNodes{net: q.net.Bind(g)} }

// Apply maps obs [B, obsDim] to Q values [B, NumActions].
func (q *QNetwork) Apply(n *QNodes, obs *G.Node) (*G.Node, error) {
	z, err := q.norm.ApplyNode(q.name+".obs", obs)
	if err != nil {
		return nil, fmt.Errorf("nn: q-network %q: %w", q.name, err)
	}
	return n.net.Apply(z)
}

// Build binds the network in g and maps x [B, obsDim] to Q values
// (GraphModel: fitted Q iteration regresses all action values).
func (q *QNetwork) Build(g *G.ExprGraph, x *G.Node) (*G.Node, G.Nodes, error) {
	n := q.Bind(g)
	out, err := q.Apply(n, x)
	return out, n.Learnables(), err
}
