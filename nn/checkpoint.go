package nn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/mbrl/mbrl/checkpoints"
)

// Model kinds recorded in checkpoints (checkpoints.ModelSpec.Kind).
const (
	KindMLP                 = "mlp"
	KindDeterministicPolicy = "deterministic-policy"
	KindGaussianPolicy      = "gaussian-policy"
	KindDynamics            = "dynamics"
	KindEnsemble            = "ensemble"
	KindQNetwork            = "q-network"
	KindReward              = "reward"
)

// Model is what every nn model provides for checkpointing.
type Model interface {
	// Name is the parameter name prefix, e.g. "policy".
	Name() string
	// Kind is one of the Kind* constants.
	Kind() string
	// Params are the learnable tensors, named "<Name>.<...>".
	Params() []*Param
	// Arch is a JSON-able description sufficient to rebuild the model.
	Arch() any
}

// NormaliserOwner is implemented by models with normaliser statistics,
// keyed by full name ("dynamics.input", "policy.obs").
type NormaliserOwner interface {
	Normalisers() map[string]*Normaliser
}

// Compile-time checks.
var (
	_ Model      = (*MLP)(nil)
	_ Model      = (*DeterministicPolicy)(nil)
	_ Model      = (*GaussianPolicy)(nil)
	_ Model      = (*DynamicsModel)(nil)
	_ Model      = (*Ensemble)(nil)
	_ Model      = (*QNetwork)(nil)
	_ Model      = (*RewardModel)(nil)
	_ GraphModel = (*MLP)(nil)
	_ GraphModel = (*DeterministicPolicy)(nil)
	_ GraphModel = (*GaussianPolicy)(nil)
	_ GraphModel = (*DynamicsModel)(nil)
	_ GraphModel = (*QNetwork)(nil)
	_ GraphModel = (*RewardModel)(nil)

	_ NormaliserOwner = (*DeterministicPolicy)(nil)
	_ NormaliserOwner = (*GaussianPolicy)(nil)
	_ NormaliserOwner = (*DynamicsModel)(nil)
	_ NormaliserOwner = (*Ensemble)(nil)
	_ NormaliserOwner = (*QNetwork)(nil)
	_ NormaliserOwner = (*RewardModel)(nil)
)

// ToCheckpoint converts models into checkpoint tensors (copies of the
// weights, shape as stored), one ModelSpec per model (kind, JSON arch,
// tensor shapes) and the models' normaliser statistics (copied). It fails
// on duplicate model, tensor or normaliser names.
func ToCheckpoint(models ...Model) ([]checkpoints.Tensor, []checkpoints.ModelSpec, map[string]checkpoints.Normaliser, error) {
	var tensors []checkpoints.Tensor
	var specs []checkpoints.ModelSpec
	norms := make(map[string]checkpoints.Normaliser)
	seenModel, seenTensor := make(map[string]bool), make(map[string]bool)
	for _, m := range models {
		if seenModel[m.Name()] {
			return nil, nil, nil, fmt.Errorf("nn: checkpoint: two models named %q", m.Name())
		}
		seenModel[m.Name()] = true
		arch, err := json.Marshal(m.Arch())
		if err != nil {
			return nil, nil, nil, fmt.Errorf("nn: checkpoint: model %q arch: %w", m.Name(), err)
		}
		spec := checkpoints.ModelSpec{Name: m.Name(), Kind: m.Kind(), Arch: arch, Tensors: make(map[string][]int)}
		for _, p := range m.Params() {
			if seenTensor[p.Name] {
				return nil, nil, nil, fmt.Errorf("nn: checkpoint: two tensors named %q", p.Name)
			}
			seenTensor[p.Name] = true
			tensors = append(tensors, checkpoints.Tensor{Name: p.Name, Shape: p.Shape(), Data: slices.Clone(p.Data())})
			spec.Tensors[p.Name] = p.Shape()
		}
		specs = append(specs, spec)
		if o, ok := m.(NormaliserOwner); ok {
			for k, nm := range o.Normalisers() {
				if _, dup := norms[k]; dup {
					return nil, nil, nil, fmt.Errorf("nn: checkpoint: two normalisers named %q", k)
				}
				norms[k] = checkpoints.Normaliser{Mean: slices.Clone(nm.Mean), Std: slices.Clone(nm.Std)}
			}
		}
	}
	return tensors, specs, norms, nil
}

// LoadModel rebuilds the model called name from c: it reads the spec's
// kind and arch, checks every tensor shape and normaliser width the arch
// implies against c before allocating anything (see CheckArchitectures),
// constructs the model and copies its tensors and normalisers (LoadInto).
// Errors name the model and the mismatch.
func LoadModel(c *checkpoints.Checkpoint, name string) (Model, error) {
	spec, ok := c.Model(name)
	if !ok {
		var names []string
		for _, m := range c.Meta.Models {
			names = append(names, m.Name)
		}
		return nil, fmt.Errorf("nn: checkpoint has no model %q (models: %v)", name, names)
	}
	arch, err := checkSpec(c, spec)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(0, 0)) // weights are overwritten
	var m Model
	switch a := arch.(type) {
	case *MLPArch:
		m = NewMLP(name, a.Sizes, a.Hidden, rng)
	case *PolicyArch:
		m, err = NewDeterministicPolicy(name, *a, rng)
	case *GaussianPolicyArch:
		m, err = NewGaussianPolicy(name, *a, rng)
	case *DynamicsArch:
		m, err = NewDynamicsModel(name, *a, rng)
	case *EnsembleArch:
		m, err = NewEnsemble(name, *a, rng)
	case *QArch:
		m, err = NewQNetwork(name, *a, rng)
	case *RewardArch:
		m, err = NewRewardModel(name, *a, rng)
	}
	if err != nil {
		return nil, fmt.Errorf("nn: model %q (%s): %w", name, spec.Kind, err)
	}
	if err := LoadInto(c, m); err != nil {
		return nil, err
	}
	return m, nil
}

// CheckArchitectures checks, without building anything, that the
// declared architecture of every model in c is valid, implies exactly the
// tensors (names and shapes) and normalisers c holds for it, and needs a
// plausible amount of memory. LoadModel does the same for one model.
func CheckArchitectures(c *checkpoints.Checkpoint) error {
	for i := range c.Meta.Models {
		if _, err := checkSpec(c, &c.Meta.Models[i]); err != nil {
			return err
		}
	}
	return nil
}

// checkSpec decodes spec's architecture and checks every shape it implies
// against the tensors present before anything is allocated: a checkpoint
// is small, but its declared architecture could ask for gigabytes. It
// returns a pointer to the decoded Arch.
func checkSpec(c *checkpoints.Checkpoint, spec *checkpoints.ModelSpec) (any, error) {
	var arch any
	switch spec.Kind {
	case KindMLP:
		arch = &MLPArch{}
	case KindDeterministicPolicy:
		arch = &PolicyArch{}
	case KindGaussianPolicy:
		arch = &GaussianPolicyArch{}
	case KindDynamics:
		arch = &DynamicsArch{}
	case KindEnsemble:
		arch = &EnsembleArch{}
	case KindQNetwork:
		arch = &QArch{}
	case KindReward:
		arch = &RewardArch{}
	default:
		return nil, fmt.Errorf("nn: model %q has unknown kind %q", spec.Name, spec.Kind)
	}
	err := decodeArch(spec, arch)
	var pl plan
	if err == nil {
		pl, err = planModel(spec.Name, arch, len(spec.Tensors))
	}
	if err == nil {
		err = pl.check(c, spec)
	}
	if err != nil {
		return nil, fmt.Errorf("nn: model %q (%s): %w", spec.Name, spec.Kind, err)
	}
	return arch, nil
}

// The scratch memory (float64 values beyond the weights: activations,
// Jacobian buffers) a model rebuilt from a checkpoint may allocate is
// bounded by max(minScratchLimit, scratchPerParam x its parameters). Real
// models need a fraction of their parameter count; a layer of width w
// after a layer of width 1 needs w^2 (an identity Jacobian seed), which
// for w = 20000 is 3.2 GB held by 40,000 weights.
const (
	minScratchLimit = 1 << 22 // 32 MB
	scratchPerParam = 64
)

// plan is what a model built from an architecture will hold, computed
// from the architecture alone: its parameters (name to shape), its
// normalisers (name to width) and an upper bound of its scratch values.
type plan struct {
	params  map[string][]int
	norms   map[string]int
	scratch float64
}

// mlp adds the parameters and scratch of NewMLP(name, sizes) to p.
func (p *plan) mlp(name string, sizes []int) {
	out, maxW := float64(sizes[len(sizes)-1]), 0.0
	for l, s := range sizes {
		maxW = max(maxW, float64(s))
		p.scratch += float64(s)
		if l+1 < len(sizes) {
			p.params[fmt.Sprintf("%s.l%d.weight", name, l)] = []int{s, sizes[l+1]}
			p.params[fmt.Sprintf("%s.l%d.bias", name, l)] = []int{sizes[l+1]}
		}
	}
	p.scratch += 2*out*maxW + out*out
}

// io adds the scratch of a model mapping in values to out values
// (input copies and an [out, in] Jacobian buffer).
func (p *plan) io(in, out int) {
	p.scratch += 4*float64(in) + 4*float64(out) + float64(in)*float64(out)
}

// planModel validates arch (a pointer to one of the Arch types) and
// returns the plan of the model called name. nTensors is the number of
// tensors the checkpoint declares for the model; an ensemble declaring
// more members than that is refused before its members are listed.
func planModel(name string, arch any, nTensors int) (plan, error) {
	p := plan{params: map[string][]int{}, norms: map[string]int{}}
	// Count the layers first: a long hidden list must not make the plan
	// itself large.
	var hidden []int
	copies := 1
	switch a := arch.(type) {
	case *MLPArch:
		if len(a.Sizes) >= 2 {
			hidden = a.Sizes[1 : len(a.Sizes)-1]
		}
	case *PolicyArch:
		hidden = a.Hidden
	case *GaussianPolicyArch:
		hidden = a.Hidden
	case *DynamicsArch:
		hidden = a.Hidden
	case *EnsembleArch:
		hidden, copies = a.Member.Hidden, max(a.Members, 1)
	case *QArch:
		hidden = a.Hidden
	case *RewardArch:
		hidden = a.Hidden
	}
	if layers := len(hidden) + 1; layers > nTensors || copies > nTensors || 2*layers*copies > nTensors {
		return p, fmt.Errorf("the architecture has %d layers x %d members but the checkpoint declares only %d tensors for it", layers, copies, nTensors)
	}
	switch a := arch.(type) {
	case *MLPArch:
		if err := a.validate(); err != nil {
			return p, err
		}
		p.mlp(name, a.Sizes)
	case *PolicyArch:
		if err := a.validate(); err != nil {
			return p, err
		}
		p.policy(name, *a)
	case *GaussianPolicyArch:
		if err := a.validate(); err != nil {
			return p, err
		}
		p.policy(name, a.PolicyArch)
		p.params[name+".log_std"] = []int{a.ActDim}
	case *DynamicsArch:
		if err := a.validate(); err != nil {
			return p, err
		}
		p.dynamics(name, *a)
	case *EnsembleArch:
		if a.Members <= 0 || a.Members > nTensors {
			return p, fmt.Errorf("ensemble of %d members, but the checkpoint declares %d tensors for it", a.Members, nTensors)
		}
		if err := a.Member.validate(); err != nil {
			return p, err
		}
		for i := range a.Members {
			p.dynamics(fmt.Sprintf("%s.m%d", name, i), a.Member)
		}
		n, m := float64(a.Member.ObsDim), float64(a.Member.ActDim)
		p.scratch += n*n + n*m
	case *QArch:
		if a.ObsDim <= 0 || a.NumActions <= 0 {
			return p, fmt.Errorf("q-network: obs_dim %d and num_actions %d must be positive", a.ObsDim, a.NumActions)
		}
		sz := sizes(a.ObsDim, a.Hidden, a.NumActions)
		if err := (MLPArch{Sizes: sz, Hidden: a.Activation}).validate(); err != nil {
			return p, err
		}
		p.mlp(name, sz)
		p.io(a.ObsDim, a.NumActions)
		if a.ObsNorm {
			p.norms[name+".obs"] = a.ObsDim
		}
	case *RewardArch:
		if a.ObsDim <= 0 || a.ActDim <= 0 {
			return p, fmt.Errorf("reward: obs_dim %d and act_dim %d must be positive", a.ObsDim, a.ActDim)
		}
		w := a.ObsDim + a.ActDim
		sz := sizes(w, a.Hidden, 1)
		if err := (MLPArch{Sizes: sz, Hidden: a.Activation}).validate(); err != nil {
			return p, err
		}
		p.mlp(name, sz)
		p.io(w, 1)
		p.norms[name+".input"] = w
	}
	return p, nil
}

func (p *plan) policy(name string, a PolicyArch) {
	p.mlp(name, sizes(a.ObsDim, a.Hidden, a.ActDim))
	p.io(a.ObsDim, a.ActDim)
	if a.ObsNorm {
		p.norms[name+".obs"] = a.ObsDim
	}
}

func (p *plan) dynamics(name string, a DynamicsArch) {
	w := a.ObsDim + a.ActDim
	p.mlp(name, sizes(w, a.Hidden, a.ObsDim))
	p.io(w, a.ObsDim)
	p.norms[name+".input"] = w
	p.norms[name+".delta"] = a.ObsDim
}

// check compares the plan with the tensors spec declares (which Load has
// matched with the tensors present) and with c's normalisers, then bounds
// its scratch memory.
func (p *plan) check(c *checkpoints.Checkpoint, spec *checkpoints.ModelSpec) error {
	for _, name := range sortedNames(p.params) {
		got, ok := spec.Tensors[name]
		if !ok {
			return fmt.Errorf("arch %s implies tensor %q %v, which the checkpoint does not declare", shortArch(spec.Arch), name, p.params[name])
		}
		if !slices.Equal(got, p.params[name]) {
			return fmt.Errorf("arch %s implies tensor %q of shape %v, the checkpoint holds %v", shortArch(spec.Arch), name, p.params[name], got)
		}
	}
	if len(spec.Tensors) != len(p.params) {
		var extra []string
		for name := range spec.Tensors {
			if _, ok := p.params[name]; !ok {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		return fmt.Errorf("arch %s does not account for tensors %s", shortArch(spec.Arch), shortList(extra))
	}
	for _, name := range sortedNames(p.norms) {
		n, ok := c.Meta.Normalisers[name]
		if !ok {
			return fmt.Errorf("the checkpoint has no normaliser %q", name)
		}
		if len(n.Mean) != p.norms[name] {
			return fmt.Errorf("normaliser %q has width %d, the arch needs %d", name, len(n.Mean), p.norms[name])
		}
	}
	params := 0.0
	for _, shape := range p.params {
		n := 1.0
		for _, d := range shape {
			n *= float64(d)
		}
		params += n
	}
	if limit := max(minScratchLimit, scratchPerParam*params); p.scratch > limit {
		return fmt.Errorf("arch %s needs %.0f MB of scratch memory for %.0f parameters, more than the %.0f MB limit; the checkpoint is implausible", shortArch(spec.Arch), p.scratch*8/(1<<20), params, limit*8/(1<<20))
	}
	return nil
}

// shortArch returns arch for an error message, cut to 120 bytes.
func shortArch(arch []byte) string {
	if len(arch) > 120 {
		return string(arch[:120]) + "..."
	}
	return string(arch)
}

// shortList lists up to 5 names and says how many more there are.
func shortList(names []string) string {
	if len(names) > 5 {
		return fmt.Sprintf("%q and %d more", names[:5], len(names)-5)
	}
	return fmt.Sprintf("%q", names)
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func decodeArch(spec *checkpoints.ModelSpec, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(spec.Arch))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("arch %s: %w", spec.Arch, err)
	}
	return nil
}

// LoadInto copies the weights and normaliser statistics stored in c for
// m (matched by m.Name()) into m's existing tensors, so graphs bound to m
// see them. The checkpoint's spec must have m's kind and exactly m's
// tensors with m's shapes; nothing is written unless everything matches.
func LoadInto(c *checkpoints.Checkpoint, m Model) error {
	spec, ok := c.Model(m.Name())
	if !ok {
		return fmt.Errorf("nn: checkpoint has no model %q", m.Name())
	}
	if spec.Kind != m.Kind() {
		return fmt.Errorf("nn: model %q is a %q in the checkpoint, want %q", m.Name(), spec.Kind, m.Kind())
	}
	params := m.Params()
	var extra []string
	want := make(map[string]bool, len(params))
	for _, p := range params {
		want[p.Name] = true
	}
	for name := range spec.Tensors {
		if !want[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("nn: model %q: checkpoint declares tensors %v the model does not have", m.Name(), extra)
	}
	src := make([]*checkpoints.Tensor, len(params))
	for i, p := range params {
		t, ok := c.Tensor(p.Name)
		if !ok {
			return fmt.Errorf("nn: model %q: checkpoint has no tensor %q", m.Name(), p.Name)
		}
		if !slices.Equal(t.Shape, p.Shape()) || len(t.Data) != len(p.Data()) {
			return fmt.Errorf("nn: model %q: tensor %q has shape %v (%d values), model needs %v", m.Name(), p.Name, t.Shape, len(t.Data), p.Shape())
		}
		src[i] = t
	}
	var norms map[string]*Normaliser
	if o, ok := m.(NormaliserOwner); ok {
		norms = o.Normalisers()
	}
	for k, nm := range norms {
		s, ok := c.Meta.Normalisers[k]
		if !ok {
			return fmt.Errorf("nn: model %q: checkpoint has no normaliser %q", m.Name(), k)
		}
		if len(s.Mean) != len(nm.Mean) || len(s.Std) != len(nm.Std) {
			return fmt.Errorf("nn: model %q: normaliser %q has %d means and %d stds, model needs %d", m.Name(), k, len(s.Mean), len(s.Std), len(nm.Mean))
		}
	}
	for i, p := range params {
		copy(p.Data(), src[i].Data)
	}
	for k, nm := range norms {
		copy(nm.Mean, c.Meta.Normalisers[k].Mean)
		copy(nm.Std, c.Meta.Normalisers[k].Std)
	}
	return nil
}
