package bptt

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/trainers/run"
)

// WriteStudyFiles writes the CSV files of r to csvPath (WriteStudyCSV)
// and its plots to pngPath (PlotStudy) for the named env; an empty path
// writes nothing.
func WriteStudyFiles(csvPath, pngPath, env string, r *StudyResult) error {
	if csvPath != "" {
		if err := WriteStudyCSV(csvPath, r); err != nil {
			return err
		}
	}
	if pngPath == "" {
		return nil
	}
	return PlotStudy(pngPath, env, r)
}

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
	if err := StudyFigure(env, r).WriteFile(path); err != nil {
		return err
	}
	return StepsFigure(env, r).WriteFile(withSuffix(path, "_steps"))
}

// StudyFigure is the figure of PlotStudy against the horizon: the
// gradient norm (mean over starts, with the 10th to 90th percentile band)
// in one panel, the growth the closed-loop Jacobians predict in another,
// both on log-log axes.
func StudyFigure(env string, r *StudyResult) *run.Figure {
	x := make([]float64, len(r.Horizons))
	for i, h := range r.Horizons {
		x[i] = float64(h)
	}
	return &run.Figure{
		Title:  fmt.Sprintf("BPTT gradient norm against the horizon on %s (%d starts, %d policy parameters)", env, r.Starts, r.Params),
		XLabel: "horizon H (time steps unrolled)",
		Caption: fmt.Sprintf("Top: norm of the gradient of the H-step cost w.r.t. the policy parameters, mean over %d start states; "+
			"bars and band: 10th to 90th percentile over the starts. Bottom: largest singular value of the product of the "+
			"closed-loop state Jacobians along the mean trajectory, the growth that theory predicts.", r.Starts),
		Panels: []run.Panel{
			{YLabel: "|dJ/dθ| (cost units per parameter unit)", LogX: true, LogY: true,
				Series: []run.Series{{Name: "mean over starts (p10–p90)", X: x, Y: r.GradNorm, Lo: r.P10, Hi: r.P90}}},
			{YLabel: "σmax(Π M_t) (dimensionless)", LogX: true, LogY: true,
				Series: []run.Series{{Name: "predicted growth", X: x, Y: r.Predicted, Dashed: true}}},
		},
	}
}

// StepsFigure is the figure of the per-step norms of r's longest horizon:
// |dJ/dx_t| in one panel, σmax(M_{H-1}···M_t) in another, log y.
func StepsFigure(env string, r *StudyResult) *run.Figure {
	ts := make([]float64, len(r.StateGradNorm))
	for t := range ts {
		ts[t] = float64(t)
	}
	return &run.Figure{
		Title:  fmt.Sprintf("State gradient along one unrolled horizon H=%d on %s (%d starts)", len(ts), env, r.Starts),
		XLabel: "time step t",
		Caption: fmt.Sprintf("Top: norm of the gradient of the H-step cost w.r.t. the state at step t, mean over %d starts. "+
			"Bottom: largest singular value of the product of the closed-loop Jacobians from step t to the end.", r.Starts),
		Panels: []run.Panel{
			{YLabel: "|dJ/dx_t| (cost per state unit)", LogY: true, Series: []run.Series{{Name: "mean over starts", X: ts, Y: r.StateGradNorm}}},
			{YLabel: "σmax(M_{H-1}···M_t)", LogY: true, Series: []run.Series{{Name: "predicted growth", X: ts, Y: r.StatePredicted, Dashed: true}}},
		},
	}
}

// withSuffix inserts suffix before path's extension: a.csv -> a_steps.csv.
func withSuffix(path, suffix string) string {
	if i := strings.LastIndex(path, "."); i > strings.LastIndex(path, "/") {
		return path[:i] + suffix + path[i:]
	}
	return path + suffix
}

// MaxStudyHorizon bounds the horizons of a study (memory is linear in H
// times the number of starts).
const MaxStudyHorizon = 100000

// CheckHorizons checks the horizons of a study: at least one, each in
// 1..MaxStudyHorizon, none twice.
func CheckHorizons(hs []int) error {
	if len(hs) == 0 {
		return errors.New("bptt: no horizons")
	}
	seen := map[int]bool{}
	for _, h := range hs {
		if h < 1 || h > MaxStudyHorizon {
			return fmt.Errorf("bptt: horizon %d is outside 1..%d", h, MaxStudyHorizon)
		}
		if seen[h] {
			return fmt.Errorf("bptt: horizon %d appears twice", h)
		}
		seen[h] = true
	}
	return nil
}

// Fields returns r as JSON-ready fields: starts, params, horizons and the
// per-horizon and per-step series, with NaN and infinite values (which
// JSON lacks) as null.
func (r *StudyResult) Fields() map[string]any {
	return map[string]any{
		"starts": r.Starts, "params": r.Params, "horizons": r.Horizons,
		"cost": finiteOrNull(r.Cost), "grad_norm": finiteOrNull(r.GradNorm),
		"grad_norm_p10": finiteOrNull(r.P10), "grad_norm_p90": finiteOrNull(r.P90), "grad_norm_max": finiteOrNull(r.Max),
		"batch_grad_norm": finiteOrNull(r.BatchNorm), "predicted_growth": finiteOrNull(r.Predicted),
		"predicted_growth_log10": finiteOrNull(r.PredictedLog10),
		"state_grad_norm":        finiteOrNull(r.StateGradNorm), "state_predicted_growth": finiteOrNull(r.StatePredicted),
	}
}

func finiteOrNull(v []float64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out[i] = x
		}
	}
	return out
}

// WriteTable writes r as a text table to w: one row per horizon, then
// about a dozen steps of the longest horizon's per-step norms. dyn names
// the dynamics and env the environment in the heading.
func (r *StudyResult) WriteTable(w io.Writer, dyn, env string) {
	fmt.Fprintf(w, "gradient of the H-step cost w.r.t. %d policy parameters, %s dynamics, %d starts on %s\n", r.Params, dyn, r.Starts, env)
	fmt.Fprintf(w, "%6s %10s %11s %11s %11s %11s %11s %12s\n", "H", "cost", "|g| mean", "p10", "p90", "max", "|g| batch", "σmax(ΠM_t)")
	for i, h := range r.Horizons {
		pred := fmt.Sprintf("%.3g", r.Predicted[i])
		if math.IsInf(r.Predicted[i], 0) {
			pred = fmt.Sprintf("1e%.1f", r.PredictedLog10[i])
		}
		fmt.Fprintf(w, "%6d %10.4g %11.4g %11.4g %11.4g %11.4g %11.4g %12s\n", h, r.Cost[i], r.GradNorm[i], r.P10[i], r.P90[i], r.Max[i], r.BatchNorm[i], pred)
	}
	hmax := r.Horizons[len(r.Horizons)-1]
	fmt.Fprintf(w, "|dJ/dx_t| for H=%d (mean over starts) beside σmax(M_{H-1}···M_t):\n", hmax)
	last := -1
	for _, f := range []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1} {
		if t := int(f * float64(hmax-1)); t != last {
			fmt.Fprintf(w, "  t=%-5d %11.4g %11.4g\n", t, r.StateGradNorm[t], r.StatePredicted[t])
			last = t
		}
	}
}
