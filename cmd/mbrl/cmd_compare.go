package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
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

func (a *app) compareCommand() cli.Command {
	return cli.Command{
		Name:    "compare",
		Summary: "train every method on every seed, evaluate all on the same starts and rank them (IQM, bootstrap CIs, gap to the optimum); --emit slurm|k8s, then --collect DIR",
		Usage:   "compare --env E --methods m1,m2:flag=v --seeds 1-5 [flags] | compare --collect DIR",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			o := &compareOptions{Common: &b.Common}
			fs := b.FS
			fs.StringVar(&o.Env, "env", "", "environment name (see 'mbrl envs')")
			fs.StringVar(&o.Methods, "methods", "", "comma-separated method specs: METHOD[:flag=value]..., e.g. bptt,gps,dagger:plans=16,dyna:planning-steps=0; quote values holding ',' or ':', e.g. 'bptt:horizon-schedule=\"150:100,300:150\"'")
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
				return a.runCompare(ctx, b, o)
			}
		},
	}
}

func (a *app) runCompare(ctx context.Context, b *cli.Binder, o *compareOptions) error {
	if o.Jobs < 1 {
		return cli.Usagef("mbrl compare: --jobs must be at least 1, got %d", o.Jobs)
	}
	bin, err := compare.Executable(o.Binary)
	if err != nil {
		return fmt.Errorf("mbrl %w", err)
	}
	runner := &compare.Runner{Binary: bin, Jobs: o.Jobs, Stderr: a.Stderr}
	var p *compare.Plan
	if o.Collect != "" {
		for _, f := range []string{"env", "gym-kwargs", "methods", "seeds", "eval-seed", "episodes", "target", "emit", "run-index", "out"} {
			if b.Given(f) {
				return cli.Usagef("mbrl compare: --collect reads the plan from %s; drop --%s", filepath.Join(o.Collect, compare.PlanFile), f)
			}
		}
		if p, err = compare.LoadPlan(o.Collect); err != nil {
			return cli.AsUsage(err)
		}
		if b.Given("python") { // the interpreter may differ from the plan's machine
			p.Python = b.FS.Lookup("python").Value.String()
		}
		runner.CollectOnly = true
	} else {
		env, _, err := b.MakeEnv(o.Env)
		if err != nil {
			return err
		}
		envs.Close(env)
		opts := compare.Options{Env: o.Env, Methods: o.Methods, Seeds: o.Seeds, EvalSeed: o.EvalSeed, Episodes: o.Episodes, Target: o.Target, Dir: o.Out}
		// A gym: env's options go to every run (train, eval, optimum).
		if b.Given("python") {
			opts.Python = b.FS.Lookup("python").Value.String()
		}
		if b.Given("gym-kwargs") {
			opts.GymKwargs = b.FS.Lookup("gym-kwargs").Value.String()
		}
		if p, err = compare.NewPlan(opts, a.program().MethodNames(), a.Now()); err != nil {
			return cli.AsUsage(err)
		}
	}
	if o.RunIndex != "" {
		return a.compareRunIndex(ctx, o, p, runner)
	}
	if o.Emit != "" {
		// A Slurm array or Kubernetes Job whose index i runs job i.
		if o.Emit != "slurm" && o.Emit != "k8s" {
			return cli.Usagef("mbrl compare: unknown --emit %q (valid: slurm, k8s)", o.Emit)
		}
		path, err := p.EmitRunIndex(o.Emit, bin)
		if err != nil {
			return err
		}
		n := len(p.Jobs())
		if !o.JSON {
			fmt.Fprintf(a.Stdout, "%s: %d runs (indexes 0-%d); afterwards: mbrl compare --collect %s\n", path, n, n-1, p.Dir)
		}
		return a.WriteJSON(o.JSON, map[string]any{"command": "compare", "emit": o.Emit, "file": path, "dir": p.Dir, "runs": n})
	}
	// On a terminal a bar shows the latest finished run; otherwise one
	// line per run goes to stderr.
	n := len(p.Jobs())
	bar, report := cli.ItemProgress(a.Stderr, n, "compare "+p.Env, a.IsTerminal, o.Quiet)
	defer bar.Finish()
	runner.Progress = func(r compare.RunResult) { report(r) }
	if !o.Quiet && !runner.CollectOnly {
		fmt.Fprintf(a.Stderr, "compare: %d runs (%d methods x %d seeds) in %s, %d at a time\n", n, len(p.Methods), len(p.Seeds), p.Dir, o.Jobs)
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
		fmt.Fprint(a.Stdout, rep.Markdown())
		fmt.Fprintf(a.Stdout, "\nwritten: %s\n", strings.Join(rep.Files, ", "))
	}
	return a.WriteJSON(o.JSON, rep)
}

// compareRunIndex runs job --run-index of the plan in this process's
// slot. A failing run is recorded in its folder (error.txt) and reported
// on stderr, but exits 0, so one failing run does not fail the whole
// array or Job; --collect lists it.
func (a *app) compareRunIndex(ctx context.Context, o *compareOptions, p *compare.Plan, runner *compare.Runner) error {
	job, err := p.JobAt(o.RunIndex)
	if err != nil {
		return cli.Usagef("mbrl %v", err)
	}
	runner.Jobs, runner.Threads = 1, runtime.GOMAXPROCS(0)
	res := runner.RunJob(ctx, p, job)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mbrl compare: run %d interrupted: %w", job.Index, err)
	}
	if !o.Quiet || res.Status == compare.StatusFailed {
		fmt.Fprintf(a.Stderr, "%s\n", res)
	}
	return a.WriteJSON(o.JSON, res)
}
