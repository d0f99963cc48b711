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

	"github.com/mbrl/mbrl/trainers/report"
)

// Names of the files WriteFiles writes into the comparison folder.
const (
	LeaderboardCSV = "leaderboard.csv"
	LeaderboardMD  = "leaderboard.md"
	LeaderboardPNG = "leaderboard.png"
	LeaderboardSVG = "leaderboard.svg"
	RunsCSV        = "runs.csv"
	ReportJSON     = "compare.json"
)

// WriteFiles writes the leaderboard (CSV, Markdown, PNG and SVG), one row per run
// (runs.csv) and the report as JSON (compare.json) into dir, and records
// their paths in r.Files, then the HTML report (report.html) that shows
// them.
func (r *Report) WriteFiles(dir string) error {
	r.Files = nil
	for _, f := range []string{LeaderboardCSV, LeaderboardMD, LeaderboardPNG, LeaderboardSVG, RunsCSV, ReportJSON} {
		r.Files = append(r.Files, filepath.Join(dir, f))
	}
	writers := []struct {
		name string
		fn   func() ([]byte, error)
	}{
		{LeaderboardCSV, r.leaderboardCSV},
		{LeaderboardMD, func() ([]byte, error) { return []byte(r.Markdown()), nil }},
		{LeaderboardPNG, r.plotPNG},
		{LeaderboardSVG, r.plotSVG},
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
	// The HTML page reads the files above.
	p, err := report.Write(dir)
	if err != nil {
		return err
	}
	r.Files = append(r.Files, p)
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
	b.WriteString(" Wall time, env steps and labels (where reported): means per training run.\n\n")
	r.markdownTable(&b)
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

// mdColumn is one column of the Markdown leaderboard: its header, its
// cell for a method and for the optimum row.
type mdColumn struct {
	header  string
	cell    func(m MethodStats) string
	optimum string
}

// markdownTable writes the ranked table; the gap columns appear with an
// optimum, and wall time, env steps and labels when some method has them.
func (r *Report) markdownTable(b *strings.Builder) {
	cols := []mdColumn{
		{"rank", func(m MethodStats) string { return strconv.Itoa(m.Rank) }, "-"},
		{"method", func(m MethodStats) string { return "`" + m.Method + "`" }, "optimum"},
		{"seeds", func(m MethodStats) string { return fmt.Sprintf("%d/%d", m.Evaluated, m.Runs) }, "-"},
		{"mean [95% CI]", func(m MethodStats) string { return mdCI(m.Mean, m.MeanCI, 1) }, md(r.Optimum, 1)},
		{"median", func(m MethodStats) string { return md(m.Median, 1) }, "-"},
		{"IQM [95% CI]", func(m MethodStats) string { return mdCI(m.IQM, m.IQMCI, 1) }, "-"},
		{"worst (seed)", func(m MethodStats) string {
			if m.Worst == nil {
				return "-"
			}
			return fmt.Sprintf("%s (%d)", md(m.Worst, 1), *m.WorstSeed)
		}, "-"},
	}
	if r.Optimum != nil {
		cols = append(cols,
			mdColumn{"gap %", func(m MethodStats) string { return md(m.GapPercent, 1) }, "0.0"},
			mdColumn{"worst gap %", func(m MethodStats) string { return md(m.WorstGapPercent, 1) }, "-"},
			mdColumn{fmt.Sprintf("within %d%%", SuccessGapPercent), func(m MethodStats) string {
				if m.Successes == nil {
					return "-"
				}
				return fmt.Sprintf("%d/%d", *m.Successes, m.Evaluated)
			}, "-"})
	}
	optional := []struct {
		header string
		get    func(m MethodStats) *float64
		dec    int
	}{
		{"wall s", func(m MethodStats) *float64 { return m.WallSeconds }, 1},
		{"env steps", func(m MethodStats) *float64 { return m.EnvSteps }, 0},
		{"labels", func(m MethodStats) *float64 { return m.Labels }, 0},
	}
	for _, o := range optional {
		for _, m := range r.Methods {
			if o.get(m) != nil {
				cols = append(cols, mdColumn{o.header, func(m MethodStats) string { return md(o.get(m), o.dec) }, "-"})
				break
			}
		}
	}
	row := func(cells []string) { b.WriteString("| " + strings.Join(cells, " | ") + " |\n") }
	cells := make([]string, len(cols))
	for i, c := range cols {
		cells[i] = c.header
	}
	row(cells)
	for i, c := range cols {
		cells[i] = "---:"
		if c.header == "method" {
			cells[i] = "---"
		}
	}
	b.WriteString("|" + strings.Join(cells, "|") + "|\n")
	for _, m := range r.Methods {
		for i, c := range cols {
			cells[i] = c.cell(m)
		}
		row(cells)
	}
	if r.Optimum != nil {
		for i, c := range cols {
			cells[i] = c.optimum
		}
		row(cells)
	}
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
