package main

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/control/dp"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

// TestOptimumJSONAndCSV runs "mbrl optimum" on a small grid and checks the
// summary, the CSV, and that the returns are exactly the library's DP
// policy evaluated on the starts of "mbrl eval --seed 11".
func TestOptimumJSONAndCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "returns.csv")
	out, stderr, code := runCLI(t, "optimum", "--env", "pendulum", "--grid", "48x49", "--actions", "21",
		"--seed", "11", "--episodes", "6", "--csv", path, "--json", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := lastJSON(t, out)
	for k, want := range map[string]any{"command": "optimum", "env": "pendulum", "seed": 11.0, "episodes": 6.0,
		"grid": "48x49", "actions": 21.0, "horizon": 200.0} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	for _, k := range []string{"mean_return", "std", "min", "max", "median", "solve_seconds", "wall_seconds"} {
		if _, ok := m[k].(float64); !ok {
			t.Errorf("%s missing or not a number: %v", k, m[k])
		}
	}
	raw := m["returns"].([]any)

	cfg := dp.DefaultConfig()
	cfg.Points, cfg.Actions = [2]int{48, 49}, 21
	sol, err := dp.SolveEnv(envs.NewPendulum(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := common.Evaluate(func() (envs.Env, error) { return envs.Make("pendulum") },
		func() (common.Policy, error) { return sol.NewPolicy(), nil }, common.EvalConfig{Episodes: 6, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 6 {
		t.Fatalf("%d returns, want 6", len(raw))
	}
	for i, r := range raw {
		if r.(float64) != ref.Returns[i] {
			t.Errorf("return %d = %v, library %v", i, r, ref.Returns[i])
		}
	}
	if m["mean_return"].(float64) != ref.Mean || m["min"].(float64) != ref.Min {
		t.Errorf("mean %v min %v, library %v %v", m["mean_return"], m["min"], ref.Mean, ref.Min)
	}
	// A coarse grid is still a swing-up controller: every start ends up.
	if ref.Min < -400 {
		t.Errorf("worst episode %.1f: the DP policy did not swing up", ref.Min)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 || rows[0][0] != "episode" || rows[0][1] != "return" {
		t.Fatalf("CSV has %d rows, header %v; want 7 rows under episode,return", len(rows), rows[0])
	}
	for i, row := range rows[1:] {
		v, err := strconv.ParseFloat(row[1], 64)
		if row[0] != strconv.Itoa(i) || err != nil || v != ref.Returns[i] {
			t.Errorf("CSV row %d = %v, want %d,%v", i+1, row, i, ref.Returns[i])
		}
	}
}

// TestOptimumGridFlags checks that --grid-theta/--grid-thetadot give the
// same result as --grid, and the text output.
func TestOptimumGridFlags(t *testing.T) {
	a, stderr, code := runCLI(t, "optimum", "--env", "pendulum", "--grid", "24x25", "--actions", "9", "--episodes", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, stderr, code := runCLI(t, "optimum", "--env", "pendulum", "--grid-theta", "24", "--grid-thetadot", "25", "--actions", "9", "--episodes", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ma, mb := lastJSON(t, a), lastJSON(t, b)
	if ma["mean_return"] != mb["mean_return"] || ma["grid"] != mb["grid"] {
		t.Fatalf("--grid: %v %v, --grid-theta/--grid-thetadot: %v %v", ma["grid"], ma["mean_return"], mb["grid"], mb["mean_return"])
	}
	text, stderr, code := runCLI(t, "optimum", "--env", "pendulum", "--grid", "24x25", "--actions", "9", "--episodes", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	mean := strconv.FormatFloat(ma["mean_return"].(float64), 'f', 2, 64)
	if !strings.Contains(text, "DP optimum on pendulum: grid 24x25, 9 actions, 200 steps") || !strings.Contains(text, "mean "+mean) {
		t.Fatalf("text output lacks the header or the mean %s:\n%s", mean, text)
	}
	if math.IsNaN(ma["mean_return"].(float64)) {
		t.Fatal("mean is NaN")
	}
}

func TestOptimumErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"optimum"}, "--env is required"},
		{[]string{"optimum", "--env", "nope"}, "unknown environment"},
		{[]string{"optimum", "--env", "cartpole"}, "discrete actions"},
		{[]string{"optimum", "--env", "cartpole-continuous"}, "4-D state"},
		{[]string{"optimum", "--env", "maze"}, "no known dynamics"},
		{[]string{"optimum", "--env", "linear"}, "no state box"},
		{[]string{"optimum", "--env", "pendulum", "--grid", "512"}, "not N0xN1"},
		{[]string{"optimum", "--env", "pendulum", "--grid", "axb"}, "not N0xN1"},
		{[]string{"optimum", "--env", "pendulum", "--grid", "64x65", "--grid-theta", "64"}, "not both"},
		{[]string{"optimum", "--env", "pendulum", "--grid", "1x65"}, "grid dimension 0"},
		{[]string{"optimum", "--env", "pendulum", "--actions", "1"}, "actions"},
		{[]string{"optimum", "--env", "pendulum", "--episodes", "0"}, "--episodes"},
		{[]string{"optimum", "--env", "pendulum", "--workers", "-1"}, "--workers"},
		{[]string{"optimum", "--env", "pendulum", "extra"}, "unexpected argument"},
		{[]string{"eval", "--env", "cartpole", "--controller", "dp"}, "discrete actions"},
		{[]string{"eval", "--env", "pendulum", "--controller", "pid"}, "lqr, ilqr, mpc, dp"},
	}
	for _, c := range cases {
		_, stderr, code := runCLI(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q (want exit 2 and one line mentioning %q)", c.args, code, stderr, c.want)
		}
	}
}

// TestEvalControllerDP runs "mbrl eval --controller dp" (the default grid)
// and checks it swings up from every start.
func TestEvalControllerDP(t *testing.T) {
	if testing.Short() {
		t.Skip("solves the default 512x513 grid")
	}
	out, stderr, code := runCLI(t, "eval", "--env", "pendulum", "--controller", "dp", "--seed", "11", "--episodes", "4", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ev := lastJSON(t, out)["eval"].(map[string]any)
	if m := ev["min_return"].(float64); m < -400 {
		t.Fatalf("worst episode %.1f: the DP policy did not swing up", m)
	}
}
