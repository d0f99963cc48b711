package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

// trainingRun describes one "mbrl train METHOD" run for runTraining, which
// does everything that is the same for every method: the run folder,
// config.yaml, --resume, metrics.csv, the learning-curve PNG, the progress
// bar, periodic evaluation in the real env and the JSON summary.
type trainingRun struct {
	method string
	env    string
	opts   *commonOptions
	fs     *flag.FlagSet

	trainer common.Trainer
	iters   int

	// makeEnv builds evaluation environments (one per worker).
	makeEnv func() (envs.Env, error)
	// evalPolicy builds a policy for evaluation from the trainer's current
	// weights, one per worker; nil disables evaluation.
	evalPolicy   func() (common.Policy, error)
	evalEvery    int
	evalEpisodes int
	// finalEpisodes is the number of evaluation episodes after the last
	// iteration (default evalEpisodes).
	finalEpisodes int

	// plot lists metric columns drawn against plotX in learning_curve.png
	// (default x: iter).
	plot  []string
	plotX string
	// extra adds method-specific fields to the JSON summary at the end.
	extra func() map[string]any
}

// trainSummary is the JSON summary every training command prints.
type trainSummary map[string]any

// runTraining runs r to completion and prints the summary.
func (a *app) runTraining(ctx context.Context, r *trainingRun) error {
	start := time.Now()
	o := r.opts
	dir := o.Out
	if dir == "" && o.Resume != "" {
		dir = filepath.Dir(o.Resume)
	}
	if dir == "" {
		var err error
		if dir, err = a.runDir(o, r.method, r.env); err != nil {
			return err
		}
	} else if err := mkdirAll(dir); err != nil {
		return err
	}
	if err := writeEffectiveConfig(dir, r.fs, "resume", "out", "config"); err != nil {
		return err
	}
	env, err := r.makeEnv()
	if err != nil {
		return asUsage(err)
	}
	obsJSON, _ := json.Marshal(env.ObservationSpace())
	actJSON, _ := json.Marshal(env.ActionSpace())
	meta := checkpoints.Metadata{
		Method: r.method, Env: r.env, Seed: o.Seed,
		ObsSpace: obsJSON, ActionSpace: actJSON,
		Extra: map[string]string{"config": configString(r.fs)},
	}
	startIter := 0
	if o.Resume != "" {
		c, err := common.Resume(o.Resume, r.trainer)
		if err != nil {
			return asUsage(err)
		}
		if c.Meta.Method != r.method || c.Meta.Env != r.env {
			return usagef("mbrl train %s: --resume %s was written by %q on %q, not %q on %q", r.method, o.Resume, c.Meta.Method, c.Meta.Env, r.method, r.env)
		}
		startIter = c.Meta.Iteration
	}
	metrics, err := openMetrics(filepath.Join(dir, "metrics.csv"), o.Resume != "")
	if err != nil {
		return err
	}
	bar := a.newProgress(r.iters-startIter, fmt.Sprintf("%s %s", r.method, r.env), o.Quiet)
	defer bar.Finish()
	var history []map[string]float64
	plotX := r.plotX
	if plotX == "" {
		plotX = "iter"
	}
	var lastEval *common.EvalResult
	evalEpisodes := r.evalEpisodes
	if evalEpisodes <= 0 {
		evalEpisodes = 10
	}
	loopCfg := common.LoopConfig{
		Iters: r.iters, Start: startIter, Dir: dir, Meta: meta, EvalEvery: r.evalEvery,
		OnIter: func(iter int, ms []common.Metric) error {
			row := make([]metric, len(ms))
			h := map[string]float64{}
			for i, m := range ms {
				row[i] = metric(m)
				h[m.Name] = m.Value
			}
			history = append(history, h)
			if err := metrics.Append(row); err != nil {
				return err
			}
			if len(r.plot) > 0 && (iter%5 == 4 || iter == r.iters-1) {
				if err := plotHistory(filepath.Join(dir, "learning_curve.png"), r.method+" on "+r.env, plotX, r.plot, history); err != nil {
					return err
				}
			}
			bar.Add(1)
			if v, ok := h["eval_return"]; ok {
				bar.Describe(fmt.Sprintf("%s %s return %.1f", r.method, r.env, v))
			} else if v, ok := h["loss"]; ok {
				bar.Describe(fmt.Sprintf("%s %s loss %.4g", r.method, r.env, v))
			}
			return nil
		},
	}
	if r.evalPolicy != nil {
		loopCfg.Eval = func(iter int) ([]common.Metric, error) {
			n := evalEpisodes
			if iter == r.iters-1 && r.finalEpisodes > 0 {
				n = r.finalEpisodes
			}
			res, err := common.Evaluate(r.makeEnv, r.evalPolicy, common.EvalConfig{Episodes: n, Seed: o.Seed})
			if err != nil {
				return nil, err
			}
			lastEval = &res
			return []common.Metric{{Name: "eval_return", Value: res.Mean}, {Name: "eval_std", Value: res.Std}}, nil
		}
	}
	res, err := common.Loop(ctx, r.trainer, loopCfg)
	bar.Finish()
	if err != nil {
		if errors.Is(err, common.ErrInterrupted) {
			fmt.Fprintf(a.stderr, "interrupted: the latest checkpoint is %s\n", res.Latest)
		}
		return fmt.Errorf("mbrl train %s: %w", r.method, err)
	}
	if len(r.plot) > 0 && len(history) > 0 {
		if err := plotHistory(filepath.Join(dir, "learning_curve.png"), r.method+" on "+r.env, plotX, r.plot, history); err != nil {
			return err
		}
	}
	sum := trainSummary{
		"command": "train", "method": r.method, "env": r.env, "seed": o.Seed,
		"iterations": res.Iters, "checkpoint": res.Final, "run_dir": dir,
		"wall_seconds": math.Round(time.Since(start).Seconds()*100) / 100,
	}
	if lastEval != nil {
		sum["eval"] = lastEval
	}
	if r.extra != nil {
		for k, v := range r.extra() {
			sum[k] = v
		}
	}
	if !o.JSON {
		fmt.Fprintf(a.stdout, "%s on %s: %d iterations in %.1fs", r.method, r.env, res.Iters, time.Since(start).Seconds())
		if lastEval != nil {
			fmt.Fprintf(a.stdout, "; return %.1f +- %.1f over %d episodes", lastEval.Mean, lastEval.Std, lastEval.Episodes)
		}
		fmt.Fprintf(a.stdout, "\ncheckpoint: %s\n", res.Final)
	}
	return a.writeJSON(o.JSON, sum)
}

// plotHistory draws the named columns of history against column x.
func plotHistory(path, title, x string, cols []string, history []map[string]float64) error {
	var ss []series
	for _, c := range cols {
		s := series{Name: c}
		for _, h := range history {
			v, ok := h[c]
			if !ok {
				continue
			}
			s.X = append(s.X, h[x])
			s.Y = append(s.Y, v)
		}
		ss = append(ss, s)
	}
	return savePlot(path, plotOptions{Title: title, XLabel: x}, ss...)
}

// configString encodes the flag values as JSON for checkpoint metadata.
func configString(fs *flag.FlagSet) string {
	m := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { m[f.Name] = f.Value.String() })
	b, _ := json.Marshal(m)
	return string(b)
}
