package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// updateBehaviour rewrites testdata/behaviour.json from the current code:
//
//	go test ./cmd/mbrl -run TestBehaviourPreserved -update-behaviour
//
// Only do that for a change of numerics that is stated and measured; a
// refactoring must leave every summary bit-identical.
var updateBehaviour = flag.Bool("update-behaviour", false, "rewrite testdata/behaviour.json")

// volatileKeys are summary fields that depend on the machine or the run
// folder, not on the computation.
var volatileKeys = map[string]bool{
	"wall_seconds": true, "run_dir": true, "checkpoint": true, "model_error_plot": true,
	"plot": true, "csv": true, "dynamics": true, "model": true, "figure": true, "expert_checkpoint": true,
}

// stripVolatile removes volatile keys (recursively) and any string value
// that names a file under dir.
func stripVolatile(v any, dir string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if volatileKeys[k] || strings.HasSuffix(k, "_seconds") || strings.HasSuffix(k, "_s") {
				continue
			}
			if s, ok := e.(string); ok && strings.Contains(s, dir) {
				continue
			}
			out[k] = stripVolatile(e, dir)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripVolatile(e, dir)
		}
		return out
	}
	return v
}

// TestBehaviourPreserved runs every training method at seed 1 with small
// budgets, and the true-dynamics controllers, and checks that their JSON
// summaries (returns, losses, costs; not times or paths) are bit-identical
// to testdata/behaviour.json. It guards refactorings: moving code between
// packages must not change a single number.
func TestBehaviourPreserved(t *testing.T) {
	if testing.Short() {
		t.Skip("behaviour table: skipped in -short")
	}
	dir := t.TempDir()
	run := func(name string) string { return filepath.Join(dir, name) }
	model := filepath.Join(run("model"), "final.safetensors")
	tinyIm := []string{"--episodes-per-iter", "2", "--epochs", "2", "--iters", "2", "--eval-episodes", "2", "--final-episodes", "3"}
	dynaSmall := []string{"--steps", "300", "--steps-per-iter", "150", "--learning-starts", "100", "--planning-steps", "2",
		"--rollout-length", "2", "--model-steps", "3", "--model-every", "50", "--batch", "16", "--hidden", "16",
		"--model-hidden", "16", "--model-batch", "32", "--eval-episodes", "1", "--final-episodes", "2"}
	cases := []struct {
		name string
		args []string
	}{
		{"train model", []string{"train", "model", "--env", "pendulum", "--samples", "1000", "--val-frac", "0.2",
			"--iters", "2", "--epochs-per-iter", "2", "--hidden", "16", "--out", run("model")}},
		{"train mpc", []string{"train", "mpc", "--env", "pendulum", "--random-steps", "200", "--iters", "2",
			"--ensemble", "2", "--init-fit-steps", "30", "--fit-steps", "10", "--hidden", "16", "--horizon", "5",
			"--final-episodes", "2", "--out", run("mpc")}},
		{"train mpc cem", []string{"train", "mpc", "--env", "pendulum", "--random-steps", "200", "--iters", "1",
			"--planner", "cem", "--init-fit-steps", "30", "--fit-steps", "10", "--hidden", "16", "--horizon", "5",
			"--final-episodes", "2", "--out", run("mpccem")}},
		{"train bptt true", []string{"train", "bptt", "--env", "pendulum", "--true-dynamics", "--horizon", "5",
			"--horizon-schedule", "1:8", "--batch", "4", "--hidden", "8", "--iters", "3", "--eval-every", "1",
			"--eval-episodes", "2", "--final-episodes", "2", "--truncate", "3", "--out", run("bptt")}},
		{"train bptt model", []string{"train", "bptt", "--env", "pendulum", "--model", model, "--horizon", "4",
			"--batch", "4", "--hidden", "8", "--iters", "2", "--final-episodes", "2", "--out", run("bpttm")}},
		{"train bptt learn-model", []string{"train", "bptt", "--env", "pendulum", "--learn-model", "--horizon", "4",
			"--batch", "4", "--hidden", "8", "--iters", "4", "--random-steps", "40", "--refit-every", "2", "--episode-steps", "20",
			"--init-fit-steps", "4", "--fit-steps", "2", "--model-hidden", "8", "--final-episodes", "2", "--out", run("bpttl")}},
		{"train gps", []string{"train", "gps", "--env", "pendulum", "--conditions", "2", "--horizon", "30",
			"--policy-epochs", "2", "--hidden", "8", "--eval-every", "1", "--eval-episodes", "2",
			"--final-episodes", "3", "--iters", "2", "--out", run("gps")}},
		{"train gps model", []string{"train", "gps", "--env", "pendulum", "--model", model, "--conditions", "2", "--horizon", "20",
			"--policy-epochs", "2", "--hidden", "8", "--final-episodes", "2", "--iters", "1", "--out", run("gpsm")}},
		{"train gps linear", []string{"train", "gps", "--env", "linear", "--conditions", "2", "--hidden", "",
			"--policy-epochs", "2", "--final-episodes", "2", "--iters", "2", "--feedback-samples", "1", "--out", run("gpsl")}},
		{"train bc", append([]string{"train", "bc", "--out", run("bc")}, tinyIm...)},
		{"train dagger", append([]string{"train", "dagger", "--compare-bc", "--out", run("dagger")}, tinyIm...)},
		{"train dagger plans", append([]string{"train", "dagger", "--plans", "6", "--out", run("daggerp")}, tinyIm...)},
		{"train plato", append([]string{"train", "plato", "--out", run("plato")}, tinyIm...)},
		{"train dyna cartpole", append([]string{"train", "dyna", "--env", "cartpole", "--out", run("dynac")}, dynaSmall...)},
		{"train dyna pendulum", append([]string{"train", "dyna", "--env", "pendulum", "--action-bins", "3", "--out", run("dynap")}, dynaSmall...)},
		{"train dynaq", []string{"train", "dynaq", "--planning-steps", "0,5", "--runs", "2", "--episodes", "5", "--out", run("dynaq")}},
		{"eval mpc", []string{"eval", "--env", "pendulum", "--controller", "mpc", "--episodes", "2"}},
		{"eval mpc one plan", []string{"eval", "--env", "pendulum", "--controller", "mpc", "--plans", "1", "--episodes", "3"}},
		{"eval ilqr", []string{"eval", "--env", "pendulum", "--controller", "ilqr", "--episodes", "2"}},
		{"eval lqr cartpole", []string{"eval", "--env", "cartpole", "--controller", "lqr", "--episodes", "3"}},
		{"eval checkpoint", []string{"eval", "--env", "pendulum", "--checkpoint", filepath.Join(run("dagger"), "final.safetensors"), "--episodes", "3"}},
		{"gradnorm true", []string{"gradnorm", "--env", "pendulum", "--true-dynamics", "--horizons", "1,3,10", "--starts", "4"}},
		{"gradnorm model", []string{"gradnorm", "--env", "pendulum", "--model", model, "--horizons", "1,5", "--starts", "3"}},
	}
	got := map[string]any{}
	for _, c := range cases {
		stdout, stderr, code := runCLI(t, append(c.args, "--quiet", "--json")...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, stderr)
		}
		got[c.name] = stripVolatile(lastJSON(t, stdout), dir)
	}
	golden := filepath.Join("testdata", "behaviour.json")
	if *updateBehaviour {
		b, err := json.MarshalIndent(got, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (create it with -update-behaviour)", err)
	}
	var want map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(want))
	for k := range want {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: no longer run", name)
			continue
		}
		wb, _ := json.Marshal(want[name])
		gb, _ := json.Marshal(g)
		if string(wb) != string(gb) {
			t.Errorf("%s: summary changed\n want %s\n  got %s", name, wb, gb)
		}
	}
}
