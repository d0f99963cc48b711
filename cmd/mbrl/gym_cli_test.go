package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/envs/gym/gymtest"
)

// crashEnv is a Gymnasium env (50-step episodes, two actions) that raises
// after `after` steps in total.
const crashEnv = `import numpy as np
import gymnasium as gym
from gymnasium import spaces


class Crash(gym.Env):
    observation_space = spaces.Box(-10, 10, (2,), np.float32)
    action_space = spaces.Discrete(2)

    def __init__(self, after=600):
        self.after, self.total = after, 0

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.x = self.np_random.uniform(-1, 1, 2)
        return self.x.astype(np.float32), {}

    def step(self, a):
        self.total += 1
        if self.total == self.after:
            raise RuntimeError("sensor failure after %d steps" % self.total)
        self.x = 0.9 * self.x + (0.1 if a == 1 else -0.1)
        return self.x.astype(np.float32), -float(abs(self.x[0])), False, False, {}


gym.register("Crash-v0", entry_point=Crash, max_episode_steps=50)
`

// TestGymEnvFaultKeepsCheckpoint trains Dyna on a Gymnasium env that
// raises in the third iteration: the run fails with the exception's last
// line (exit 1) and keeps the checkpoint of iteration 2.
func TestGymEnvFaultKeepsCheckpoint(t *testing.T) {
	py := gymtest.Python(t)
	mod := t.TempDir()
	if err := os.WriteFile(filepath.Join(mod, "crashenv.py"), []byte(crashEnv), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", mod+string(os.PathListSeparator)+os.Getenv("PYTHONPATH"))
	dir := filepath.Join(t.TempDir(), "run")
	_, stderr, code := runCLI(t, "train", "dyna", "--env", "gym:crashenv:Crash-v0", "--python", py, "--gym-kwargs", `{"after": 600}`,
		"--steps", "1000", "--steps-per-iter", "250", "--learning-starts", "100", "--planning-steps", "0",
		"--hidden", "16", "--batch", "16", "--out", dir, "--quiet")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	for _, w := range []string{"gym:crashenv:Crash-v0 raised at step", "RuntimeError: sensor failure after 600 steps"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not say %q", stderr, w)
		}
	}
	c, err := checkpoints.Load(filepath.Join(dir, "latest.safetensors"))
	if err != nil {
		t.Fatalf("the last checkpoint is gone: %v", err)
	}
	if c.Meta.Iteration != 2 || c.Meta.Env != "gym:crashenv:Crash-v0" {
		t.Errorf("latest checkpoint: iteration %d on %q, want 2 on gym:crashenv:Crash-v0", c.Meta.Iteration, c.Meta.Env)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil || !strings.Contains(string(cfg), "gym-kwargs") || !strings.Contains(string(cfg), "after") {
		t.Errorf("config.yaml does not record --gym-kwargs: %v\n%s", err, cfg)
	}
}

// TestGymEnvErrors checks that a bad Gymnasium env is a usage error
// (exit 2) with Gymnasium's message, and that an Python without the
// modules says how to install them.
func TestGymEnvErrors(t *testing.T) {
	py := gymtest.Python(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--env", "gym:NoSuchEnv-v0", "--python", py}, "doesn't exist"},
		{[]string{"--env", "gym:Pendulum-v1", "--python", "/nonexistent/python"}, "not found"},
		{[]string{"--env", "gym:Pendulum-v1", "--python", py, "--gym-kwargs", "[1]"}, "--gym-kwargs must be a JSON object"},
	}
	for _, c := range cases {
		_, stderr, code := runCLI(t, append([]string{"train", "dyna"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, exitUsage, c.want)
		}
	}
}

// TestGymPendulumMPC runs "train mpc" on gym:Pendulum-v1 on a tiny
// budget: it plans with the built-in pendulum's cost on observations.
func TestGymPendulumMPC(t *testing.T) {
	py := gymtest.Python(t)
	dir := filepath.Join(t.TempDir(), "run")
	out, stderr, code := runCLI(t, "train", "mpc", "--env", "gym:Pendulum-v1", "--python", py, "--iters", "1",
		"--episodes-per-iter", "1", "--random-steps", "200", "--init-fit-steps", "300", "--final-episodes", "1",
		"--horizon", "5", "--plan-iters", "1",
		"--out", dir, "--quiet", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := lastJSON(t, out)
	if m["env"] != "gym:Pendulum-v1" || m["env_steps"].(float64) != 400 {
		t.Fatalf("summary %v", m)
	}
}
