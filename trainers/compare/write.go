package compare

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Names of the files WriteFiles writes into the comparison folder.
const (
	LeaderboardCSV = "leaderboard.csv"
	LeaderboardMD  = "leaderboard.md"
	LeaderboardPNG = "leaderboard.png"
	RunsCSV        = "runs.csv"
	ReportJSON     = "compare.json"
)

// WriteFiles writes the leaderboard (CSV, Markdown, PNG), one row per run
// (runs.csv) and the report as JSON (compare.json) into dir, and records
// their paths in r.Files.
func (r *Report) WriteFiles(dir string) error {
	r.Files = nil
	for _, f := range []string{LeaderboardCSV, LeaderboardMD, LeaderboardPNG, RunsCSV, ReportJSON} {
		r.Files = append(r.Files, filepath.Join(dir, f))
	}
	writers := []struct {
		name string
		fn   func() ([]byte, error)
	}{
		{LeaderboardCSV, r.leaderboardCSV},
		{LeaderboardMD, func() ([]byte, error) { return []byte(r.Markdown()), nil }},
		{LeaderboardPNG, r.plotPNG},
		{RunsCSV, r.runsCSV},
		{ReportJSON, func() ([]byte, error) {
			b, err := json.MarshalIndent(r, "", "  ")
			return append(b, '\n'), err
		}},
	}
	for _, w := range writers {
		b, err := w.fn()
		if err != nil {
			return fmt.Errorf("compare: %s: %w", w.name, err)
		}
		if err := writeFileAtomic(filepath.Join(dir, w.name), b); err != nil {
			return err
		}
	}
	return nil
}

// fmtNum formats an optional number for CSV (full precision, empty for nil).
func fmtNum(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

func fmtInt[T int | uint64](v *T) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(*v)
}

func ciLo(ci *Interval) *float64 {
	if ci == nil {
		return nil
	}
	return finite(ci.Lo)
}

func ciHi(ci *Interval) *float64 {
	if ci == nil {
		return nil
	}
	return finite(ci.Hi)
}

// leaderboardHeader returns the columns of leaderboard.csv.
func leaderboardHeader() []string {
	return []string{"rank", "method", "runs", "evaluated", "failed", "missing",
		"mean", "mean_lo", "mean_hi", "median", "median_lo", "median_hi", "iqm", "iqm_lo", "iqm_hi",
		"worst", "worst_seed", "gap_percent", "worst_gap_percent", "successes",
		"wall_seconds", "env_steps", "labels",
		"target", "steps_to_target_median", "steps_to_target_lo", "steps_to_target_hi", "never_reached"}
}

// leaderboardCSV writes one row per method (rank order), then the optimum
// row (method "optimum") if there is one.
func (r *Report) leaderboardCSV() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := leaderboardHeader()
	_ = w.Write(header)
	for _, m := range r.Methods {
		row := []string{strconv.Itoa(m.Rank), m.Method, strconv.Itoa(m.Runs), strconv.Itoa(m.Evaluated),
			strconv.Itoa(m.Failed), strconv.Itoa(m.Missing),
			fmtNum(m.Mean), fmtNum(ciLo(m.MeanCI)), fmtNum(ciHi(m.MeanCI)),
			fmtNum(m.Median), fmtNum(ciLo(m.MedianCI)), fmtNum(ciHi(m.MedianCI)),
			fmtNum(m.IQM), fmtNum(ciLo(m.IQMCI)), fmtNum(ciHi(m.IQMCI)),
			fmtNum(m.Worst), fmtInt(m.WorstSeed), fmtNum(m.GapPercent), fmtNum(m.WorstGapPercent), fmtInt(m.Successes),
			fmtNum(m.WallSeconds), fmtNum(m.EnvSteps), fmtNum(m.Labels)}
		if t := m.Target; t != nil {
			row = append(row, fmtNum(&t.Target), fmtNum(t.Median), fmtNum(t.MedianLo), fmtNum(t.MedianHi), strconv.Itoa(t.Never))
		} else {
			row = append(row, "", "", "", "", "")
		}
		_ = w.Write(row)
	}
	if r.Optimum != nil {
		row := make([]string, len(header))
		row[slices.Index(header, "method")] = "optimum"
		row[slices.Index(header, "mean")] = fmtNum(r.Optimum)
		row[slices.Index(header, "gap_percent")] = "0"
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// runsCSV writes one row per run in job order.
func (r *Report) runsCSV() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"method", "seed", "status", "reused", "return", "gap_percent", "wall_seconds", "env_steps", "labels", "target", "steps_to_target", "dir", "error"})
	for _, run := range r.Runs {
		var gap *float64
		if r.Optimum != nil && run.Return != nil {
			gap = ptr(GapPercent(*run.Return, *r.Optimum))
		}
		steps := ""
		if run.Target != nil && run.TargetKnown {
			steps = "never"
			if run.StepsToTarget != nil {
				steps = fmtNum(run.StepsToTarget)
			}
		}
		_ = w.Write([]string{run.Method, strconv.FormatUint(run.Seed, 10), run.Status, strconv.FormatBool(run.Reused),
			fmtNum(run.Return), fmtNum(gap), fmtNum(run.WallSeconds), fmtNum(run.EnvSteps), fmtNum(run.Labels),
			fmtNum(run.Target), steps, run.Dir, run.Error})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// md formats an optional number with the given decimals ("-" for nil).
func md(v *float64, dec int) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', dec, 64)
}

func mdCI(v *float64, ci *Interval, dec int) string {
	if v == nil {
		return "-"
	}
	s := md(v, dec)
	if ci != nil {
		s += " [" + mdNever(finite(ci.Lo), dec) + ", " + mdNever(finite(ci.Hi), dec) + "]"
	}
	return s
}

func mdNever(v *float64, dec int) string {
	if v == nil {
		return "never"
	}
	return md(v, dec)
}

// Markdown returns the leaderboard as Markdown: the ranked table, the
// optimum, the per-seed returns, the steps to the target if any, and the
// failed and missing runs.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Leaderboard: %s\n\n", r.Env)
	fmt.Fprintf(&b, "Seeds %s; every final policy evaluated on the %d starts of `mbrl eval --seed %d`. "+
		"Mean, median and IQM (interquartile mean) over seeds of the mean evaluation return, with 95%% "+
		"bootstrap confidence intervals (%d resamples of the seeds).", r.Seeds, r.Episodes, r.EvalSeed, r.Resamples)
	if r.Optimum != nil {
		fmt.Fprintf(&b, " Gap: distance of the mean to the optimum (%.2f on the same starts) in %% of the optimum; "+
			"worst gap: that of the worst seed; within %d%%: seeds within %d%% of the optimum.", *r.Optimum, SuccessGapPercent, SuccessGapPercent)
	}
	b.WriteString(" Wall time, env steps and labels: means per training run.\n\n")
	b.WriteString("| rank | method | seeds | mean [95% CI] | median | IQM [95% CI] | worst (seed) |")
	if r.Optimum != nil {
		b.WriteString(" gap % | worst gap % | within 5% |")
	}
	b.WriteString(" wall s | env steps | labels |\n|---:|---|---:|---:|---:|---:|---:|")
	if r.Optimum != nil {
		b.WriteString("---:|---:|---:|")
	}
	b.WriteString("---:|---:|---:|\n")
	for _, m := range r.Methods {
		worst := "-"
		if m.Worst != nil {
			worst = fmt.Sprintf("%s (%d)", md(m.Worst, 1), *m.WorstSeed)
		}
		seeds := fmt.Sprintf("%d/%d", m.Evaluated, m.Runs)
		fmt.Fprintf(&b, "| %d | `%s` | %s | %s | %s | %s | %s |", m.Rank, m.Method, seeds,
			mdCI(m.Mean, m.MeanCI, 1), md(m.Median, 1), mdCI(m.IQM, m.IQMCI, 1), worst)
		if r.Optimum != nil {
			succ := "-"
			if m.Successes != nil {
				succ = fmt.Sprintf("%d/%d", *m.Successes, m.Evaluated)
			}
			fmt.Fprintf(&b, " %s | %s | %s |", md(m.GapPercent, 1), md(m.WorstGapPercent, 1), succ)
		}
		fmt.Fprintf(&b, " %s | %s | %s |\n", md(m.WallSeconds, 1), md(m.EnvSteps, 0), md(m.Labels, 0))
	}
	if r.Optimum != nil {
		fmt.Fprintf(&b, "| - | optimum | - | %s | - | - | - | 0.0 | - | - | - | - | - |\n", md(r.Optimum, 1))
	}
	if r.WallSeconds > 0 {
		train := 0.0
		for _, run := range r.Runs {
			if run.WallSeconds != nil {
				train += *run.WallSeconds
			}
		}
		fmt.Fprintf(&b, "\n%d runs", len(r.Runs))
		if r.Jobs > 0 {
			fmt.Fprintf(&b, ", %d at a time", r.Jobs)
		}
		fmt.Fprintf(&b, "; training wall time summed over runs %.0f s; this invocation took %.0f s (finished runs are reused, not rerun).\n", train, r.WallSeconds)
	}
	r.markdownTargets(&b)
	r.markdownSeeds(&b)
	if len(r.Failed) > 0 {
		b.WriteString("\n## Failed runs\n\n")
		for _, f := range r.Failed {
			fmt.Fprintf(&b, "- %s\n", f)
		}
	}
	if len(r.Missing) > 0 {
		b.WriteString("\n## Missing runs\n\n")
		for _, f := range r.Missing {
			fmt.Fprintf(&b, "- %s\n", f)
		}
	}
	return b.String()
}

func (r *Report) markdownTargets(b *strings.Builder) {
	any := false
	for _, m := range r.Methods {
		if m.Target != nil {
			any = true
		}
	}
	if !any {
		return
	}
	b.WriteString("\n## Real env steps to reach the target\n\n" +
		"First evaluation during training whose mean return reaches the target; a seed that never did counts as " +
		"infinitely many steps in the median and its 95% bootstrap CI.\n\n" +
		"| method | target | median [95% CI] | never | per seed |\n|---|---:|---:|---:|---|\n")
	for _, m := range r.Methods {
		t := m.Target
		if t == nil {
			continue
		}
		var per []string
		for i, s := range t.Steps {
			per = append(per, fmt.Sprintf("%d: %s", t.Seeds[i], mdNever(s, 0)))
		}
		fmt.Fprintf(b, "| `%s` | %g | %s [%s, %s] | %d/%d | %s |\n", m.Method, t.Target,
			mdNever(t.Median, 0), mdNever(t.MedianLo, 0), mdNever(t.MedianHi, 0), t.Never, len(t.Steps), strings.Join(per, ", "))
	}
}

func (r *Report) markdownSeeds(b *strings.Builder) {
	seeds, _ := ParseSeeds(r.Seeds)
	if len(seeds) == 0 {
		return
	}
	b.WriteString("\n## Return per seed\n\n| method |")
	for _, s := range seeds {
		fmt.Fprintf(b, " %d |", s)
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(seeds)) + "\n")
	for _, m := range r.Methods {
		cells := map[uint64]string{}
		for _, run := range r.Runs {
			if run.Method != m.Method {
				continue
			}
			switch {
			case run.Return != nil:
				cells[run.Seed] = md(run.Return, 1)
			case run.Status == StatusFailed:
				cells[run.Seed] = "failed"
			case run.Status == StatusMissing:
				cells[run.Seed] = "missing"
			default:
				cells[run.Seed] = "no policy"
			}
		}
		fmt.Fprintf(b, "| `%s` |", m.Method)
		for _, s := range seeds {
			fmt.Fprintf(b, " %s |", cells[s])
		}
		b.WriteString("\n")
	}
}
