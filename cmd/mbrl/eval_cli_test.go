package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalControllers(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		minMean float64
	}{
		// LQR about the upright, mapped to the discrete push, balances
		// CartPole-v1 for all 500 steps of every episode.
		{"cartpole lqr", []string{"--env", "cartpole", "--controller", "lqr", "--episodes", "100"}, 500},
		// Single-plan MPC on the exact pendulum: ~-145 on 100 starts;
		// 10 starts vary more, so the bar here is looser than the 100-episode one.
		{"pendulum mpc", []string{"--env", "pendulum", "--controller", "mpc", "--plans", "1", "--episodes", "10"}, -200},
		{"pendulum ilqr", []string{"--env", "pendulum", "--controller", "ilqr", "--episodes", "10"}, -200},
		{"linear lqr", []string{"--env", "linear", "--controller", "lqr", "--episodes", "10"}, -50},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, stderr, code := runCLI(t, append([]string{"eval", "--json"}, c.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			ev := lastJSON(t, out)["eval"].(map[string]any)
			if m := ev["mean_return"].(float64); m < c.minMean {
				t.Fatalf("mean return %.2f < %.2f", m, c.minMean)
			}
			if c.minMean == 500 && ev["min_return"].(float64) != 500 {
				t.Fatalf("some cartpole episode fell: min %v", ev["min_return"])
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--env", "pendulum"}, "exactly one of"},
		{[]string{"eval", "--env", "pendulum", "--controller", "pid"}, "unknown controller"},
		{[]string{"eval", "--env", "maze", "--controller", "lqr"}, "no known dynamics"},
		{[]string{"eval", "--env", "pendulum", "--checkpoint", "/nonexistent.safetensors"}, "no such file"},
		{[]string{"eval", "--env", "pendulum", "--controller", "mpc", "--episodes", "0"}, "--episodes"},
	}
	for _, c := range cases {
		_, stderr, code := runCLI(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q (want exit 2 mentioning %q)", c.args, code, stderr, c.want)
		}
	}
}

// TestEvalReplaysMPCRunWithoutEnv evaluates the checkpoint of a
// learned-model MPC run (no policy: eval plans through its model with its
// planner) without --env (the checkpoint's env is the default): the
// returns equal the run's own final evaluation on the same starts.
func TestEvalReplaysMPCRunWithoutEnv(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	out, stderr, code := runCLI(t, "train", "mpc", "--env", "pendulum", "--random-steps", "200", "--iters", "1",
		"--init-fit-steps", "30", "--fit-steps", "10", "--hidden", "16", "--horizon", "5",
		"--final-episodes", "3", "--out", dir, "--quiet", "--json")
	if code != 0 {
		t.Fatalf("train mpc: exit %d: %s", code, stderr)
	}
	want := lastJSON(t, out)["eval"].(map[string]any)["mean_return"]
	out, stderr, code = runCLI(t, "eval", "--checkpoint", filepath.Join(dir, "final.safetensors"), "--episodes", "3", "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	got := lastJSON(t, out)
	if got["env"] != "pendulum" || got["eval"].(map[string]any)["mean_return"] != want {
		t.Fatalf("eval of the mpc run: %v, want env pendulum and mean %v", got, want)
	}
}
