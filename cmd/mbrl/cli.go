package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mbrl/mbrl/internal/cli"
)

// Exit statuses of the mbrl binary: 0 success, 2 usage or input error, 1
// anything else.
const exitUsage = cli.ExitUsage

func exitCode(err error) int { return cli.ExitCode(err) }

// usagef returns a usage error (exit status 2) with a formatted message.
func usagef(format string, args ...any) error { return cli.Usagef(format, args...) }

// asUsage marks err as caused by user input.
func asUsage(err error) error { return cli.AsUsage(err) }

// app carries the process streams to every command so commands are testable.
type app struct {
	stdout io.Writer
	stderr io.Writer
	// isTerminal reports whether stdout is a terminal (progress bars are
	// shown only then).
	isTerminal bool
	// now is the clock used for run-folder names.
	now func() time.Time
}

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	usage   string // synopsis after "mbrl "
	// flags registers the command's flags on fs and returns the function
	// that runs the command with the remaining positional arguments.
	flags func(a *app, fs *flag.FlagSet) func(ctx context.Context, args []string) error
}

func commands() []command {
	return []command{envsCommand(), rolloutCommand(), trainCommand(), evalCommand(), inspectCommand(), gradnormCommand()}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
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
	switch args[0] {
	case "help", "-h", "--help", "-help":
		return a.help(args[1:])
	case "train":
		return a.runTrain(ctx, args[1:])
	}
	c, ok := findCommand(args[0])
	if !ok {
		return usagef("mbrl: unknown command %q (valid: %s)", args[0], strings.Join(commandNames(), ", "))
	}
	fs := newFlagSet("mbrl " + c.name)
	runFn := c.flags(a, fs)
	pos, err := cli.Parse(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		a.printHelp("mbrl "+c.usage, c.summary, fs)
		return nil
	}
	if err != nil {
		return flagError("mbrl "+c.name, c.name, err)
	}
	return runFn(ctx, pos)
}

// flagError reports a bad command line of cmd as a usage error that
// points to 'mbrl help NAME'.
func flagError(cmd, name string, err error) error {
	return usagef("%s: %v (see 'mbrl help %s')", cmd, err, name)
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
	if args[0] == "train" {
		args = args[1:]
	}
	if m, ok := findMethod(args[0]); ok {
		a.methodHelp(m)
		return nil
	}
	c, ok := findCommand(args[0])
	if !ok {
		return usagef("mbrl help: unknown command %q (valid: %s; methods: %s)", args[0], strings.Join(commandNames(), ", "), strings.Join(methodNames(), ", "))
	}
	fs := newFlagSet("mbrl " + c.name)
	c.flags(a, fs)
	a.printHelp("mbrl "+c.usage, c.summary, fs)
	return nil
}

func (a *app) printOverview(w io.Writer) {
	fmt.Fprintln(w, "mbrl: model-based reinforcement learning and policy learning in Go\n\nUsage:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  mbrl %-60s %s\n", c.usage, c.summary)
	}
	fmt.Fprintf(w, "  mbrl %-60s %s\n", "help [COMMAND | METHOD]", "show a command's flags and defaults")
	fmt.Fprintln(w, "\nExit status: 0 success, 2 usage or input error, 1 anything else.")
}

// printHelp prints a synopsis, a summary and every flag with its default.
func (a *app) printHelp(synopsis, summary string, fs *flag.FlagSet) {
	fmt.Fprintf(a.stdout, "%s\n\n%s\n\nFlags:\n", synopsis, summary)
	cli.PrintDefaults(a.stdout, fs)
}
