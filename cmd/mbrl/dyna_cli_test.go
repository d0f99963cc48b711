package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainDynaQWritesFiles runs the Figure 8.2 experiment on a small
// budget and checks the run folder: config.yaml, the CSV (one row per
// episode, one column per n), the PNG and the JSON summary, which is also
// the last stdout line.
func TestTrainDynaQWritesFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	out, stderr, code := runCLI(t, "train", "dynaq", "--planning-steps", "0,5,50", "--runs", "3", "--episodes", "10", "--out", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := lastJSON(t, out)
	if m["method"] != "dynaq" || m["env"] != "maze" || m["runs"].(float64) != 3 {
		t.Fatalf("summary %v", m)
	}
	steps := m["steps_per_episode"].(map[string]any)
	for _, n := range []string{"0", "5", "50"} {
		s, ok := steps[n].([]any)
		if !ok || len(s) != 10 {
			t.Fatalf("steps_per_episode[%s] = %v, want 10 values", n, steps[n])
		}
	}
	// n = 50 finds the goal far faster than n = 0 after the first episode
	// (the first is the same random walk for every n).
	s0, s50 := steps["0"].([]any), steps["50"].([]any)
	if s0[0] != s50[0] || s50[1].(float64) >= s0[1].(float64) {
		t.Errorf("episode 1: %v vs %v (want equal); episode 2: n=50 %v, n=0 %v", s0[0], s50[0], s50[1], s0[1])
	}
	if _, ok := m["greedy_path_length"].(map[string]any)["50"]; !ok {
		t.Errorf("no greedy path length for n = 50: %v", m["greedy_path_length"])
	}
	csv, err := os.ReadFile(filepath.Join(dir, "steps_per_episode.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 11 || lines[0] != "episode,steps_n0,steps_n5,steps_n50" || !strings.HasPrefix(lines[10], "10,") {
		t.Fatalf("CSV:\n%s", csv)
	}
	png, err := os.ReadFile(filepath.Join(dir, "steps_per_episode.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("PNG: %v (%d bytes)", err, len(png))
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil || !strings.Contains(string(cfg), `planning-steps: "0,5,50"`) {
		t.Fatalf("config.yaml: %v\n%s", err, cfg)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if file["run_dir"] != m["run_dir"] || len(file["steps_per_episode"].(map[string]any)) != 3 {
		t.Fatalf("summary.json differs from the printed summary:\n%s", raw)
	}
}

// TestTrainDynaSmoke trains the neural Dyna for two tiny iterations on
// pendulum (discretised) and cartpole (with a target reached at once) and
// checks the summary and the run folder.
func TestTrainDynaSmoke(t *testing.T) {
	small := []string{"--steps", "300", "--steps-per-iter", "150", "--learning-starts", "100", "--planning-steps", "2",
		"--rollout-length", "2", "--model-steps", "3", "--model-every", "50", "--batch", "16", "--hidden", "16",
		"--model-hidden", "16", "--model-batch", "32", "--eval-episodes", "1", "--final-episodes", "2", "--json"}
	t.Run("pendulum", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "run")
		out, stderr, code := runCLI(t, append([]string{"train", "dyna", "--env", "pendulum", "--action-bins", "3", "--out", dir}, small...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		m := lastJSON(t, out)
		if m["env_steps"].(float64) != 300 || m["action_bins"].(float64) != 3 || m["steps_to_threshold"] != nil || m["termination"] != "none" {
			t.Fatalf("summary %v", m)
		}
		if ev := m["eval"].(map[string]any); ev["episodes"].(float64) != 2 {
			t.Fatalf("final evaluation %v", ev)
		}
		csv, err := os.ReadFile(filepath.Join(dir, "metrics.csv"))
		if err != nil || !strings.Contains(strings.Split(string(csv), "\n")[0], "model_loss") {
			t.Fatalf("metrics.csv: %v\n%s", err, csv)
		}
		for _, f := range []string{"config.yaml", "final.safetensors", "learning_curve.png"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		}
	})
	t.Run("cartpole target", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "run")
		out, stderr, code := runCLI(t, append([]string{"train", "dyna", "--env", "cartpole", "--target-return", "5", "--stop-at-target", "--out", dir}, small...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		m := lastJSON(t, out)
		if m["steps_to_threshold"].(float64) != 150 || m["env_steps"].(float64) != 150 || m["termination"] != "known" {
			t.Fatalf("summary %v", m)
		}
	})
}

func TestTrainDynaUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"dynaq negative n", []string{"train", "dynaq", "--planning-steps", "0,-5"}, ">= 0"},
		{"dynaq duplicate n", []string{"train", "dynaq", "--planning-steps", "5,5"}, "twice"},
		{"dynaq not tabular", []string{"train", "dynaq", "--env", "cartpole"}, "not tabular"},
		{"dynaq runs", []string{"train", "dynaq", "--runs", "0"}, "--runs"},
		{"dyna tabular", []string{"train", "dyna", "--env", "maze"}, "dynaq"},
		{"dyna bins", []string{"train", "dyna", "--env", "pendulum", "--action-bins", "1"}, "--action-bins"},
		{"dyna target", []string{"train", "dyna", "--target-return", "lots"}, "--target-return"},
		{"dyna hidden", []string{"train", "dyna", "--hidden", "64,x"}, "--hidden"},
		{"dyna rollout", []string{"train", "dyna", "--rollout-length", "0"}, "--rollout-length"},
		{"dyna planning actions", []string{"train", "dyna", "--planning-actions", "greedy"}, "--planning-actions"},
		{"dyna q target", []string{"train", "dyna", "--q-target", "min"}, "--q-target"},
		{"dyna expansion", []string{"train", "dyna", "--expansion-steps", "0"}, "--expansion-steps"},
		{"dyna value bound", []string{"train", "dyna", "--value-bound", "max"}, "--value-bound"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, c.args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr %q: want exit %d mentioning %q", code, stderr, exitUsage, c.want)
			}
		})
	}
}
