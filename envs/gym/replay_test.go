package gym

import (
	"fmt"
	"github.com/mbrl/mbrl/envs/gym/gymtest"
	"math"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/envs"
)

// initialStates returns the internal state of Gymnasium's env id right
// after reset(seed=s) for each seed, exactly (as hex floats), so that the
// built-in env can start from the same state.
func initialStates(t *testing.T, py, id string, seeds []uint64) [][]float64 {
	t.Helper()
	var ss []string
	for _, s := range seeds {
		ss = append(ss, strconv.FormatUint(s, 10))
	}
	script := fmt.Sprintf(`import gymnasium as g
e = g.make(%q)
for s in [%s]:
    e.reset(seed=s)
    print(" ".join(float(v).hex() for v in e.unwrapped.state))`, id, strings.Join(ss, ","))
	out, err := exec.Command(py, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("initial states: %v: %s", err, out)
	}
	var states [][]float64
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var x []float64
		for _, f := range strings.Fields(line) {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("initial states: %v in %q", err, out)
			}
			x = append(x, v)
		}
		states = append(states, x)
	}
	if len(states) != len(seeds) {
		t.Fatalf("initial states: %d lines for %d seeds: %s", len(states), len(seeds), out)
	}
	return states
}

// TestReplayMatchesBuiltin replays the same action sequences through
// Gymnasium (the bridge) and the built-in env from the same initial state:
// observations agree to float32 precision (Gymnasium's observations are
// float32: each element within one float32 rounding, 2^-24 relative, of the
// built-in float64 value, plus 1e-9 absolute for libm differences), rewards
// to 1e-9, and terminated/truncated at the same step (CartPole's termination
// step included). Pendulum actions are drawn in [-3, 3] so clipping is
// exercised.
func TestReplayMatchesBuiltin(t *testing.T) {
	py := gymtest.Python(t)
	cases := []struct {
		id       string
		builtin  func() envs.Env
		episodes int
		action   func(rng *rand.Rand, obs []float64) []float64
	}{
		{"Pendulum-v1", func() envs.Env { return envs.NewPendulum() }, 3,
			func(rng *rand.Rand, _ []float64) []float64 { return []float64{-3 + 6*rng.Float64()} }},
		// Full torque along thdot (energy pumping) for whole episodes:
		// the pendulum spins up to the speed limit, so thdot's clipping at
		// 8 is compared too.
		{"Pendulum-v1", func() envs.Env { return envs.NewPendulum() }, 2,
			func(rng *rand.Rand, obs []float64) []float64 {
				return []float64{math.Copysign(2.5+rng.Float64(), obs[2])}
			}},
		{"CartPole-v1", func() envs.Env { return envs.NewCartPole() }, 20,
			func(rng *rand.Rand, _ []float64) []float64 { return []float64{float64(rng.IntN(2))} }},
	}
	for ci, c := range cases {
		t.Run(fmt.Sprint(c.id, "/", ci), func(t *testing.T) {
			g, err := Open(c.id, Options{Python: py})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			if g.MaxSteps() != c.builtin().MaxSteps() {
				t.Fatalf("MaxSteps %d, built-in %d", g.MaxSteps(), c.builtin().MaxSteps())
			}
			seeds := make([]uint64, c.episodes)
			for i := range seeds {
				seeds[i] = rand.New(rand.NewPCG(7, uint64(i))).Uint64() >> 1
			}
			x0 := initialStates(t, py, c.id, seeds)
			arng := rand.New(rand.NewPCG(8, 0))
			terminations, worst, fastest := 0, 0.0, 0.0
			for ep := range c.episodes {
				b := c.builtin()
				want, err := b.SetState(x0[ep])
				if err != nil {
					t.Fatal(err)
				}
				got := g.Reset(rand.New(rand.NewPCG(7, uint64(ep))))
				worst = math.Max(worst, closeF32(t, "reset", got, want))
				obs := want
				for step := 1; ; step++ {
					a := c.action(arng, obs)
					gObs, gR, gTerm, gTrunc := g.Step(a)
					bObs, bR, bTerm, bTrunc := b.Step(a)
					if err := g.Err(); err != nil {
						t.Fatal(err)
					}
					where := fmt.Sprintf("episode %d step %d", ep, step)
					worst = math.Max(worst, closeF32(t, where, gObs, bObs))
					fastest = math.Max(fastest, math.Abs(bObs[len(bObs)-1]))
					obs = bObs
					if math.Abs(gR-bR) > 1e-9*math.Max(1, math.Abs(bR)) {
						t.Fatalf("%s: reward %v, built-in %v", where, gR, bR)
					}
					if gTerm != bTerm || gTrunc != bTrunc {
						t.Fatalf("%s: terminated/truncated %v/%v, built-in %v/%v", where, gTerm, gTrunc, bTerm, bTrunc)
					}
					if gTerm {
						terminations++
					}
					if gTerm || gTrunc {
						break
					}
				}
			}
			if c.id == "CartPole-v1" && terminations == 0 {
				t.Fatal("no CartPole episode terminated: the termination step was not compared")
			}
			if ci == 1 && fastest != envs.PendulumMaxSpeed {
				t.Fatalf("full torque reached |thdot| = %g, not the limit %g", fastest, envs.PendulumMaxSpeed)
			}
			t.Logf("%s: %d episodes, worst observation difference %.3g float32 roundings", c.id, c.episodes, worst)
		})
	}
}

// closeF32 fails unless every got[i] is want[i] rounded to float32, give
// or take one rounding and 1e-9; it returns the largest difference in
// units of a float32 rounding.
func closeF32(t *testing.T, where string, got, want []float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: observation of %d values, built-in %d", where, len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		half := math.Abs(want[i]) * 0x1p-24
		d := math.Abs(got[i] - want[i])
		if d > 2*half+1e-9 {
			t.Fatalf("%s: observation %v, built-in %v (element %d differs by %.3g)", where, got, want, i, d)
		}
		if half > 0 {
			worst = math.Max(worst, d/half)
		}
	}
	return worst
}
