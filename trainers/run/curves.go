package run

import (
	"fmt"
	"math"
	"slices"
)

// Quantity describes a metric for plots: metrics of the same Group share
// a panel, whose y label (with its unit) is Label.
type Quantity struct {
	Group, Label string
}

// Describe returns the quantity of the named metric of a run (the metric
// itself for a name it does not know).
func Describe(metric string) Quantity {
	switch metric {
	case "eval_return", "expert_return", "bc_return", "train_return", "return", "sample_return", "episode_return":
		return Quantity{"return", "return per episode (sum of rewards)"}
	case "traj_cost", "policy_cost":
		return Quantity{"cost", "trajectory cost (sum over steps)"}
	case "violation", "violation_rms":
		return Quantity{"violation", "violation |π(x)−u| (action units)"}
	case "kl_step", "epsilon":
		return Quantity{"kl", "KL per time step (nats)"}
	case "loss", "val_mse":
		return Quantity{"loss", "loss (training objective)"}
	case "grad_norm":
		return Quantity{"grad_norm", "gradient norm |dJ/dθ| (before clipping)"}
	case "q_loss":
		return Quantity{"q_loss", "Q loss (TD error², mean)"}
	case "iter":
		return Quantity{"iter", "iteration"}
	case "labels":
		return Quantity{"labels", "expert labels (actions queried)"}
	case "env_steps":
		return Quantity{"env_steps", "real env steps"}
	}
	return Quantity{metric, metric}
}

// seriesName is the legend entry of a metric of a learning curve.
func seriesName(metric string) string {
	switch metric {
	case "eval_return":
		return "policy (evaluation, mean ± std)"
	case "expert_return":
		return "expert"
	case "bc_return":
		return "behaviour cloning (same labels)"
	case "train_return":
		return "training rollouts"
	case "return":
		return "collected episodes"
	case "sample_return":
		return "sampled trajectories"
	case "episode_return":
		return "real episodes (policy + noise)"
	case "traj_cost":
		return "optimised trajectories"
	case "policy_cost":
		return "policy, same starts"
	case "val_mse":
		return "validation MSE"
	case "loss":
		return "training loss"
	case "violation":
		return "mean |π(x)−u|"
	case "violation_rms":
		return "RMS |π(x)−u|"
	case "grad_norm":
		return "gradient norm"
	case "kl_step":
		return "KL step"
	case "epsilon":
		return "KL bound ε"
	}
	return metric
}

// HistoryFigure draws the named metrics of h against the metric x, one
// panel per quantity (Describe) in the order the metrics first appear;
// eval_return gets the band eval_return ± eval_std. A panel whose values
// are all positive and span two decades or more is drawn on a log axis.
// Rows that lack a metric are skipped.
func HistoryFigure(title, x string, cols []string, h History) *Figure {
	f := &Figure{Title: title, XLabel: Describe(x).Label}
	at := map[string]int{}
	for _, c := range cols {
		q := Describe(c)
		i, ok := at[q.Group]
		if !ok {
			i = len(f.Panels)
			at[q.Group] = i
			f.Panels = append(f.Panels, Panel{YLabel: q.Label})
		}
		s := Series{Name: seriesName(c)}
		if c == "expert_return" {
			s.Dashed = true
		}
		band := c == "eval_return"
		for _, row := range h {
			v, ok := row[c]
			if !ok {
				continue
			}
			s.X, s.Y = append(s.X, row[x]), append(s.Y, v)
			if band {
				sd, ok := row["eval_std"]
				if !ok {
					sd = math.NaN()
				}
				s.Lo, s.Hi = append(s.Lo, v-sd), append(s.Hi, v+sd)
			}
		}
		f.Panels[i].Series = append(f.Panels[i].Series, s)
	}
	for i := range f.Panels {
		f.Panels[i].LogY = wideAndPositive(f.Panels[i].Series)
	}
	if i, ok := at["loss"]; ok && slices.Contains(cols, "val_mse") {
		// A dynamics model's training loss and validation error are both
		// the MSE of its normalised predicted state change.
		f.Panels[i].YLabel = "MSE of the normalised Δstate"
	}
	return f
}

// wideAndPositive reports whether every finite y of ss is positive and
// they span at least two decades.
func wideAndPositive(ss []Series) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, y := range s.Y {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			if y <= 0 {
				return false
			}
			lo, hi = math.Min(lo, y), math.Max(hi, y)
		}
	}
	return hi/lo >= 100
}

// PlotHistory draws HistoryFigure(title, x, cols, h) with caption into
// the PNG at path and its SVG twin (SaveFigure).
func PlotHistory(path, title, x, caption string, cols []string, h History) error {
	f := HistoryFigure(title, x, cols, h)
	f.Caption = caption
	return SaveFigure(path, f)
}

// evalCaption says what the evaluation points of a learning curve are:
// the mean return over how many episodes, on which starts, with which
// spread.
func evalCaption(seed uint64, episodes, final int, byRun bool) string {
	s := fmt.Sprintf("Evaluation points: mean return of the policy over %d episodes", episodes)
	if byRun && final != episodes {
		s += fmt.Sprintf(" (the last point: %d episodes)", final)
	}
	if byRun {
		s += fmt.Sprintf(" from the starts of eval seed %d", seed)
	}
	return s + "; bars and band: ± 1 standard deviation over those episodes."
}

// curveTitle is the title of a run's learning curve.
func (t Training) curveTitle(r *Run) string {
	return fmt.Sprintf("%s on %s (seed %d): learning curve over %d iterations", r.Method, r.Env, r.Seed, t.Iters)
}

// curveCaption is the caption of a run's learning curve: what its
// evaluation points are, when it draws them.
func (t Training) curveCaption(r *Run) string {
	if !slices.Contains(t.Plot, "eval_return") {
		return ""
	}
	n := t.EvalEpisodes
	if n <= 0 {
		n = 10
	}
	final := t.FinalEpisodes
	if final <= 0 {
		final = n
	}
	return evalCaption(r.Seed, n, final, t.EvalPolicy != nil)
}
