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

func dynaqMethod() method {
	return method{
		name:     "dynaq",
		noResume: true,
		summary:  "tabular Dyna-Q (Sutton 1990; Sutton & Barto 8.2): steps per episode averaged over runs for each n, CSV and the PNG of Figure 8.2",
		flags: func(a *app, b *binder) func(context.Context) error {
			cfg, o := dynaq.DefaultConfig(), &dynaqFlags{Env: "maze", PlanningSteps: "0,5,50", Runs: dynaq.DefaultRuns}
			b.Bind("", o,
				row("env", "Env", "environment with discrete states and actions (see 'mbrl envs')"),
				row("planning-steps", "PlanningSteps", "planning steps n per real step; a comma list runs each value (0,5,50 is Figure 8.2)"),
				row("runs", "Runs", "independent runs averaged per value of n"),
				row("workers", "Workers", "parallel runs (0: one per CPU; the result does not depend on it)"))
			b.Bind("dynaq", &cfg,
				row("episodes", "Episodes", "episodes per run"),
				row("alpha", "Alpha", "step size alpha in (0, 1]"),
				row("epsilon", "Epsilon", "exploration rate of the epsilon-greedy behaviour policy, in (0, 1]"),
				row("gamma", "Gamma", "discount factor in (0, 1]"),
				row("max-episode-steps", "MaxStepsPerEpisode", "end an episode after this many steps (0: no cap; the maze needs none)"))
			return func(ctx context.Context) error { return a.runTrainDynaQ(b, cfg, o) }
		},
	}
}

func (a *app) runTrainDynaQ(b *binder, cfg dynaq.Config, o *dynaqFlags) error {
	start := time.Now()
	ns, err := cli.Ints(o.PlanningSteps)
	if err == nil {
		err = dynaq.CheckPlanningSteps(ns)
	}
	if err != nil {
		return usagef("mbrl %s: --planning-steps: %v", b.cmd, err)
	}
	if o.Runs < 1 {
		return usagef("mbrl %s: --runs must be at least 1, got %d", b.cmd, o.Runs)
	}
	if err := b.check(cfg.Validate()); err != nil {
		return err
	}
	env, makeEnv, err := b.makeEnv(o.Env)
	if err != nil {
		return err
	}
	if !env.ObservationSpace().Discrete || !env.ActionSpace().Discrete {
		return usagef("mbrl %s: env %q is not tabular (observations %s, actions %s); use 'mbrl train dyna' for it", b.cmd, o.Env, env.ObservationSpace(), env.ActionSpace())
	}
	r, err := a.openRun(b, o.Env)
	if err != nil {
		return err
	}
	defer r.Close()
	fig, err := dynaq.RunFigure(makeEnv, ns, o.Runs, cfg, b.common.Seed, o.Workers)
	if err != nil {
		return fmt.Errorf("mbrl %s: %w", b.cmd, err)
	}
	csvPath, pngPath, err := fig.WriteFiles(r.Dir)
	if err != nil {
		return err
	}
	sum := run.Summary(fig.Summary())
	sum.Add(map[string]any{"command": "train", "method": "dynaq", "env": o.Env, "seed": b.common.Seed,
		"alpha": cfg.Alpha, "epsilon": cfg.Epsilon, "gamma": cfg.Gamma,
		"csv": csvPath, "plot": pngPath, "run_dir": r.Dir, "wall_seconds": run.Seconds(start)})
	if !b.common.JSON {
		fmt.Fprintf(a.stdout, "dynaq on %s: %d runs x %d episodes in %.1fs\n", o.Env, o.Runs, cfg.Episodes, time.Since(start).Seconds())
		fig.WriteText(a.stdout)
		fmt.Fprintf(a.stdout, "files: %s, %s\n", csvPath, pngPath)
	}
	return a.finish(b.common.JSON, r, sum)
}
