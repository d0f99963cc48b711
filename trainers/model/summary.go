package model

import (
	"fmt"
	"math"

	"github.com/mbrl/mbrl/trainers/run"
)

// ErrorHorizon is the longest horizon of a run's open-loop error curve
// (model_error.png, rmse_by_horizon).
const ErrorHorizon = 50

// Round4 rounds v to 4 significant digits for a summary.
func Round4(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	p := math.Pow(10, 4-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}

// Round4All rounds every value of v with Round4.
func Round4All(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = Round4(x)
	}
	return out
}

// AddErrorCurve adds the open-loop RMSE by horizon of a model (mean: the
// model, or an ensemble's mean; member: its first member) to sum as
// rmse_by_horizon (and rmse_by_horizon_member0 for an ensemble of
// ensemble >= 2 members), and draws both against the horizon on a log
// scale into the run's model_error.png (model_error_plot).
func AddErrorCurve(r *run.Run, sum run.Summary, title string, ensemble int, mean, member []float64) error {
	sum["rmse_by_horizon"] = Round4All(mean)
	xs := make([]float64, len(mean))
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	ss := []run.Series{{Name: "model", X: xs, Y: mean}}
	if ensemble > 1 {
		sum["rmse_by_horizon_member0"] = Round4All(member)
		ss[0].Name = fmt.Sprintf("ensemble mean (E=%d)", ensemble)
		ss = append(ss, run.Series{Name: "member 0", X: xs, Y: member})
	}
	p := r.Path("model_error.png")
	f := &run.Figure{Title: title, XLabel: "prediction horizon (model steps, open loop)",
		Caption: "Root mean squared error of the predicted observation after h steps of the model fed its own predictions " +
			"and the recorded actions, mean over windows of the episodes the title names; h = 1 is the one-step error.",
		Panels: []run.Panel{{YLabel: "open-loop RMSE (observation units)", LogY: true, Series: ss}}}
	if err := run.SaveFigure(p, f); err != nil {
		return err
	}
	sum["model_error_plot"] = p
	return nil
}

// Summarize adds to the summary of a run of t the data (samples,
// train_episodes, val_episodes), the validation metrics of the final
// model (val_mse, rmse_10, rmse_50, rounded to 4 digits) and its error
// curve (AddErrorCurve).
func (t *Trainer) Summarize(r *run.Run, sum run.Summary) error {
	last := map[string]float64{}
	for _, m := range t.Validate() {
		last[m.Name] = m.Value
	}
	sum["samples"], sum["train_episodes"], sum["val_episodes"] = t.data.Len(), len(t.train), len(t.val)
	sum["val_mse"], sum["rmse_10"], sum["rmse_50"] = Round4(last["val_mse"]), Round4(last["rmse_10"]), Round4(last["rmse_50"])
	curve, member := t.ErrorCurve(ErrorHorizon)
	return AddErrorCurve(r, sum, "open-loop model error on the held-out validation episodes ("+r.Env+")", t.cfg.Fit.Ensemble, curve, member)
}
