package common

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
	"github.com/mbrl/mbrl/nn"
)

// Metric is one named value a trainer reports for an iteration.
type Metric struct {
	Name  string
	Value float64
}

// Trainer is one method's training state, advanced one iteration at a time
// by Loop. Everything a bit-exact resume needs beyond the weights of Models
// (optimiser moments, random streams, datasets, counters) goes through State
// and Restore.
type Trainer interface {
	// Iterate runs iteration iter (0-based) and returns its metrics. Long
	// iterations should return ctx.Err() promptly when ctx is cancelled.
	Iterate(ctx context.Context, iter int) ([]Metric, error)
	// Models are the models written to checkpoints.
	Models() []nn.Model
	// State encodes the trainer's non-weight state.
	State() (json.RawMessage, error)
	// Restore sets the non-weight state from what State returned.
	Restore(json.RawMessage) error
}

// Sentinel errors of Loop.
var (
	// ErrDiverged: a metric or a weight became NaN or infinite. The last
	// good checkpoint is kept.
	ErrDiverged = errors.New("training diverged")
	// ErrInterrupted: the context was cancelled (SIGINT/SIGTERM); the
	// latest checkpoint holds the last completed iteration.
	ErrInterrupted = errors.New("training interrupted")
)

// LoopConfig controls Loop.
type LoopConfig struct {
	// Iters is the total number of iterations of the run (a resumed run
	// continues up to the same total).
	Iters int
	// Start is the first iteration to run: 0, or the checkpoint's
	// iteration when resuming.
	Start int
	// Dir is the run folder: latest.safetensors is rewritten there after
	// every iteration and final.safetensors at the end. Empty: no files.
	Dir string
	// Meta is the metadata template of every checkpoint (method, env, seed,
	// spaces, Extra with the run's configuration); Loop fills in the
	// iteration, models, tensors and the trainer state.
	Meta checkpoints.Metadata
	// EvalEvery runs Eval after every EvalEvery-th iteration and after the
	// last one (0: only after the last one). Eval may be nil.
	EvalEvery int
	Eval      func(iter int) ([]Metric, error)
	// OnIter receives every iteration's metrics (with iter, wall_s and the
	// evaluation's metrics, if any) after its checkpoint is written.
	OnIter func(iter int, metrics []Metric) error
}

// LoopResult reports how a Loop ended.
type LoopResult struct {
	Iters       int     // iterations completed in total (including before a resume)
	WallSeconds float64 // time spent in this call
	Latest      string  // path of latest.safetensors ("" without Dir)
	Final       string  // path of final.safetensors ("" without Dir or if unfinished)
	LastMetrics []Metric
}

// Loop runs iterations Start..Iters-1 of tr: each iteration's metrics and
// weights are checked for NaN/Inf (ErrDiverged, keeping the last good
// checkpoint), evaluated when due, checkpointed, and reported to OnIter.
// When ctx is cancelled between iterations Loop returns ErrInterrupted with
// the latest checkpoint intact.
func Loop(ctx context.Context, tr Trainer, cfg LoopConfig) (LoopResult, error) {
	t0 := time.Now()
	var res LoopResult
	res.Iters = cfg.Start
	if cfg.Dir != "" {
		res.Latest = filepath.Join(cfg.Dir, "latest.safetensors")
	}
	for iter := cfg.Start; iter < cfg.Iters; iter++ {
		if ctx.Err() != nil {
			return res, fmt.Errorf("%w after %d iterations (resume with --resume %s)", ErrInterrupted, iter, res.Latest)
		}
		ms, err := tr.Iterate(ctx, iter)
		if err != nil {
			if ctx.Err() != nil {
				return res, fmt.Errorf("%w during iteration %d (resume with --resume %s)", ErrInterrupted, iter, res.Latest)
			}
			return res, fmt.Errorf("iteration %d: %w", iter, err)
		}
		if cfg.Eval != nil && (iter == cfg.Iters-1 || (cfg.EvalEvery > 0 && (iter+1)%cfg.EvalEvery == 0)) {
			em, err := cfg.Eval(iter)
			if err != nil {
				return res, fmt.Errorf("evaluation after iteration %d: %w", iter, err)
			}
			ms = append(ms, em...)
		}
		if err := checkFinite(ms, tr.Models()); err != nil {
			return res, fmt.Errorf("%w at iteration %d: %v; %s (try a smaller learning rate or --clip)", ErrDiverged, iter, err, kept(res.Latest, iter, iter > cfg.Start))
		}
		res.Iters = iter + 1
		if cfg.Dir != "" {
			if err := SaveCheckpoint(res.Latest, tr, cfg.Meta, iter+1); err != nil {
				return res, err
			}
		}
		row := append([]Metric{{"iter", float64(iter + 1)}, {"wall_s", time.Since(t0).Seconds()}}, ms...)
		res.LastMetrics = row
		if cfg.OnIter != nil {
			if err := cfg.OnIter(iter, row); err != nil {
				return res, err
			}
		}
	}
	if cfg.Dir != "" && res.Iters == cfg.Iters {
		res.Final = filepath.Join(cfg.Dir, "final.safetensors")
		if err := SaveCheckpoint(res.Final, tr, cfg.Meta, res.Iters); err != nil {
			return res, err
		}
	}
	res.WallSeconds = time.Since(t0).Seconds()
	return res, nil
}

// kept says what is left of a run that diverged in iteration iter
// (0-based) with latest as its resume point: the checkpoint of the last
// good iteration if one was written (saved: by this Loop; else a resumed
// run's, if it is there), else that nothing was.
func kept(latest string, iter int, saved bool) string {
	if latest == "" {
		return "no checkpoint is written"
	}
	if !saved {
		if _, err := os.Stat(latest); iter == 0 || err != nil {
			return "no checkpoint was written (the first iteration to run diverged)"
		}
	}
	return fmt.Sprintf("the last good checkpoint %s (after %d iterations) is kept", latest, iter)
}

func checkFinite(ms []Metric, models []nn.Model) error {
	for _, m := range ms {
		if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			// NaN is allowed as "not measured" only for eval-style fields;
			// trainers report missing values by omitting them.
			return fmt.Errorf("metric %s = %v", m.Name, m.Value)
		}
	}
	for _, mod := range models {
		for _, p := range mod.Params() {
			for _, v := range p.Data() {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("weight %s is %v", p.Name, v)
				}
			}
		}
	}
	return nil
}

// SaveCheckpoint writes tr's models and state to path atomically, with meta
// as the template and iteration as the number of completed iterations.
func SaveCheckpoint(path string, tr Trainer, meta checkpoints.Metadata, iteration int) error {
	c, err := BuildCheckpoint(meta, tr.Models()...)
	if err != nil {
		return err
	}
	st, err := tr.State()
	if err != nil {
		return fmt.Errorf("trainer state: %w", err)
	}
	c.Meta.Iteration = iteration
	c.Meta.Optimizer = st
	return checkpoints.Save(path, c)
}

// BuildCheckpoint assembles a checkpoint of models with meta as metadata.
func BuildCheckpoint(meta checkpoints.Metadata, models ...nn.Model) (*checkpoints.Checkpoint, error) {
	tensors, specs, norms, err := nn.ToCheckpoint(models...)
	if err != nil {
		return nil, err
	}
	meta.Models = specs
	meta.Normalisers = norms
	return &checkpoints.Checkpoint{Meta: meta, Tensors: tensors}, nil
}

// Resume loads a checkpoint written by Loop into tr: the weights of every
// model of tr (matched by name, shapes checked) and the trainer state. It
// returns the checkpoint, whose Meta.Iteration is the iteration to start at.
func Resume(path string, tr Trainer) (*checkpoints.Checkpoint, error) {
	c, err := checkpoints.Load(path)
	if err != nil {
		return nil, err
	}
	if c.Meta.FormatVersion < checkpoints.FormatVersion {
		return nil, fmt.Errorf("resume %s: checkpoint format %d from an older mbrl holds no trusted trainer state (this build writes format %d); evaluate it with 'mbrl eval' or start a new run", path, c.Meta.FormatVersion, checkpoints.FormatVersion)
	}
	if len(c.Meta.Optimizer) == 0 {
		return nil, fmt.Errorf("resume %s: the checkpoint holds no trainer state; resume from a latest.safetensors or final.safetensors written by 'mbrl train'", path)
	}
	for _, m := range tr.Models() {
		if err := LoadWeights(c, m); err != nil {
			return nil, fmt.Errorf("resume %s: %w", path, err)
		}
	}
	if err := tr.Restore(c.Meta.Optimizer); err != nil {
		return nil, fmt.Errorf("resume %s: trainer state: %w", path, err)
	}
	return c, nil
}

// LoadWeights copies the weights and normaliser statistics of model m from
// c, checking every name and shape first so that nothing is half-loaded.
func LoadWeights(c *checkpoints.Checkpoint, m nn.Model) error {
	return nn.LoadInto(c, m)
}
