package main

import (
	"context"
	"fmt"
	"time"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/trainers/dynaq"
	"github.com/mbrl/mbrl/trainers/run"
)

// dynaqFlags are the flags of "mbrl train dynaq" beyond dynaq.Config.
type dynaqFlags struct {
	Env, PlanningSteps string
	Runs, Workers      int
}

func (a *app) dynaqMethod() cli.Command {
	return cli.Command{
		Name:     "dynaq",
		NoResume: true,
		Summary:  "tabular Dyna-Q (Sutton 1990; Sutton & Barto 8.2): steps per episode averaged over runs for each n, CSV and the PNG of Figure 8.2",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			cfg, o := dynaq.DefaultConfig(), &dynaqFlags{Env: "maze", PlanningSteps: "0,5,50", Runs: dynaq.DefaultRuns}
			b.Bind("", o,
				row("env", "Env", "environment with discrete states and actions (see 'mbrl envs')"),
				row("planning-steps", "PlanningSteps", "planning steps n per real step; a comma list runs each value (0,5,50 is Figure 8.2)"),
				row("runs", "Runs", "independent runs averaged per value of n"),
				row("workers", "Workers", "parallel runs (0: one per CPU; the result does not depend on it)"))
			b.Bind("dynaq", &cfg,
				row("episodes", "Episodes", "episodes per run"),
				row("alpha", "Alpha", "step size alpha in (0, 1]"),
				row("epsilon", "Epsilon", "exploration rate of the epsilon-greedy behaviour policy, in [0, 1]"),
				row("gamma", "Gamma", "discount factor in (0, 1]"),
				row("max-episode-steps", "MaxStepsPerEpisode", "end an episode after this many steps (0: no cap; the maze needs none)"))
			return func(ctx context.Context, _ []string) error { return a.runTrainDynaQ(b, cfg, o) }
		},
	}
}

func (a *app) runTrainDynaQ(b *cli.Binder, cfg dynaq.Config, o *dynaqFlags) error {
	start := time.Now()
	ns, err := cli.Ints(o.PlanningSteps)
	if err == nil {
		err = dynaq.CheckPlanningSteps(ns)
	}
	if err != nil {
		return cli.Usagef("%s: --planning-steps: %v", b.Cmd, err)
	}
	if o.Runs < 1 {
		return cli.Usagef("%s: --runs must be at least 1, got %d", b.Cmd, o.Runs)
	}
	if o.Workers < 0 {
		return cli.Usagef("%s: --workers must be 0 (one per CPU) or more, got %d", b.Cmd, o.Workers)
	}
	if err := b.Validate(cfg.Validate()); err != nil {
		return err
	}
	env, makeEnv, err := b.MakeEnv(o.Env)
	if err != nil {
		return err
	}
	if !env.ObservationSpace().Discrete || !env.ActionSpace().Discrete {
		return cli.Usagef("%s: env %q is not tabular (observations %s, actions %s); use 'mbrl train dyna' for it", b.Cmd, o.Env, env.ObservationSpace(), env.ActionSpace())
	}
	b.Alias("dynaq", "Runs", "runs")
	if err := b.CheckMemory(cfg.Memory(env, len(ns), o.Runs, o.Workers)); err != nil {
		return err
	}
	r, err := a.OpenRun(b, o.Env)
	if err != nil {
		return err
	}
	defer r.Close()
	fig, err := dynaq.RunFigure(makeEnv, ns, o.Runs, cfg, b.Common.Seed, o.Workers)
	if err != nil {
		return fmt.Errorf("%s: %w", b.Cmd, err)
	}
	csvPath, pngPath, err := fig.WriteFiles(r.Dir)
	if err != nil {
		return err
	}
	sum := run.Summary(fig.Summary())
	sum.Add(map[string]any{"command": "train", "method": "dynaq", "env": o.Env, "seed": b.Common.Seed,
		"alpha": cfg.Alpha, "epsilon": cfg.Epsilon, "gamma": cfg.Gamma,
		"csv": csvPath, "plot": pngPath, "run_dir": r.Dir, "wall_seconds": run.Seconds(start)})
	if !b.Common.JSON {
		fmt.Fprintf(a.Stdout, "dynaq on %s: %d runs x %d episodes in %.1fs\n", o.Env, o.Runs, cfg.Episodes, time.Since(start).Seconds())
		fig.WriteText(a.Stdout)
		fmt.Fprintf(a.Stdout, "files: %s, %s\n", csvPath, pngPath)
	}
	return a.Finish(b.Common.JSON, r, sum)
}
