package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/envs/gym"
	"github.com/mbrl/mbrl/trainers/run"
)

// Command is one subcommand of a Program, or one method of its group
// command ("train METHOD").
type Command struct {
	Name    string
	Summary string
	Usage   string // synopsis after the program name
	// Args: the command takes positional arguments (others refuse them).
	Args bool
	// Run: the command writes a run folder (--out, and --resume unless
	// NoResume). Methods always write one.
	Run, NoResume bool
	// Bind binds the command's flags to b and returns the function that
	// runs it with the positional arguments. The group command has none.
	Bind func(b *Binder) func(ctx context.Context, args []string) error
}

// Program dispatches a command line to its commands: "PROG CMD [flags]",
// "PROG GROUP METHOD [flags]" for the methods, "PROG GROUP --config
// RUN/config.yaml" (the method named by the file) and "PROG help [CMD |
// METHOD | GROUP METHOD]", which prints a command's flags with their
// defaults.
type Program struct {
	Name  string // e.g. "mbrl"
	Title string // first line of the overview
	// Group is the name of the command that runs a method ("train"); the
	// entry of that name in Commands is listed in the overview only.
	Group    string
	Commands []Command
	Methods  []Command
	// Footer ends the overview, e.g. the exit statuses.
	Footer         string
	Stdout, Stderr io.Writer
}

// MethodNames returns the names of the methods.
func (p *Program) MethodNames() []string {
	var names []string
	for _, m := range p.Methods {
		names = append(names, m.Name)
	}
	return names
}

func (p *Program) find(name string) (Command, bool) {
	for _, c := range p.Commands {
		if c.Name == name && c.Name != p.Group {
			return c, true
		}
	}
	for _, m := range p.Methods {
		if m.Name == name || p.Group+" "+m.Name == name {
			m.Name, m.Run = p.Group+" "+m.Name, true
			return m, true
		}
	}
	return Command{}, false
}

func (p *Program) commandNames() string {
	var names []string
	for _, c := range p.Commands {
		names = append(names, c.Name)
	}
	return strings.Join(append(names, "help"), ", ")
}

// Run executes the command line args (without the program name) and
// returns the error to report.
func (p *Program) Run(ctx context.Context, args []string) error {
	methods := strings.Join(p.MethodNames(), ", ")
	if len(args) == 0 {
		p.PrintOverview(p.Stderr)
		return Usagef("%s: no command given (try '%s help')", p.Name, p.Name)
	}
	switch {
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help":
		return p.help(args[1:])
	case args[0] == p.Group && (len(args) == 1 || strings.HasPrefix(args[1], "-")):
		m, err := ConfigMethod(args[1:]) // "train --config RUN/config.yaml" reruns RUN
		if err != nil || m == "" {
			return cmp.Or(err, Usagef("%s %s: give a method first (valid: %s)", p.Name, p.Group, methods))
		}
		return p.Run(ctx, append([]string{p.Group, m}, args[1:]...))
	case args[0] == p.Group:
		if _, ok := p.find(p.Group + " " + args[1]); !ok {
			return Usagef("%s %s: unknown method %q (valid: %s)", p.Name, p.Group, args[1], methods)
		}
		args = append([]string{p.Group + " " + args[1]}, args[2:]...)
	}
	c, ok := p.find(args[0])
	if !ok {
		return Usagef("%s: unknown command %q (valid: %s)", p.Name, args[0], p.commandNames())
	}
	b := p.binder(c)
	runFn := c.Bind(b)
	b.addGymFlags(ctx)
	pos, err := Parse(b.FS, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		p.printHelp(c, b.FS)
		return nil
	}
	if err != nil {
		return Usagef("%s: %v (see '%s help %s')", b.Cmd, err, p.Name, c.Name)
	}
	if len(pos) > 0 && !c.Args {
		return Usagef("%s: unexpected argument %q", b.Cmd, pos[0])
	}
	if err := resumeSettings(b); err != nil {
		return err
	}
	if b.Common.CPUProfile != "" {
		stop, err := startCPUProfile(b.Common.CPUProfile)
		if err != nil {
			return Usagef("%s: --cpuprofile: %v", b.Cmd, err)
		}
		err = runFn(ctx, pos)
		return errors.Join(err, stop())
	}
	return runFn(ctx, pos)
}

// startCPUProfile starts a CPU profile into path and returns the function
// that stops it and closes the file.
func startCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		return nil
	}, nil
}

// resumeSettings applies the config.yaml of the run folder of a --resume
// checkpoint, when it records the same method, as a --config file (flags
// on the command line, and a --config given, win): a resumed run goes on
// with the settings it started with, e.g. its --iters, so that resuming
// a finished run finds it finished.
func resumeSettings(b *Binder) error {
	rf := b.FS.Lookup("resume")
	if rf == nil || rf.Value.String() == "" || b.Given("config") {
		return nil
	}
	path := filepath.Join(filepath.Dir(rf.Value.String()), "config.yaml")
	if m, err := ConfigMethod([]string{"--config", path}); err != nil || m != b.Method {
		return nil // no run folder, or another method's: Train reports the mismatch
	}
	return ApplyConfigFile(b.FS, path)
}

// binder returns the Binder of c with the options every command shares.
func (p *Program) binder(c Command) *Binder {
	fs := flag.NewFlagSet(p.Name+" "+c.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	b := NewBinder(fs)
	b.Cmd, b.Method = fs.Name(), strings.TrimPrefix(c.Name, p.Group+" ")
	out := "runs/METHOD-ENV-SEED-TIMESTAMP-PID"
	if c.NoResume {
		out = "runs/" + b.Method + "-ENV-SEED-TIMESTAMP-PID"
	}
	b.Common.AddFlags(fs, c.Run, !c.NoResume, out)
	return b
}

// help implements "PROG help [CMD | METHOD | GROUP METHOD]".
func (p *Program) help(args []string) error {
	if len(args) == 0 {
		p.PrintOverview(p.Stdout)
		return nil
	}
	if args[0] == p.Group && len(args) == 1 {
		fmt.Fprintf(p.Stdout, "%s %s METHOD --env E [flags]\n\nMethods:\n", p.Name, p.Group)
		for _, m := range p.Methods {
			fmt.Fprintf(p.Stdout, "  %-8s %s\n", m.Name, m.Summary)
		}
		fmt.Fprintf(p.Stdout, "\n'%s help METHOD' lists a method's flags with their defaults.\n", p.Name)
		return nil
	}
	name := strings.Join(args, " ")
	if _, ok := p.find(name); !ok {
		return Usagef("%s help: unknown command %q (valid: %s; methods: %s)", p.Name, name, p.commandNames(), strings.Join(p.MethodNames(), ", "))
	}
	return p.Run(context.Background(), append(args, "-h"))
}

// PrintOverview prints the title, every command's synopsis and summary,
// and the footer.
func (p *Program) PrintOverview(w io.Writer) {
	fmt.Fprintf(w, "%s\n\nUsage:\n", p.Title)
	for _, c := range p.Commands {
		fmt.Fprintf(w, "  %s %-60s %s\n", p.Name, c.Usage, c.Summary)
	}
	fmt.Fprintf(w, "  %s %-60s %s\n", p.Name, "help [COMMAND | METHOD]", "show a command's flags and defaults")
	fmt.Fprintf(w, "\n%s\n", p.Footer)
}

// printHelp prints c's synopsis, summary and every flag with its default.
func (p *Program) printHelp(c Command, fs *flag.FlagSet) {
	usage := cmp.Or(c.Usage, c.Name+" [flags]")
	fmt.Fprintf(p.Stdout, "%s %s\n\n%s\n\nFlags:\n", p.Name, usage, c.Summary)
	PrintDefaults(p.Stdout, fs)
}

// Validate returns the first non-nil error of errs as a usage error of
// the command (Check).
func (b *Binder) Validate(errs ...error) error { return b.Check(b.Cmd, errs...) }

// BindTraining binds a run's schedule: iters (unless itersHelp is empty:
// the method binds it itself), eval-every, eval-episodes and
// final-episodes.
func (b *Binder) BindTraining(t *run.Training, itersHelp string) {
	if itersHelp != "" {
		b.Bind("run", t, Row{"iters", "Iters", itersHelp})
	}
	b.Bind("run", t,
		Row{"eval-every", "EvalEvery", "evaluate in the real env every N iterations (0: only at the end)"},
		Row{"eval-episodes", "EvalEpisodes", "episodes per periodic evaluation"},
		Row{"final-episodes", "FinalEpisodes", "episodes of the final evaluation (random starts, in parallel)"})
}

// MakeEnv returns the named env and its constructor after checking that
// it can be made.
func (b *Binder) MakeEnv(name string) (envs.Env, func() (envs.Env, error), error) {
	if name == "" {
		return nil, nil, Usagef("%s: --env is required (see 'mbrl envs')", b.Cmd)
	}
	if gym.IsGym(name) {
		return b.makeGym(name)
	}
	env, err := envs.Make(name)
	if err != nil {
		return nil, nil, AsUsage(err)
	}
	return env, func() (envs.Env, error) { return envs.Make(name) }, nil
}

// ModelError reports an error of setting up a method's dynamics as a
// usage error, naming --model when one was given.
func (b *Binder) ModelError(model string, err error) error {
	if model != "" {
		return Usagef("%s: --model: %v", b.Cmd, err)
	}
	return Usagef("%s: %v", b.Cmd, err)
}
