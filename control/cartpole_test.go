package control

import (
	"math/rand/v2"
	"testing"

	"github.com/mbrl/mbrl/envs"
)

// TestCartPoleLQR balances CartPole-v1 with the infinite-horizon LQR of its
// continuous-force dynamics linearised at the upright equilibrium (x = 0,
// F = 0, with the dynamics' own quadratic cost), mapped to the discrete
// action: push right (1) if the LQR force is positive. Every one of 100
// episodes must last the full 500 steps.
func TestCartPoleLQR(t *testing.T) {
	env := envs.NewCartPole()
	dyn := env.Dynamics()
	p := Linearize(dyn, dyn, make([]float64, 4), []float64{0})
	lqr, err := p.SolveInfinite()
	if err != nil {
		t.Fatal(err)
	}
	if r := p.DAREResidual(lqr.P); r > 1e-9 {
		t.Errorf("DARE residual %g", r)
	}
	force := make([]float64, 1)
	act := make([]float64, 1)
	const episodes = 100
	worst := envs.CartPoleMaxSteps
	for i := range episodes {
		obs := env.Reset(rand.New(rand.NewPCG(11, uint64(i))))
		ret := 0.0
		for {
			lqr.Act(force, obs) // the observation is the state
			act[0] = 0
			if force[0] > 0 {
				act[0] = 1
			}
			var r float64
			var term, trunc bool
			obs, r, term, trunc = env.Step(act)
			ret += r
			if term || trunc {
				break
			}
		}
		if int(ret) < worst {
			worst = int(ret)
		}
		if ret != envs.CartPoleMaxSteps {
			t.Errorf("episode %d: return %g, want %d", i, ret, envs.CartPoleMaxSteps)
		}
	}
	t.Logf("LQR on CartPole-v1: worst return of %d episodes %d; K = %v", episodes, worst, lqr.K.RawMatrix().Data)
}
