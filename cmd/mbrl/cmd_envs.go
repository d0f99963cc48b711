package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/mbrl/mbrl/envs"
)

// envsCommand lists the registered environments.
func envsCommand() command {
	return command{
		name:    "envs",
		summary: "list environments: observation dims, action space, episode limit, known dynamics",
		usage:   "envs [--json]",
		flags: func(a *app, b *binder) func(context.Context, []string) error {
			return func(context.Context, []string) error { return a.listEnvs(b.common.JSON) }
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
