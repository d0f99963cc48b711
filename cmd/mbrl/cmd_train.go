package main

import (
	"context"
	"strings"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/run"
)

// method is one training method of "mbrl train METHOD".
type method struct {
	name    string
	summary string
	// noResume: the method has no iterations to resume (no --resume).
	noResume bool
	// flags binds the method's flags and returns its run function.
	flags func(a *app, b *binder) func(ctx context.Context) error
}

func methods() []method {
	return []method{
		bpttMethod(),
		bcMethod(), daggerMethod(), platoMethod(),
		gpsMethod(),
		modelMethod(), mpcMethod(),
		dynaqMethod(), dynaMethod(),
	}
}

func methodNames() []string {
	var names []string
	for _, m := range methods() {
		names = append(names, m.name)
	}
	return names
}

// command returns the command "train METHOD" of m.
func (m method) command() command {
	return command{name: "train " + m.name, summary: m.summary, run: true, noResume: m.noResume,
		flags: func(a *app, b *binder) func(context.Context, []string) error {
			runFn := m.flags(a, b)
			return func(ctx context.Context, _ []string) error { return runFn(ctx) }
		}}
}

func trainCommand() command {
	return command{name: "train", usage: "train METHOD --env E [flags]",
		summary: "train with a method: " + strings.Join(methodNames(), ", ") + " ('mbrl help METHOD' lists its flags)"}
}

// binder binds a command's flags to the fields of its library
// configuration (cli.Binder) and holds the options every command shares.
type binder struct {
	*cli.Binder
	method string // the training method, for "train METHOD"
	cmd    string // the command, e.g. "train gps"
	common cli.Common
}

func newBinder(c command) *binder {
	b := &binder{Binder: cli.NewBinder(newFlagSet("mbrl " + c.name)), method: strings.TrimPrefix(c.name, "train "), cmd: c.name}
	out := "runs/METHOD-ENV-SEED-TIMESTAMP-PID"
	if c.noResume {
		out = "runs/" + b.method + "-ENV-SEED-TIMESTAMP-PID"
	}
	b.common.AddFlags(b.FS, c.run, !c.noResume, out)
	return b
}

// check returns the first error of errs as a usage error of the method;
// a configuration error of a bound field names its flag.
func (b *binder) check(errs ...error) error { return b.Check("mbrl "+b.cmd, errs...) }

// bindTraining binds the run's schedule: iters (unless itersHelp is
// empty: the method binds it itself), eval-every, eval-episodes and
// final-episodes.
func (b *binder) bindTraining(t *run.Training, itersHelp string) {
	if itersHelp != "" {
		b.Bind("run", t, row("iters", "Iters", itersHelp))
	}
	b.Bind("run", t,
		row("eval-every", "EvalEvery", "evaluate in the real env every N iterations (0: only at the end)"),
		row("eval-episodes", "EvalEpisodes", "episodes per periodic evaluation"),
		row("final-episodes", "FinalEpisodes", "episodes of the final evaluation (random starts, in parallel)"))
}

// makeEnv returns the constructor of the named env after checking that
// it can be made.
func (b *binder) makeEnv(name string) (envs.Env, func() (envs.Env, error), error) {
	if name == "" {
		return nil, nil, usagef("mbrl %s: --env is required (see 'mbrl envs')", b.cmd)
	}
	env, err := envs.Make(name)
	if err != nil {
		return nil, nil, asUsage(err)
	}
	return env, func() (envs.Env, error) { return envs.Make(name) }, nil
}

// modelError reports an error of setting up a method's dynamics as a
// usage error, naming --model when one was given.
func (b *binder) modelError(model string, err error) error {
	if model != "" {
		return usagef("mbrl %s: --model: %v", b.cmd, err)
	}
	return usagef("mbrl %s: %v", b.cmd, err)
}

// row binds the flag --name to the config field at path (cli.Row).
func row(name, path, help string) cli.Row { return cli.Row{Name: name, Path: path, Help: help} }
