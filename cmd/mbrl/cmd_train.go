package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// method is one training method of "mbrl train METHOD".
type method struct {
	name    string
	summary string
	// flags registers the method's flags and returns its run function.
	flags func(a *app, fs *flag.FlagSet) func(ctx context.Context) error
}

func methods() []method {
	return []method{
		bpttMethod(),
		bcMethod(), daggerMethod(), platoMethod(),
		gpsMethod(), lggpsMethod(),
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
		flags: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
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
	fs := flag.NewFlagSet("mbrl train "+m.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runFn := m.flags(a, fs)
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		if err == flag.ErrHelp {
			return a.methodHelp(m.name)
		}
		return usagef("mbrl train %s: %v (see 'mbrl help %s')", m.name, err, m.name)
	}
	if len(pos) > 0 {
		return usagef("mbrl train %s: unexpected argument %q", m.name, pos[0])
	}
	if err := applyConfigFile(fs); err != nil {
		return err
	}
	return runFn(ctx)
}

func (a *app) methodHelp(name string) error {
	m, ok := findMethod(name)
	if !ok {
		return usagef("mbrl help: unknown method %q (valid: %s)", name, strings.Join(methodNames(), ", "))
	}
	fs := flag.NewFlagSet("mbrl train "+m.name, flag.ContinueOnError)
	m.flags(a, fs)
	fmt.Fprintf(a.stdout, "mbrl train %s\n\n%s\n\nFlags:\n", m.name, m.summary)
	printFlags(a.stdout, fs)
	return nil
}
