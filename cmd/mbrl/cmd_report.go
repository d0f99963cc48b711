package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/trainers/report"
)

func (a *app) reportCommand() cli.Command {
	return cli.Command{
		Name:    "report",
		Summary: "write report.html into a run or comparison folder: one self-contained page (summary, command line, config, metrics, plots, checkpoint)",
		Usage:   "report RUN_OR_COMPARE_DIR [--json]",
		Args:    true,
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			return func(_ context.Context, args []string) error {
				if len(args) != 1 {
					return cli.Usagef("mbrl report: give exactly one run or comparison folder, e.g. mbrl report runs/dagger-pendulum-1-...")
				}
				path, err := report.Write(args[0])
				if errors.Is(err, report.ErrNotReportable) {
					return cli.AsUsage(err)
				}
				if err != nil {
					return err
				}
				if !b.Common.JSON {
					fmt.Fprintf(a.Stdout, "report: %s\n", path)
				}
				return a.WriteJSON(b.Common.JSON, map[string]any{"command": "report", "dir": args[0], "report": path})
			}
		},
	}
}
