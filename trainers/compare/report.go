package compare

import (
	"hash/fnv"
	"math"
	"slices"
)

// Report is the result of a comparison: one MethodStats per method spec,
// ranked by IQM, the optimum on the same starts if the env has one, and
// every run. It is the JSON summary "mbrl compare --json" prints.
type Report struct {
	Command   string   `json:"command"`
	Env       string   `json:"env"`
	Dir       string   `json:"dir"`
	Seeds     string   `json:"seeds"`
	EvalSeed  uint64   `json:"eval_seed"`
	Episodes  int      `json:"episodes"`
	Resamples int      `json:"bootstrap_resamples"`
	Optimum   *float64 `json:"optimum"`
	// Methods are ranked by IQM, best first; methods without any evaluated
	// run come last, in the order given.
	Methods []MethodStats `json:"methods"`
	// Runs are in job order.
	Runs []RunResult `json:"runs"`
	// Missing lists the run folders not trained yet, Failed the failed
	// runs as "DIR: phase: message".
	Missing []string `json:"missing"`
	Failed  []string `json:"failed"`
	// WallSeconds is the wall time of the comparison (or the collection)
	// itself, and Jobs the processes it ran at a time (0 when unknown).
	WallSeconds float64 `json:"wall_seconds"`
	Jobs        int     `json:"jobs,omitempty"`
	// Files names the leaderboard files written by WriteFiles.
	Files []string `json:"files,omitempty"`
}

// MethodStats summarises one method spec over its seeds. Statistics are
// over the mean evaluation returns of the seeds that were evaluated;
// optional fields are null when no seed provides them.
type MethodStats struct {
	Rank   int    `json:"rank"`
	Method string `json:"method"`
	// Runs is the number of seeds planned; Evaluated, Failed and Missing
	// split them.
	Runs      int `json:"runs"`
	Evaluated int `json:"evaluated"`
	Failed    int `json:"failed"`
	Missing   int `json:"missing"`
	// Seeds and Returns list the evaluated seeds and their mean returns.
	Seeds    []uint64  `json:"seeds"`
	Returns  []float64 `json:"returns"`
	Mean     *float64  `json:"mean"`
	MeanCI   *Interval `json:"mean_ci"`
	Median   *float64  `json:"median"`
	MedianCI *Interval `json:"median_ci"`
	IQM      *float64  `json:"iqm"`
	IQMCI    *Interval `json:"iqm_ci"`
	// Worst is the lowest return over seeds, at WorstSeed.
	Worst     *float64 `json:"worst"`
	WorstSeed *uint64  `json:"worst_seed"`
	// GapPercent is the gap of the mean to the optimum, WorstGapPercent
	// that of the worst seed; Successes counts the seeds within
	// SuccessGapPercent of the optimum. All three need an optimum.
	GapPercent      *float64 `json:"gap_percent"`
	WorstGapPercent *float64 `json:"worst_gap_percent"`
	Successes       *int     `json:"successes"`
	// WallSeconds, EnvSteps and Labels are means over the trained seeds of
	// the training wall time, real env steps and expert labels.
	WallSeconds *float64 `json:"wall_seconds"`
	EnvSteps    *float64 `json:"env_steps"`
	Labels      *float64 `json:"labels"`
	// Target is set when the runs count the real steps to reach a target
	// return.
	Target *TargetSummary `json:"target,omitempty"`
}

// TargetSummary is TargetStats in JSON form: +Inf ("never") becomes null.
type TargetSummary struct {
	Target float64 `json:"target"`
	// Seeds and Steps list the seeds whose runs record it, with their
	// steps (null: never reached).
	Seeds    []uint64   `json:"seeds"`
	Steps    []*float64 `json:"steps"`
	Median   *float64   `json:"median"`
	MedianLo *float64   `json:"median_lo"`
	MedianHi *float64   `json:"median_hi"`
	Never    int        `json:"never"`
}

// bootstrapSeed seeds every bootstrap; the stream is a hash of the method
// spec, so a method's interval does not depend on the other methods.
const bootstrapSeed = 0x6d62726c

func bootstrapConfig(method string) BootstrapConfig {
	h := fnv.New64a()
	h.Write([]byte(method))
	return BootstrapConfig{Resamples: DefaultResamples, Seed: bootstrapSeed, Stream: h.Sum64()}
}

// Summarise computes the report of plan p from its run results (in job
// order) and the optimum (nil if the env has none).
func Summarise(p *Plan, runs []RunResult, opt *Optimum) *Report {
	rep := &Report{
		Command: "compare", Env: p.Env, Dir: p.Dir, Seeds: FormatSeeds(p.Seeds),
		EvalSeed: p.EvalSeed, Episodes: p.Episodes, Resamples: DefaultResamples,
		Runs: runs, Missing: []string{}, Failed: []string{},
	}
	if opt != nil {
		rep.Optimum = ptr(opt.MeanReturn)
	}
	for _, r := range runs {
		switch r.Status {
		case StatusMissing:
			rep.Missing = append(rep.Missing, r.Dir)
		case StatusFailed:
			rep.Failed = append(rep.Failed, r.Dir+": "+r.Error)
		}
	}
	for _, sp := range p.Methods {
		var mine []RunResult
		for _, r := range runs {
			if r.Method == sp.Text {
				mine = append(mine, r)
			}
		}
		rep.Methods = append(rep.Methods, methodStats(sp.Text, mine, rep.Optimum))
	}
	slices.SortStableFunc(rep.Methods, func(a, b MethodStats) int {
		switch {
		case a.IQM == nil && b.IQM == nil:
			return 0
		case a.IQM == nil:
			return 1
		case b.IQM == nil:
			return -1
		case *a.IQM > *b.IQM:
			return -1
		case *a.IQM < *b.IQM:
			return 1
		}
		return 0
	})
	for i := range rep.Methods {
		rep.Methods[i].Rank = i + 1
	}
	return rep
}

func methodStats(name string, runs []RunResult, opt *float64) MethodStats {
	m := MethodStats{Method: name, Runs: len(runs), Seeds: []uint64{}, Returns: []float64{}}
	var wall, steps, labels []float64
	var tgt *TargetSummary
	var tsteps []float64
	for _, r := range runs {
		switch r.Status {
		case StatusFailed:
			m.Failed++
		case StatusMissing:
			m.Missing++
		}
		if r.Return != nil {
			m.Evaluated++
			m.Seeds = append(m.Seeds, r.Seed)
			m.Returns = append(m.Returns, *r.Return)
		}
		if r.Status == StatusMissing || r.Status == StatusFailed && r.WallSeconds == nil {
			continue
		}
		if r.WallSeconds != nil {
			wall = append(wall, *r.WallSeconds)
		}
		if r.EnvSteps != nil {
			steps = append(steps, *r.EnvSteps)
		}
		if r.Labels != nil {
			labels = append(labels, *r.Labels)
		}
		if r.Target != nil && r.TargetKnown {
			if tgt == nil {
				tgt = &TargetSummary{Target: *r.Target, Seeds: []uint64{}, Steps: []*float64{}}
			}
			if *r.Target != tgt.Target {
				continue // a run with another target (a changed default): not comparable
			}
			s := math.Inf(1)
			if r.StepsToTarget != nil {
				s = *r.StepsToTarget
			}
			tgt.Seeds = append(tgt.Seeds, r.Seed)
			tgt.Steps = append(tgt.Steps, finite(s))
			tsteps = append(tsteps, s)
		}
	}
	m.WallSeconds = finite(Mean(wall))
	m.EnvSteps = finite(Mean(steps))
	m.Labels = finite(Mean(labels))
	if tgt != nil {
		ts := StepsToTarget(tgt.Target, tsteps, bootstrapConfig(name))
		tgt.Median, tgt.MedianLo, tgt.MedianHi, tgt.Never = finite(ts.Median), finite(ts.CI.Lo), finite(ts.CI.Hi), ts.Never
		m.Target = tgt
	}
	if m.Evaluated == 0 {
		return m
	}
	x := m.Returns
	cfg := bootstrapConfig(name)
	strata := [][]float64{x}
	m.Mean, m.MeanCI = ptr(Mean(x)), ptr(BootstrapCI(strata, Mean, cfg))
	m.Median, m.MedianCI = ptr(Median(x)), ptr(BootstrapCI(strata, Median, cfg))
	m.IQM, m.IQMCI = ptr(IQM(x)), ptr(BootstrapCI(strata, IQM, cfg))
	w := 0
	for i, v := range x {
		if v < x[w] {
			w = i
		}
	}
	m.Worst, m.WorstSeed = ptr(x[w]), ptr(m.Seeds[w])
	if opt != nil {
		m.GapPercent = ptr(GapPercent(*m.Mean, *opt))
		m.WorstGapPercent = ptr(GapPercent(x[w], *opt))
		m.Successes = ptr(Successes(x, *opt))
	}
	return m
}

func ptr[T any](v T) *T { return &v }

// finite returns &v, or nil for NaN and infinities.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
