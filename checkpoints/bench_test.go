package checkpoints

import (
	"fmt"
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
