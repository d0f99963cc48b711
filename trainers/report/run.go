package report

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
)

// methodWhat says in one line what method trains ("" for a method it
// does not know).
func methodWhat(method string) string {
	switch method {
	case "model":
		return "a neural dynamics model fitted to transitions collected in the environment (supervised regression of the state change)"
	case "mpc":
		return "model-predictive control with a learned dynamics model: collect data, fit the model, replan, repeat"
	case "bptt":
		return "a neural policy trained by backpropagation through time through the known or learned dynamics"
	case "gps":
		return "a neural policy by guided policy search: trajectory optimisation and policy regression tied by a Lagrangian (Levine & Koltun 2014)"
	case "lggps":
		return "a neural policy by guided policy search with local linear-Gaussian models fitted to real samples (Levine & Abbeel 2014)"
	case "bc":
		return "a neural policy by behaviour cloning: supervised regression on an expert controller's actions"
	case "dagger":
		return "a neural policy by DAgger: imitation of an expert controller on the states the policy itself visits (Ross et al. 2011)"
	case "plato":
		return "a neural policy by PLATO: imitation of an adaptive MPC teacher kept close to the learner (Kahn et al. 2017)"
	case "dyna":
		return "a Q-network by Dyna: DQN on real transitions and on simulated ones from a learned neural model (Sutton 1990)"
	case "dynaq":
		return "tabular Dyna-Q: Q-learning with planning steps from a learned table model (Sutton & Barto, Figure 8.2)"
	}
	return ""
}

// runPage builds the report of a run folder.
func runPage(dir string) (*page, error) {
	sum := map[string]any{}
	if err := readJSON(filepath.Join(dir, "summary.json"), &sum); err != nil && !isNotExist(err) {
		return nil, err
	}
	cfg, cfgVals, err := readConfig(filepath.Join(dir, "config.yaml"))
	if err != nil && !isNotExist(err) {
		return nil, err
	}
	method, env := str(sum["method"]), str(sum["env"])
	if method == "" {
		method = str(cfgVals["method"])
	}
	if env == "" {
		env = str(cfgVals["env"])
	}
	p := &page{Title: fmt.Sprintf("%s on %s", method, env), Generated: modTime(filepath.Join(dir, "summary.json"))}
	if s, ok := sum["seed"]; ok {
		p.Title += fmt.Sprintf(", seed %s", fmtValue(s))
	} else if s, ok := cfgVals["seed"]; ok {
		p.Title += fmt.Sprintf(", seed %v", s)
	}
	p.Subtitle = "mbrl run report: " + dir
	p.Glance = runGlance(method, env, sum, cfgVals)
	p.Command = runCommand(dir, cfg)

	figs, err := figures(dir)
	if err != nil {
		return nil, err
	}
	if len(figs) > 0 {
		p.Sections = append(p.Sections, section{ID: "plots", Title: "Plots", Figures: figs})
	}
	if len(cfg) > 0 {
		p.Sections = append(p.Sections, section{ID: "config", Title: "Effective configuration (config.yaml)",
			Text: "Every option of the run with the value it used, defaults included; rerun it with the command above.", KVs: cfg})
	}
	if len(sum) > 0 {
		p.Sections = append(p.Sections, section{ID: "summary", Title: "Summary (summary.json)",
			Text: "The JSON object 'mbrl train --json' printed at the end of the run.", KVs: sortedKVs(sum)})
	}
	for _, name := range []string{"metrics.csv", "steps_per_episode.csv", "conditions.csv"} {
		t, err := readCSV(filepath.Join(dir, name), 60)
		if err != nil && !isNotExist(err) {
			return nil, err
		}
		if t == nil {
			continue
		}
		text := "One row per training iteration, as the run wrote it."
		switch name {
		case "steps_per_episode.csv":
			text = "Steps per episode, mean over the runs, for each number of planning steps n."
		case "conditions.csv":
			text = "One row per iteration and starting condition."
		}
		p.Sections = append(p.Sections, section{ID: strings.TrimSuffix(name, ".csv"), Title: "Metrics (" + name + ")", Text: text, Table: t})
	}
	ck := filepath.Join(dir, "final.safetensors")
	if c, err := checkpoints.Load(ck); err == nil {
		var buf bytes.Buffer
		if err := c.Describe(&buf, ck); err == nil {
			p.Sections = append(p.Sections, section{ID: "checkpoint", Title: "Checkpoint (mbrl inspect " + ck + ")", Pre: buf.String()})
		}
	} else if exists(ck) {
		p.Sections = append(p.Sections, section{ID: "checkpoint", Title: "Checkpoint", Text: "final.safetensors cannot be read: " + err.Error()})
	} else {
		p.Sections = append(p.Sections, section{ID: "checkpoint", Title: "Checkpoint",
			Text: "This run wrote no final checkpoint (" + method + " keeps no neural weights, or the run did not finish)."})
	}
	return p, nil
}

// runGlance is the top box of a run: what was trained, how well, how long.
func runGlance(method, env string, sum, cfg map[string]any) []kv {
	what := methodWhat(method)
	if what == "" {
		what = method
	}
	out := []kv{{Key: "What was trained", Value: fmt.Sprintf("%s, on the environment %q (method %s).", capital(what), env, method)}}
	well := howWell(sum)
	if well == "" {
		well = "No final result recorded (the run did not finish: no summary.json)."
	}
	out = append(out, kv{Key: "How well", Value: well})
	long := "unknown"
	if s, ok := sum["wall_seconds"].(float64); ok {
		long = duration(s) + " of wall-clock time"
		var parts []string
		if n, ok := sum["iterations"].(float64); ok {
			parts = append(parts, fmt.Sprintf("%d iterations", int(n)))
		}
		for _, k := range []struct{ key, unit string }{{"env_steps", "real env steps"}, {"labels", "expert labels"}, {"samples", "transitions collected"}} {
			if v, ok := sum[k.key].(float64); ok {
				parts = append(parts, fmt.Sprintf("%s %s", fmtNum(v), k.unit))
			}
		}
		if r, ok := sum["runs"].(float64); ok && method == "dynaq" {
			parts = append(parts, fmt.Sprintf("%d runs of %v episodes", int(r), fmtValue(sum["episodes"])))
		}
		if len(parts) > 0 {
			long += " (" + strings.Join(parts, ", ") + ")"
		}
	}
	out = append(out, kv{Key: "How long", Value: long + "."})
	return out
}

// howWell states the result of a run in a sentence or two: the final
// evaluation with its spread and references, or the method's own
// measure when it has no policy to evaluate.
func howWell(sum map[string]any) string {
	var parts []string
	if ev, ok := sum["eval"].(map[string]any); ok {
		parts = append(parts, fmt.Sprintf("Final policy: mean return %s ± %s (std) over %s evaluation episodes; min %s, median %s, max %s (higher is better).",
			fmtValue(ev["mean_return"]), fmtValue(ev["std_return"]), fmtValue(ev["episodes"]),
			fmtValue(ev["min_return"]), fmtValue(ev["median_return"]), fmtValue(ev["max_return"])))
	}
	if v, ok := sum["expert_return"].(float64); ok {
		parts = append(parts, fmt.Sprintf("The expert it imitates: %s.", fmtNum(v)))
	}
	if v, ok := sum["optimum"].(float64); ok {
		parts = append(parts, fmt.Sprintf("Optimum on the same starts: %s.", fmtNum(v)))
	}
	if s, ok := sum["steps_to_threshold"].(float64); ok {
		parts = append(parts, fmt.Sprintf("Return %s first reached after %s real env steps.", fmtValue(sum["target_return"]), fmtNum(s)))
	}
	if v, ok := sum["val_mse"].(float64); ok {
		parts = append(parts, fmt.Sprintf("Model error on held-out episodes: one-step MSE %s (normalised state change)", fmtNum(v)))
		if r, ok := sum["rmse_by_horizon"].([]any); ok && len(r) > 0 {
			parts[len(parts)-1] += fmt.Sprintf(", open-loop RMSE %s after 1 step", fmtValue(r[0]))
		}
		for _, h := range []string{"10", "50"} {
			if r, ok := sum["rmse_"+h].(float64); ok {
				parts[len(parts)-1] += fmt.Sprintf(", %s after %s steps", fmtNum(r), h)
			}
		}
		parts[len(parts)-1] += " (observation units; lower is better)."
	}
	if g, ok := sum["greedy_path_length"].(map[string]any); ok {
		parts = append(parts, "Greedy path from start to goal after run 0, by planning steps n: "+fmtValue(g)+" steps (null: the greedy policy loops).")
	}
	if v, ok := sum["violation"].(float64); ok {
		parts = append(parts, fmt.Sprintf("Last constraint violation |π(x)−u|: %s.", fmtNum(v)))
	}
	return strings.Join(parts, " ")
}

// runCommand is the command line that reruns the run: the method and
// every option of config.yaml as a flag, then the shorter equivalent.
func runCommand(dir string, cfg []kv) []string {
	if len(cfg) == 0 {
		return nil
	}
	args := []string{"mbrl", "train"}
	for _, e := range cfg {
		if e.Key == "method" {
			args = append(args, shellQuote(e.Value))
		}
	}
	for _, e := range cfg {
		if e.Key != "method" && e.Key != "json" && e.Key != "quiet" {
			args = append(args, "--"+e.Key, shellQuote(e.Value))
		}
	}
	return []string{strings.Join(args, " "), "mbrl train --config " + shellQuote(filepath.Join(dir, "config.yaml")) + " --out NEW_FOLDER"}
}

func sortedKVs(m map[string]any) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{Key: k, Value: fmtValue(v)})
	}
	slicesSortKV(out)
	return out
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
