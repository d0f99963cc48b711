package nn

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
)

// FuzzLoadModel builds a checkpoint declaring one model (name, kind, arch
// JSON, tensor shapes as a JSON object of name to shape, normalisers as a
// JSON object of name to width), passes it through checkpoints.Encode and
// Decode as a file would, and rebuilds the model. CheckArchitectures and
// LoadModel must never panic, must agree, must fail with one line, and a
// model they accept must have exactly the declared tensors. The seed
// corpus (every model kind, and testdata/fuzz/FuzzLoadModel) runs in every
// go test; to fuzz for a minute:
//
//	go test ./nn -run '^$' -fuzz '^FuzzLoadModel$' -fuzztime 1m
func FuzzLoadModel(f *testing.F) {
	models, _ := allModels(f)
	_, specs, norms, err := ToCheckpoint(models...)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range specs {
		shapes, _ := json.Marshal(s.Tensors)
		widths := map[string]int{}
		for k, n := range norms {
			if strings.HasPrefix(k, s.Name+".") {
				widths[k] = len(n.Mean)
			}
		}
		w, _ := json.Marshal(widths)
		f.Add(s.Name, s.Kind, []byte(s.Arch), shapes, w)
	}
	f.Add("p", KindDeterministicPolicy, []byte(`{"obs_dim":3,"act_dim":1,"hidden":[99999999],"activation":"tanh","low":[-2],"high":[2],"obs_norm":false}`),
		[]byte(`{"p.l0.weight":[3,8],"p.l0.bias":[8],"p.l1.weight":[8,1],"p.l1.bias":[1]}`), []byte(`{}`))
	f.Add("m", KindMLP, []byte(`{"sizes":[3,1,20000],"hidden":"identity"}`),
		[]byte(`{"m.l0.weight":[3,1],"m.l0.bias":[1],"m.l1.weight":[1,20000],"m.l1.bias":[20000]}`), []byte(`{}`))
	f.Add("e", KindEnsemble, []byte(`{"members":1099511627776,"member":{"obs_dim":1,"act_dim":1,"hidden":[],"activation":"tanh"}}`),
		[]byte(`{"e.m0.l0.weight":[2,1],"e.m0.l0.bias":[1]}`), []byte(`{"e.m0.input":2,"e.m0.delta":1}`))
	f.Fuzz(func(t *testing.T, name, kind string, arch, shapesJSON, widthsJSON []byte) {
		c, ok := fuzzCheckpoint(name, kind, arch, shapesJSON, widthsJSON)
		if !ok {
			return
		}
		archErr := CheckArchitectures(c)
		m, err := LoadModel(c, name)
		if (archErr == nil) != (err == nil) {
			t.Fatalf("CheckArchitectures = %v but LoadModel = %v", archErr, err)
		}
		if err != nil {
			if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "nn: ") {
				t.Fatalf("error %q: want one line starting with nn:", err)
			}
			return
		}
		spec, _ := c.Model(name)
		ps := m.Params()
		if len(ps) != len(spec.Tensors) {
			t.Fatalf("model has %d parameters, checkpoint declares %d", len(ps), len(spec.Tensors))
		}
		for _, p := range ps {
			if !slices.Equal(p.Shape(), spec.Tensors[p.Name]) {
				t.Fatalf("parameter %q has shape %v, declared %v", p.Name, p.Shape(), spec.Tensors[p.Name])
			}
		}
	})
}

// maxFuzzValues bounds the tensor values of one fuzzed checkpoint.
const maxFuzzValues = 1 << 16

// fuzzCheckpoint builds the checkpoint of FuzzLoadModel and round-trips it
// through its file form; false if the input is not a valid checkpoint.
func fuzzCheckpoint(name, kind string, arch, shapesJSON, widthsJSON []byte) (*checkpoints.Checkpoint, bool) {
	var shapes map[string][]int
	var widths map[string]int
	if json.Unmarshal(shapesJSON, &shapes) != nil || json.Unmarshal(widthsJSON, &widths) != nil || !json.Valid(arch) {
		return nil, false
	}
	total := 0
	var tensors []checkpoints.Tensor
	for tn, shape := range shapes {
		n := 1
		for _, d := range shape {
			if d < 0 || d > maxFuzzValues {
				return nil, false
			}
			n *= d
			if n > maxFuzzValues {
				return nil, false
			}
		}
		if total += n; total > maxFuzzValues {
			return nil, false
		}
		data := make([]float64, n)
		for i := range data {
			data[i] = 0.25
		}
		tensors = append(tensors, checkpoints.Tensor{Name: tn, Shape: shape, Data: data})
	}
	norms := map[string]checkpoints.Normaliser{}
	for k, w := range widths {
		if w < 0 || w > maxFuzzValues {
			return nil, false
		}
		mean, std := make([]float64, w), make([]float64, w)
		for i := range std {
			std[i] = 1
		}
		norms[k] = checkpoints.Normaliser{Mean: mean, Std: std}
	}
	b, err := checkpoints.Encode(&checkpoints.Checkpoint{
		Meta: checkpoints.Metadata{
			Models:      []checkpoints.ModelSpec{{Name: name, Kind: kind, Arch: arch, Tensors: shapes}},
			Normalisers: norms,
		},
		Tensors: tensors,
	})
	if err != nil {
		return nil, false
	}
	c, err := checkpoints.Decode(b)
	if err != nil {
		return nil, false
	}
	return c, true
}
