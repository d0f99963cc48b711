package common

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
)

// TestLoadPolicyOnTwinEnv checks that a policy trained on a Gymnasium env
// loads on its built-in twin (and back), and that any other env is
// still refused with the env the checkpoint was trained on.
func TestLoadPolicyOnTwinEnv(t *testing.T) {
	pend, err := envs.Make("pendulum")
	if err != nil {
		t.Fatal(err)
	}
	cart, err := envs.Make("cartpole")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		trainedOn string
		env       envs.Env
		wantErr   string
	}{
		{"gym:Pendulum-v1", pend, ""},
		{"pendulum", pend, ""},
		{"gym:CartPole-v1", pend, `trained on "gym:CartPole-v1", not "pendulum"`},
		{"linear", pend, `trained on "linear", not "pendulum"`},
		{"gym:Pendulum-v1", cart, `trained on "gym:Pendulum-v1", not "cartpole"`},
	} {
		det, _, err := NewPolicyNet(pend, []int{4}, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		ck, err := BuildCheckpoint(checkpoints.Metadata{Method: "bc", Env: c.trainedOn, Seed: 1}, det)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "final.safetensors")
		if err := checkpoints.Save(path, ck); err != nil {
			t.Fatal(err)
		}
		mk, err := LoadPolicy(path, c.env)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("trained on %s, loaded on %s: err %v, want %q", c.trainedOn, c.env.Name(), err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("trained on %s, loaded on %s: %v", c.trainedOn, c.env.Name(), err)
			continue
		}
		pol, err := mk()
		if err != nil {
			t.Fatal(err)
		}
		u := make([]float64, 1)
		pol.Act(u, pend.Reset(rand.New(rand.NewPCG(3, 4))))
	}
}

// A GPS policy on an env with unbounded actions is a plain MLP named
// "policy" (gps.NewPolicy on the linear env); it loads as a policy that
// acts with the MLP's output (before, eval refused it: "model "policy" is
// a mlp, not a policy"), and an MLP of the wrong widths is refused.
func TestLoadPolicyPlainMLP(t *testing.T) {
	lin, err := envs.Make("linear")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sizes   []int
		wantErr string
	}{{[]int{2, 8, 1}, ""}, {[]int{3, 1}, "policy maps 3 -> 1 values"}} {
		mlp := nn.NewMLP("policy", c.sizes, nn.Tanh, rand.New(rand.NewPCG(1, 3)))
		ck, err := BuildCheckpoint(checkpoints.Metadata{Method: "lggps", Env: "linear", Seed: 1}, mlp)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "final.safetensors")
		if err := checkpoints.Save(path, ck); err != nil {
			t.Fatal(err)
		}
		mk, err := LoadPolicy(path, lin)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("sizes %v: err %v, want %q", c.sizes, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("sizes %v: %v", c.sizes, err)
		}
		pol, err := mk()
		if err != nil {
			t.Fatal(err)
		}
		obs, got, want := []float64{0.3, -0.7}, make([]float64, 1), make([]float64, 1)
		pol.Act(got, obs)
		mlp.Forward(want, obs)
		if got[0] != want[0] {
			t.Errorf("loaded policy acts %v, the MLP gives %v", got, want)
		}
	}
}
