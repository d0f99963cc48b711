package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
)

func TestGpsUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown env", []string{"--env", "nope"}, "unknown environment"},
		{"discrete env", []string{"--env", "cartpole"}, "discrete actions"},
		{"maze", []string{"--env", "maze"}, "discrete actions"},
		{"zero conditions", []string{"--conditions", "0"}, "--conditions"},
		{"zero iters", []string{"--iters", "0"}, "--iters"},
		{"negative horizon", []string{"--horizon", "-1"}, "--horizon"},
		{"negative rho", []string{"--rho", "-1"}, "--rho"},
		{"NaN rho", []string{"--rho", "NaN"}, "--rho"},
		{"bad rho schedule", []string{"--rho-schedule", "sometimes"}, "ITER:RHO"},
		{"decreasing rho schedule", []string{"--rho-schedule", "5:10,2:100"}, "increase"},
		{"negative dual step", []string{"--dual-step", "-0.5"}, "--dual-step"},
		{"zero policy epochs", []string{"--policy-epochs", "0"}, "--policy-epochs"},
		{"zero batch", []string{"--batch", "0"}, "--batch"},
		{"zero lr", []string{"--lr", "0"}, "--lr"},
		{"bad hidden", []string{"--hidden", "8,x"}, "--hidden"},
		{"negative hidden", []string{"--hidden", "-8"}, "--hidden"},
		{"zero ilqr iters", []string{"--ilqr-iters", "0"}, "--ilqr-iters"},
		{"negative feedback samples", []string{"--feedback-samples", "-1"}, "--feedback-samples"},
		{"zero feedback noise", []string{"--feedback-noise", "0"}, "--feedback-noise"},
		{"bad eval", []string{"--eval-episodes", "0"}, "--eval-episodes"},
		{"both dynamics", []string{"--true-dynamics", "--model", "m.safetensors"}, "not both"},
		{"no dynamics at all", []string{"--true-dynamics=false"}, "--model"},
		{"unknown flag", []string{"--epochs", "3"}, "not defined"},
		{"missing model", []string{"--model", "none.safetensors"}, "--model"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"train", "gps", "--out", t.TempDir()}, c.args...)
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

// TestGpsTrainCLI runs a tiny GPS on pendulum and checks the run folder
// (checkpoint, metrics, per-condition CSV, plots) and the JSON summary,
// then resumes the run to a longer budget.
func TestGpsTrainCLI(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	args := []string{"train", "gps", "--env", "pendulum", "--conditions", "2", "--horizon", "30",
		"--policy-epochs", "2", "--hidden", "8", "--eval-every", "1", "--eval-episodes", "2",
		"--final-episodes", "3", "--out", run, "--quiet", "--json"}
	stdout, stderr, code := runCLI(t, append(args, "--iters", "2")...)
	if code != 0 {
		t.Fatalf("train gps: exit %d: %s", code, stderr)
	}
	sum := lastJSON(t, stdout)
	for _, k := range []string{"command", "method", "env", "seed", "eval", "checkpoint", "run_dir", "conditions", "horizon",
		"traj_cost", "policy_cost", "violation", "violation_first", "rho_schedule"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("JSON lacks %q: %v", k, sum)
		}
	}
	if sum["method"] != "gps" || sum["horizon"] != 30.0 || sum["conditions"] != 2.0 {
		t.Errorf("JSON %v", sum)
	}
	if ev, ok := sum["eval"].(map[string]any); !ok || ev["episodes"] != 3.0 {
		t.Errorf("final evaluation %v, want 3 episodes", sum["eval"])
	}
	final := filepath.Join(run, "final.safetensors")
	for _, f := range []string{final, filepath.Join(run, "latest.safetensors"), filepath.Join(run, "metrics.csv"),
		filepath.Join(run, "config.yaml"), filepath.Join(run, "learning_curve.png"), filepath.Join(run, "violation.png"), filepath.Join(run, "cost.png")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	c, err := checkpoints.Load(final)
	if err != nil {
		t.Fatal(err)
	}
	if c.Meta.Method != "gps" || c.Meta.Iteration != 2 {
		t.Errorf("checkpoint method %q iteration %d", c.Meta.Method, c.Meta.Iteration)
	}
	if _, ok := c.Model("policy"); !ok {
		t.Errorf("checkpoint holds no policy")
	}
	b, err := os.ReadFile(filepath.Join(run, "conditions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1+2*2 || !strings.HasPrefix(lines[0], "iter,condition,traj_cost,policy_cost,violation") ||
		!strings.HasPrefix(lines[4], "2,1,") {
		t.Errorf("conditions.csv:\n%s", b)
	}

	// Resume to 3 iterations: the checkpoint moves on and conditions.csv
	// gains the third iteration's rows.
	stdout, stderr, code = runCLI(t, append(args, "--iters", "3", "--resume", filepath.Join(run, "latest.safetensors"))...)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if it := lastJSON(t, stdout)["iterations"]; it != 3.0 {
		t.Errorf("resumed run reports %v iterations, want 3", it)
	}
	b, _ = os.ReadFile(filepath.Join(run, "conditions.csv"))
	if n := len(strings.Split(strings.TrimSpace(string(b)), "\n")); n != 1+3*2 {
		t.Errorf("conditions.csv has %d lines after the resume, want 7:\n%s", n, b)
	}
	// The resumed run ends with the weights of a straight 3-iteration run.
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

// TestGpsLinearPolicyCLI trains the linear policy (--hidden "") on the
// linear env, whose actions are unbounded.
func TestGpsLinearPolicyCLI(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	stdout, stderr, code := runCLI(t, "train", "gps", "--env", "linear", "--hidden", "", "--conditions", "2",
		"--iters", "2", "--policy-epochs", "2", "--final-episodes", "2", "--out", run, "--quiet", "--json")
	if code != 0 {
		t.Fatalf("train gps on linear: exit %d: %s", code, stderr)
	}
	if h := lastJSON(t, stdout)["horizon"]; h != 100.0 {
		t.Errorf("horizon %v, want the linear env's 100 steps", h)
	}
	c, err := checkpoints.Load(filepath.Join(run, "final.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	spec, ok := c.Model("policy")
	if !ok || spec.Kind != "mlp" || len(spec.Tensors) != 2 {
		t.Errorf("policy spec %+v, want a one-layer mlp", spec)
	}
}

// TestGpsLearnedModelCLI optimises the trajectories on a learned model
// (an untrained one: this checks the wiring, not the result).
func TestGpsLearnedModelCLI(t *testing.T) {
	dir := t.TempDir()
	model := writeDynamicsCheckpoint(t, dir)
	stdout, stderr, code := runCLI(t, "train", "gps", "--env", "pendulum", "--model", model, "--conditions", "2",
		"--horizon", "20", "--iters", "2", "--policy-epochs", "2", "--hidden", "8", "--final-episodes", "2",
		"--out", filepath.Join(dir, "run"), "--quiet", "--json")
	if code != 0 {
		t.Fatalf("train gps --model: exit %d: %s", code, stderr)
	}
	if d := lastJSON(t, stdout)["dynamics"]; d != model {
		t.Errorf("dynamics %v, want %s", d, model)
	}
	_, stderr, code = runCLI(t, "train", "gps", "--env", "cartpole-continuous", "--model", model, "--out", filepath.Join(dir, "bad"))
	if code != exitUsage || !strings.Contains(stderr, "trained on") {
		t.Errorf("a pendulum model on cartpole-continuous: exit %d, %q", code, stderr)
	}
}
