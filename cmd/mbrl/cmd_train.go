package main

import (
	"context"
	"errors"
	"flag"
	"strings"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/internal/cli"
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

func findMethod(name string) (method, bool) {
	for _, m := range methods() {
		if m.name == name {
			return m, true
		}
	}
	return method{}, false
}

func methodNames() []string {
	var names []string
	for _, m := range methods() {
		names = append(names, m.name)
	}
	return names
}

func trainCommand() command {
	return command{
		name:    "train",
		summary: "train with a method: " + strings.Join(methodNames(), ", ") + " ('mbrl help METHOD' lists its flags)",
		usage:   "train METHOD --env E [flags]",
		flags: func(*app, *flag.FlagSet) func(context.Context, []string) error {
			return nil // handled by runTrain: each method has its own flag set
		},
	}
}

// runTrain dispatches "mbrl train METHOD [flags]".
func (a *app) runTrain(ctx context.Context, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usagef("mbrl train: give a method first (valid: %s)", strings.Join(methodNames(), ", "))
	}
	m, ok := findMethod(args[0])
	if !ok {
		return usagef("mbrl train: unknown method %q (valid: %s)", args[0], strings.Join(methodNames(), ", "))
	}
	b := newBinder(m)
	runFn := m.flags(a, b)
	pos, err := cli.Parse(b.FS, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		a.methodHelp(m)
		return nil
	}
	if err != nil {
		return flagError("mbrl train "+m.name, m.name, err)
	}
	if len(pos) > 0 {
		return usagef("mbrl train %s: unexpected argument %q", m.name, pos[0])
	}
	return runFn(ctx)
}

func (a *app) methodHelp(m method) {
	b := newBinder(m)
	m.flags(a, b)
	a.printHelp("mbrl train "+m.name, m.summary, b.FS)
}

// binder binds a method's flags to the fields of its library
// configuration (cli.Binder) and holds the common options.
type binder struct {
	*cli.Binder
	method string
	cmd    string // "train METHOD"
	common commonOptions
}

func newBinder(m method) *binder {
	b := &binder{Binder: cli.NewBinder(newFlagSet("mbrl train " + m.name)), method: m.name, cmd: "train " + m.name}
	b.common.addFlags(b.FS, !m.noResume)
	if m.noResume {
		b.FS.StringVar(&b.common.Out, "out", "", "run folder (default runs/"+m.name+"-ENV-SEED-TIMESTAMP)")
	}
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
