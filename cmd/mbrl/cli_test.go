package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mbrl/mbrl/cmd/internal/cli"
)

// runCLI runs the binary's entry point in-process and returns stdout,
// stderr and the exit status.
// exitUsage is the exit status of a usage or input error.
const exitUsage = cli.ExitUsage

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{cli.IO{Stdout: &out, Stderr: &errb, Now: func() time.Time { return time.Date(2026, 11, 25, 10, 15, 0, 0, time.UTC) }}}
	err := a.run(context.Background(), args)
	if err != nil {
		errb.WriteString("error: " + cli.OneLine(err) + "\n")
	}
	return out.String(), errb.String(), cli.ExitCode(err)
}

func lastJSON(t *testing.T, stdout string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last stdout line is not JSON: %q: %v", lines[len(lines)-1], err)
	}
	return m
}

func TestUsageErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("0.5\nabc\n"), 0o644)
	outOfSpace := filepath.Join(dir, "disc.csv")
	os.WriteFile(outOfSpace, []byte("1\n2\n"), 0o644)
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, []byte("# nothing\n"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"unknown env", []string{"rollout", "--env", "nope"}, "unknown environment"},
		{"missing env", []string{"rollout"}, "--env is required"},
		{"malformed flag", []string{"rollout", "--env", "pendulum", "--seed", "x"}, "invalid value"},
		{"unknown flag", []string{"rollout", "--env", "pendulum", "--bogus"}, "not defined"},
		{"init wrong length", []string{"rollout", "--env", "pendulum", "--init", "1,2,3"}, "--init has 3 values"},
		{"init not numeric", []string{"rollout", "--env", "pendulum", "--init", "1,b"}, "not a number"},
		{"missing actions file", []string{"rollout", "--env", "pendulum", "--actions", filepath.Join(dir, "none.csv")}, "no such file"},
		{"malformed actions file", []string{"rollout", "--env", "pendulum", "--actions", bad}, "line 2"},
		{"invalid discrete action", []string{"rollout", "--env", "cartpole", "--actions", outOfSpace}, "not one of the discrete actions"},
		{"empty actions file", []string{"rollout", "--env", "pendulum", "--actions", empty}, "holds no actions"},
		{"unknown policy", []string{"rollout", "--env", "pendulum", "--policy", "wizard"}, "policy"},
		{"unknown method", []string{"train", "wizardry", "--env", "pendulum"}, "unknown method"},
		{"help unknown", []string{"help", "nope"}, "unknown"},
		{"cpuprofile unwritable", []string{"rollout", "--env", "pendulum", "--cpuprofile", filepath.Join(dir, "no", "such", "cpu.pprof")}, "--cpuprofile"},
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
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); c.args != nil && n > 0 {
				t.Fatalf("error is not one line: %q", stderr)
			}
		})
	}
}

// TestCPUProfileWritesAProfile: --cpuprofile writes a pprof profile, and a
// run does not record it among its settings (a rerun from config.yaml
// does not profile into the same file).
func TestCPUProfileWritesAProfile(t *testing.T) {
	dir := t.TempDir()
	path, run := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "run")
	_, stderr, code := runCLI(t, "train", "bptt", "--true-dynamics", "--horizon", "3", "--batch", "2", "--hidden", "4,4",
		"--iters", "2", "--final-episodes", "1", "--out", run, "--quiet", "--cpuprofile", path)
	if strings.Contains(stderr, "already in use") {
		t.Skip("the test binary itself is being profiled")
	}
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b { // pprof writes gzipped protobuf
		t.Fatalf("--cpuprofile wrote %d bytes, not a gzipped pprof profile", len(b))
	}
	cfg, err := os.ReadFile(filepath.Join(run, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cfg), "cpuprofile") {
		t.Errorf("config.yaml records --cpuprofile:\n%s", cfg)
	}
}

func TestEnvsListsEveryEnv(t *testing.T) {
	out, _, code := runCLI(t, "envs")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, name := range []string{"pendulum", "cartpole", "cartpole-continuous", "linear", "maze"} {
		if !strings.Contains(out, name) {
			t.Errorf("envs output lacks %s:\n%s", name, out)
		}
	}
	out, _, _ = runCLI(t, "envs", "--json")
	m := lastJSON(t, out)
	if len(m["envs"].([]any)) != 5 {
		t.Fatalf("want 5 envs in JSON, got %v", m["envs"])
	}
}

func TestRolloutReplayAndCSV(t *testing.T) {
	dir := t.TempDir()
	acts := filepath.Join(dir, "acts.csv")
	os.WriteFile(acts, []byte("action\n2\n-2\n5\n0\n"), 0o644)
	csvPath := filepath.Join(dir, "traj.csv")
	out, stderr, code := runCLI(t, "rollout", "--env", "pendulum", "--init", "0.5,0", "--actions", acts, "--csv", csvPath, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := lastJSON(t, out)
	if m["steps"].(float64) != 4 {
		t.Fatalf("replayed %v steps, want 4", m["steps"])
	}
	b, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 5 || lines[0] != "t,obs_0,obs_1,obs_2,action_0,reward,terminated,truncated" {
		t.Fatalf("unexpected CSV:\n%s", b)
	}
	// Row 0: state (0.5, 0), action 2: reward = -(0.25 + 0 + 0.001*4).
	if !strings.HasPrefix(lines[1], "0,") || !strings.Contains(lines[1], ",2,-0.254,") {
		t.Fatalf("row 0 = %q", lines[1])
	}
	// Row 2 replays 5, which pendulum clips to 2 (cost uses the clipped torque).
	if !strings.Contains(lines[3], ",5,") {
		t.Fatalf("row 2 should record the given action 5: %q", lines[3])
	}
}

func TestRolloutSameSeedSameEpisode(t *testing.T) {
	a1, _, _ := runCLI(t, "rollout", "--env", "pendulum", "--seed", "7", "--csv", "-")
	a2, _, _ := runCLI(t, "rollout", "--env", "pendulum", "--seed", "7", "--csv", "-")
	a3, _, _ := runCLI(t, "rollout", "--env", "pendulum", "--seed", "8", "--csv", "-")
	if a1 != a2 {
		t.Fatal("same seed gave different trajectories")
	}
	if a1 == a3 {
		t.Fatal("different seeds gave the same trajectory")
	}
	if n := strings.Count(a1, "\n"); n != 201 {
		t.Fatalf("pendulum episode has %d CSV lines, want 201", n)
	}
}

func TestConfigFileAndFlagPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("env: cartpole\nseed: 3\npolicy: zero\n"), 0o644)
	out, stderr, code := runCLI(t, "rollout", "--config", cfg, "--seed", "4", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := lastJSON(t, out)
	if m["env"] != "cartpole" || m["seed"].(float64) != 4 || m["policy"] != "zero" {
		t.Fatalf("config not applied or flags did not win: %v", m)
	}
	js := filepath.Join(dir, "c.json")
	os.WriteFile(js, []byte(`{"env": "maze", "policy": "random"}`), 0o644)
	out, stderr, code = runCLI(t, "rollout", "--config", js, "--json")
	if code != 0 || lastJSON(t, out)["env"] != "maze" {
		t.Fatalf("JSON config: exit %d %s %s", code, stderr, out)
	}
	os.WriteFile(cfg, []byte("nosuchflag: 1\n"), 0o644)
	if _, _, code := runCLI(t, "rollout", "--env", "pendulum", "--config", cfg); code != exitUsage {
		t.Fatalf("unknown config key: exit %d, want 2", code)
	}
}

func TestHelpShowsDefaults(t *testing.T) {
	out, _, code := runCLI(t, "help", "rollout")
	if code != 0 || !strings.Contains(out, "--seed") || !strings.Contains(out, "(default 1)") {
		t.Fatalf("help rollout: exit %d\n%s", code, out)
	}
	out, _, code = runCLI(t, "help")
	if code != 0 || !strings.Contains(out, "rollout") {
		t.Fatalf("help: %s", out)
	}
}

func TestParseInterleaved(t *testing.T) {
	out, _, code := runCLI(t, "rollout", "--env", "maze", "--json", "--seed", "2")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if lastJSON(t, out)["env"] != "maze" {
		t.Fatal("flags after flags not parsed")
	}
}

// TestSummaryJSONIsThePrintedSummary checks that every training run
// writes summary.json into its run folder, holding exactly the JSON
// object --json prints as the last line.
func TestSummaryJSONIsThePrintedSummary(t *testing.T) {
	for _, args := range [][]string{
		{"train", "dynaq", "--planning-steps", "0,5", "--runs", "2", "--episodes", "3"},
		{"train", "bptt", "--true-dynamics", "--horizon", "3", "--batch", "2", "--hidden", "4", "--iters", "2", "--final-episodes", "1"},
	} {
		dir := filepath.Join(t.TempDir(), "run")
		out, stderr, code := runCLI(t, append(args, "--out", dir, "--json", "--quiet")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(raw)); got != lines[len(lines)-1] {
			t.Fatalf("%v: summary.json\n%s\ndiffers from the printed summary\n%s", args, got, lines[len(lines)-1])
		}
	}
}

// TestTrainConfigRerunsTheRun checks that config.yaml records the method
// and typed values, and that "mbrl train --config RUN/config.yaml" reruns
// the run by itself to the same result.
func TestTrainConfigRerunsTheRun(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	out, stderr, code := runCLI(t, "train", "bptt", "--true-dynamics", "--horizon", "3", "--batch", "2", "--hidden", "4,4",
		"--iters", "2", "--final-episodes", "1", "--out", first, "--json", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := lastJSON(t, out)
	cfg, err := os.ReadFile(filepath.Join(first, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{`method: "bptt"`, "horizon: 3", "hidden: [4, 4]", "true-dynamics: true", `env: "pendulum"`} {
		if !strings.Contains(string(cfg), line+"\n") {
			t.Errorf("config.yaml lacks %q:\n%s", line, cfg)
		}
	}
	out, stderr, code = runCLI(t, "train", "--config", filepath.Join(first, "config.yaml"), "--out", second, "--json")
	if code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	got := lastJSON(t, out)
	for _, k := range []string{"method", "horizon", "grad_norm", "eval", "iterations"} {
		if g, w := fmt.Sprint(got[k]), fmt.Sprint(want[k]); g != w {
			t.Errorf("rerun %s = %s, want %s", k, g, w)
		}
	}
}

// TestTrainRefusesAnExistingRunFolder: a second run into a folder that
// holds a run is refused (exit 2) unless --force (or --resume).
func TestTrainRefusesAnExistingRunFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "dynaq", "--runs", "1", "--episodes", "2", "--out", dir, "--quiet"}
	if _, stderr, code := runCLI(t, args...); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runCLI(t, args...); code != exitUsage || !strings.Contains(stderr, "--force") {
		t.Fatalf("second run: exit %d: %s (want 2, mentioning --force)", code, stderr)
	}
	if _, stderr, code := runCLI(t, append(args, "--force")...); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
}
