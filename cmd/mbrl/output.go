package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/run"
)

// openRun opens the run folder of the method's run on env and records the
// flags as its configuration.
func (a *app) openRun(b *binder, env string) (*run.Run, error) {
	return run.Open(run.Config{Method: b.method, Env: env, Seed: b.common.Seed, Dir: b.common.Out, Resume: b.common.Resume,
		Force: b.common.Force, Settings: cli.Settings(b.FS, "out", "resume", "config", "force"), Now: a.now})
}

// train opens the run of the method on env, runs tr in it with a progress
// bar and reports the summary.
func (a *app) train(ctx context.Context, b *binder, env string, tr common.Trainer, t run.Training) error {
	r, err := a.openRun(b, env)
	if err != nil {
		return err
	}
	defer r.Close()
	o := &b.common
	prog := &cli.RunProgress{W: a.stderr, Show: a.isTerminal && !o.Quiet}
	t.Recorders = append(t.Recorders, prog)
	sum, err := r.Train(ctx, tr, t)
	prog.Finish()
	if err != nil {
		if run.IsInterrupted(err) {
			fmt.Fprintf(a.stderr, "interrupted: the latest checkpoint is %s\n", r.Path("latest.safetensors"))
		}
		return fmt.Errorf("mbrl %w", err)
	}
	if !o.JSON {
		fmt.Fprintf(a.stdout, "%s on %s: %d iterations in %.1fs", r.Method, r.Env, sum["iterations"], sum["wall_seconds"])
		ev, ok := sum["eval"].(*common.EvalResult)
		if v, isValue := sum["eval"].(common.EvalResult); isValue {
			ev, ok = &v, true
		}
		if ok {
			fmt.Fprintf(a.stdout, "; return %.1f +- %.1f over %d episodes", ev.Mean, ev.Std, ev.Episodes)
		}
		if s, ok := sum["steps_to_threshold"].(int); ok {
			fmt.Fprintf(a.stdout, "; return %v first reached after %d env steps", sum["target_return"], s)
		}
		fmt.Fprintf(a.stdout, "\ncheckpoint: %s\n", sum["checkpoint"])
	}
	return a.finish(o.JSON, r, sum)
}

// finish writes the run's summary.json and, with --json, prints it.
func (a *app) finish(asJSON bool, r *run.Run, sum run.Summary) error {
	if err := r.WriteSummary(sum); err != nil {
		return err
	}
	return a.writeJSON(asJSON, sum)
}

// writeJSON prints v as one JSON line on stdout when enabled.
func (a *app) writeJSON(enabled bool, v any) error {
	if !enabled {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("mbrl: encode JSON summary: %w", err)
	}
	_, err = fmt.Fprintln(a.stdout, string(b))
	return err
}
