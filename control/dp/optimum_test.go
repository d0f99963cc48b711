package dp

import (
	"strings"
	"testing"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

func TestParseGrid(t *testing.T) {
	cases := []struct {
		in   string
		want [2]int
		err  bool
	}{
		{"512x513", [2]int{512, 513}, false},
		{" 24 X 25 ", [2]int{24, 25}, false},
		{"512", [2]int{}, true},
		{"axb", [2]int{}, true},
		{"1x2x3", [2]int{}, true},
	}
	for _, c := range cases {
		got, err := ParseGrid(c.in)
		if (err != nil) != c.err || (!c.err && got != c.want) {
			t.Errorf("ParseGrid(%q) = %v, %v; want %v (error %v)", c.in, got, err, c.want, c.err)
		}
		if err != nil && !strings.Contains(err.Error(), "not N0xN1") {
			t.Errorf("ParseGrid(%q): error %q does not show the form", c.in, err)
		}
	}
}

// TestSolveAndEvaluate checks that the optimum's returns are those of its
// greedy policy evaluated on the same starts, and its summary fields.
func TestSolveAndEvaluate(t *testing.T) {
	env, _ := envs.Make("pendulum")
	mk := func() (envs.Env, error) { return envs.Make("pendulum") }
	cfg := Config{Points: [2]int{24, 25}, Actions: 9, Workers: 2}
	eval := common.EvalConfig{Episodes: 3, Seed: 11}
	opt, err := SolveAndEvaluate(env, mk, cfg, eval)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := common.Evaluate(mk, func() (common.Policy, error) { return opt.Solution.NewPolicy(), nil }, eval)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Eval.Mean != ref.Mean || len(opt.Eval.Returns) != 3 {
		t.Errorf("mean %v over %d episodes, want %v over 3", opt.Eval.Mean, len(opt.Eval.Returns), ref.Mean)
	}
	f := opt.Fields()
	if f["grid"] != "24x25" || f["actions"] != 9 || f["horizon"] != 200 || f["mean_return"] != ref.Mean {
		t.Errorf("fields %v", f)
	}
	if opt.SolveSeconds <= 0 || opt.WallSeconds < opt.SolveSeconds {
		t.Errorf("times: solve %v, wall %v", opt.SolveSeconds, opt.WallSeconds)
	}
	if _, err := SolveAndEvaluate(env, mk, Config{Points: [2]int{1, 25}, Actions: 9}, eval); err == nil {
		t.Error("a 1-point grid dimension was accepted")
	}
}
