package main

import (
	"context"
	"fmt"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/nn"
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
	// Check the declared architectures too, so that a checkpoint inspect
	// accepts can be built by eval (without building anything here).
	if err := nn.CheckArchitectures(c); err != nil {
		return cli.AsUsage(fmt.Errorf("%s: %w", path, err))
	}
	if !asJSON {
		return c.Describe(a.Stdout, path)
	}
	rows, total := c.TensorInfos()
	// The trainer state (datasets, moments) is listed as tensors, not
	// printed.
	meta := c.Meta
	meta.Optimizer = nil
	return a.WriteJSON(true, map[string]any{"command": "inspect", "checkpoint": path, "metadata": meta, "tensors": rows, "parameters": total,
		"resumable": len(c.Meta.Optimizer) > 0, "state_tensors": c.StateTensors})
}
