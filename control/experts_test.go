package control

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mbrl/mbrl/envs"
)

// TestExpertMPCAnyPlans checks that the mpc expert accepts every number of
// plans (issue 16: 2 to 5 plans used to fail with "needs fewer than 5 fresh
// generators" on pendulum, whose hinted swing-up made a fifth generator)
// and acts within the bounds.
func TestExpertMPCAnyPlans(t *testing.T) {
	for _, envName := range []string{"pendulum", "linear"} {
		for plans := 1; plans <= 6; plans++ {
			env, err := envs.Make(envName)
			if err != nil {
				t.Fatal(err)
			}
			mk, err := NewExpert("mpc", env, ExpertSettings{Plans: plans, Horizon: 10, Iters: 1})
			if err != nil {
				t.Fatalf("%s, %d plans: %v", envName, plans, err)
			}
			p, err := mk()
			if err != nil {
				t.Fatal(err)
			}
			obs := env.Reset(rand.New(rand.NewPCG(1, 0)))
			u := make([]float64, env.ActionSpace().Dim())
			for range 3 {
				p.Act(u, obs)
				for i, v := range u {
					if math.IsNaN(v) || v < env.ActionSpace().Low[i] || v > env.ActionSpace().High[i] {
						t.Fatalf("%s, %d plans: action %v outside the bounds", envName, plans, u)
					}
				}
				obs, _, _, _ = env.Step(u)
			}
		}
	}
}

func TestFreshGeneratorsFit(t *testing.T) {
	pend := envs.PendulumDynamics{}
	cases := []struct {
		plans, want int
		hint        bool // the last generator is the hinted swing-up
	}{{1, 0, false}, {2, 1, true}, {3, 2, true}, {5, 4, true}, {6, 5, true}, {16, 5, true}}
	for _, c := range cases {
		g := FreshGenerators(pend, c.plans)
		if len(g) != c.want {
			t.Fatalf("%d plans: %d generators, want %d", c.plans, len(g), c.want)
		}
		if c.hint {
			if _, ok := g[len(g)-1].(FeedbackPlan); !ok {
				t.Fatalf("%d plans: the hinted plan is not kept: %T", c.plans, g[len(g)-1])
			}
		}
	}
	if g := FreshGenerators(envs.CartPoleDynamics{}, 3); len(g) != 2 {
		t.Fatalf("linear, 3 plans: %d generators, want 2", len(g))
	}
}

func TestExpertErrors(t *testing.T) {
	maze, _ := envs.Make("maze")
	pend, _ := envs.Make("pendulum")
	if _, err := NewExpert("lqr", maze, ExpertSettings{}); err == nil {
		t.Fatal("lqr on the maze (no known dynamics): no error")
	}
	if _, err := NewExpert("pid", pend, ExpertSettings{}); err == nil {
		t.Fatal("unknown expert: no error")
	}
}
