package bptt

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/trainers/run"
)

// WriteStudyCSV writes one row per horizon of r to path, and the per-step
// state-gradient norms of the longest horizon to path with the suffix
// _steps before its extension (a.csv -> a_steps.csv).
func WriteStudyCSV(path string, r *StudyResult) error {
	f := run.FormatFloat
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	_ = w.Write([]string{"horizon", "cost", "grad_norm", "grad_norm_p10", "grad_norm_p90", "grad_norm_max", "batch_grad_norm", "predicted_growth", "predicted_growth_log10"})
	for i, h := range r.Horizons {
		_ = w.Write([]string{strconv.Itoa(h), f(r.Cost[i]), f(r.GradNorm[i]), f(r.P10[i]), f(r.P90[i]), f(r.Max[i]), f(r.BatchNorm[i]), f(r.Predicted[i]), f(r.PredictedLog10[i])})
	}
	w.Flush()
	if err := checkpoints.WriteFileAtomic(path, []byte(sb.String())); err != nil {
		return err
	}
	sb.Reset()
	w = csv.NewWriter(&sb)
	_ = w.Write([]string{"t", "state_grad_norm", "state_predicted_growth"})
	for t := range r.StateGradNorm {
		_ = w.Write([]string{strconv.Itoa(t), f(r.StateGradNorm[t]), f(r.StatePredicted[t])})
	}
	w.Flush()
	return checkpoints.WriteFileAtomic(withSuffix(path, "_steps"), []byte(sb.String()))
}

// PlotStudy draws the gradient norms of r against the horizon (log-log,
// beside the growth the closed-loop Jacobians predict) into the PNG at
// path, and the per-step norms of the longest horizon into path with the
// suffix _steps.
func PlotStudy(path, env string, r *StudyResult) error {
	x := make([]float64, len(r.Horizons))
	for i, h := range r.Horizons {
		x[i] = float64(h)
	}
	err := run.SavePlot(path, run.PlotOptions{Title: "gradient norm vs horizon on " + env, XLabel: "horizon H", YLabel: "norm", LogX: true, LogY: true},
		run.Series{Name: "|dJ/dθ| mean over starts", X: x, Y: r.GradNorm},
		run.Series{Name: "p10", X: x, Y: r.P10},
		run.Series{Name: "p90", X: x, Y: r.P90},
		run.Series{Name: "σmax(Π closed-loop Jacobians)", X: x, Y: r.Predicted},
	)
	if err != nil {
		return err
	}
	ts := make([]float64, len(r.StateGradNorm))
	for t := range ts {
		ts[t] = float64(t)
	}
	return run.SavePlot(withSuffix(path, "_steps"), run.PlotOptions{Title: fmt.Sprintf("|dJ/dx_t| along H=%d on %s", len(ts), env), XLabel: "t", YLabel: "norm", LogY: true},
		run.Series{Name: "|dJ/dx_t|", X: ts, Y: r.StateGradNorm},
		run.Series{Name: "σmax(M_{H-1}···M_t)", X: ts, Y: r.StatePredicted},
	)
}

// withSuffix inserts suffix before path's extension: a.csv -> a_steps.csv.
func withSuffix(path, suffix string) string {
	if i := strings.LastIndex(path, "."); i > strings.LastIndex(path, "/") {
		return path[:i] + suffix + path[i:]
	}
	return path + suffix
}
