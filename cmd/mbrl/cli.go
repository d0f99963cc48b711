package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mbrl/mbrl/cmd/internal/cli"
)

// Exit statuses of the mbrl binary: 0 success, 2 usage or input error, 1
// anything else.
const exitUsage = cli.ExitUsage

// usagef returns a usage error (exit status 2) with a formatted message.
func usagef(format string, args ...any) error { return cli.Usagef(format, args...) }

// asUsage marks err as caused by user input.
func asUsage(err error) error { return cli.AsUsage(err) }

// app carries the process streams to every command so commands are testable.
type app struct {
	stdout, stderr io.Writer
	// isTerminal reports whether stdout is a terminal (progress bars are
	// shown only then).
	isTerminal bool
	// now is the clock used for run-folder names.
	now func() time.Time
}

// command is one subcommand of the binary ("train METHOD" for a method).
type command struct {
	name    string
	summary string
	usage   string // synopsis after "mbrl "
	// args: the command takes positional arguments (others refuse them).
	args bool
	// run: the command writes a run folder (--out, and --resume unless
	// noResume).
	run, noResume bool
	// flags binds the command's flags and returns the function that runs
	// it with the positional arguments.
	flags func(a *app, b *binder) func(ctx context.Context, args []string) error
}

func commands() []command {
	cs := []command{envsCommand(), rolloutCommand(), trainCommand(), evalCommand(), optimumCommand(), compareCommand(), inspectCommand(), gradnormCommand()}
	for _, m := range methods() {
		cs = append(cs, m.command())
	}
	return cs
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name || c.name == "train "+name {
			return c, true
		}
	}
	return command{}, false
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		if !strings.HasPrefix(c.name, "train ") {
			names = append(names, c.name)
		}
	}
	return append(names, "help")
}

// run executes the command line args (without the program name) and returns
// the error to report.
func (a *app) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		a.printOverview(a.stderr)
		return usagef("mbrl: no command given (try 'mbrl help')")
	}
	switch {
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help":
		return a.help(args[1:])
	case args[0] == "train" && (len(args) == 1 || strings.HasPrefix(args[1], "-")):
		m, err := cli.ConfigMethod(args[1:]) // "train --config RUN/config.yaml" reruns RUN
		if err != nil || m == "" {
			return cmp.Or(err, usagef("mbrl train: give a method first (valid: %s)", strings.Join(methodNames(), ", ")))
		}
		return a.run(ctx, append([]string{"train", m}, args[1:]...))
	case args[0] == "train":
		if _, ok := findCommand("train " + args[1]); !ok {
			return usagef("mbrl train: unknown method %q (valid: %s)", args[1], strings.Join(methodNames(), ", "))
		}
		args = append([]string{"train " + args[1]}, args[2:]...)
	}
	c, ok := findCommand(args[0])
	if !ok || c.name == "train" {
		return usagef("mbrl: unknown command %q (valid: %s)", args[0], strings.Join(commandNames(), ", "))
	}
	b := newBinder(c)
	runFn := c.flags(a, b)
	pos, err := cli.Parse(b.FS, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		a.printHelp(c, b.FS)
		return nil
	}
	if err != nil {
		return usagef("mbrl %s: %v (see 'mbrl help %s')", c.name, err, c.name)
	}
	if len(pos) > 0 && !c.args {
		return usagef("mbrl %s: unexpected argument %q", c.name, pos[0])
	}
	return runFn(ctx, pos)
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// help implements "mbrl help [CMD | METHOD | train METHOD]".
func (a *app) help(args []string) error {
	if len(args) == 0 {
		a.printOverview(a.stdout)
		return nil
	}
	if args[0] == "train" && len(args) == 1 {
		fmt.Fprintln(a.stdout, "mbrl train METHOD --env E [flags]\n\nMethods:")
		for _, m := range methods() {
			fmt.Fprintf(a.stdout, "  %-8s %s\n", m.name, m.summary)
		}
		fmt.Fprintln(a.stdout, "\n'mbrl help METHOD' lists a method's flags with their defaults.")
		return nil
	}
	name := strings.Join(args, " ")
	if c, ok := findCommand(name); !ok || c.name == "train" {
		return usagef("mbrl help: unknown command %q (valid: %s; methods: %s)", name, strings.Join(commandNames(), ", "), strings.Join(methodNames(), ", "))
	}
	return a.run(context.Background(), append(args, "-h"))
}

func (a *app) printOverview(w io.Writer) {
	fmt.Fprintln(w, "mbrl: model-based reinforcement learning and policy learning in Go\n\nUsage:")
	for _, c := range commands() {
		if !strings.HasPrefix(c.name, "train ") {
			fmt.Fprintf(w, "  mbrl %-60s %s\n", c.usage, c.summary)
		}
	}
	fmt.Fprintf(w, "  mbrl %-60s %s\n", "help [COMMAND | METHOD]", "show a command's flags and defaults")
	fmt.Fprintln(w, "\nExit status: 0 success, 2 usage or input error, 1 anything else.")
}

// printHelp prints c's synopsis, summary and every flag with its default.
func (a *app) printHelp(c command, fs *flag.FlagSet) {
	usage := c.usage
	if usage == "" {
		usage = c.name + " [flags]"
	}
	fmt.Fprintf(a.stdout, "mbrl %s\n\n%s\n\nFlags:\n", usage, c.summary)
	cli.PrintDefaults(a.stdout, fs)
}
