package checkpoints

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// FormatVersion is the version of the checkpoint layout (the Metadata
// schema and the "__metadata__" keys) written by [Save]. Version 2 checksums
// the whole file and stores trainer-state arrays as tensors; version 1
// checksummed the tensor data only and kept trainer state as text. [Load]
// reads both (version 1 without its trainer state) and rejects other
// versions with [ErrVersion].
const FormatVersion = 2

// Sentinel errors wrapped by [Load], [ReadSafetensors] and [Save]; test for
// them with errors.Is.
var (
	// ErrTruncated reports a file shorter than its header says (including
	// an empty file), usually an interrupted copy.
	ErrTruncated = errors.New("file truncated")
	// ErrChecksum reports a file whose sha256 differs from the one recorded
	// in its header.
	ErrChecksum = errors.New("checksum mismatch (file corrupt)")
	// ErrHeader reports a malformed header: bad header length, invalid
	// JSON, bad data offsets, an unsupported dtype or missing or invalid
	// mbrl metadata.
	ErrHeader = errors.New("bad header")
	// ErrVersion reports a checkpoint format version this build cannot read.
	ErrVersion = errors.New("unsupported format version")
	// ErrMismatch reports tensors that disagree with the declared models:
	// a missing or undeclared tensor, or a wrong shape or dtype.
	ErrMismatch = errors.New("tensors do not match the declared models")
	// ErrInvalid reports a checkpoint that [Save] refuses to write (data
	// length not matching the shape, duplicate or reserved names, NaN or
	// Inf values) or that [Load] refuses to return (NaN or Inf values).
	ErrInvalid = errors.New("invalid checkpoint")
)

// Tensor is one named float64 tensor stored row-major: Data has
// product(Shape) elements, and a scalar has an empty Shape and one element.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float64
}

// ModelSpec declares one saved model: its name prefix (e.g. "policy"), its
// kind ("mlp-policy", "dynamics", ...), a free-form architecture (a JSON
// object interpreted by the package that builds the model) and the exact
// tensors, name to shape, that belong to it.
type ModelSpec struct {
	Name    string           `json:"name"`
	Kind    string           `json:"kind"`
	Arch    json.RawMessage  `json:"arch,omitempty"`
	Tensors map[string][]int `json:"tensors"`
}

// Normaliser holds per-dimension statistics used to normalise inputs as
// (x - Mean) / Std; Mean and Std have the same length.
type Normaliser struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

// Metadata describes a checkpoint: how the run was configured and the state
// needed to rebuild its models and resume it. json.RawMessage fields are
// stored compacted; nil and empty maps are both loaded as nil.
type Metadata struct {
	// FormatVersion is set to the package FormatVersion by Save (zero is
	// accepted there) and checked by Load.
	FormatVersion int    `json:"format_version"`
	Method        string `json:"method"`
	Env           string `json:"env"`
	Seed          uint64 `json:"seed"`
	Iteration     int    `json:"iteration"`
	// ObsSpace and ActionSpace describe the env spaces as JSON.
	ObsSpace    json.RawMessage `json:"obs_space,omitempty"`
	ActionSpace json.RawMessage `json:"action_space,omitempty"`
	// Models declares every model saved in the file. When it is non-empty,
	// every tensor of the file must belong to exactly one model.
	Models      []ModelSpec           `json:"models,omitempty"`
	Normalisers map[string]Normaliser `json:"normalisers,omitempty"`
	// Optimizer is the trainer state for resuming (optimiser moments,
	// datasets, random streams, ...), any JSON value; Save stores its
	// numeric arrays as tensors (see [Encode]).
	Optimizer json.RawMessage `json:"optimizer,omitempty"`
	// RNG is the random number generator state; opaque here.
	RNG   json.RawMessage   `json:"rng,omitempty"`
	Extra map[string]string `json:"extra,omitempty"`
}

// Checkpoint is the content of one checkpoint file. Load returns Tensors
// sorted by name; Save accepts any order and writes them sorted by name.
type Checkpoint struct {
	Meta    Metadata
	Tensors []Tensor
	// StateTensors lists, for information, the trainer-state tensors Load
	// found (their values are in Meta.Optimizer); Save ignores it.
	StateTensors []TensorInfo
}

// Tensor returns the tensor called name, or false if there is none. The
// returned pointer refers to c.Tensors.
func (c *Checkpoint) Tensor(name string) (*Tensor, bool) {
	for i := range c.Tensors {
		if c.Tensors[i].Name == name {
			return &c.Tensors[i], true
		}
	}
	return nil, false
}

// Model returns the model spec called name, or false if there is none. The
// returned pointer refers to c.Meta.Models.
func (c *Checkpoint) Model(name string) (*ModelSpec, bool) {
	for i := range c.Meta.Models {
		if c.Meta.Models[i].Name == name {
			return &c.Meta.Models[i], true
		}
	}
	return nil, false
}

// tensorInfo is what the model checks need to know about a stored tensor.
type tensorInfo struct {
	shape []int
	dtype string
}

// checkModels checks that tensors (name -> info) agree with models: model
// names are unique and non-empty, no tensor is declared twice, every
// declared tensor exists with the declared shape and dtype F64, and, when
// models is non-empty, every tensor is declared. Inconsistent metadata is
// reported wrapping bad (ErrInvalid on save, ErrHeader on load), the rest
// wrapping ErrMismatch.
func checkModels(models []ModelSpec, tensors map[string]tensorInfo, bad error) error {
	owner := make(map[string]string)
	modelSeen := make(map[string]bool, len(models))
	for _, m := range models {
		if m.Name == "" {
			return fmt.Errorf("%w: model with kind %q has an empty name", bad, m.Kind)
		}
		if modelSeen[m.Name] {
			return fmt.Errorf("%w: model %q declared twice", bad, m.Name)
		}
		modelSeen[m.Name] = true
		for _, name := range sortedKeys(m.Tensors) {
			if prev, dup := owner[name]; dup {
				return fmt.Errorf("%w: tensor %q declared by both model %q and model %q", bad, name, prev, m.Name)
			}
			owner[name] = m.Name
			want := m.Tensors[name]
			got, ok := tensors[name]
			if !ok {
				return fmt.Errorf("%w: model %q declares tensor %q %v but the file has no such tensor", ErrMismatch, m.Name, name, want)
			}
			if !sameShape(got.shape, want) {
				return fmt.Errorf("%w: tensor %q has shape %v, model %q declares %v", ErrMismatch, name, got.shape, m.Name, want)
			}
			if got.dtype != dtypeF64 {
				return fmt.Errorf("%w: tensor %q of model %q has dtype %s, want %s", ErrMismatch, name, m.Name, got.dtype, dtypeF64)
			}
		}
	}
	if len(models) == 0 {
		return nil
	}
	var undeclared []string
	for name := range tensors {
		if _, ok := owner[name]; !ok {
			undeclared = append(undeclared, name)
		}
	}
	if len(undeclared) > 0 {
		sort.Strings(undeclared)
		return fmt.Errorf("%w: tensor(s) %s not declared by any model; add them to a ModelSpec", ErrMismatch, quoteList(undeclared, 5))
	}
	return nil
}

// checkNormalisers checks that every normaliser has matching, finite Mean
// and Std, reporting problems wrapping bad.
func checkNormalisers(ns map[string]Normaliser, bad error) error {
	for _, name := range sortedKeys(ns) {
		n := ns[name]
		if len(n.Mean) != len(n.Std) {
			return fmt.Errorf("%w: normaliser %q has %d means but %d stds", bad, name, len(n.Mean), len(n.Std))
		}
		for i := range n.Mean {
			if !isFinite(n.Mean[i]) || !isFinite(n.Std[i]) {
				return fmt.Errorf("%w: normaliser %q has a non-finite value at index %d (mean %v, std %v)", bad, name, i, n.Mean[i], n.Std[i])
			}
		}
	}
	return nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// numElements returns the product of shape, or false if a dimension is
// negative or the product exceeds limit.
func numElements(shape []int, limit uint64) (uint64, bool) {
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d == 0 {
			n = 0
			continue
		}
		if n > limit/uint64(d) {
			return 0, false
		}
		n *= uint64(d)
	}
	return n, true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// quoteList quotes up to max names and says how many more there are.
func quoteList(names []string, max int) string {
	var b strings.Builder
	for i, n := range names {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(names)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	return b.String()
}
