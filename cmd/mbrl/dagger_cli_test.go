package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
)

// tinyImitation are flags that keep bc/dagger/plato runs under a second.
var tinyImitation = []string{"--episodes-per-iter", "2", "--epochs", "2", "--eval-episodes", "2", "--final-episodes", "3", "--quiet", "--json"}

func TestImitationUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"beta decay", []string{"train", "dagger", "--beta-decay", "1.5"}, "--beta-decay"},
		{"unknown expert", []string{"train", "dagger", "--expert", "wizard"}, "unknown --expert"},
		{"missing expert checkpoint", []string{"train", "bc", "--expert", "none.safetensors"}, "none.safetensors"},
		{"discrete env", []string{"train", "bc", "--env", "cartpole"}, "discrete actions"},
		{"unknown env", []string{"train", "dagger", "--env", "nope"}, "unknown environment"},
		{"no dynamics", []string{"train", "dagger", "--env", "maze"}, ""},
		{"bad hidden", []string{"train", "bc", "--hidden", "64,0"}, "--hidden"},
		{"bad val frac", []string{"train", "bc", "--val-frac", "1"}, "--val-frac"},
		{"zero iters", []string{"train", "dagger", "--iters", "0"}, "--iters"},
		{"plato expert", []string{"train", "plato", "--expert", "lqr"}, "--expert must be mpc"},
		{"plato schedule", []string{"train", "plato", "--kl-schedule", "cosine"}, "unknown KL schedule"},
		{"plato weight", []string{"train", "plato", "--kl-weight", "-1"}, "--kl-weight"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, c.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Fatalf("stderr %q does not mention %q", stderr, c.want)
			}
		})
	}
}

// TestImitationCLI runs bc, dagger --compare-bc and plato on tiny budgets
// and checks the run folder, the metrics, the JSON summary and that the
// checkpoint is a policy 'mbrl eval' and '--expert CKPT' accept.
func TestImitationCLI(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		method  string
		args    []string
		labels  float64
		columns []string
		fields  []string
	}{
		{"bc", nil, 400, []string{"labels", "train_return", "expert_return", "eval_return", "val_loss"}, []string{"expert_return"}},
		{"dagger", []string{"--iters", "2", "--compare-bc"}, 800,
			[]string{"labels", "beta", "expert_frac", "train_return", "bc_return", "bc_labels", "eval_return"},
			[]string{"bc_return", "mean_train_return", "beta_decay"}},
		{"plato", []string{"--iters", "2", "--kl-schedule", "linear"}, 800,
			[]string{"labels", "kl_weight", "train_return", "teacher_std", "learner_std", "eval_return"},
			[]string{"mean_train_return", "kl_weight", "kl_schedule"}},
	}
	for _, c := range cases {
		t.Run(c.method, func(t *testing.T) {
			out := filepath.Join(dir, c.method)
			args := append(append([]string{"train", c.method, "--out", out}, tinyImitation...), c.args...)
			stdout, stderr, code := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			sum := lastJSON(t, stdout)
			if sum["method"] != c.method || sum["labels"] != c.labels || sum["checkpoint"] != filepath.Join(out, "final.safetensors") {
				t.Fatalf("summary %v", sum)
			}
			if ev, ok := sum["eval"].(map[string]any); !ok || ev["episodes"] != 3.0 {
				t.Fatalf("final evaluation %v, want 3 episodes", sum["eval"])
			}
			for _, f := range c.fields {
				if _, ok := sum[f]; !ok {
					t.Fatalf("summary lacks %q: %v", f, sum)
				}
			}
			csv, err := os.ReadFile(filepath.Join(out, "metrics.csv"))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
			header := strings.Split(lines[0], ",")
			for _, col := range c.columns {
				if !slices.Contains(header, col) {
					t.Fatalf("metrics.csv header %v lacks %q", header, col)
				}
			}
			if want := 1 + int(c.labels)/400; len(lines) != want { // one row per iteration of 2 x 200 steps
				t.Fatalf("metrics.csv has %d lines, want %d", len(lines), want)
			}
			for _, f := range []string{"config.yaml", "learning_curve.png", "latest.safetensors"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Fatal(err)
				}
			}
			ck := filepath.Join(out, "final.safetensors")
			if _, stderr, code := runCLI(t, "eval", "--env", "pendulum", "--checkpoint", ck, "--episodes", "2", "--json"); code != 0 {
				t.Fatalf("eval of %s: exit %d: %s", ck, code, stderr)
			}
		})
	}
	t.Run("checkpoint expert", func(t *testing.T) {
		expert := filepath.Join(dir, "bc", "final.safetensors")
		_, stderr, code := runCLI(t, append([]string{"train", "dagger", "--expert", expert, "--iters", "1", "--out", filepath.Join(dir, "ck")}, tinyImitation...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})
}

// TestDAggerCLIResume: 3 iterations straight and 2 + --resume give the same
// final weights (BC comparison learner included).
func TestDAggerCLIResume(t *testing.T) {
	dir := t.TempDir()
	base := append([]string{"train", "dagger", "--compare-bc", "--seed", "4"}, tinyImitation...)
	run := func(out string, extra ...string) {
		t.Helper()
		if _, stderr, code := runCLI(t, append(append(slices.Clone(base), "--out", out), extra...)...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	run(filepath.Join(dir, "a"), "--iters", "3")
	run(filepath.Join(dir, "b"), "--iters", "2")
	run(filepath.Join(dir, "b"), "--iters", "3", "--resume", filepath.Join(dir, "b", "latest.safetensors"))
	a, err := checkpoints.Load(filepath.Join(dir, "a", "final.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := checkpoints.Load(filepath.Join(dir, "b", "final.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Tensors) != len(b.Tensors) || len(a.Tensors) == 0 {
		t.Fatalf("%d and %d tensors", len(a.Tensors), len(b.Tensors))
	}
	for _, ta := range a.Tensors {
		tb, ok := b.Tensor(ta.Name)
		if !ok || !slices.Equal(ta.Data, tb.Data) {
			t.Fatalf("tensor %s differs after resume", ta.Name)
		}
	}
}
