// Package run is the run machinery every training method shares: the run
// folder (config.yaml, metrics.csv, latest/final checkpoints, plots,
// summary.json), resuming from a checkpoint, the evaluation schedule and the
// summary of a run. Trainers report to it through common.Trainer's metrics;
// anything that wants to observe a run (a progress bar, a method's own CSV
// files and figures) is a Recorder, as gonum's optimize.Recorder observes an
// optimisation.
//
//	r, err := run.Open(run.Config{Method: "gps", Env: "pendulum", Seed: 1, Settings: flags})
//	sum, err := r.Train(ctx, trainer, run.Training{Iters: 30, MakeEnv: makeEnv,
//		EvalPolicy: clonePolicy, Recorders: []run.Recorder{gps.NewConditionsRecorder(trainer)}})
//	err = r.WriteSummary(sum) // summary.json: the same object "mbrl ... --json" prints
//
// The plots are Figures (one panel per quantity with its unit, legends
// outside the data, spread bands, a caption saying what each point is)
// drawn with gonum/plot; SaveFigure and PlotHistory write a PNG and its
// SVG twin atomically like every file of a run folder. WriteSummary also
// writes the folder's report.html (package report).
package run
