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
// kind and arch, constructs the model and copies its tensors and
// normalisers (LoadInto). Errors name the model and the mismatch.
func LoadModel(c *checkpoints.Checkpoint, name string) (Model, error) {
	spec, ok := c.Model(name)
	if !ok {
		var names []string
		for _, m := range c.Meta.Models {
			names = append(names, m.Name)
		}
		return nil, fmt.Errorf("nn: checkpoint has no model %q (models: %v)", name, names)
	}
	rng := rand.New(rand.NewPCG(0, 0)) // weights are overwritten
	var m Model
	var err error
	switch spec.Kind {
	case KindMLP:
		var a MLPArch
		if err = decodeArch(spec, &a); err == nil {
			if err = a.validate(); err == nil {
				m = NewMLP(name, a.Sizes, a.Hidden, rng)
			}
		}
	case KindDeterministicPolicy:
		var a PolicyArch
		if err = decodeArch(spec, &a); err == nil {
			m, err = NewDeterministicPolicy(name, a, rng)
		}
	case KindGaussianPolicy:
		var a GaussianPolicyArch
		if err = decodeArch(spec, &a); err == nil {
			m, err = NewGaussianPolicy(name, a, rng)
		}
	case KindDynamics:
		var a DynamicsArch
		if err = decodeArch(spec, &a); err == nil {
			m, err = NewDynamicsModel(name, a, rng)
		}
	case KindEnsemble:
		var a EnsembleArch
		if err = decodeArch(spec, &a); err == nil {
			m, err = NewEnsemble(name, a, rng)
		}
	case KindQNetwork:
		var a QArch
		if err = decodeArch(spec, &a); err == nil {
			m, err = NewQNetwork(name, a, rng)
		}
	case KindReward:
		var a RewardArch
		if err = decodeArch(spec, &a); err == nil {
			m, err = NewRewardModel(name, a, rng)
		}
	default:
		return nil, fmt.Errorf("nn: model %q has unknown kind %q", name, spec.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("nn: model %q (%s): %w", name, spec.Kind, err)
	}
	if err := LoadInto(c, m); err != nil {
		return nil, err
	}
	return m, nil
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
