// Command mbrl trains and evaluates model-based RL agents and policies:
// environments, learned dynamics models, optimal control, BPTT, GPS,
// DAgger/PLATO and Dyna. Run "mbrl help" for the commands.
//
// It is glue over the libraries: cmd_<name>.go is the command <name>,
// cmd_train_<method>.go the method of "mbrl train <method>": a table of
// flags bound to the fields of the library's DefaultConfig (internal/cli)
// and a call into the library; the run machinery (run folder, metrics,
// plots, summary.json) is trainers/run's. cli.go dispatches, output.go
// runs a training with its progress bar and prints the summary.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"golang.org/x/term"
)

func main() {
	ctx, stop, received := cli.SignalContext(context.Background())
	a := &app{
		stdout:     os.Stdout,
		stderr:     os.Stderr,
		isTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		now:        time.Now,
	}
	err := a.run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", cli.OneLine(err))
	}
	os.Exit(cli.ExitStatus(err, received())) // 130 after SIGINT, 143 after SIGTERM
}
