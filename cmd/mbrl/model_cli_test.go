package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/nn"
)

func TestTrainModelCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "model", "--env", "pendulum", "--samples", "1000", "--val-frac", "0.2",
		"--iters", "2", "--epochs-per-iter", "2", "--hidden", "16", "--out", dir, "--quiet", "--json"}
	out, stderr, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := lastJSON(t, out)
	for _, k := range []string{"val_mse", "rmse_10", "rmse_50", "rmse_by_horizon", "checkpoint", "model_error_plot"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("summary lacks %q: %v", k, m)
		}
	}
	if m["samples"].(float64) != 1000 || m["val_episodes"].(float64) != 1 || len(m["rmse_by_horizon"].([]any)) != 50 {
		t.Fatalf("summary %v", m)
	}
	for _, f := range []string{"metrics.csv", "config.yaml", "final.safetensors", "model_error.png", "model_error.svg", "learning_curve.png", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("run folder lacks %s: %v", f, err)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "metrics.csv"))
	if !strings.HasPrefix(string(csv), "iter,wall_s,loss,val_mse,rmse_10,rmse_50\n") {
		t.Fatalf("metrics.csv:\n%s", csv)
	}
	c, err := checkpoints.Load(filepath.Join(dir, "final.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nn.LoadModel(c, "dynamics"); err != nil {
		t.Fatalf("final checkpoint: %v", err)
	}
	// A run of 2 iterations resumed to 3 ends with the weights of a
	// straight run of 3.
	straight := filepath.Join(t.TempDir(), "straight")
	args3 := append(append([]string(nil), args[:len(args)-4]...), "--out", straight, "--iters", "3", "--quiet")
	human, stderr, code := runCLI(t, args3...)
	if code != 0 {
		t.Fatalf("straight run: exit %d: %s", code, stderr)
	}
	// The human output states the model's errors, as the help promises.
	if !strings.Contains(human, "model error on the held-out episodes (1): one-step MSE ") || !strings.Contains(human, " after 50 (observation units)") {
		t.Errorf("human output lacks the model error:\n%s", human)
	}
	out2, stderr, code := runCLI(t, "train", "model", "--config", filepath.Join(dir, "config.yaml"), "--iters", "3",
		"--resume", filepath.Join(dir, "latest.safetensors"), "--quiet", "--json")
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if lastJSON(t, out2)["iterations"].(float64) != 3 {
		t.Fatalf("resumed run: %v", lastJSON(t, out2))
	}
	a, err := checkpoints.Load(filepath.Join(straight, "final.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := checkpoints.Load(filepath.Join(dir, "final.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ta := range a.Tensors {
		tb, ok := b.Tensor(ta.Name)
		if !ok || !slices.Equal(ta.Data, tb.Data) {
			t.Fatalf("tensor %s differs between the straight and the resumed run", ta.Name)
		}
	}
}

func TestTrainModelUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no env", []string{"train", "model"}, "--env is required"},
		{"bad ensemble", []string{"train", "model", "--env", "pendulum", "--ensemble", "0"}, "--ensemble"},
		{"bad val-frac", []string{"train", "model", "--env", "pendulum", "--val-frac", "1"}, "--val-frac"},
		{"bad hidden", []string{"train", "model", "--env", "pendulum", "--hidden", "64,x"}, "--hidden"},
		{"bad policy", []string{"train", "model", "--env", "pendulum", "--policy", "wizard"}, "policy"},
		{"too few episodes", []string{"train", "model", "--env", "pendulum", "--samples", "150", "--out", t.TempDir()}, "too few"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, c.args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 mentioning %q", code, stderr, c.want)
			}
		})
	}
}

func TestTrainMPCCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	out, stderr, code := runCLI(t, "train", "mpc", "--env", "pendulum", "--random-steps", "200", "--iters", "2",
		"--ensemble", "2", "--init-fit-steps", "30", "--fit-steps", "10", "--hidden", "16", "--horizon", "5",
		"--final-episodes", "2", "--out", dir, "--quiet", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := lastJSON(t, out)
	if m["env_steps"].(float64) != 600 || len(m["return_by_iter"].([]any)) != 2 || m["planner"] != "ilqr" {
		t.Fatalf("summary %v", m)
	}
	if len(m["rmse_by_horizon"].([]any)) != 50 || len(m["rmse_by_horizon_member0"].([]any)) != 50 {
		t.Fatalf("summary lacks the error curves: %v", m)
	}
	if ev, ok := m["eval"].(map[string]any); !ok || ev["episodes"].(float64) != 2 {
		t.Fatalf("summary lacks the final evaluation: %v", m)
	}
	for _, f := range []string{"metrics.csv", "final.safetensors", "model_error.png", "model_error.svg", "learning_curve.png", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("run folder lacks %s: %v", f, err)
		}
	}
	c, err := checkpoints.Load(filepath.Join(dir, "final.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if mdl, err := nn.LoadModel(c, "dynamics"); err != nil || mdl.Kind() != nn.KindEnsemble {
		t.Fatalf("final checkpoint: %v, %v", mdl, err)
	}
}

func TestTrainMPCUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no env", []string{"train", "mpc"}, "--env is required"},
		{"bad planner", []string{"train", "mpc", "--env", "pendulum", "--planner", "magic"}, "--planner"},
		{"no cost", []string{"train", "mpc", "--env", "cartpole-continuous"}, "reward"},
		{"discrete", []string{"train", "mpc", "--env", "maze"}, "mpc"},
		{"elites", []string{"train", "mpc", "--env", "pendulum", "--planner", "cem", "--elites", "100"}, "--elites"},
		{"ensemble", []string{"train", "mpc", "--env", "pendulum", "--ensemble", "0"}, "--ensemble"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, c.args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 mentioning %q", code, stderr, c.want)
			}
		})
	}
}
