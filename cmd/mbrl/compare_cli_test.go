package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/envs/gym/gymtest"
)

// TestMain lets the test binary stand in for mbrl: compare runs its
// children with os.Executable, which in a test is this binary, so with
// MBRL_TEST_AS_MBRL=1 in its environment it runs main instead of tests.
func TestMain(m *testing.M) {
	if os.Getenv("MBRL_TEST_AS_MBRL") == "1" {
		main()
	}
	os.Exit(m.Run())
}

func TestCompareUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no env", []string{"compare", "--methods", "bc"}, "--env is required"},
		{"unknown env", []string{"compare", "--env", "nope", "--methods", "bc"}, "unknown environment"},
		{"no methods", []string{"compare", "--env", "pendulum"}, "no methods"},
		{"unknown method", []string{"compare", "--env", "pendulum", "--methods", "bc,dagr"}, `unknown method "dagr"`},
		{"bad option", []string{"compare", "--env", "pendulum", "--methods", "dagger:--plans=16"}, "without dashes"},
		{"bad seeds", []string{"compare", "--env", "pendulum", "--methods", "bc", "--seeds", "5-1"}, "runs backwards"},
		{"bad jobs", []string{"compare", "--env", "pendulum", "--methods", "bc", "--jobs", "0"}, "--jobs must be at least 1"},
		{"bad episodes", []string{"compare", "--env", "pendulum", "--methods", "bc", "--episodes", "0", "--out", dir}, "--episodes must be at least 1"},
		{"bad target", []string{"compare", "--env", "cartpole", "--methods", "dyna", "--target", "x"}, "not a number"},
		{"bad emit", []string{"compare", "--env", "pendulum", "--methods", "bc", "--emit", "pbs", "--out", dir}, "unknown --emit"},
		{"bad run index", []string{"compare", "--env", "pendulum", "--methods", "bc", "--seeds", "1-2", "--run-index", "2", "--out", dir}, "between 0 and 1"},
		{"collect without plan", []string{"compare", "--collect", filepath.Join(dir, "none")}, "not a comparison folder"},
		{"collect with plan flags", []string{"compare", "--collect", dir, "--methods", "bc"}, "drop --methods"},
		{"collect with gym kwargs", []string{"compare", "--collect", dir, "--gym-kwargs", `{"g": 9.81}`}, "drop --gym-kwargs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, c.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("stderr %q: want one line containing %q", stderr, c.want)
			}
		})
	}
}

// TestCompareForwardsGymOptions runs "mbrl compare" on gym:Pendulum-v1
// with --python and --gym-kwargs: every child (train, eval) gets both, so
// the runs train and evaluate through the given interpreter (a wrapper
// that counts its starts) on the env the keyword arguments make, and
// plan.json records them for --collect and the cluster files.
func TestCompareForwardsGymOptions(t *testing.T) {
	py := gymtest.Python(t)
	t.Setenv("MBRL_TEST_AS_MBRL", "1")
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	wrapper := filepath.Join(dir, "python-wrapper")
	script := "#!/bin/sh\necho started >> '" + calls + "'\nexec '" + py + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	kw := `{"g": 9.81}`
	out := filepath.Join(dir, "cmp")
	_, stderr, code := runCLI(t, "compare", "--env", "gym:Pendulum-v1", "--python", wrapper, "--gym-kwargs", kw,
		"--methods", "dyna:steps=200:steps-per-iter=200:learning-starts=100:planning-steps=0:hidden=8:final-episodes=1",
		"--seeds", "1", "--episodes", "1", "--jobs", "1", "--out", out, "--quiet", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	run := filepath.Join(out, "dyna_steps=200_steps-per-iter=200_learning-starts=100_planning-steps=0_hidden=8_final-episodes=1", "seed-1")
	if _, err := os.Stat(filepath.Join(run, "eval.json")); err != nil {
		runs, _ := filepath.Glob(filepath.Join(out, "*", "seed-1"))
		t.Fatalf("no evaluation of the run: %v (runs: %v; stderr %s)", err, runs, stderr)
	}
	cfg, err := os.ReadFile(filepath.Join(run, "config.yaml"))
	if err != nil || !strings.Contains(string(cfg), wrapper) || !strings.Contains(string(cfg), "9.81") {
		t.Errorf("the run's config.yaml does not record --python %s and --gym-kwargs %s: %v\n%s", wrapper, kw, err, cfg)
	}
	// compare's own check of the env, the training run (its env and its
	// final evaluation's workers) and the evaluation each start one.
	if b, err := os.ReadFile(calls); err != nil || strings.Count(string(b), "started") < 3 {
		t.Errorf("the wrapper started %d times, want at least 3 (compare, train, eval): %v", strings.Count(string(b), "started"), err)
	}
	plan, err := os.ReadFile(filepath.Join(out, "plan.json"))
	if err != nil || !strings.Contains(string(plan), wrapper) || !strings.Contains(string(plan), "9.81") {
		t.Errorf("plan.json does not record the gym options: %v\n%s", err, plan)
	}
}
