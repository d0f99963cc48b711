package compare

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mbrl/mbrl/checkpoints"
)

// Files of a run folder besides what "mbrl train" writes there.
const (
	// SummaryFile holds the train summary (the last stdout line of
	// "mbrl train --json").
	SummaryFile = "summary.json"
	// EvalFile holds the evaluation on the plan's starts (the last stdout
	// line of "mbrl eval --json").
	EvalFile = "eval.json"
	// FinalCheckpoint is the policy checkpoint a finished run leaves.
	FinalCheckpoint = "final.safetensors"
	// TrainLog holds the stderr of the last training attempt.
	TrainLog = "train.log"
	// ErrorFile exists while the run's last attempt failed; it holds the
	// failing phase and the last line of its stderr.
	ErrorFile = "error.txt"
)

// OptimumFile returns the name of the file that caches the optimum row of
// p's evaluation starts in the comparison folder.
func OptimumFile(p *Plan) string {
	return fmt.Sprintf("optimum-seed%d-episodes%d.json", p.EvalSeed, p.Episodes)
}

// Run statuses.
const (
	StatusDone    = "done"    // trained and (if it has a policy) evaluated
	StatusFailed  = "failed"  // training or evaluation exited with an error
	StatusMissing = "missing" // not trained (Collect: not run yet, running, or killed)
)

// RunResult is the outcome of one job.
type RunResult struct {
	Job    Job    `json:"-"`
	Method string `json:"method"`
	Seed   uint64 `json:"seed"`
	Dir    string `json:"dir"`
	Status string `json:"status"`
	// Error is the failing phase and the last line of its stderr.
	Error string `json:"error,omitempty"`
	// Reused reports that training was skipped because the run folder
	// already held a finished run.
	Reused bool `json:"reused"`
	// Return is the mean evaluation return on the plan's starts (nil for a
	// run without a policy checkpoint, or a failed one).
	Return *float64 `json:"return"`
	// WallSeconds is the training wall time (the summary's wall_seconds, or
	// the measured time of the training process).
	WallSeconds *float64 `json:"wall_seconds"`
	// EnvSteps and Labels are the summary's env_steps (real environment
	// steps) and labels (expert labels), when the method reports them.
	EnvSteps *float64 `json:"env_steps"`
	Labels   *float64 `json:"labels"`
	// Target is the return whose first reaching StepsToTarget counts (nil:
	// no target); StepsToTarget is nil when the seed never reached it or
	// the run does not record the steps (TargetKnown false).
	Target        *float64 `json:"target,omitempty"`
	StepsToTarget *float64 `json:"steps_to_target,omitempty"`
	TargetKnown   bool     `json:"-"`
}

// Optimum is the output of "mbrl optimum --json": the best return possible
// on the plan's starts.
type Optimum struct {
	MeanReturn float64   `json:"mean_return"`
	Returns    []float64 `json:"returns,omitempty"`
}

// Runner executes the jobs of a plan through the mbrl command line:
// "mbrl train ..." into each run folder, then "mbrl eval ..." of its final
// checkpoint, then the leaderboard.
type Runner struct {
	// Binary is the mbrl executable.
	Binary string
	// Jobs is the number of processes at a time (default GOMAXPROCS).
	Jobs int
	// Threads is the GOMAXPROCS of every child process (default
	// max(1, NumCPU/Jobs)). Results do not depend on it: every mbrl
	// command gives the same numbers for any number of workers.
	Threads int
	// CollectOnly skips training: runs that are not trained are reported
	// missing (or failed, when their folder holds error.txt); trained runs
	// without eval.json are evaluated.
	CollectOnly bool
	// Progress, if set, is called once per finished job (never
	// concurrently).
	Progress func(RunResult)
	// Stderr, if set, receives one line per notable event that is not a
	// run (e.g. why the optimum row is absent).
	Stderr io.Writer
}

func (r *Runner) jobs() int {
	if r.Jobs > 0 {
		return r.Jobs
	}
	return max(1, runtime.GOMAXPROCS(0))
}

func (r *Runner) threads() int {
	if r.Threads > 0 {
		return r.Threads
	}
	return max(1, runtime.NumCPU()/r.jobs())
}

// Run saves the plan, runs (or, with CollectOnly, collects) every job and
// the optimum, Jobs processes at a time, and returns the report. Failing
// runs are recorded in the report, not returned as errors; the error is
// for what stops the whole comparison (a cancelled context, an unwritable
// folder).
func (r *Runner) Run(ctx context.Context, p *Plan) (*Report, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if r.Binary == "" {
		return nil, fmt.Errorf("compare: no mbrl binary given")
	}
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("compare: create %s: %w", p.Dir, err)
	}
	if !r.CollectOnly {
		if err := p.Save(); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	jobs := p.Jobs()
	results := make([]RunResult, len(jobs))
	var opt *Optimum
	var optNote string
	// Task 0 is the optimum, task i+1 job i: one pool for both, so at
	// most Jobs processes run at a time.
	tasks := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range min(r.jobs(), len(jobs)+1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				if t == 0 {
					opt, optNote = r.optimum(ctx, p)
					continue
				}
				res := r.RunJob(ctx, p, jobs[t-1])
				results[t-1] = res
				if r.Progress != nil {
					mu.Lock()
					r.Progress(res)
					mu.Unlock()
				}
			}
		}()
	}
	for t := range len(jobs) + 1 {
		if ctx.Err() != nil {
			break
		}
		tasks <- t
	}
	close(tasks)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("compare: interrupted; rerun the same command to resume (finished runs are reused): %w", err)
	}
	if optNote != "" && r.Stderr != nil {
		fmt.Fprintf(r.Stderr, "compare: no optimum row: %s\n", optNote)
	}
	rep := Summarise(p, results, opt)
	rep.WallSeconds = math.Round(time.Since(start).Seconds()*100) / 100
	rep.Jobs = r.jobs()
	return rep, nil
}

// RunJob trains job j (unless its folder already holds a finished run, or
// the runner only collects) and evaluates its final checkpoint on the
// plan's starts (unless eval.json exists). It never returns an error:
// failures are in the result.
func (r *Runner) RunJob(ctx context.Context, p *Plan, j Job) RunResult {
	res := RunResult{Job: j, Method: j.Spec.Text, Seed: j.Seed, Dir: j.Dir}
	sumPath := filepath.Join(j.Dir, SummaryFile)
	ckpt := filepath.Join(j.Dir, FinalCheckpoint)
	errPath := filepath.Join(j.Dir, ErrorFile)
	trained := exists(sumPath) || exists(ckpt)
	var measured float64
	switch {
	case trained:
		res.Reused = true
	case r.CollectOnly:
		res.Status = StatusMissing
		if b, err := os.ReadFile(errPath); err == nil {
			res.Status, res.Error = StatusFailed, strings.TrimSpace(string(b))
		}
		return res
	default:
		if err := os.MkdirAll(j.Dir, 0o755); err != nil {
			return r.fail(res, "train", err.Error())
		}
		t0 := time.Now()
		out, errLine, err := r.exec(ctx, p.TrainArgs(j), filepath.Join(j.Dir, TrainLog))
		measured = time.Since(t0).Seconds()
		if err != nil {
			return r.fail(res, "train", errLine)
		}
		if !exists(sumPath) {
			if !json.Valid(out) {
				return r.fail(res, "train", "the last line of stdout is not a JSON summary")
			}
			if err := writeFileAtomic(sumPath, append(out, '\n')); err != nil {
				return r.fail(res, "train", err.Error())
			}
		}
	}
	sum := readJSONMap(sumPath)
	if env, ok := sum["env"].(string); ok && env != p.Env {
		return r.fail(res, "train", fmt.Sprintf("%s holds a run on %q, not %q; give the comparison another --out", j.Dir, env, p.Env))
	}
	if w, ok := number(sum, "wall_seconds"); ok {
		res.WallSeconds = &w
	} else if measured > 0 {
		res.WallSeconds = &measured
	}
	if v, ok := number(sum, "env_steps"); ok {
		res.EnvSteps = &v
	}
	if v, ok := number(sum, "labels"); ok {
		res.Labels = &v
	}
	r.target(p, &res, sum)
	if !exists(ckpt) {
		if c, ok := sum["checkpoint"].(string); ok && c != "" && exists(c) {
			ckpt = c
		} else {
			// A method without a policy checkpoint (e.g. dynaq): trained,
			// nothing to evaluate.
			res.Status = StatusDone
			os.Remove(errPath)
			return res
		}
	}
	evalPath := filepath.Join(j.Dir, EvalFile)
	if !evalMatches(readJSONMap(evalPath), p) {
		out, errLine, err := r.exec(ctx, p.EvalArgs(ckpt), filepath.Join(j.Dir, "eval.log"))
		if err != nil {
			return r.fail(res, "eval", errLine)
		}
		if !json.Valid(out) {
			return r.fail(res, "eval", "the last line of stdout is not a JSON summary")
		}
		if err := writeFileAtomic(evalPath, append(out, '\n')); err != nil {
			return r.fail(res, "eval", err.Error())
		}
	}
	ev := readJSONMap(evalPath)
	e, _ := ev["eval"].(map[string]any)
	m, ok := number(e, "mean_return")
	if !ok {
		return r.fail(res, "eval", EvalFile+" holds no eval.mean_return")
	}
	res.Return = &m
	res.Status = StatusDone
	os.Remove(errPath)
	return res
}

// evalMatches reports whether ev is an evaluation on the plan's env and
// starts (an eval.json left by a comparison with another --eval-seed or
// --episodes is redone).
func evalMatches(ev map[string]any, p *Plan) bool {
	seed, ok1 := number(ev, "seed")
	e, _ := ev["eval"].(map[string]any)
	n, ok2 := number(e, "episodes")
	return ok1 && ok2 && ev["env"] == p.Env && seed == float64(p.EvalSeed) && n == float64(p.Episodes)
}

// fail records a failed phase in the result and in the run's error.txt.
func (r *Runner) fail(res RunResult, phase, msg string) RunResult {
	if msg == "" {
		msg = "failed without a message"
	}
	res.Status, res.Error = StatusFailed, phase+": "+msg
	_ = writeFileAtomic(filepath.Join(res.Dir, ErrorFile), []byte(res.Error+"\n"))
	return res
}

// target fills the run's target and steps to reach it: from the summary's
// target_return and steps_to_threshold when they answer the plan's target
// (or the plan has none), otherwise from the evaluations in metrics.csv.
func (r *Runner) target(p *Plan, res *RunResult, sum map[string]any) {
	st, hasST := sum["steps_to_threshold"]
	tr, hasTR := number(sum, "target_return")
	switch {
	case p.Target == nil && !hasTR:
		return
	case hasTR && hasST && (p.Target == nil || *p.Target == tr):
		res.Target = &tr
		res.TargetKnown = true
		if v, ok := st.(float64); ok {
			res.StepsToTarget = &v
		}
		return
	}
	t := tr
	if p.Target != nil {
		t = *p.Target
	}
	res.Target = &t
	steps, reached, known := stepsFromMetrics(filepath.Join(res.Dir, "metrics.csv"), t)
	res.TargetKnown = known
	if reached {
		res.StepsToTarget = &steps
	}
}

// stepsFromMetrics returns the env_steps of the first row of a metrics.csv
// whose eval_return reaches target; known is false when the file lacks
// either column.
func stepsFromMetrics(path string, target float64) (steps float64, reached, known bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, false
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		return 0, false, false
	}
	ci, cs := -1, -1
	for i, c := range rows[0] {
		switch c {
		case "eval_return":
			ci = i
		case "env_steps":
			cs = i
		}
	}
	if ci < 0 || cs < 0 {
		return 0, false, false
	}
	for _, row := range rows[1:] {
		if ci >= len(row) || cs >= len(row) {
			continue
		}
		v, err1 := strconv.ParseFloat(row[ci], 64)
		s, err2 := strconv.ParseFloat(row[cs], 64)
		if err1 == nil && err2 == nil && v >= target {
			return s, true, true
		}
	}
	return 0, false, true
}

// optimum returns the cached or freshly computed optimum on the plan's
// starts, or nil and the reason it is absent (an env without one makes
// "mbrl optimum" exit with a usage error).
func (r *Runner) optimum(ctx context.Context, p *Plan) (*Optimum, string) {
	path := filepath.Join(p.Dir, OptimumFile(p))
	if b, err := os.ReadFile(path); err == nil {
		var o Optimum
		if json.Unmarshal(b, &o) == nil {
			return &o, ""
		}
	}
	out, errLine, err := r.exec(ctx, p.OptimumArgs(), "")
	if err != nil {
		return nil, "'mbrl " + strings.Join(p.OptimumArgs(), " ") + "': " + errLine
	}
	var o Optimum
	if err := json.Unmarshal(out, &o); err != nil || math.IsNaN(o.MeanReturn) || o.MeanReturn == 0 {
		return nil, "'mbrl optimum' printed no usable mean_return"
	}
	if err := writeFileAtomic(path, append(out, '\n')); err != nil {
		return nil, err.Error()
	}
	return &o, ""
}

// exec runs the binary with args and GOMAXPROCS set to Threads, writes its
// stderr to logPath (if not empty) and returns the last non-empty line of
// stdout; on failure errLine is the last non-empty line of stderr.
func (r *Runner) exec(ctx context.Context, args []string, logPath string) (last []byte, errLine string, err error) {
	cmd := exec.CommandContext(ctx, r.Binary, args...)
	// On cancellation ask the child to stop as on Ctrl-C (mbrl train
	// then saves its latest checkpoint); kill it if it does not exit.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(r.threads()))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if logPath != "" {
		_ = checkpoints.WriteFileAtomic(logPath, stderr.Bytes())
	}
	if err != nil {
		errLine = strings.TrimPrefix(lastLine(stderr.Bytes()), "error: ")
		var ee *exec.ExitError
		if errLine == "" || !errors.As(err, &ee) {
			errLine = strings.TrimSpace(errLine + " " + err.Error())
		}
		return nil, errLine, err
	}
	return []byte(lastLine(stdout.Bytes())), "", nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimRight(string(b), "\r\n\t "), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// readJSONMap reads a JSON object; a missing or bad file gives an empty map.
func readJSONMap(path string) map[string]any {
	m := map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	return m
}

// number returns m[key] if it is a finite number.
func number(m map[string]any, key string) (float64, bool) {
	v, ok := m[key].(float64)
	return v, ok && !math.IsNaN(v) && !math.IsInf(v, 0)
}
