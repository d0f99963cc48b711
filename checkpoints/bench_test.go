package checkpoints

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// benchCheckpoint returns a checkpoint of about 100k parameters: a
// 3-layer MLP policy (obs 64, hidden 256) and a small dynamics model.
func benchCheckpoint() *Checkpoint {
	rng := rand.New(rand.NewPCG(1, 2))
	c := &Checkpoint{Meta: Metadata{Method: "gps", Env: "bench", Seed: 1}}
	add := func(model, name string, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float64, n)
		for i := range data {
			data[i] = rng.NormFloat64()
		}
		full := model + "." + name
		c.Tensors = append(c.Tensors, Tensor{Name: full, Shape: shape, Data: data})
		m, ok := c.Model(model)
		if !ok {
			c.Meta.Models = append(c.Meta.Models, ModelSpec{Name: model, Kind: model, Tensors: map[string][]int{}})
			m = &c.Meta.Models[len(c.Meta.Models)-1]
		}
		m.Tensors[full] = shape
	}
	add("policy", "l0.weight", 256, 64)
	add("policy", "l0.bias", 256)
	add("policy", "l1.weight", 256, 256)
	add("policy", "l1.bias", 256)
	add("policy", "l2.weight", 8, 256)
	add("policy", "l2.bias", 8)
	add("dynamics", "l0.weight", 128, 72)
	add("dynamics", "l0.bias", 128)
	return c
}

func numParams(c *Checkpoint) int {
	n := 0
	for _, t := range c.Tensors {
		n += len(t.Data)
	}
	return n
}

// BenchmarkSaveLoad times Save (including fsync), Load, and both, of a
// checkpoint of about 100k float64 parameters.
func BenchmarkSaveLoad(b *testing.B) {
	c := benchCheckpoint()
	bytesPerOp := int64(8 * numParams(c))
	path := filepath.Join(b.TempDir(), "bench.safetensors")
	if err := Save(path, c); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("save/params=%d", numParams(c)), func(b *testing.B) {
		b.SetBytes(bytesPerOp)
		for b.Loop() {
			if err := Save(path, c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("load/params=%d", numParams(c)), func(b *testing.B) {
		b.SetBytes(bytesPerOp)
		for b.Loop() {
			if _, err := Load(path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("save+load/params=%d", numParams(c)), func(b *testing.B) {
		b.SetBytes(bytesPerOp)
		for b.Loop() {
			if err := Save(path, c); err != nil {
				b.Fatal(err)
			}
			if _, err := Load(path); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchDataset returns the 150k observation and 50k label values of the
// trainer-state benchmarks.
func benchDataset() (obs, label []float64) {
	rng := rand.New(rand.NewPCG(3, 4))
	obs, label = make([]float64, 150000), make([]float64, 50000)
	for i := range obs {
		obs[i] = rng.NormFloat64()
	}
	for i := range label {
		label[i] = rng.NormFloat64()
	}
	return obs, label
}

// BenchmarkTrainerState times Encode and Decode of a checkpoint whose
// trainer state holds a dataset of 200k float64 values (the size of a
// default DAgger run's) as JSON numbers, which Encode moves into tensors
// and Decode puts back; "as-base64" is the same data as one base64 string
// left in the metadata (the format 1 way), for comparison.
func BenchmarkTrainerState(b *testing.B) {
	obs, label := benchDataset()
	numbers, _ := json.Marshal(map[string]any{"data": map[string]any{"obs": obs, "label": label}, "step": 7})
	raw := make([]byte, 0, 8*(len(obs)+len(label)))
	for _, v := range append(obs, label...) {
		raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(v))
	}
	base64s, _ := json.Marshal(map[string]any{"data": raw, "step": 7})
	for _, bc := range []struct {
		name  string
		state []byte
	}{{"as-tensors", numbers}, {"as-base64", base64s}} {
		c := benchCheckpoint()
		c.Meta.Optimizer = bc.state
		file, err := Encode(c)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("encode/"+bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Encode(c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(file)), "file-bytes")
		})
		b.Run("decode/"+bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Decode(file); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMarshalEncodeState times what a trainer pays per checkpoint for
// 200k values of state: json.Marshal of its state, then Encode, with the
// arrays as []float64 (printed and parsed back as decimal numbers) and as
// F64s (their bytes in base64); both save the same file.
func BenchmarkMarshalEncodeState(b *testing.B) {
	obs, label := benchDataset()
	for _, bc := range []struct {
		name  string
		state any
	}{
		{"numbers", map[string]any{"obs": obs, "label": label}},
		{"f64s", map[string]any{"obs": F64s(obs), "label": F64s(label)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := benchCheckpoint()
			for b.Loop() {
				raw, err := json.Marshal(bc.state)
				if err != nil {
					b.Fatal(err)
				}
				c.Meta.Optimizer = raw
				if _, err := Encode(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
