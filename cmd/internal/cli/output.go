package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/run"
)

// IO is where the commands of a binary print, so that they are testable.
type IO struct {
	Stdout, Stderr io.Writer
	// IsTerminal reports whether stdout is a terminal (progress bars are
	// shown only then).
	IsTerminal bool
	// Now is the clock used for run-folder names.
	Now func() time.Time
}

// OpenRun opens the run folder of b's method on env and records the flags
// as its configuration.
func (o *IO) OpenRun(b *Binder, env string) (*run.Run, error) {
	c := &b.Common
	return run.Open(run.Config{Method: b.Method, Env: env, Seed: c.Seed, Dir: c.Out, Resume: c.Resume,
		Force: c.Force, Settings: Settings(b.FS, "out", "resume", "config", "force", "cpuprofile"), Now: o.Now})
}

// Train opens the run of b's method on env, runs tr in it with a progress
// bar, prints the summary and writes it (Finish).
func (o *IO) Train(ctx context.Context, b *Binder, env string, tr common.Trainer, t run.Training) error {
	r, err := o.OpenRun(b, env)
	if err != nil {
		return err
	}
	defer r.Close()
	c := &b.Common
	prog := &RunProgress{W: o.Stderr, Show: o.IsTerminal && !c.Quiet}
	t.Recorders = append(t.Recorders, prog)
	sum, err := r.Train(ctx, tr, t)
	prog.Finish()
	if errors.Is(err, run.ErrFinished) {
		// Nothing to do: say so, and with --json print the run's summary.
		fmt.Fprintf(o.Stderr, "%s: %v\n", b.Cmd, err)
		if prev, rerr := os.ReadFile(r.Path("summary.json")); c.JSON && rerr == nil {
			_, err = o.Stdout.Write(prev)
			return err
		}
		return o.WriteJSON(c.JSON, map[string]any{"command": "train", "method": r.Method, "env": r.Env,
			"seed": r.Seed, "iterations": r.Start, "run_dir": r.Dir, "finished": true})
	}
	if err != nil {
		if run.IsInterrupted(err) {
			fmt.Fprintf(o.Stderr, "interrupted: the latest checkpoint is %s\n", r.Path("latest.safetensors"))
		}
		return fmt.Errorf("%s %w", strings.Fields(b.Cmd)[0], err)
	}
	if !c.JSON {
		if r.Start > 0 {
			fmt.Fprintf(o.Stdout, "%s on %s: %d iterations (%d this run) in %.1fs (%.1fs in all)", r.Method, r.Env,
				sum["iterations"], r.Iters-r.Start, sum["wall_seconds"], sum["wall_seconds_total"])
		} else {
			fmt.Fprintf(o.Stdout, "%s on %s: %d iterations in %.1fs", r.Method, r.Env, sum["iterations"], sum["wall_seconds"])
		}
		ev, ok := sum["eval"].(*common.EvalResult)
		if v, isValue := sum["eval"].(common.EvalResult); isValue {
			ev, ok = &v, true
		}
		if ok {
			fmt.Fprintf(o.Stdout, "; return %.1f +- %.1f over %d episodes", ev.Mean, ev.Std, ev.Episodes)
		}
		if s, ok := sum["steps_to_threshold"].(int); ok {
			fmt.Fprintf(o.Stdout, "; return %v first reached after %d env steps", sum["target_return"], s)
		}
		fmt.Fprintf(o.Stdout, "\ncheckpoint: %s\n", sum["checkpoint"])
	}
	return o.Finish(c.JSON, r, sum)
}

// Finish writes the run's summary.json and, with asJSON, prints it.
func (o *IO) Finish(asJSON bool, r *run.Run, sum run.Summary) error {
	if err := r.WriteSummary(sum); err != nil {
		return err
	}
	return o.WriteJSON(asJSON, sum)
}

// WriteJSON prints v as one JSON line on stdout when enabled.
func (o *IO) WriteJSON(enabled bool, v any) error {
	if !enabled {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode JSON summary: %w", err)
	}
	_, err = fmt.Fprintln(o.Stdout, string(b))
	return err
}
