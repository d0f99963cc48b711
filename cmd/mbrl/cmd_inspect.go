package main

import (
	"context"

	"github.com/mbrl/mbrl/checkpoints"
)

func inspectCommand() command {
	return command{
		name:    "inspect",
		summary: "show a checkpoint's metadata, models, tensor names and shapes, and parameter count",
		usage:   "inspect CKPT [--json]",
		args:    true,
		flags: func(a *app, b *binder) func(context.Context, []string) error {
			return func(_ context.Context, args []string) error {
				if len(args) != 1 {
					return usagef("mbrl inspect: give exactly one checkpoint path")
				}
				return a.inspect(args[0], b.common.JSON)
			}
		},
	}
}

func (a *app) inspect(path string, asJSON bool) error {
	c, err := checkpoints.Load(path)
	if err != nil {
		return asUsage(err)
	}
	if !asJSON {
		return c.Describe(a.stdout, path)
	}
	rows, total := c.TensorInfos()
	return a.writeJSON(true, map[string]any{"command": "inspect", "checkpoint": path, "metadata": c.Meta, "tensors": rows, "parameters": total})
}
