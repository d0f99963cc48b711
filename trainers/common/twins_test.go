package common

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/envs"
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
