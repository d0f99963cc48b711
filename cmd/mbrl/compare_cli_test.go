package main

import (
	"path/filepath"
	"strings"
	"testing"
)

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
