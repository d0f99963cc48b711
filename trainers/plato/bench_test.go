package plato

import (
	"math/rand/v2"
	"testing"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
)

// benchTeacher times one teacher action (KL-augmented MPC plan, Q_uu
// backward pass and a draw) along pendulum episodes, against a 2x64 tanh
// learner.
func benchTeacher(b *testing.B, lambda float64) {
	dyn := envs.PendulumDynamics{}
	low, high := dyn.ActionBounds()
	pol, err := nn.NewDeterministicPolicy("policy", nn.PolicyArch{ObsDim: 3, ActDim: 1, Hidden: []int{64, 64},
		Activation: nn.Tanh, Low: low, High: high}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		b.Fatal(err)
	}
	te, err := newTeacher(dyn, control.MPCSettings{}, pol)
	if err != nil {
		b.Fatal(err)
	}
	te.setLearner(lambda, []float64{0.3})
	env := envs.NewPendulum()
	rng := rand.New(rand.NewPCG(3, 4))
	env.Reset(rng)
	act := make([]float64, 1)
	for b.Loop() {
		te.Act(act, env.State(), rng)
		var trunc bool
		_, _, _, trunc = env.Step(act)
		if trunc {
			env.Reset(rng)
			te.Reset(nil)
		}
	}
}

func BenchmarkTeacherActPlainMPC(b *testing.B) { benchTeacher(b, 0) }
func BenchmarkTeacherActKL(b *testing.B)       { benchTeacher(b, 0.1) }
