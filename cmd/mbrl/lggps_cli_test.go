package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
)

func TestLggpsUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown env", []string{"--env", "nope"}, "unknown environment"},
		{"discrete env", []string{"--env", "cartpole"}, "discrete actions"},
		{"zero conditions", []string{"--conditions", "0"}, "--conditions must be >= 1, got 0"},
		{"zero samples", []string{"--samples", "0"}, "--samples must be >= 1, got 0"},
		{"zero iters", []string{"--iters", "0"}, "--iters"},
		{"negative horizon", []string{"--horizon", "-1"}, "--horizon must be >= 0, got -1"},
		{"zero kl step", []string{"--kl-step", "0"}, "--kl-step must be positive"},
		{"NaN rho", []string{"--rho", "NaN"}, "--rho must be positive"},
		{"zero lr", []string{"--lr", "0"}, "--lr must be positive"},
		{"bad hidden", []string{"--hidden", "8,x"}, "--hidden"},
		{"bad init", []string{"--init", "random"}, "--init"},
		{"no init episodes", []string{"--init-episodes", "0"}, "--init-episodes must be >= 1 with --init model, got 0"},
		{"zero init epochs", []string{"--init-epochs", "0"}, "--init-epochs must be >= 1, got 0"},
		{"zero init plans", []string{"--init-plans", "0"}, "--init-plans must be >= 1, got 0"},
		{"hint off pendulum", []string{"--env", "cartpole-continuous", "--init", "hint"}, "--init hint"},
		{"bad eval", []string{"--eval-episodes", "0"}, "--eval-episodes"},
		{"unknown flag", []string{"--epochs", "3"}, "not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"train", "lggps", "--out", t.TempDir()}, c.args...)
			_, stderr, code := runCLI(t, args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Fatalf("stderr %q does not mention %q", stderr, c.want)
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n > 0 {
				t.Fatalf("error is not one line: %q", stderr)
			}
		})
	}
}

// TestLggpsTrainCLI runs a tiny local-model GPS on pendulum, checks the run
// folder and the JSON summary, and resumes it to the weights of a straight
// run.
func TestLggpsTrainCLI(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	args := []string{"train", "lggps", "--env", "pendulum", "--conditions", "2", "--samples", "3", "--horizon", "30",
		"--policy-epochs", "1", "--hidden", "8", "--eval-every", "1", "--eval-episodes", "2",
		"--init-episodes", "2", "--init-epochs", "5", "--final-episodes", "3", "--out", run, "--quiet", "--json"}
	stdout, stderr, code := runCLI(t, append(args, "--iters", "2")...)
	if code != 0 {
		t.Fatalf("train lggps: exit %d: %s", code, stderr)
	}
	sum := lastJSON(t, stdout)
	for _, k := range []string{"command", "method", "env", "seed", "eval", "checkpoint", "run_dir", "conditions", "samples", "horizon",
		"env_steps", "traj_cost", "policy_cost", "violation", "violation_first", "kl_step", "epsilon"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("JSON lacks %q: %v", k, sum)
		}
	}
	// Samples, then the model init's 2 random episodes and, in each of its
	// 3 rounds, one rollout per condition and planning horizon (20 and 60).
	if sum["method"] != "lggps" || sum["horizon"] != 30.0 || sum["env_steps"] != 2*2*3*30.0+2*30+3*2*2*30 ||
		sum["init_env_steps"] != 2*30.0+3*2*2*30 || sum["init"] != "model" {
		t.Errorf("JSON %v", sum)
	}
	for _, f := range []string{"final.safetensors", "latest.safetensors", "metrics.csv", "config.yaml", "learning_curve.png",
		"violation.png", "cost.png", "kl.png"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	b, err := os.ReadFile(filepath.Join(run, "metrics.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if h := strings.SplitN(string(b), "\n", 2)[0]; !strings.Contains(h, "kl_step") || !strings.Contains(h, "epsilon") || !strings.Contains(h, "violation") {
		t.Errorf("metrics.csv header %q lacks kl_step, epsilon or violation", h)
	}
	stdout, stderr, code = runCLI(t, append(args, "--iters", "3", "--resume", filepath.Join(run, "latest.safetensors"))...)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if it := lastJSON(t, stdout)["iterations"]; it != 3.0 {
		t.Errorf("resumed run reports %v iterations, want 3", it)
	}
	straight := filepath.Join(dir, "straight")
	sargs := append([]string(nil), args...)
	for i, a := range sargs {
		if a == run {
			sargs[i] = straight
		}
	}
	if _, stderr, code := runCLI(t, append(sargs, "--iters", "3")...); code != 0 {
		t.Fatalf("straight run: exit %d: %s", code, stderr)
	}
	a, err := checkpoints.Load(filepath.Join(run, "final.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	c3, err := checkpoints.Load(filepath.Join(straight, "final.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range c3.Tensors {
		ta, ok := a.Tensor(tn.Name)
		if !ok {
			t.Fatalf("resumed checkpoint lacks %s", tn.Name)
		}
		for i := range tn.Data {
			if ta.Data[i] != tn.Data[i] {
				t.Fatalf("%s[%d]: resumed %v, straight %v", tn.Name, i, ta.Data[i], tn.Data[i])
			}
		}
	}
}
