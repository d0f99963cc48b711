package nn

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
)

// allModels returns one of each model kind with non-trivial normalisers,
// and a function evaluating each on a fixed input through its fast path.
func allModels(t testing.TB) ([]Model, func(m Model) []float64) {
	t.Helper()
	det, err := NewDeterministicPolicy("policy", policyCases[1].arch, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	setNorm(det.Normaliser(), 1)
	gp, err := NewGaussianPolicy("gauss", GaussianPolicyArch{PolicyArch: policyCases[0].arch, InitLogStd: -1}, newRNG(2))
	if err != nil {
		t.Fatal(err)
	}
	dyn := newFittedDynamics(t, 3)
	ens, err := NewEnsemble("ens", EnsembleArch{Members: 2, Member: dynArch}, newRNG(4))
	if err != nil {
		t.Fatal(err)
	}
	setNorm(ens.Member(1).InputNormaliser(), 5)
	q, err := NewQNetwork("q", QArch{ObsDim: 3, NumActions: 2, Hidden: []int{4}, Activation: Tanh, ObsNorm: true}, newRNG(6))
	if err != nil {
		t.Fatal(err)
	}
	setNorm(q.Normaliser(), 7)
	rew, err := NewRewardModel("reward", RewardArch{ObsDim: 3, ActDim: 1, Hidden: []int{4}, Activation: ReLU}, newRNG(8))
	if err != nil {
		t.Fatal(err)
	}
	setNorm(rew.InputNormaliser(), 9)
	mlp := NewMLP("mlp", []int{3, 5, 2}, Identity, newRNG(10))
	models := []Model{det, gp, dyn, ens, q, rew, mlp}

	obs4, obs3, act := []float64{0.1, -0.2, 0.3, 0.4}, []float64{0.5, -0.6, 0.7}, []float64{0.8}
	eval := func(m Model) []float64 {
		switch m := m.(type) {
		case *DeterministicPolicy:
			u := make([]float64, 2)
			m.Act(u, obs4)
			return u
		case *GaussianPolicy:
			u := make([]float64, 1)
			m.Mean(u, obs3)
			return append(u, m.Std()...)
		case *DynamicsModel:
			x := make([]float64, 3)
			m.Predict(x, obs3, act)
			return x
		case *Ensemble:
			x := make([]float64, 6)
			m.PredictAll(x, obs3, act)
			return x
		case *QNetwork:
			v := make([]float64, 2)
			m.Values(v, obs3)
			return v
		case *RewardModel:
			return []float64{m.Predict(obs3, act)}
		case *MLP:
			y := make([]float64, 2)
			m.Forward(y, obs3)
			return y
		}
		t.Fatalf("unknown model %T", m)
		return nil
	}
	return models, eval
}

// TestCheckpointRoundTrip saves every kind of model to a safetensors file
// and checks that LoadModel rebuilds models with identical outputs.
func TestCheckpointRoundTrip(t *testing.T) {
	models, eval := allModels(t)
	tensors, specs, norms, err := ToCheckpoint(models...)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "all.safetensors")
	if err := checkpoints.Save(path, &checkpoints.Checkpoint{
		Meta:    checkpoints.Metadata{Method: "test", Models: specs, Normalisers: norms},
		Tensors: tensors,
	}); err != nil {
		t.Fatal(err)
	}
	c, err := checkpoints.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		t.Run(m.Kind(), func(t *testing.T) {
			got, err := LoadModel(c, m.Name())
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind() != m.Kind() {
				t.Fatalf("kind %q, want %q", got.Kind(), m.Kind())
			}
			a, b := eval(m), eval(got)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("outputs differ after round trip: %v vs %v", a, b)
				}
			}
			wantArch, _ := json.Marshal(m.Arch())
			gotArch, _ := json.Marshal(got.Arch())
			if string(wantArch) != string(gotArch) {
				t.Fatalf("arch %s, want %s", gotArch, wantArch)
			}
		})
	}
}

// TestCheckpointErrors checks LoadModel's (and CheckArchitectures')
// refusals, each with a one-line error naming the model.
func TestCheckpointErrors(t *testing.T) {
	models, _ := allModels(t)
	// fresh returns a new checkpoint (ToCheckpoint copies everything).
	fresh := func() *checkpoints.Checkpoint {
		tensors, specs, norms, err := ToCheckpoint(models...)
		if err != nil {
			t.Fatal(err)
		}
		return &checkpoints.Checkpoint{Meta: checkpoints.Metadata{Models: specs, Normalisers: norms}, Tensors: tensors}
	}
	cases := []struct {
		name, model, want string
		mod               func(c *checkpoints.Checkpoint)
	}{
		{"missing model", "nope", "no model", func(*checkpoints.Checkpoint) {}},
		{"unknown kind", "policy", "unknown kind", func(c *checkpoints.Checkpoint) {
			s, _ := c.Model("policy")
			s.Kind = "transformer"
		}},
		{"bad arch", "policy", "arch", func(c *checkpoints.Checkpoint) {
			s, _ := c.Model("policy")
			s.Arch = json.RawMessage(`{"obs_dim": "four"}`)
		}},
		{"arch shape mismatch", "dynamics", "shape", func(c *checkpoints.Checkpoint) {
			s, _ := c.Model("dynamics")
			s.Arch = json.RawMessage(`{"obs_dim":3,"act_dim":1,"hidden":[8,16],"activation":"tanh"}`)
		}},
		{"missing tensor", "q", "does not declare", func(c *checkpoints.Checkpoint) {
			tt, _ := c.Tensor("q.l1.bias")
			tt.Name = "q.l9.bias"
			s, _ := c.Model("q")
			delete(s.Tensors, "q.l1.bias")
			s.Tensors["q.l9.bias"] = tt.Shape
		}},
		// The declared architectures below would allocate gigabytes if
		// built; they must be refused from their shapes alone.
		{"huge hidden layer", "policy", "implies tensor", func(c *checkpoints.Checkpoint) {
			s, _ := c.Model("policy")
			s.Arch = json.RawMessage(`{"obs_dim":4,"act_dim":2,"hidden":[99999999],"activation":"tanh","low":[-1,-1],"high":[1,1],"obs_norm":true}`)
		}},
		{"huge ensemble", "ens", "members", func(c *checkpoints.Checkpoint) {
			s, _ := c.Model("ens")
			s.Arch = json.RawMessage(`{"members":1099511627776,"member":{"obs_dim":3,"act_dim":1,"hidden":[8],"activation":"tanh"}}`)
		}},
		{"long hidden list", "reward", "layers", func(c *checkpoints.Checkpoint) {
			h := strings.Repeat("4,", 100000)
			s, _ := c.Model("reward")
			s.Arch = json.RawMessage(`{"obs_dim":3,"act_dim":1,"hidden":[` + h + `4],"activation":"relu"}`)
		}},
		{"huge scratch", "mlp", "scratch memory", func(c *checkpoints.Checkpoint) {
			// Weights [3,1], [1], [1,20000], [20000] (40k values) but an
			// identity Jacobian seed of 20000^2 values (3.2 GB).
			s, _ := c.Model("mlp")
			s.Arch = json.RawMessage(`{"sizes":[3,1,20000],"hidden":"identity"}`)
			s.Tensors = map[string][]int{"mlp.l0.weight": {3, 1}, "mlp.l0.bias": {1}, "mlp.l1.weight": {1, 20000}, "mlp.l1.bias": {20000}}
			var ts []checkpoints.Tensor
			for _, t := range c.Tensors {
				if !strings.HasPrefix(t.Name, "mlp.") {
					ts = append(ts, t)
				}
			}
			for name, shape := range s.Tensors {
				ts = append(ts, checkpoints.Tensor{Name: name, Shape: shape, Data: make([]float64, shape[len(shape)-1]*max(1, shape[0]*(len(shape)-1)))})
			}
			c.Tensors = ts
		}},
		{"empty MLP sizes", "mlp", "sizes", func(c *checkpoints.Checkpoint) {
			s, _ := c.Model("mlp")
			s.Arch = json.RawMessage(`{"sizes":[],"hidden":"identity"}`)
		}},
		{"tensor the arch does not account for", "q", "does not account", func(c *checkpoints.Checkpoint) {
			s, _ := c.Model("q")
			s.Tensors["q.extra"] = []int{1}
			c.Tensors = append(c.Tensors, checkpoints.Tensor{Name: "q.extra", Shape: []int{1}, Data: []float64{0}})
		}},
		{"missing normaliser", "reward", "normaliser", func(c *checkpoints.Checkpoint) {
			delete(c.Meta.Normalisers, "reward.input")
		}},
		{"normaliser width", "policy", "normaliser", func(c *checkpoints.Checkpoint) {
			c.Meta.Normalisers["policy.obs"] = checkpoints.Normaliser{Mean: []float64{0}, Std: []float64{1}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fresh()
			tc.mod(c)
			_, err := LoadModel(c, tc.model)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "nn: ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line mentioning %q", err, tc.want)
			}
			if tc.name != "missing model" {
				if err := CheckArchitectures(c); err == nil {
					t.Fatal("CheckArchitectures accepted it")
				}
			}
		})
	}
	t.Run("kind mismatch in LoadInto", func(t *testing.T) {
		q, _ := NewQNetwork("policy", QArch{ObsDim: 4, NumActions: 2, Activation: Tanh}, newRNG(1))
		if err := LoadInto(fresh(), q); err == nil || !strings.Contains(err.Error(), "want \"q-network\"") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("duplicate names", func(t *testing.T) {
		a := NewMLP("same", []int{1, 1}, Tanh, newRNG(1))
		if _, _, _, err := ToCheckpoint(a, a); err == nil {
			t.Fatal("ToCheckpoint accepted two models with one name")
		}
	})
}
