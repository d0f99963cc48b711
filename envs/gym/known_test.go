package gym

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/envs/gym/gymtest"
)

// TestKnownIDs checks what New adds for known ids: Pendulum-v1's cost
// equals minus its reward along an episode; CartPole-v1's termination
// rule agrees with the env's terminated flag; kwargs that change the env
// drop the additions; unknown ids get none.
func TestKnownIDs(t *testing.T) {
	py := gymtest.Python(t)
	type terminal interface{ Terminal(obs []float64) bool }
	cases := []struct {
		id, kwargs     string
		cost, terminal bool
	}{
		{"Pendulum-v1", "", true, false},
		{"Pendulum-v1", `{"render_mode": "rgb_array"}`, true, false},
		{"Pendulum-v1", `{"g": 9.81}`, false, false},
		{"CartPole-v1", "", false, true},
		{"MountainCar-v0", "", false, true},
	}
	for _, c := range cases {
		t.Run(c.id+c.kwargs, func(t *testing.T) {
			e, err := New(c.id, Options{Python: py, Kwargs: c.kwargs})
			if err != nil {
				t.Fatal(err)
			}
			defer envs.Close(e)
			oc, isCost := e.(envs.ObsCoster)
			if h, ok := e.(envs.ObsHinter); ok != c.cost || ok && h.InitialObsPolicy() == nil {
				t.Errorf("initial plan law on observations: %v; want one exactly with the cost", ok)
			}
			term, isTerm := e.(terminal)
			if isCost != c.cost || isTerm != c.terminal {
				t.Fatalf("cost %v, terminal %v; want %v, %v", isCost, isTerm, c.cost, c.terminal)
			}
			rng := newRng(3)
			obs := e.Reset(rng)
			a := make([]float64, e.ActionSpace().Dim())
			for step := 0; step < 200; step++ {
				e.ActionSpace().Sample(a, rng)
				next, r, te, tr := e.Step(a)
				if err := envs.Err(e); err != nil {
					t.Fatal(err)
				}
				if isCost {
					// float32 observations: the angle is known to ~1e-7.
					if c := oc.ObsCost(false).Cost(obs, a); math.Abs(c+r) > 1e-5*math.Max(1, math.Abs(r)) {
						t.Fatalf("step %d: cost %v, reward %v", step, c, r)
					}
				}
				if isTerm && term.Terminal(next) != te {
					t.Fatalf("step %d: rule says %v, env terminated %v at %v", step, term.Terminal(next), te, next)
				}
				obs = next
				if te || tr {
					obs = e.Reset(rng)
				}
			}
		})
	}
}

func newRng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }
