package gym

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/envs/gym/gymtest"
)

// echoEnvs is a Python module with Echo-v0: a float64 Box action of
// any shape comes back as the observation, flattened ("flat") or with the
// shape (4, 5) whatever the space's shape ("reshaped"), or with one
// element too many ("toolong"); the reward is the action's first
// element. It raises if the action it gets is not a new writable float64
// array of the space's shape.
const echoEnvs = `import numpy as np
import gymnasium as gym
from gymnasium import spaces


class Echo(gym.Env):
    def __init__(self, shape=(1,), mode="flat"):
        self.shape, self.mode, self.last = tuple(shape), mode, None
        n = int(np.prod(self.shape))
        self.action_space = spaces.Box(-1e300, 1e300, self.shape, np.float64)
        self.observation_space = spaces.Box(-np.inf, np.inf, (n,), np.float64)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(self.observation_space.shape), {}

    def step(self, a):
        if not (isinstance(a, np.ndarray) and a.dtype == np.float64 and a.shape == self.shape
                and a.flags.writeable and a is not self.last):
            raise TypeError("bad action %r" % (a,))
        self.last = a
        o = a.ravel().copy()
        if self.mode == "reshaped":
            o = o.reshape(4, 5)
        elif self.mode == "toolong":
            o = np.append(o, 0.0)
        return o, a.flat[0], False, False, {}


gym.register("Echo-v0", entry_point=Echo)
`

// TestExactEcho checks that actions and observations cross the pipe
// bit for bit in both directions, for each way the bridge decodes an
// action (a short flat Box, a Box of another shape, a long Box) and
// encodes an observation (of the space's shape, or reshaped to the same
// size), and that an observation of the wrong size is an error that
// says so.
func TestExactEcho(t *testing.T) {
	py := gymtest.Python(t)
	withModule(t, "echoenvs", echoEnvs)
	values := []float64{0.1, math.Copysign(0, -1), 5e-324, 1e300, -1.0 / 3, math.Pi, -2.5e-308, 7}
	cases := []struct {
		name, shape, mode string
		n                 int
	}{
		{"one", "[1]", "flat", 1},
		{"short flat", "[3]", "flat", 3},
		{"matrix", "[2, 2]", "flat", 4},
		{"long", "[20]", "flat", 20},
		{"reshaped observation", "[20]", "reshaped", 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := Open("echoenvs:Echo-v0", Options{Python: py, Kwargs: fmt.Sprintf(`{"shape": %s, "mode": %q}`, c.shape, c.mode)})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			e.Reset(rand.New(rand.NewPCG(1, 1)))
			a := make([]float64, c.n)
			for step := range 5 {
				for i := range a {
					a[i] = values[(i+step)%len(values)]
				}
				obs, r, _, _ := e.Step(a)
				if err := e.Err(); err != nil {
					t.Fatal(err)
				}
				if math.Float64bits(r) != math.Float64bits(a[0]) {
					t.Errorf("step %d: reward %v, want %v", step, r, a[0])
				}
				for i := range a {
					if math.Float64bits(obs[i]) != math.Float64bits(a[i]) {
						t.Fatalf("step %d: observation %v, want %v bit for bit", step, obs, a)
					}
				}
			}
		})
	}
	t.Run("wrong size", func(t *testing.T) {
		e, err := Open("echoenvs:Echo-v0", Options{Python: py, Kwargs: `{"shape": [3], "mode": "toolong"}`})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		e.Reset(rand.New(rand.NewPCG(1, 1)))
		e.Step([]float64{1, 2, 3})
		if err := e.Err(); err == nil || !strings.Contains(err.Error(), "observation of shape (4,)") {
			t.Fatalf("Err() = %v, want an error about the observation's shape", err)
		}
	})
}
