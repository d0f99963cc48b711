package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/report"
)

// Recorder observes a training run (gonum's optimize.Recorder is the
// model). Init is called once the run folder is ready and the start
// iteration is known, before the first iteration; Record after every
// iteration, once its checkpoint is written, with the iteration's metrics
// row: iter (1-based), wall_s, the trainer's metrics and, when due, the
// evaluation's (eval_return, eval_std).
type Recorder interface {
	Init(r *Run) error
	Record(iter int, row []common.Metric) error
}

// Summarizer is implemented by recorders that add fields to the summary
// of the run at its end.
type Summarizer interface {
	Summarize(r *Run, sum Summary) error
}

// Summary is the summary of a run: the JSON object a CLI prints at the end
// and WriteSummary stores as summary.json.
type Summary map[string]any

// Add sets the fields of m in s.
func (s Summary) Add(m map[string]any) {
	for k, v := range m {
		s[k] = v
	}
}

// InputError is an error caused by a run's input, not by the computation:
// an environment that cannot be made, a checkpoint that cannot be resumed
// from. A CLI reports it as a usage error.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Config describes a run folder.
type Config struct {
	Method, Env string
	Seed        uint64
	// Dir is the run folder. Empty: the folder of Resume, or
	// DefaultDir(Method, Env, Seed, Now()).
	Dir string
	// Resume is the checkpoint to resume from ("" for a fresh run).
	Resume string
	// Settings is the effective configuration (option name -> value of
	// its type), written to config.yaml with the key "method" and to every
	// checkpoint's metadata.
	Settings map[string]any
	// Force lets a fresh run reuse a folder that holds a run; without it
	// (and without Resume) Open refuses such a folder.
	Force bool
	// Now is the clock of the default folder name (default time.Now).
	Now func() time.Time
}

// DefaultDir is the run folder of a run without an explicit one:
// runs/METHOD-ENV-SEED-YYYYMMDD-HHMMSS.micros-PID, unique on a machine.
func DefaultDir(method, env string, seed uint64, now time.Time) string {
	return filepath.Join("runs", fmt.Sprintf("%s-%s-%d-%s-%d", method, env, seed, now.Format("20060102-150405.000000"), os.Getpid()))
}

// Run is an open run folder.
type Run struct {
	Config
	// Start is the first iteration this process runs (0, or the resumed
	// checkpoint's iteration); Iters the run's total. Both are set by
	// Train before the recorders' Init.
	Start, Iters int
	// History holds every iteration's metrics row recorded by this process.
	History History
	// PriorSeconds is the wall time of the iterations before Start (from
	// metrics.csv when resuming; 0 for a fresh run): wall_s continues it.
	PriorSeconds float64

	unlock func() error
}

// ErrRunExists is wrapped by Open's error for a folder that already holds
// a run (a config.yaml) when neither Resume nor Force is given.
var ErrRunExists = errors.New("run folder holds a run")

// Open creates the run folder, locks it (a second writer fails at once
// with ErrLocked until Close) and writes config.yaml. A folder that holds
// a run is refused (ErrRunExists) unless the run resumes or Force is set.
func Open(cfg Config) (*Run, error) {
	if cfg.Dir == "" && cfg.Resume != "" {
		cfg.Dir = filepath.Dir(cfg.Resume)
	}
	if cfg.Dir == "" {
		now := time.Now
		if cfg.Now != nil {
			now = cfg.Now
		}
		cfg.Dir = DefaultDir(cfg.Method, cfg.Env, cfg.Seed, now())
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("run: create run folder: %w", err)
	}
	unlock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, &InputError{err}
	}
	r := &Run{Config: cfg, unlock: unlock}
	if _, err := os.Stat(r.Path("config.yaml")); err == nil && cfg.Resume == "" && !cfg.Force {
		r.Close()
		return nil, &InputError{fmt.Errorf("run: %w: %s (resume it with --resume %s, or overwrite it with --force)",
			ErrRunExists, cfg.Dir, r.Path("latest.safetensors"))}
	}
	if cfg.Resume == "" { // a resumed run writes it once Train knows there is work left
		if err := r.writeSettings(); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

func (r *Run) writeSettings() error {
	return writeSettings(r.Path("config.yaml"), r.Method, r.Settings)
}

// ErrFinished is wrapped by Train's error when the run to resume has
// already completed the iterations asked for: nothing is run and no file
// of the run folder is changed.
var ErrFinished = errors.New("the run is finished")

// Close releases the run folder's lock.
func (r *Run) Close() error {
	if r.unlock == nil {
		return nil
	}
	err := r.unlock()
	r.unlock = nil
	return err
}

// Path returns the path of the file name in the run folder.
func (r *Run) Path(name string) string { return filepath.Join(r.Dir, name) }

// Training describes the iterations of a run for Train.
type Training struct {
	// Iters is the total number of iterations.
	Iters int
	// MakeEnv builds environments: one for the checkpoint's spaces and one
	// per evaluation worker.
	MakeEnv func() (envs.Env, error)
	// EvalPolicy builds a policy from the trainer's current weights, one per
	// evaluation worker; nil: no evaluation by the run (the trainer may
	// evaluate itself).
	EvalPolicy func() (common.Policy, error)
	// EvalEvery evaluates after every EvalEvery-th iteration and after the
	// last (0: only after the last), with EvalEpisodes episodes (default
	// 10), FinalEpisodes after the last iteration (default EvalEpisodes).
	EvalEvery, EvalEpisodes, FinalEpisodes int
	// Plot lists the metrics drawn against PlotX (default iter) in
	// learning_curve.png (and .svg); none: no learning curve.
	Plot  []string
	PlotX string
	// Recorders observe the run.
	Recorders []Recorder
	// Summarize adds the method's fields to the summary (after the
	// recorders' Summarize).
	Summarize func(r *Run, sum Summary) error
}

// curveEvery is how often, in wall time, Train redraws the learning curve
// while the run goes on.
const curveEvery = 2 * time.Second

// Train runs tr (resuming from r.Resume when set) through common.Loop:
// checkpoints every iteration, the evaluation schedule, metrics.csv, the
// learning curve (redrawn at most every curveEvery, and after the last
// iteration) and the recorders. It returns the run's summary: command,
// method, env, seed, iterations, checkpoint, run_dir, wall_seconds, eval
// (the last evaluation) and what Summarizers add; a resumed run also
// resumed_at (its start iteration) and wall_seconds_total (the run's
// time, wall_s continuing across resumes). An interrupted run returns an
// error wrapping common.ErrInterrupted; resuming a run that already has
// t.Iters iterations returns one wrapping ErrFinished, changing nothing.
func (r *Run) Train(ctx context.Context, tr common.Trainer, t Training) (Summary, error) {
	start := time.Now()
	env, err := t.MakeEnv()
	if err != nil {
		return nil, r.inputError(err)
	}
	obsJSON, _ := json.Marshal(env.ObservationSpace())
	actJSON, _ := json.Marshal(env.ActionSpace())
	settings, _ := json.Marshal(r.Settings)
	meta := checkpoints.Metadata{
		Method: r.Method, Env: r.Env, Seed: r.Seed,
		ObsSpace: obsJSON, ActionSpace: actJSON,
		Extra: map[string]string{"config": string(settings)},
	}
	r.Iters, r.Start = t.Iters, 0
	if r.Resume != "" {
		c, err := common.Resume(r.Resume, tr)
		if err != nil {
			return nil, r.inputError(err)
		}
		if c.Meta.Method != r.Method || c.Meta.Env != r.Env {
			return nil, r.inputError(fmt.Errorf("checkpoint %s was written by %q on %q, not %q on %q", r.Resume, c.Meta.Method, c.Meta.Env, r.Method, r.Env))
		}
		r.Start = c.Meta.Iteration
		if r.Start >= t.Iters {
			return nil, fmt.Errorf("%w: %s holds %d of %d iterations; nothing was changed (give --iters above %d to continue it)",
				ErrFinished, r.Resume, r.Start, t.Iters, r.Start)
		}
		if err := r.writeSettings(); err != nil {
			return nil, err
		}
	}
	metrics, err := openMetrics(r.Path("metrics.csv"), r.Resume != "")
	if err != nil {
		return nil, err
	}
	// wall_s continues across resumes: the resumed iteration's wall_s in
	// metrics.csv is where this process's clock starts; rows after it go.
	r.PriorSeconds = 0
	if r.Resume != "" {
		if r.PriorSeconds, err = metrics.resumeAt(r.Start); err != nil {
			return nil, err
		}
	}
	plotX := t.PlotX
	if plotX == "" {
		plotX = "iter"
	}
	curve := func() error {
		if len(t.Plot) == 0 || len(r.History) == 0 {
			return nil
		}
		return PlotHistory(r.Path("learning_curve.png"), t.curveTitle(r), plotX, t.curveCaption(r), t.Plot, r.History)
	}
	for _, rec := range t.Recorders {
		if err := rec.Init(r); err != nil {
			return nil, err
		}
	}
	var lastEval *common.EvalResult
	lastCurve := time.Now()
	evalEpisodes := t.EvalEpisodes
	if evalEpisodes <= 0 {
		evalEpisodes = 10
	}
	loopCfg := common.LoopConfig{
		Iters: t.Iters, Start: r.Start, Dir: r.Dir, Meta: meta, EvalEvery: t.EvalEvery,
		OnIter: func(iter int, ms []common.Metric) error {
			for i := range ms {
				if ms[i].Name == "wall_s" {
					ms[i].Value += r.PriorSeconds
				}
			}
			r.History.add(ms)
			if err := metrics.Append(ms); err != nil {
				return err
			}
			// The figure follows the run at most every curveEvery of wall
			// time (rendering it takes tens of milliseconds, more than an
			// iteration of the fast trainers), and after the last
			// iteration.
			if iter == t.Iters-1 || time.Since(lastCurve) >= curveEvery {
				if err := curve(); err != nil {
					return err
				}
				lastCurve = time.Now()
			}
			for _, rec := range t.Recorders {
				if err := rec.Record(iter, ms); err != nil {
					return err
				}
			}
			return nil
		},
	}
	if t.EvalPolicy != nil {
		loopCfg.Eval = func(iter int) ([]common.Metric, error) {
			n := evalEpisodes
			if iter == t.Iters-1 && t.FinalEpisodes > 0 {
				n = t.FinalEpisodes
			}
			res, err := common.Evaluate(t.MakeEnv, t.EvalPolicy, common.EvalConfig{Episodes: n, Seed: r.Seed})
			if err != nil {
				return nil, err
			}
			lastEval = &res
			return []common.Metric{{Name: "eval_return", Value: res.Mean}, {Name: "eval_std", Value: res.Std}}, nil
		}
	}
	res, err := common.Loop(ctx, tr, loopCfg)
	if err != nil {
		return nil, fmt.Errorf("train %s: %w", r.Method, err)
	}
	if err := curve(); err != nil {
		return nil, err
	}
	sum := Summary{
		"command": "train", "method": r.Method, "env": r.Env, "seed": r.Seed,
		"iterations": res.Iters, "checkpoint": res.Final, "run_dir": r.Dir,
		"wall_seconds": Seconds(start),
	}
	if r.Start > 0 { // a resumed run: what this process did, and the run in all
		sum["resumed_at"] = r.Start
		sum["wall_seconds_total"] = math.Round((r.PriorSeconds+time.Since(start).Seconds())*100) / 100
	}
	if lastEval != nil {
		sum["eval"] = lastEval
	}
	for _, rec := range t.Recorders {
		if s, ok := rec.(Summarizer); ok {
			if err := s.Summarize(r, sum); err != nil {
				return nil, err
			}
		}
	}
	if t.Summarize != nil {
		if err := t.Summarize(r, sum); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

func (r *Run) inputError(err error) error {
	return &InputError{fmt.Errorf("train %s: %w", r.Method, err)}
}

// Seconds is the time since start in seconds, rounded to 0.01 s, as
// summaries report it.
func Seconds(start time.Time) float64 {
	return math.Round(time.Since(start).Seconds()*100) / 100
}

// WriteSummary writes sum as one JSON line to summary.json in the run
// folder (the same object a CLI prints with --json), then the folder's
// HTML report, report.html (report.Write).
func (r *Run) WriteSummary(sum Summary) error {
	b, err := json.Marshal(sum)
	if err != nil {
		return fmt.Errorf("run: encode summary: %w", err)
	}
	if err := checkpoints.WriteFileAtomic(r.Path("summary.json"), append(b, '\n')); err != nil {
		return err
	}
	_, err = report.Write(r.Dir)
	return err
}

// IsInterrupted reports whether err ended a run on a cancelled context.
func IsInterrupted(err error) bool { return errors.Is(err, common.ErrInterrupted) }

// Validate returns a *config.Error naming the first invalid field of t:
// Iters >= 1, EvalEvery >= 0, EvalEpisodes and FinalEpisodes >= 1.
func (t Training) Validate() error {
	v := config.Checker{Pkg: "run"}
	v.AtLeast("Iters", t.Iters, 1)
	v.AtLeast("EvalEvery", t.EvalEvery, 0)
	v.AtLeast("EvalEpisodes", t.EvalEpisodes, 1)
	v.AtLeast("FinalEpisodes", t.FinalEpisodes, 1)
	return v.Err()
}

// Memory estimates what the evaluations of t allocate: the returns and
// lengths of every episode of the largest evaluation.
func (t Training) Memory() config.Memory {
	m := config.Memory{Pkg: "run"}
	if t.FinalEpisodes > t.EvalEpisodes {
		m.Floats("FinalEpisodes", float64(t.FinalEpisodes), 8)
	} else {
		m.Floats("EvalEpisodes", float64(t.EvalEpisodes), 8)
	}
	return m
}
