package main

import (
	"context"

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
		return a.WriteJSON(true, map[string]any{"command": "envs", "envs": infos})
	}
	return envs.WriteInfoTable(a.Stdout, infos)
}
