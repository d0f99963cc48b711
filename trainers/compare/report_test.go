package compare

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// syntheticReport builds a report from hand-made run results: "good" near
// the optimum on every seed, "lucky" good on one seed only, "broken" failed
// everywhere, with a target on the first two.
func syntheticReport(t *testing.T, dir string) *Report {
	t.Helper()
	specs, err := ParseMethods("lucky,good,broken")
	if err != nil {
		t.Fatal(err)
	}
	p := &Plan{Env: "pendulum", Methods: specs, Seeds: []uint64{1, 2, 3}, EvalSeed: 11, Episodes: 100, Dir: dir}
	returns := map[string][]float64{"good": {-135, -140, -137}, "lucky": {-132, -700, -760}}
	steps := map[string][]float64{"good": {1000, 2000, math.Inf(1)}, "lucky": {500, math.Inf(1), math.Inf(1)}}
	var runs []RunResult
	for _, j := range p.Jobs() {
		r := RunResult{Job: j, Method: j.Spec.Text, Seed: j.Seed, Dir: j.Dir}
		if j.Spec.Text == "broken" {
			r.Status, r.Error = StatusFailed, "train: flag provided but not defined: -bogus"
			if j.Seed == 3 {
				r.Status, r.Error = StatusMissing, ""
			}
		} else {
			k := int(j.Seed - 1)
			r.Status = StatusDone
			r.Return = ptr(returns[j.Spec.Text][k])
			r.WallSeconds = ptr(10 + float64(k))
			r.EnvSteps = ptr(float64(1000 * (k + 1)))
			r.Target, r.TargetKnown = ptr(475.0), true
			if s := steps[j.Spec.Text][k]; !math.IsInf(s, 1) {
				r.StepsToTarget = ptr(s)
			}
		}
		runs = append(runs, r)
	}
	return Summarise(p, runs, &Optimum{MeanReturn: -131.5})
}

func TestSummarise(t *testing.T) {
	rep := syntheticReport(t, t.TempDir())
	if got := []string{rep.Methods[0].Method, rep.Methods[1].Method, rep.Methods[2].Method}; strings.Join(got, ",") != "good,lucky,broken" {
		t.Fatalf("ranking %v, want good,lucky,broken (by IQM; no returns last)", got)
	}
	g, l, b := rep.Methods[0], rep.Methods[1], rep.Methods[2]
	if g.Rank != 1 || l.Rank != 2 || b.Rank != 3 {
		t.Errorf("ranks %d %d %d", g.Rank, l.Rank, b.Rank)
	}
	if *g.Mean != -137.33333333333334 || *g.Median != -137 || *g.IQM != *g.Mean || *g.Worst != -140 || *g.WorstSeed != 2 {
		t.Errorf("good: mean %v median %v iqm %v worst %v (seed %v)", *g.Mean, *g.Median, *g.IQM, *g.Worst, *g.WorstSeed)
	}
	if *g.Successes != 2 || *l.Successes != 1 {
		t.Errorf("successes good %d lucky %d, want 2 and 1", *g.Successes, *l.Successes)
	}
	if math.Abs(*g.GapPercent-GapPercent(*g.Mean, -131.5)) > 1e-12 || math.Abs(*l.WorstGapPercent-GapPercent(-760, -131.5)) > 1e-12 {
		t.Errorf("gaps %v %v", *g.GapPercent, *l.WorstGapPercent)
	}
	if *g.WallSeconds != 11 || *g.EnvSteps != 2000 || g.Labels != nil {
		t.Errorf("wall %v steps %v labels %v", *g.WallSeconds, *g.EnvSteps, g.Labels)
	}
	if g.Target == nil || *g.Target.Median != 2000 || g.Target.Never != 1 || g.Target.Steps[2] != nil {
		t.Errorf("good target %+v", g.Target)
	}
	if l.Target == nil || l.Target.Median != nil || l.Target.Never != 2 {
		t.Errorf("lucky target %+v: median must be never (null)", l.Target)
	}
	if b.Evaluated != 0 || b.Failed != 2 || b.Missing != 1 || b.Mean != nil || b.Successes != nil {
		t.Errorf("broken: %+v", b)
	}
	if len(rep.Failed) != 2 || len(rep.Missing) != 1 || !strings.Contains(rep.Failed[0], "-bogus") {
		t.Errorf("failed %v missing %v", rep.Failed, rep.Missing)
	}
	// The report is valid JSON (no NaN or Inf anywhere).
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	rep := syntheticReport(t, dir)
	if err := rep.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, LeaderboardCSV))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[1][1] != "good" || rows[4][1] != "optimum" || rows[4][6] != "-131.5" {
		t.Errorf("leaderboard.csv rows %v", rows)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	if rows[1][col["successes"]] != "2" || rows[2][col["never_reached"]] != "2" || rows[2][col["steps_to_target_median"]] != "" {
		t.Errorf("leaderboard.csv good/lucky rows %v %v", rows[1], rows[2])
	}
	mdb, _ := os.ReadFile(filepath.Join(dir, LeaderboardMD))
	md := string(mdb)
	for _, want := range []string{"| 1 | `good` | 3/3 |", "| - | optimum |", "## Real env steps to reach the target", "| `lucky` | 475 | never [", "## Failed runs", "## Missing runs", "| `broken` | failed | failed | missing |"} {
		if !strings.Contains(md, want) {
			t.Errorf("leaderboard.md lacks %q:\n%s", want, md)
		}
	}
	png, _ := os.ReadFile(filepath.Join(dir, LeaderboardPNG))
	if len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Errorf("leaderboard.png is not a PNG (%d bytes)", len(png))
	}
	var back Report
	b, _ := os.ReadFile(filepath.Join(dir, ReportJSON))
	if err := json.Unmarshal(b, &back); err != nil || len(back.Methods) != 3 || *back.Optimum != -131.5 {
		t.Errorf("compare.json: %v %+v", err, back)
	}
}

func TestEvalMatches(t *testing.T) {
	p := &Plan{Env: "pendulum", EvalSeed: 11, Episodes: 100}
	ev := func(env string, seed, episodes float64) map[string]any {
		return map[string]any{"env": env, "seed": seed, "eval": map[string]any{"episodes": episodes, "mean_return": -140.0}}
	}
	cases := []struct {
		name string
		ev   map[string]any
		want bool
	}{
		{"same starts", ev("pendulum", 11, 100), true},
		{"other eval seed", ev("pendulum", 12, 100), false},
		{"other episodes", ev("pendulum", 11, 10), false},
		{"other env", ev("cartpole", 11, 100), false},
		{"missing file", map[string]any{}, false},
	}
	for _, c := range cases {
		if got := evalMatches(c.ev, p); got != c.want {
			t.Errorf("%s: evalMatches = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestPlotDegenerate draws the per-seed plot of comparisons gonum's
// defaults choke on (no method, no evaluated seed, one seed, NaN) and
// checks that the PNG decodes at the plot's size.
func TestPlotDegenerate(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		r    *Report
	}{
		{"no method", &Report{Env: "pendulum", Seeds: "1"}},
		{"nothing evaluated", &Report{Env: "pendulum", Seeds: "1-2", Methods: []MethodStats{{Rank: 1, Method: "bc"}}}},
		{"one seed", &Report{Env: "pendulum", Seeds: "1", Methods: []MethodStats{{Rank: 1, Method: "bc", Returns: []float64{-150}, IQM: ptr(-150.0), IQMCI: &Interval{-150, -150}}}}},
		{"NaN", &Report{Env: "pendulum", Seeds: "1-2", Optimum: ptr(-131.5), Methods: []MethodStats{{Rank: 1, Method: "bc", Returns: []float64{nan, -150}, IQM: ptr(nan), IQMCI: &Interval{nan, nan}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.r.plotPNG()
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			w, h := c.r.plotSize()
			if cfg.Width != int(w.Points()*96/72+0.5) || cfg.Height != int(h.Points()*96/72+0.5) {
				t.Errorf("PNG %dx%d, want %vx%v at 96 dpi", cfg.Width, cfg.Height, w, h)
			}
			if _, err := c.r.plotSVG(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
