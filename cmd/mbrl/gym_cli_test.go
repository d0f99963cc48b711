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

// gymRun runs "mbrl train ARGS" on gym:Pendulum-v1 with --python py into
// dir/name (quiet, JSON) and returns its summary after checking that it
// finished, wrote a final checkpoint on gym:Pendulum-v1 and, if it trained
// a policy, evaluated it.
func gymRun(t *testing.T, py, dir, name string, args ...string) map[string]any {
	t.Helper()
	out := filepath.Join(dir, name)
	all := append([]string{"train"}, args...)
	all = append(all, "--env", "gym:Pendulum-v1", "--python", py, "--out", out, "--quiet", "--json")
	stdout, stderr, code := runCLI(t, all...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", name, code, stderr)
	}
	m := lastJSON(t, stdout)
	c, err := checkpoints.Load(filepath.Join(out, "final.safetensors"))
	if err != nil {
		t.Fatalf("%s: no final checkpoint: %v", name, err)
	}
	if c.Meta.Env != "gym:Pendulum-v1" || m["env"] != "gym:Pendulum-v1" {
		t.Errorf("%s: checkpoint on %q, summary on %v; want gym:Pendulum-v1", name, c.Meta.Env, m["env"])
	}
	if ev, _ := m["eval"].(map[string]any); args[0] != "model" && (ev == nil || ev["episodes"] == nil || ev["mean_return"] == nil) {
		t.Errorf("%s: no final evaluation in the summary: %v", name, m)
	}
	return m
}

// TestGymPendulumWithoutKnownDynamics trains, on tiny budgets, every
// method that needs no known dynamics on gym:Pendulum-v1 (its cost on
// observations is known, its dynamics are not): BPTT and GPS through a
// learned model, BPTT learning its model in the loop, DAgger and
// behaviour cloning with a learned-model MPC run as the expert; each
// finishes, writes its checkpoint and evaluates, and the BPTT policy
// also acts on the built-in pendulum (the same spaces).
func TestGymPendulumWithoutKnownDynamics(t *testing.T) {
	py := gymtest.Python(t)
	dir := t.TempDir()
	gymRun(t, py, dir, "model", "model", "--samples", "600", "--iters", "2", "--epochs-per-iter", "2", "--hidden", "16")
	gymRun(t, py, dir, "mpc", "mpc", "--iters", "1", "--episodes-per-iter", "1", "--random-steps", "200", "--init-fit-steps", "100",
		"--hidden", "16", "--horizon", "5", "--plan-iters", "1", "--final-episodes", "1")
	model, expert := filepath.Join(dir, "model", "final.safetensors"), filepath.Join(dir, "mpc", "final.safetensors")
	tiny := []string{"--final-episodes", "2", "--hidden", "16"}
	cases := []struct {
		name string
		args []string
	}{
		{"bptt-model", []string{"bptt", "--model", model, "--iters", "3", "--batch", "4", "--horizon", "10", "--eval-every", "0"}},
		{"bptt-learn", []string{"bptt", "--learn-model", "--iters", "3", "--batch", "4", "--horizon", "10", "--random-steps", "200",
			"--init-fit-steps", "20", "--fit-steps", "10", "--refit-every", "2", "--model-hidden", "16", "--eval-every", "0"}},
		{"gps-model", []string{"gps", "--model", model, "--true-dynamics=false", "--iters", "2", "--conditions", "2", "--horizon", "20",
			"--policy-epochs", "2", "--ilqr-iters", "2", "--eval-every", "0"}},
		{"dagger", []string{"dagger", "--expert", expert, "--iters", "1", "--episodes-per-iter", "1", "--epochs", "2", "--eval-expert=false"}},
		{"bc", []string{"bc", "--expert", expert, "--episodes-per-iter", "1", "--epochs", "2", "--eval-expert=false"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := gymRun(t, py, dir, c.name, append(c.args, tiny...)...)
			if c.name == "gps-model" && m["dynamics"] != model {
				t.Errorf("gps ran on %v, want the model %s", m["dynamics"], model)
			}
		})
	}
	// A policy trained through the bridge acts on the built-in twin.
	stdout, stderr, code := runCLI(t, "eval", "--checkpoint", filepath.Join(dir, "bptt-model", "final.safetensors"),
		"--env", "pendulum", "--seed", "11", "--episodes", "2", "--json")
	if code != 0 {
		t.Fatalf("eval on pendulum: exit %d: %s", code, stderr)
	}
	if m := lastJSON(t, stdout); m["env"] != "pendulum" {
		t.Errorf("eval summary %v", m)
	}
	// The gradient study through the learned model runs too.
	if _, stderr, code := runCLI(t, "gradnorm", "--env", "gym:Pendulum-v1", "--python", py, "--model", model,
		"--horizons", "1,2", "--starts", "2", "--hidden", "8", "--json"); code != 0 {
		t.Errorf("gradnorm --model: exit %d: %s", code, stderr)
	}
}

// TestGymBPTTLearnModelImproves checks that BPTT learning its model in
// the loop on gym:Pendulum-v1 learns: after 50 iterations its policy's
// return on the final evaluation's starts beats the policy after one
// iteration (the start, barely moved by a warmup step) by a wide margin
// (measured at seed 1: -1768 -> -975).
func TestGymBPTTLearnModelImproves(t *testing.T) {
	py := gymtest.Python(t)
	dir := t.TempDir()
	ret := func(iters string) float64 {
		m := gymRun(t, py, dir, "iters-"+iters, "bptt", "--learn-model", "--iters", iters, "--batch", "16", "--horizon", "40",
			"--random-steps", "600", "--init-fit-steps", "300", "--refit-every", "25", "--fit-steps", "100",
			"--hidden", "32,32", "--model-hidden", "32,32", "--warmup", "10", "--eval-every", "0", "--final-episodes", "10")
		return m["eval"].(map[string]any)["mean_return"].(float64)
	}
	start, end := ret("1"), ret("50")
	t.Logf("mean return over 10 episodes: %.1f after 1 iteration, %.1f after 50", start, end)
	if !(end > start+300) {
		t.Errorf("return %.1f -> %.1f: want an improvement of more than 300", start, end)
	}
}

// TestGymNeedsKnownDynamics checks that what needs known dynamics says
// so on gym:Pendulum-v1 in one line that names the way out (exit 2).
func TestGymNeedsKnownDynamics(t *testing.T) {
	py := gymtest.Python(t)
	g := []string{"--env", "gym:Pendulum-v1", "--python", py}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"train", "gps"}, "use --model CKPT (from 'mbrl train model --env gym:Pendulum-v1')"},
		{[]string{"train", "bptt", "--true-dynamics"}, "--model CKPT from 'mbrl train model --env gym:Pendulum-v1'"},
		{[]string{"gradnorm", "--true-dynamics"}, "--model CKPT from 'mbrl train model --env gym:Pendulum-v1'"},
		{[]string{"train", "dagger"}, "--expert mpc: gym:Pendulum-v1 has no known dynamics, which the controller plans on; give a checkpoint instead"},
		{[]string{"train", "bc", "--expert", "lqr"}, "--expert lqr: gym:Pendulum-v1 has no known dynamics"},
		{[]string{"train", "plato"}, "imitate a checkpoint with 'mbrl train dagger --expert CKPT' instead"},
		{[]string{"train", "lggps"}, "use 'mbrl train gps --model CKPT'"},
		{[]string{"optimum"}, "the DP optimum needs them"},
	}
	for _, c := range cases {
		_, stderr, code := runCLI(t, append(c.args, g...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line with %q", c.args, code, stderr, exitUsage, c.want)
		}
	}
}

// TestGymCartPoleDyna runs Dyna on gym:CartPole-v1 (discrete actions, the
// known termination rule for simulated transitions) on a tiny budget: it
// finishes, writes its checkpoint and evaluates.
func TestGymCartPoleDyna(t *testing.T) {
	py := gymtest.Python(t)
	dir := filepath.Join(t.TempDir(), "run")
	out, stderr, code := runCLI(t, "train", "dyna", "--env", "gym:CartPole-v1", "--python", py, "--steps", "400",
		"--steps-per-iter", "200", "--learning-starts", "100", "--planning-steps", "2", "--hidden", "16", "--batch", "16",
		"--final-episodes", "2", "--out", dir, "--quiet", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := lastJSON(t, out)
	ev, _ := m["eval"].(map[string]any)
	if m["env"] != "gym:CartPole-v1" || m["env_steps"] != 400.0 || m["termination"] != "known" || ev == nil || ev["episodes"] != 2.0 {
		t.Errorf("summary %v", m)
	}
	if _, err := checkpoints.Load(filepath.Join(dir, "final.safetensors")); err != nil {
		t.Errorf("no final checkpoint: %v", err)
	}
}
