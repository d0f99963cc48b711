package gps

import (
	"fmt"
	"strings"

	"github.com/mbrl/mbrl/trainers/common"
	runs "github.com/mbrl/mbrl/trainers/run"
)

// Recorder is the runs.Recorder of a GPS run: after every iteration it
// appends one row per condition to conditions.csv (iter, condition,
// traj_cost, policy_cost, violation, rho, dual_residual, ilqr_iters) and
// redraws violation.png (the constraint violation, log scale) and cost.png
// (trajectory and policy cost); at the end it adds the last costs and the
// first and last violations to the summary.
type Recorder struct {
	tr      *Trainer
	run     *runs.Run
	started bool // conditions.csv has been started by this process
}

var (
	_ runs.Recorder   = (*Recorder)(nil)
	_ runs.Summarizer = (*Recorder)(nil)
)

// NewRecorder returns the recorder of tr's run.
func NewRecorder(tr *Trainer) *Recorder { return &Recorder{tr: tr} }

// Init remembers the run.
func (g *Recorder) Init(r *runs.Run) error {
	g.run = r
	return nil
}

// Record writes the iteration's per-condition rows and redraws the plots.
func (g *Recorder) Record(iter int, _ []common.Metric) error {
	var b strings.Builder
	fresh := !g.started && g.run.Resume == ""
	g.started = true
	if fresh {
		b.WriteString("iter,condition,traj_cost,policy_cost,violation,rho,dual_residual,ilqr_iters\n")
	}
	f := runs.FormatFloat
	for k, st := range g.tr.ConditionStats() {
		fmt.Fprintf(&b, "%d,%d,%s,%s,%s,%s,%s,%d\n", iter+1, k, f(st.TrajCost), f(st.PolicyCost),
			f(st.Violation), f(st.Rho), f(st.DualResidual), st.ILQRIters)
	}
	if err := runs.AppendFile(g.run.Path("conditions.csv"), []byte(b.String()), fresh); err != nil {
		return fmt.Errorf("gps: conditions.csv: %w", err)
	}
	h, K := g.run.History, g.tr.cfg.Conditions
	if err := runs.PlotHistory(g.run.Path("violation.png"), fmt.Sprintf("GPS on %s: constraint violation per iteration", g.run.Env), "iter",
		fmt.Sprintf("Distance between the policy's action and the trajectory's action, mean (and root mean square) over the %d conditions and their time steps.", K),
		[]string{"violation", "violation_rms"}, h); err != nil {
		return err
	}
	return runs.PlotHistory(g.run.Path("cost.png"), fmt.Sprintf("GPS on %s: cost per iteration", g.run.Env), "iter",
		fmt.Sprintf("Cost of the optimised trajectories and of the policy run from the same %d starting conditions, mean over the conditions.", K),
		[]string{"traj_cost", "policy_cost"}, h)
}

// Summarize adds the configuration (conditions, horizon, rho, dual_step,
// policy_epochs, batch, lr, feedback_samples, feedback_noise), traj_cost,
// policy_cost, violation and violation_rms of the last iteration and
// violation_first, violation_rms_first of the first this process ran.
func (g *Recorder) Summarize(r *runs.Run, sum runs.Summary) error {
	c := g.tr.cfg
	sum["conditions"], sum["horizon"], sum["rho"], sum["dual_step"] = c.Conditions, g.tr.Horizon(), c.Rho, c.DualStep
	sum["policy_epochs"], sum["batch"], sum["lr"] = c.PolicyEpochs, c.Batch, c.Adam.LR
	sum["policy_shards"] = max(c.PolicyShards, 1)
	sum["feedback_samples"], sum["feedback_noise"] = c.FeedbackSamples, c.FeedbackNoise
	first, last := r.History.First(), r.History.Last()
	sum["traj_cost"], sum["policy_cost"] = last["traj_cost"], last["policy_cost"]
	sum["violation_first"], sum["violation"] = first["violation"], last["violation"]
	sum["violation_rms_first"], sum["violation_rms"] = first["violation_rms"], last["violation_rms"]
	return nil
}
