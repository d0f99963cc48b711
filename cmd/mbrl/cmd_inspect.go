package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/mbrl/mbrl/checkpoints"
)

func inspectCommand() command {
	return command{
		name:    "inspect",
		summary: "show a checkpoint's metadata, models, tensor names and shapes, and parameter count",
		usage:   "inspect CKPT [--json]",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			asJSON := fs.Bool("json", false, "print the metadata and tensor list as one JSON line")
			return func(_ context.Context, args []string) error {
				if len(args) != 1 {
					return usagef("mbrl inspect: give exactly one checkpoint path")
				}
				return a.inspect(args[0], *asJSON)
			}
		},
	}
}

type tensorRow struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	Size  int    `json:"size"`
}

func (a *app) inspect(path string, asJSON bool) error {
	c, err := checkpoints.Load(path)
	if err != nil {
		return asUsage(err)
	}
	var rows []tensorRow
	total := 0
	for _, t := range c.Tensors {
		rows = append(rows, tensorRow{t.Name, t.Shape, len(t.Data)})
		total += len(t.Data)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	if asJSON {
		return a.writeJSON(true, map[string]any{
			"command": "inspect", "checkpoint": path, "metadata": c.Meta, "tensors": rows, "parameters": total,
		})
	}
	m := c.Meta
	fmt.Fprintf(a.stdout, "checkpoint  %s\nformat      %d\nmethod      %s\nenv         %s\nseed        %d\niteration   %d\n",
		path, m.FormatVersion, m.Method, m.Env, m.Seed, m.Iteration)
	if len(m.ObsSpace) > 0 {
		fmt.Fprintf(a.stdout, "obs space   %s\naction sp.  %s\n", m.ObsSpace, m.ActionSpace)
	}
	for _, ms := range m.Models {
		arch, _ := json.Marshal(ms.Arch)
		fmt.Fprintf(a.stdout, "model       %s (%s) %s\n", ms.Name, ms.Kind, arch)
	}
	for name, n := range m.Normalisers {
		fmt.Fprintf(a.stdout, "normaliser  %s (dim %d)\n", name, len(n.Mean))
	}
	if len(m.Optimizer) > 0 {
		fmt.Fprintf(a.stdout, "resumable   yes (%d bytes of trainer state)\n", len(m.Optimizer))
	}
	fmt.Fprintln(a.stdout)
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENSOR\tSHAPE\tSIZE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%v\t%d\n", r.Name, r.Shape, r.Size)
	}
	fmt.Fprintf(tw, "total\t\t%d parameters\n", total)
	return tw.Flush()
}
