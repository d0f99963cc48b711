package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/envs"
)

// envsCommand lists the registered environments.
func (a *app) envsCommand() cli.Command {
	return cli.Command{
		Name:    "envs",
		Summary: "list environments: observation dims, action space, episode limit, known dynamics",
		Usage:   "envs [--json]",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			return func(context.Context, []string) error { return a.listEnvs(b.Common.JSON) }
		},
	}
}

func (a *app) listEnvs(asJSON bool) error {
	infos, err := envs.Infos()
	if err != nil {
		return err
	}
	if asJSON {
		return a.writeJSON(true, map[string]any{"command": "envs", "envs": infos})
	}
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tOBS\tSTATE\tACTIONS\tLIMIT\tKNOWN DYNAMICS")
	for _, in := range infos {
		limit := "none"
		if in.MaxSteps > 0 {
			limit = fmt.Sprint(in.MaxSteps)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%v\n", in.Name, in.Observation, in.StateDim, in.Action, limit, in.Known)
	}
	return tw.Flush()
}
