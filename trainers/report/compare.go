package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// compareJSON is the part of compare.json (compare.Report) a report
// shows.
type compareJSON struct {
	Env         string        `json:"env"`
	Seeds       string        `json:"seeds"`
	EvalSeed    uint64        `json:"eval_seed"`
	Episodes    int           `json:"episodes"`
	Resamples   int           `json:"bootstrap_resamples"`
	Optimum     *float64      `json:"optimum"`
	Methods     []methodStats `json:"methods"`
	Runs        []runResult   `json:"runs"`
	Missing     []string      `json:"missing"`
	Failed      []string      `json:"failed"`
	WallSeconds float64       `json:"wall_seconds"`
	Jobs        int           `json:"jobs"`
}

type interval struct{ Lo, Hi *float64 }

type methodStats struct {
	Rank            int       `json:"rank"`
	Method          string    `json:"method"`
	Runs            int       `json:"runs"`
	Evaluated       int       `json:"evaluated"`
	Mean            *float64  `json:"mean"`
	MeanCI          *interval `json:"mean_ci"`
	Median          *float64  `json:"median"`
	IQM             *float64  `json:"iqm"`
	IQMCI           *interval `json:"iqm_ci"`
	Worst           *float64  `json:"worst"`
	WorstSeed       *uint64   `json:"worst_seed"`
	GapPercent      *float64  `json:"gap_percent"`
	WallSeconds     *float64  `json:"wall_seconds"`
	EnvSteps        *float64  `json:"env_steps"`
	Labels          *float64  `json:"labels"`
	WorstGapPercent *float64  `json:"worst_gap_percent"`
}

type runResult struct {
	Method      string   `json:"method"`
	Seed        uint64   `json:"seed"`
	Status      string   `json:"status"`
	Return      *float64 `json:"return"`
	WallSeconds *float64 `json:"wall_seconds"`
	Dir         string   `json:"dir"`
	Error       string   `json:"error"`
}

// planJSON is the part of plan.json the command line needs.
type planJSON struct {
	Methods []string `json:"methods"`
}

func opt(v *float64, dec int) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.*f", dec, *v)
}

func ci(v *float64, c *interval) string {
	s := opt(v, 1)
	if v != nil && c != nil {
		s += " [" + opt(c.Lo, 1) + ", " + opt(c.Hi, 1) + "]"
	}
	return s
}

// comparePage builds the report of a comparison folder.
func comparePage(dir string) (*page, error) {
	var r compareJSON
	if err := readJSON(filepath.Join(dir, "compare.json"), &r); err != nil {
		return nil, err
	}
	var plan planJSON
	_ = readJSON(filepath.Join(dir, "plan.json"), &plan)
	p := &page{
		Title:     fmt.Sprintf("Comparison on %s: %d methods over seeds %s", r.Env, len(r.Methods), r.Seeds),
		Subtitle:  "mbrl compare report: " + dir,
		Generated: modTime(filepath.Join(dir, "compare.json")),
	}
	methods := plan.Methods
	if len(methods) == 0 {
		for _, m := range r.Methods {
			methods = append(methods, m.Method)
		}
	}
	p.Command = []string{fmt.Sprintf("mbrl compare --env %s --methods %s --seeds %s --eval-seed %d --out %s",
		shellQuote(r.Env), shellQuote(strings.Join(methods, ",")), shellQuote(r.Seeds), r.EvalSeed, shellQuote(dir))}

	names := make([]string, len(r.Methods))
	for i, m := range r.Methods {
		names[i] = m.Method
	}
	p.Glance = append(p.Glance, kv{Key: "What was compared", Value: fmt.Sprintf("%d training methods (%s) on %q, each trained once per seed (%s); every final policy evaluated on the same %d episodes (starts of eval seed %d).",
		len(r.Methods), strings.Join(names, ", "), r.Env, r.Seeds, r.Episodes, r.EvalSeed)})
	if len(r.Methods) > 0 && r.Methods[0].IQM != nil {
		b := r.Methods[0]
		well := fmt.Sprintf("Best: %s with interquartile mean return %s over %d/%d seeds (95%% CI in brackets; higher is better).", b.Method, ci(b.IQM, b.IQMCI), b.Evaluated, b.Runs)
		if r.Optimum != nil {
			well += fmt.Sprintf(" The optimum on the same starts is %.1f", *r.Optimum)
			if b.GapPercent != nil {
				well += fmt.Sprintf("; the best method's mean is %.1f%% from it", *b.GapPercent)
			}
			well += "."
		}
		p.Glance = append(p.Glance, kv{Key: "How well", Value: well})
	}
	var train float64
	for _, run := range r.Runs {
		if run.WallSeconds != nil {
			train += *run.WallSeconds
		}
	}
	p.Glance = append(p.Glance, kv{Key: "How long", Value: fmt.Sprintf("%s of training summed over %d runs; the comparison itself took %s.", duration(train), len(r.Runs), duration(r.WallSeconds))})

	lb := &table{Head: []string{"rank", "method", "seeds", "mean [95% CI]", "median", "IQM [95% CI]", "worst (seed)"},
		Note: fmt.Sprintf("Statistics over seeds of each seed's mean evaluation return; 95%% bootstrap confidence intervals (%d resamples of the seeds). IQM: interquartile mean.", r.Resamples)}
	if r.Optimum != nil {
		lb.Head = append(lb.Head, "gap to optimum %")
	}
	lb.Head = append(lb.Head, "train time per seed")
	for _, m := range r.Methods {
		worst := "-"
		if m.Worst != nil && m.WorstSeed != nil {
			worst = fmt.Sprintf("%s (%d)", opt(m.Worst, 1), *m.WorstSeed)
		}
		row := []cell{{Text: fmt.Sprint(m.Rank), Num: true}, {Text: m.Method}, {Text: fmt.Sprintf("%d/%d", m.Evaluated, m.Runs), Num: true},
			{Text: ci(m.Mean, m.MeanCI), Num: true}, {Text: opt(m.Median, 1), Num: true}, {Text: ci(m.IQM, m.IQMCI), Num: true}, {Text: worst, Num: true}}
		if r.Optimum != nil {
			row = append(row, cell{Text: opt(m.GapPercent, 1), Num: true})
		}
		t := "-"
		if m.WallSeconds != nil {
			t = duration(*m.WallSeconds)
		}
		row = append(row, cell{Text: t, Num: true})
		lb.Rows = append(lb.Rows, row)
	}
	if r.Optimum != nil {
		row := []cell{{Text: "-"}, {Text: "optimum (dynamic programming)"}, {Text: "-"}, {Text: opt(r.Optimum, 1), Num: true}, {Text: "-"}, {Text: "-"}, {Text: "-"}, {Text: "0.0", Num: true}, {Text: "-"}}
		lb.Rows = append(lb.Rows, row)
	}
	p.Sections = append(p.Sections, section{ID: "leaderboard", Title: "Leaderboard", Table: lb})

	figs, err := figures(dir)
	if err != nil {
		return nil, err
	}
	if len(figs) > 0 {
		p.Sections = append(p.Sections, section{ID: "plots", Title: "Return per seed", Figures: figs})
	}

	runs := &table{Head: []string{"method", "seed", "status", "return", "train time", "run folder"}}
	for _, run := range r.Runs {
		link := ""
		if rel, err := filepath.Rel(dir, filepath.Join(run.Dir, FileName)); err == nil && exists(filepath.Join(run.Dir, FileName)) {
			link = filepath.ToSlash(rel)
		}
		t := "-"
		if run.WallSeconds != nil {
			t = duration(*run.WallSeconds)
		}
		status := run.Status
		if run.Error != "" {
			status += ": " + run.Error
		}
		runs.Rows = append(runs.Rows, []cell{{Text: run.Method}, {Text: fmt.Sprint(run.Seed), Num: true}, {Text: status},
			{Text: opt(run.Return, 1), Num: true}, {Text: t, Num: true}, {Text: run.Dir, Link: link}})
	}
	p.Sections = append(p.Sections, section{ID: "runs", Title: "Runs", Text: "Each training run; its folder links to its own report.", Table: runs})
	if len(r.Failed)+len(r.Missing) > 0 {
		var kvs []kv
		for _, f := range r.Failed {
			kvs = append(kvs, kv{Key: "failed", Value: f})
		}
		for _, f := range r.Missing {
			kvs = append(kvs, kv{Key: "missing", Value: f})
		}
		p.Sections = append(p.Sections, section{ID: "problems", Title: "Failed and missing runs", KVs: kvs})
	}
	if b, err := os.ReadFile(filepath.Join(dir, "leaderboard.md")); err == nil {
		p.Sections = append(p.Sections, section{ID: "markdown", Title: "leaderboard.md (for a README or a paper)", Pre: string(b)})
	}
	return p, nil
}
