package policies

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

func TestMake(t *testing.T) {
	env, err := envs.Make("linear")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		spec, want string // want: a substring of the error, "" for none
	}{
		{"random", ""},
		{"zero", ""},
		{"lqr", ""},
		{"pid", `unknown policy "pid" (valid: lqr, ilqr, mpc, dp, or a policy checkpoint .safetensors)`},
		{filepath.Join(t.TempDir(), "none.safetensors"), "none.safetensors"},
	}
	for _, c := range cases {
		t.Run(c.spec, func(t *testing.T) {
			pol, err := Make(c.spec, env, rand.New(rand.NewPCG(1, 1)))
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("error %v, want one containing %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The policy acts: one rollout of a few steps returns a finite return.
			ep, err := common.Rollout(env, pol, rand.New(rand.NewPCG(1, 0)), common.RolloutConfig{MaxSteps: 5})
			if err != nil || ep.Steps != 5 {
				t.Fatalf("rollout: %+v, %v", ep, err)
			}
		})
	}
}

// TestFactoryExpertMatchesControl checks that a controller spec builds
// control's expert: both act the same on the same observation.
func TestFactoryExpertMatchesControl(t *testing.T) {
	env, _ := envs.Make("linear")
	mk, err := Factory("controller", "lqr", env, control.ExpertSettings{})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := control.NewExpert("lqr", env, control.ExpertSettings{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := mk()
	q, _ := ref()
	obs := make([]float64, env.ObservationSpace().Dim())
	for i := range obs {
		obs[i] = 0.5 * float64(i+1)
	}
	a, b := make([]float64, env.ActionSpace().Dim()), make([]float64, env.ActionSpace().Dim())
	p.Act(a, obs)
	q.Act(b, obs)
	for i := range a {
		if a[i] != b[i] || a[i] == 0 {
			t.Fatalf("action %v, control's expert %v (want equal and non-zero)", a, b)
		}
	}
}
