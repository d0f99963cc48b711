package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// PolicyArch is the JSON-able architecture of a DeterministicPolicy (and
// the mean of a GaussianPolicy).
type PolicyArch struct {
	ObsDim int `json:"obs_dim"`
	ActDim int `json:"act_dim"`
	// Hidden are the hidden layer widths, e.g. [64, 64].
	Hidden     []int      `json:"hidden"`
	Activation Activation `json:"activation"`
	// Low and High [ActDim] bound the actions: u = mid + half·tanh(net),
	// mid = (High+Low)/2, half = (High-Low)/2.
	Low  []float64 `json:"low"`
	High []float64 `json:"high"`
	// ObsNorm adds an observation normaliser (initially the identity;
	// fit it with Normaliser().Fit before binding graphs or in place).
	ObsNorm bool `json:"obs_norm"`
}

func (a PolicyArch) validate() error {
	if a.ObsDim <= 0 || a.ActDim <= 0 {
		return fmt.Errorf("nn: policy: obs_dim %d and act_dim %d must be positive", a.ObsDim, a.ActDim)
	}
	if len(a.Low) != a.ActDim || len(a.High) != a.ActDim {
		return fmt.Errorf("nn: policy: low %v and high %v must have act_dim=%d entries", a.Low, a.High, a.ActDim)
	}
	for i := range a.Low {
		if !(a.High[i] > a.Low[i]) || math.IsInf(a.High[i]-a.Low[i], 0) {
			return fmt.Errorf("nn: policy: bound %d: need finite low < high, got [%v, %v]", i, a.Low[i], a.High[i])
		}
	}
	return MLPArch{Sizes: sizes(a.ObsDim, a.Hidden, a.ActDim), Hidden: a.Activation}.validate()
}

// sizes returns [in, hidden..., out].
func sizes(in int, hidden []int, out int) []int {
	s := append([]int{in}, hidden...)
	return append(s, out)
}

// DeterministicPolicy is u = mid + half·tanh(MLP(norm(obs))): an MLP on
// the (optionally normalised) observation squashed into [Low, High].
// Parameters are the MLP's, "<name>.l<k>.weight/bias". Act and
// ActionJacobian are allocation-free and not safe for concurrent use
// (Clone per goroutine).
type DeterministicPolicy struct {
	name      string
	arch      PolicyArch
	net       *MLP
	norm      *Normaliser
	mid, half []float64
	z, out    []float64 // scratch [obs], [act]
	jnet      []float64 // scratch [act, obs]
}

// NewDeterministicPolicy returns a policy with Glorot-initialised weights
// drawn from rng.
func NewDeterministicPolicy(name string, arch PolicyArch, rng *rand.Rand) (*DeterministicPolicy, error) {
	if err := arch.validate(); err != nil {
		return nil, err
	}
	arch.Hidden = append([]int(nil), arch.Hidden...)
	arch.Low = append([]float64(nil), arch.Low...)
	arch.High = append([]float64(nil), arch.High...)
	p := &DeterministicPolicy{
		name: name,
		arch: arch,
		net:  NewMLP(name, sizes(arch.ObsDim, arch.Hidden, arch.ActDim), arch.Activation, rng),
	}
	if arch.ObsNorm {
		p.norm = NewNormaliser(arch.ObsDim)
	}
	p.init()
	return p, nil
}

func (p *DeterministicPolicy) init() {
	m := p.arch.ActDim
	p.mid, p.half = make([]float64, m), make([]float64, m)
	for i := range m {
		p.mid[i] = (p.arch.High[i] + p.arch.Low[i]) / 2
		p.half[i] = (p.arch.High[i] - p.arch.Low[i]) / 2
	}
	p.z = make([]float64, p.arch.ObsDim)
	p.out = make([]float64, m)
	p.jnet = make([]float64, m*p.arch.ObsDim)
}

// Clone returns a deep copy sharing nothing with p.
func (p *DeterministicPolicy) Clone() *DeterministicPolicy {
	c := &DeterministicPolicy{name: p.name, arch: p.arch, net: p.net.Clone(), norm: p.norm.Clone()}
	c.init()
	return c
}

// Name returns the parameter name prefix.
func (p *DeterministicPolicy) Name() string { return p.name }

// Kind returns KindDeterministicPolicy.
func (p *DeterministicPolicy) Kind() string { return KindDeterministicPolicy }

// Arch returns the PolicyArch.
func (p *DeterministicPolicy) Arch() any { return p.arch }

// Params returns the MLP's parameters.
func (p *DeterministicPolicy) Params() []*Param { return p.net.Params() }

// Net returns the underlying MLP (obs normalised -> pre-squash action).
func (p *DeterministicPolicy) Net() *MLP { return p.net }

// Normaliser returns the observation normaliser, nil without ObsNorm.
func (p *DeterministicPolicy) Normaliser() *Normaliser { return p.norm }

// Normalisers returns the normaliser keyed "<name>.obs" (empty without).
func (p *DeterministicPolicy) Normalisers() map[string]*Normaliser {
	if p.norm == nil {
		return nil
	}
	return map[string]*Normaliser{p.name + ".obs": p.norm}
}

// ObsDim returns the observation width.
func (p *DeterministicPolicy) ObsDim() int { return p.arch.ObsDim }

// ActDim returns the action width.
func (p *DeterministicPolicy) ActDim() int { return p.arch.ActDim }

// Act writes the action for one observation: obs [obsDim] -> dst [actDim].
func (p *DeterministicPolicy) Act(dst, obs []float64) {
	p.norm.Apply(p.z, obs)
	p.net.Forward(p.out, p.z)
	for i, o := range p.out {
		dst[i] = p.mid[i] + p.half[i]*math.Tanh(o)
	}
}

// ActionJacobian writes du/dobs at obs into dst [actDim, obsDim]
// (row-major), through the normaliser, the MLP (reverse mode) and the
// squashing.
func (p *DeterministicPolicy) ActionJacobian(dst, obs []float64) {
	n := p.arch.ObsDim
	if len(dst) != p.arch.ActDim*n {
		panic("nn: DeterministicPolicy.ActionJacobian: len(dst) != actDim*obsDim")
	}
	p.norm.Apply(p.z, obs)
	p.net.Jacobian(p.jnet, p.z)
	for i, o := range p.net.output() {
		p.squashJacobian(dst, i, math.Tanh(o))
	}
}

// squashJacobian writes row i of du/dobs into dst from the network's
// Jacobian p.jnet and t = tanh(out_i): the squashing's derivative and the
// normaliser's scale.
func (p *DeterministicPolicy) squashJacobian(dst []float64, i int, t float64) {
	n := p.arch.ObsDim
	s := p.half[i] * (1 - t*t)
	for j := range n {
		v := s * p.jnet[i*n+j]
		if p.norm != nil {
			v /= p.norm.Std[j]
		}
		dst[i*n+j] = v
	}
}

// ActAndJacobian writes Act(obs) into dst and ActionJacobian(obs) into
// jac with one pass of the network forward (the same bits as the two
// calls).
func (p *DeterministicPolicy) ActAndJacobian(dst, jac, obs []float64) {
	n := p.arch.ObsDim
	if len(jac) != p.arch.ActDim*n {
		panic("nn: DeterministicPolicy.ActAndJacobian: len(jac) != actDim*obsDim")
	}
	p.norm.Apply(p.z, obs)
	p.net.ForwardJacobian(p.out, p.jnet, p.z)
	for i, o := range p.out {
		t := math.Tanh(o)
		dst[i] = p.mid[i] + p.half[i]*t
		p.squashJacobian(jac, i, t)
	}
}

// PolicyNodes are a DeterministicPolicy's nodes in one graph.
type PolicyNodes struct {
	net       *MLPNodes
	mid, half *G.Node
}

// Learnables returns the weight nodes in the order of Params.
func (n *PolicyNodes) Learnables() G.Nodes { return n.net.Learnables() }

// Bind creates the policy's weight nodes (aliasing its tensors) and
// bound constants in g.
func (p *DeterministicPolicy) Bind(g *G.ExprGraph) *PolicyNodes {
	return &PolicyNodes{
		net:  p.net.Bind(g),
		mid:  constNode(g, p.name+".mid", p.mid),
		half: constNode(g, p.name+".half", p.half),
	}
}

// Apply maps observations obs [B, obsDim] to actions [B, actDim].
func (p *DeterministicPolicy) Apply(n *PolicyNodes, obs *G.Node) (*G.Node, error) {
	z, err := p.norm.ApplyNode(p.name+".obs", obs)
	if err != nil {
		return nil, fmt.Errorf("nn: policy %q: %w", p.name, err)
	}
	o, err := n.net.Apply(z)
	if err != nil {
		return nil, err
	}
	if o, err = G.Tanh(o); err == nil {
		if o, err = G.BroadcastHadamardProd(o, n.half, nil, []byte{0}); err == nil {
			o, err = G.BroadcastAdd(o, n.mid, nil, []byte{0})
		}
	}
	if err != nil {
		return nil, fmt.Errorf("nn: policy %q squashing: %w", p.name, err)
	}
	return o, nil
}

// Build binds the policy in g and applies it to x [B, obsDim]
// (GraphModel: behaviour cloning regresses actions on observations).
func (p *DeterministicPolicy) Build(g *G.ExprGraph, x *G.Node) (*G.Node, G.Nodes, error) {
	n := p.Bind(g)
	out, err := p.Apply(n, x)
	return out, n.Learnables(), err
}

// GaussianPolicyArch is the architecture of a GaussianPolicy: the mean's
// PolicyArch plus the initial log standard deviation.
type GaussianPolicyArch struct {
	PolicyArch
	InitLogStd float64 `json:"init_log_std"`
}

// GaussianPolicy is u ~ N(mu(obs), diag(exp(2·log_std))) with mu a
// DeterministicPolicy (squashed into [Low, High]) and a state-independent
// learnable log standard deviation "<name>.log_std" [actDim]. Samples are
// not clipped to the bounds.
type GaussianPolicy struct {
	mean   *DeterministicPolicy
	logStd *Param
	lsd    []float64 // cached logStd.Data()
	init   float64
	params []*Param
}

// NewGaussianPolicy returns a policy whose mean is initialised like
// NewDeterministicPolicy and whose log_std is arch.InitLogStd.
func NewGaussianPolicy(name string, arch GaussianPolicyArch, rng *rand.Rand) (*GaussianPolicy, error) {
	mean, err := NewDeterministicPolicy(name, arch.PolicyArch, rng)
	if err != nil {
		return nil, err
	}
	if math.IsNaN(arch.InitLogStd) || math.IsInf(arch.InitLogStd, 0) {
		return nil, fmt.Errorf("nn: gaussian policy: init_log_std %v is not finite", arch.InitLogStd)
	}
	gp := &GaussianPolicy{mean: mean, logStd: newParam(name+".log_std", arch.ActDim), init: arch.InitLogStd}
	for i := range gp.logStd.Data() {
		gp.logStd.Data()[i] = arch.InitLogStd
	}
	gp.params = append(append([]*Param(nil), mean.Params()...), gp.logStd)
	gp.lsd = gp.logStd.Data()
	return gp, nil
}

// Clone returns a deep copy sharing nothing with p.
func (p *GaussianPolicy) Clone() *GaussianPolicy {
	c := &GaussianPolicy{mean: p.mean.Clone(), logStd: cloneParams([]*Param{p.logStd})[0], init: p.init}
	c.params = append(append([]*Param(nil), c.mean.Params()...), c.logStd)
	c.lsd = c.logStd.Data()
	return c
}

// Name returns the parameter name prefix.
func (p *GaussianPolicy) Name() string { return p.mean.name }

// Kind returns KindGaussianPolicy.
func (p *GaussianPolicy) Kind() string { return KindGaussianPolicy }

// Arch returns the GaussianPolicyArch.
func (p *GaussianPolicy) Arch() any {
	return GaussianPolicyArch{PolicyArch: p.mean.arch, InitLogStd: p.init}
}

// Params returns the mean network's parameters followed by log_std.
func (p *GaussianPolicy) Params() []*Param { return p.params }

// MeanPolicy returns the deterministic mean policy (sharing weights).
func (p *GaussianPolicy) MeanPolicy() *DeterministicPolicy { return p.mean }

// LogStdParam returns the "<name>.log_std" parameter [actDim].
func (p *GaussianPolicy) LogStdParam() *Param { return p.logStd }

// Normaliser returns the observation normaliser, nil without ObsNorm.
func (p *GaussianPolicy) Normaliser() *Normaliser { return p.mean.norm }

// Normalisers returns the normaliser keyed "<name>.obs" (empty without).
func (p *GaussianPolicy) Normalisers() map[string]*Normaliser { return p.mean.Normalisers() }

// Mean writes the mean action mu(obs) into dst [actDim]; allocation-free,
// not safe for concurrent use.
func (p *GaussianPolicy) Mean(dst, obs []float64) { p.mean.Act(dst, obs) }

// Std returns exp(log_std) [actDim] (a new slice).
func (p *GaussianPolicy) Std() []float64 {
	s := make([]float64, len(p.lsd))
	for i, v := range p.lsd {
		s[i] = math.Exp(v)
	}
	return s
}

// Sample writes mu(obs) + std·eps, eps ~ N(0, I) drawn from rng, into dst.
func (p *GaussianPolicy) Sample(dst, obs []float64, rng *rand.Rand) {
	p.mean.Act(dst, obs)
	for i, ls := range p.lsd {
		dst[i] += math.Exp(ls) * rng.NormFloat64()
	}
}

// LogProbRow returns log N(u; mu(obs), diag(std²)) for one observation
// and action (the fast path of LogProb).
func (p *GaussianPolicy) LogProbRow(obs, u []float64) float64 {
	p.mean.Act(p.mean.out, obs)
	var lp float64
	for i, ls := range p.lsd {
		z := (u[i] - p.mean.out[i]) / math.Exp(ls)
		lp += -0.5*z*z - ls
	}
	return lp - 0.5*float64(len(u))*math.Log(2*math.Pi)
}

// GaussianNodes are a GaussianPolicy's nodes in one graph.
type GaussianNodes struct {
	mean   *PolicyNodes
	logStd *G.Node
}

// Learnables returns the weight nodes in the order of Params.
func (n *GaussianNodes) Learnables() G.Nodes { return append(n.mean.Learnables(), n.logStd) }

// LogStd returns the log_std node [actDim].
func (n *GaussianNodes) LogStd() *G.Node { return n.logStd }

// Bind creates the policy's nodes in g, aliasing its tensors.
func (p *GaussianPolicy) Bind(g *G.ExprGraph) *GaussianNodes {
	return &GaussianNodes{mean: p.mean.Bind(g), logStd: p.logStd.node(g)}
}

// ApplyMean maps obs [B, obsDim] to the mean actions [B, actDim].
func (p *GaussianPolicy) ApplyMean(n *GaussianNodes, obs *G.Node) (*G.Node, error) {
	return p.mean.Apply(n.mean, obs)
}

// LogProb returns log N(u; mu(obs), diag(std²)) [B] for obs [B, obsDim]
// and actions u [B, actDim]:
// -0.5·sum_j ((u_j-mu_j)/std_j)² - sum_j log_std_j - actDim/2·log(2π).
func (p *GaussianPolicy) LogProb(n *GaussianNodes, obs, u *G.Node) (*G.Node, error) {
	mu, err := p.ApplyMean(n, obs)
	if err != nil {
		return nil, err
	}
	wrap := func(err error) error { return fmt.Errorf("nn: gaussian policy %q log-prob: %w", p.Name(), err) }
	diff, err := G.Sub(u, mu)
	if err != nil {
		return nil, wrap(err)
	}
	inv, err := G.Neg(n.logStd)
	if err == nil {
		inv, err = G.Exp(inv)
	}
	if err != nil {
		return nil, wrap(err)
	}
	z, err := G.BroadcastHadamardProd(diff, inv, nil, []byte{0})
	if err == nil {
		z, err = G.Square(z)
	}
	if err == nil {
		z, err = G.Sum(z, 1)
	}
	var quad, norm *G.Node
	if err == nil {
		quad, err = G.Mul(z, G.NewConstant(-0.5))
	}
	if err == nil {
		norm, err = G.Sum(n.logStd)
	}
	if err == nil {
		norm, err = G.Add(norm, G.NewConstant(0.5*float64(p.mean.arch.ActDim)*math.Log(2*math.Pi)))
	}
	if err != nil {
		return nil, wrap(err)
	}
	lp, err := G.Sub(quad, norm)
	if err != nil {
		return nil, wrap(err)
	}
	return lp, nil
}

// Build binds the policy in g and maps x [B, obsDim] to the mean action
// (GraphModel: behaviour cloning fits the mean; log_std is not trained).
func (p *GaussianPolicy) Build(g *G.ExprGraph, x *G.Node) (*G.Node, G.Nodes, error) {
	n := p.Bind(g)
	out, err := p.ApplyMean(n, x)
	return out, n.mean.Learnables(), err
}
