package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mbrl/mbrl/trainers/run"
	"gopkg.in/yaml.v3"
)

// Exit statuses of the mbrl binary.
const (
	exitOK    = 0
	exitOther = 1
	exitUsage = 2
)

// usageError marks an error the user caused by a bad command line or bad
// input (unknown env, malformed file, ...): the binary exits with status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error with a formatted one-line message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// asUsage marks err as caused by user input.
func asUsage(err error) error {
	if err == nil || isUsage(err) {
		return err
	}
	return &usageError{err}
}

// isUsage reports whether err was caused by user input: a usage error or
// a run's input error.
func isUsage(err error) bool {
	var u *usageError
	var in *run.InputError
	return errors.As(err, &u) || errors.As(err, &in)
}

// exitCode maps an error to the process exit status.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case isUsage(err):
		return exitUsage
	}
	return exitOther
}

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
	pos, err := parseFlags(fs, args[1:])
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
	if isUsage(err) {
		return err
	}
	return usagef("%s: %v (see 'mbrl help %s')", cmd, err, name)
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses flags that may appear before, between or after
// positional arguments ("--" ends them), then applies --config.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		// The flag package names flags with one dash; the CLI documents two.
		return nil, errors.New(strings.ReplaceAll(err.Error(), "flag -", "flag --"))
	}
	return pos, applyConfigFile(fs)
}

// parseInterleaved parses flags that may appear before, between or after
// positional arguments; "--" ends flag parsing.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first non-flag or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// applyConfigFile reads the file named by the -config flag, if the command
// has one and it is set, and sets every flag it names that was not given on
// the command line. Keys are flag names; lists become comma-separated values.
func applyConfigFile(fs *flag.FlagSet) error {
	cf := fs.Lookup("config")
	if cf == nil || cf.Value.String() == "" {
		return nil
	}
	path := cf.Value.String()
	raw, err := os.ReadFile(path)
	if err != nil {
		return usagef("mbrl: --config: %v", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return usagef("mbrl: --config %s: not valid YAML or JSON: %v", path, oneLine(err))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := strings.TrimLeft(k, "-")
		if name == "config" {
			continue
		}
		if fs.Lookup(name) == nil {
			return usagef("mbrl: --config %s: unknown key %q (keys are flag names; see 'mbrl help')", path, k)
		}
		if given[name] {
			continue
		}
		v, err := configValue(m[k])
		if err == nil {
			err = fs.Set(name, v)
		}
		if err != nil {
			return usagef("mbrl: --config %s: key %q: %v", path, k, err)
		}
	}
	return nil
}

func configValue(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, err := configValue(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("unsupported value %v", v)
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
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
	fmt.Fprintln(w, "mbrl: model-based reinforcement learning and policy learning in Go")
	fmt.Fprintln(w, "\nUsage:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  mbrl %-60s %s\n", c.usage, c.summary)
	}
	fmt.Fprintf(w, "  mbrl %-60s %s\n", "help [COMMAND | METHOD]", "show a command's flags and defaults")
	fmt.Fprintln(w, "\nExit status: 0 success, 2 usage or input error, 1 anything else.")
}

// printHelp prints a synopsis, a summary and every flag with its usage and
// default.
func (a *app) printHelp(synopsis, summary string, fs *flag.FlagSet) {
	fmt.Fprintf(a.stdout, "%s\n\n%s\n\nFlags:\n", synopsis, summary)
	fs.VisitAll(func(f *flag.Flag) {
		def := f.DefValue
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(a.stdout, "  --%-20s %s (default %s)\n", f.Name, f.Usage, def)
	})
}
