// Command mbrl trains and evaluates model-based RL agents and policies:
// environments, learned dynamics models, optimal control, BPTT, GPS,
// DAgger/PLATO and Dyna. Run "mbrl help" for the commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mbrl/mbrl/internal/cli"
	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
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
	os.Exit(exitCode(err))
}
