package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Exit statuses of the mbrl binary (DESIGN.md).
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
	if err == nil {
		return nil
	}
	var u *usageError
	if errors.As(err, &u) {
		return err
	}
	return &usageError{err}
}

// exitCode maps an error to the process exit status.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var u *usageError
	if errors.As(err, &u) {
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
	return []command{
		envsCommand(),
		rolloutCommand(),
		trainCommand(),
		evalCommand(),
		inspectCommand(),
		gradnormCommand(),
		compareCommand(),
	}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// run executes the command line args (without the program name) and returns
// the error to report.
func (a *app) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		a.printOverview(a.stderr)
		return usagef("mbrl: no command given (try 'mbrl help')")
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help", "-help":
		return a.help(args[1:])
	}
	if name == "train" {
		return a.runTrain(ctx, args[1:])
	}
	c, ok := findCommand(name)
	if !ok {
		return usagef("mbrl: unknown command %q (valid: %s)", name, strings.Join(commandNames(), ", "))
	}
	return a.runCommand(ctx, c, args[1:])
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return append(names, "help")
}

// runCommand parses the command's flags (interleaved with positional
// arguments), applies --config, and runs it.
func (a *app) runCommand(ctx context.Context, c command, args []string) error {
	fs := flag.NewFlagSet("mbrl "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runFn := c.flags(a, fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.commandHelp(a.stdout, c, fs)
			return nil
		}
		return usagef("mbrl %s: %v (see 'mbrl help %s')", c.name, err, c.name)
	}
	if err := applyConfigFile(fs); err != nil {
		return err
	}
	return runFn(ctx, pos)
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
		if err != nil {
			return usagef("mbrl: --config %s: key %q: %v", path, k, err)
		}
		if err := fs.Set(name, v); err != nil {
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
	default:
		return "", fmt.Errorf("unsupported value %v", v)
	}
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// help implements "mbrl help [CMD [METHOD]]".
func (a *app) help(args []string) error {
	if len(args) == 0 {
		a.printOverview(a.stdout)
		return nil
	}
	if args[0] == "train" {
		if len(args) > 1 {
			return a.methodHelp(args[1])
		}
		fmt.Fprintln(a.stdout, "mbrl train METHOD --env E [flags]\n\nMethods:")
		for _, m := range methods() {
			fmt.Fprintf(a.stdout, "  %-8s %s\n", m.name, m.summary)
		}
		fmt.Fprintln(a.stdout, "\n'mbrl help METHOD' lists a method's flags with their defaults.")
		return nil
	}
	if m, ok := findMethod(args[0]); ok {
		return a.methodHelp(m.name)
	}
	c, ok := findCommand(args[0])
	if !ok {
		return usagef("mbrl help: unknown command %q (valid: %s)", args[0], strings.Join(commandNames(), ", "))
	}
	fs := flag.NewFlagSet("mbrl "+c.name, flag.ContinueOnError)
	c.flags(a, fs)
	a.commandHelp(a.stdout, c, fs)
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

func (a *app) commandHelp(w io.Writer, c command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "mbrl %s\n\n%s\n\nFlags:\n", c.usage, c.summary)
	printFlags(w, fs)
}

// printFlags lists every flag with its usage and default.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		def := f.DefValue
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  --%-20s %s (default %s)\n", f.Name, f.Usage, def)
	})
}

// commonOptions are the flags every training-like command shares.
type commonOptions struct {
	Seed   uint64
	Out    string
	Config string
	Resume string
	Quiet  bool
	JSON   bool
}

func (o *commonOptions) addFlags(fs *flag.FlagSet, withRun bool) {
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed; the same seed gives the same result bit for bit")
	fs.StringVar(&o.Config, "config", "", "YAML or JSON file of flag values (flag names as keys); command-line flags win")
	fs.BoolVar(&o.Quiet, "quiet", false, "no progress bar")
	fs.BoolVar(&o.JSON, "json", false, "print a one-line JSON summary as the last line of stdout")
	if withRun {
		fs.StringVar(&o.Out, "out", "", "run folder (default runs/METHOD-ENV-SEED-TIMESTAMP)")
		fs.StringVar(&o.Resume, "resume", "", "checkpoint to resume training from (e.g. RUN/latest.safetensors)")
	}
}

// runDir returns the run folder to use and creates it.
func (a *app) runDir(o *commonOptions, method, env string) (string, error) {
	dir := o.Out
	if dir == "" {
		dir = filepath.Join("runs", fmt.Sprintf("%s-%s-%d-%s", method, env, o.Seed, a.now().Format("20060102-150405")))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("mbrl: create run folder: %w", err)
	}
	return dir, nil
}

// writeJSON prints v as one JSON line on stdout when enabled.
func (a *app) writeJSON(enabled bool, v any) error {
	if !enabled {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("mbrl: encode JSON summary: %w", err)
	}
	_, err = fmt.Fprintln(a.stdout, string(b))
	return err
}

// parseFloats parses a comma-separated list of numbers.
func parseFloats(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]float64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", strings.TrimSpace(p))
		}
		out[i] = v
	}
	return out, nil
}

// parseInts parses a comma-separated list of integers.
func parseInts(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", strings.TrimSpace(p))
		}
		out[i] = v
	}
	return out, nil
}
