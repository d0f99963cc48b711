package checkpoints_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mbrl/mbrl/checkpoints"
)

func Example() {
	dir, err := os.MkdirTemp("", "checkpoints-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "final.safetensors")

	c := &checkpoints.Checkpoint{
		Meta: checkpoints.Metadata{
			Method: "gps", Env: "Pendulum-v1", Seed: 7, Iteration: 100,
			Models: []checkpoints.ModelSpec{{
				Name: "policy", Kind: "linear-policy",
				Arch:    json.RawMessage(`{"in":3,"out":1}`),
				Tensors: map[string][]int{"policy.weight": {1, 3}, "policy.bias": {1}},
			}},
		},
		Tensors: []checkpoints.Tensor{
			{Name: "policy.weight", Shape: []int{1, 3}, Data: []float64{0.5, -1, 2}},
			{Name: "policy.bias", Shape: []int{1}, Data: []float64{0.25}},
		},
	}
	if err := checkpoints.Save(path, c); err != nil {
		fmt.Println(err)
		return
	}

	loaded, err := checkpoints.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	w, _ := loaded.Tensor("policy.weight")
	m, _ := loaded.Model("policy")
	fmt.Println(loaded.Meta.Env, loaded.Meta.Iteration, m.Kind, string(m.Arch))
	fmt.Println(w.Shape, w.Data)

	// Damage one byte of tensor data: Load refuses the file.
	b, _ := os.ReadFile(path)
	b[len(b)-1] ^= 1
	os.WriteFile(path, b, 0o644)
	_, err = checkpoints.Load(path)
	fmt.Println(errors.Is(err, checkpoints.ErrChecksum))
	// Output:
	// Pendulum-v1 100 linear-policy {"in":3,"out":1}
	// [1 3] [0.5 -1 2]
	// true
}
