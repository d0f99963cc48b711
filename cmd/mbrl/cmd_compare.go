package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/compare"
)

// compareOptions are the flags of "mbrl compare".
type compareOptions struct {
	Env      string
	Methods  string
	Seeds    string
	EvalSeed uint64
	Episodes int
	Jobs     int
	Out      string
	Emit     string
	Collect  string
	Target   *float64
	RunIndex string
	Binary   string
	*cli.Common
}

func compareCommand() command {
	return command{
		name:    "compare",
		summary: "train every method on every seed, evaluate all on the same starts and rank them (IQM, bootstrap CIs, gap to the optimum); --emit slurm|k8s, then --collect DIR",
		usage:   "compare --env E --methods m1,m2:flag=v --seeds 1-5 [flags] | compare --collect DIR",
		flags: func(a *app, b *binder) func(context.Context, []string) error {
			o := &compareOptions{Common: &b.common}
			fs := b.FS
			fs.StringVar(&o.Env, "env", "", "environment name (see 'mbrl envs')")
			fs.StringVar(&o.Methods, "methods", "", "comma-separated method specs: METHOD[:flag=value]..., e.g. bptt,gps,dagger:plans=16,dyna:planning-steps=0 (values with ',' or ':' go in a YAML file given as config=FILE)")
			fs.StringVar(&o.Seeds, "seeds", "1-5", "training seeds: ranges and seeds separated by commas, e.g. 1-5 or 1-3,8")
			fs.Uint64Var(&o.EvalSeed, "eval-seed", 11, "seed of the evaluation starts ('mbrl eval --seed'), the same for every policy and the optimum")
			fs.IntVar(&o.Episodes, "episodes", 100, "evaluation episodes per run")
			fs.IntVar(&o.Jobs, "jobs", runtime.NumCPU(), "processes at a time; each gets GOMAXPROCS=max(1, CPUs/jobs), and results do not depend on it")
			fs.StringVar(&o.Out, "out", "", "comparison folder; runs go to DIR/<spec>/seed-<S> (default runs/compare-ENV-TIMESTAMP)")
			fs.StringVar(&o.Emit, "emit", "", "instead of running: write a cluster file into --out, slurm (job array) or k8s (Indexed Job)")
			fs.StringVar(&o.Collect, "collect", "", "build the leaderboard from the finished run folders of DIR (evaluating checkpoints without eval.json) and list what is missing or failed")
			fs.Func("target", "return to reach (e.g. 475 on cartpole): real env steps to the first evaluation at or above it, per seed (default: the runs' own target_return)", func(s string) error {
				v, err := strconv.ParseFloat(s, 64)
				if err != nil {
					return fmt.Errorf("%q is not a number", s)
				}
				o.Target = &v
				return nil
			})
			fs.StringVar(&o.RunIndex, "run-index", "", "run only job I of the plan (train and evaluate) and exit; what the emitted cluster files call")
			fs.StringVar(&o.Binary, "binary", "", "mbrl executable the runs use (default: this one)")
			return func(ctx context.Context, _ []string) error {
				given := map[string]bool{}
				fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
				return a.runCompare(ctx, o, given)
			}
		},
	}
}

func (a *app) runCompare(ctx context.Context, o *compareOptions, given map[string]bool) error {
	if o.Jobs < 1 {
		return usagef("mbrl compare: --jobs must be at least 1, got %d", o.Jobs)
	}
	bin := o.Binary
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("mbrl compare: locate the mbrl binary: %w (give --binary)", err)
		}
		bin = exe
	}
	runner := &compare.Runner{Binary: bin, Jobs: o.Jobs, Stderr: a.stderr}
	var p *compare.Plan
	var err error
	if o.Collect != "" {
		for _, f := range []string{"env", "methods", "seeds", "eval-seed", "episodes", "target", "emit", "run-index", "out"} {
			if given[f] {
				return usagef("mbrl compare: --collect reads the plan from %s; drop --%s", filepath.Join(o.Collect, compare.PlanFile), f)
			}
		}
		if p, err = compare.LoadPlan(o.Collect); err != nil {
			return asUsage(err)
		}
		runner.CollectOnly = true
	} else if p, err = a.comparePlan(o); err != nil {
		return err
	}
	if o.RunIndex != "" {
		return a.compareRunIndex(ctx, o, p, runner)
	}
	if o.Emit != "" {
		return a.compareEmit(o, p, bin)
	}
	n := len(p.Jobs())
	done := 0
	// On a terminal a bar shows the latest finished run; otherwise one
	// line per run goes to stderr.
	bar := cli.NewProgress(a.stderr, n, "compare "+p.Env, a.isTerminal && !o.Quiet)
	defer bar.Finish()
	runner.Progress = func(r compare.RunResult) {
		done++
		switch {
		case o.Quiet:
		case bar != nil:
			bar.Describe(describeRun(r))
			bar.Add(1)
		default:
			fmt.Fprintf(a.stderr, "[%d/%d] %s\n", done, n, describeRun(r))
		}
	}
	if !o.Quiet && !runner.CollectOnly {
		fmt.Fprintf(a.stderr, "compare: %d runs (%d methods x %d seeds) in %s, %d at a time\n", n, len(p.Methods), len(p.Seeds), p.Dir, o.Jobs)
	}
	rep, err := runner.Run(ctx, p)
	bar.Finish()
	if err != nil {
		return err
	}
	if err := rep.WriteFiles(p.Dir); err != nil {
		return err
	}
	if !o.JSON {
		fmt.Fprint(a.stdout, rep.Markdown())
		fmt.Fprintf(a.stdout, "\nwritten: %s\n", strings.Join(rep.Files, ", "))
	}
	return a.writeJSON(o.JSON, rep)
}

// comparePlan builds the plan from the flags.
func (a *app) comparePlan(o *compareOptions) (*compare.Plan, error) {
	if o.Env == "" {
		return nil, usagef("mbrl compare: --env is required (see 'mbrl envs')")
	}
	if _, err := envs.Make(o.Env); err != nil {
		return nil, asUsage(err)
	}
	specs, err := compare.ParseMethods(o.Methods)
	if err != nil {
		return nil, asUsage(err)
	}
	for _, sp := range specs {
		if !slices.Contains(methodNames(), sp.Method) {
			return nil, usagef("mbrl compare: %q: unknown method %q (valid: %s)", sp.Text, sp.Method, strings.Join(methodNames(), ", "))
		}
	}
	seeds, err := compare.ParseSeeds(o.Seeds)
	if err != nil {
		return nil, asUsage(err)
	}
	dir := o.Out
	if dir == "" {
		dir = filepath.Join("runs", fmt.Sprintf("compare-%s-%s", o.Env, a.now().Format("20060102-150405")))
	}
	p := &compare.Plan{Env: o.Env, Methods: specs, Seeds: seeds, EvalSeed: o.EvalSeed, Episodes: o.Episodes, Target: o.Target, Dir: dir}
	if err := p.Validate(); err != nil {
		return nil, asUsage(err)
	}
	return p, nil
}

// compareEmit writes the plan and a Slurm or Kubernetes file whose index i
// runs "mbrl compare ... --run-index i", i.e. job i's train command line.
func (a *app) compareEmit(o *compareOptions, p *compare.Plan, bin string) error {
	if o.Emit != "slurm" && o.Emit != "k8s" {
		return usagef("mbrl compare: unknown --emit %q (valid: slurm, k8s)", o.Emit)
	}
	cfg := compare.EmitConfig{Binary: "mbrl"}
	if o.Emit == "slurm" {
		// A Slurm node runs this very binary from the shared file system;
		// a Kubernetes pod runs the mbrl of its image.
		if abs, err := filepath.Abs(bin); err == nil {
			cfg.Binary = abs
		}
	}
	cfg.Command = runIndexCommand(cfg.Binary, p)
	path, err := p.Emit(o.Emit, cfg)
	if err != nil {
		return err
	}
	n := len(p.Jobs())
	if !o.JSON {
		fmt.Fprintf(a.stdout, "%s: %d runs (indexes 0-%d); afterwards: mbrl compare --collect %s\n", path, n, n-1, p.Dir)
	}
	return a.writeJSON(o.JSON, map[string]any{"command": "compare", "emit": o.Emit, "file": path, "dir": p.Dir, "runs": n})
}

// runIndexCommand is the command line that runs one job of p given its
// index as the next argument.
func runIndexCommand(bin string, p *compare.Plan) []string {
	var methods []string
	for _, sp := range p.Methods {
		methods = append(methods, sp.Text)
	}
	cmd := []string{bin, "compare", "--env", p.Env, "--methods", strings.Join(methods, ","),
		"--seeds", compare.FormatSeeds(p.Seeds), "--eval-seed", strconv.FormatUint(p.EvalSeed, 10),
		"--episodes", strconv.Itoa(p.Episodes), "--out", p.Dir}
	if p.Target != nil {
		cmd = append(cmd, "--target", strconv.FormatFloat(*p.Target, 'g', -1, 64))
	}
	return append(cmd, "--run-index")
}

// compareRunIndex runs job --run-index of the plan in this process's
// slot. A failing run is recorded in its folder (error.txt) and reported
// on stderr, but exits 0, so one failing run does not fail the whole
// array or Job; --collect lists it.
func (a *app) compareRunIndex(ctx context.Context, o *compareOptions, p *compare.Plan, runner *compare.Runner) error {
	jobs := p.Jobs()
	i, err := strconv.Atoi(o.RunIndex)
	if err != nil || i < 0 || i >= len(jobs) {
		return usagef("mbrl compare: --run-index %q is not an index between 0 and %d", o.RunIndex, len(jobs)-1)
	}
	runner.Jobs, runner.Threads = 1, runtime.GOMAXPROCS(0)
	res := runner.RunJob(ctx, p, jobs[i])
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mbrl compare: run %d interrupted: %w", i, err)
	}
	if !o.Quiet || res.Status == compare.StatusFailed {
		fmt.Fprintf(a.stderr, "%s\n", describeRun(res))
	}
	return a.writeJSON(o.JSON, res)
}

// describeRun is the one-line progress report of a finished run.
func describeRun(r compare.RunResult) string {
	s := fmt.Sprintf("%s seed %d: ", r.Method, r.Seed)
	switch {
	case r.Status == compare.StatusFailed:
		return s + "FAILED " + r.Error
	case r.Status == compare.StatusMissing:
		return s + "missing (not trained)"
	case r.Return != nil:
		s += fmt.Sprintf("return %.1f", *r.Return)
	default:
		s += "trained (no policy to evaluate)"
	}
	if r.WallSeconds != nil {
		s += fmt.Sprintf(", %.1f s", *r.WallSeconds)
	}
	if r.Reused {
		s += " (reused)"
	}
	return s
}
