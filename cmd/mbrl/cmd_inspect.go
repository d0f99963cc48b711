package main

import (
	"context"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/cmd/internal/cli"
)

func (a *app) inspectCommand() cli.Command {
	return cli.Command{
		Name:    "inspect",
		Summary: "show a checkpoint's metadata, models, tensor names and shapes, and parameter count",
		Usage:   "inspect CKPT [--json]",
		Args:    true,
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			return func(_ context.Context, args []string) error {
				if len(args) != 1 {
					return cli.Usagef("mbrl inspect: give exactly one checkpoint path")
				}
				return a.inspect(args[0], b.Common.JSON)
			}
		},
	}
}

func (a *app) inspect(path string, asJSON bool) error {
	c, err := checkpoints.Load(path)
	if err != nil {
		return cli.AsUsage(err)
	}
	if !asJSON {
		return c.Describe(a.Stdout, path)
	}
	rows, total := c.TensorInfos()
	return a.WriteJSON(true, map[string]any{"command": "inspect", "checkpoint": path, "metadata": c.Meta, "tensors": rows, "parameters": total})
}
