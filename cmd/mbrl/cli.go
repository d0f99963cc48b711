package main

import (
	"context"
	"strings"

	"github.com/mbrl/mbrl/cmd/internal/cli"
)

// app carries the process streams to every command so commands are testable.
type app struct{ cli.IO }

// program returns the commands and methods of the binary (cli.Program
// dispatches and prints their help).
func (a *app) program() *cli.Program {
	p := &cli.Program{
		Name:   "mbrl",
		Title:  "mbrl: model-based reinforcement learning and policy learning in Go",
		Group:  "train",
		Footer: "Exit status: 0 success, 2 usage or input error, 1 anything else.",
		Stdout: a.Stdout, Stderr: a.Stderr,
		Methods: []cli.Command{
			a.bpttMethod(),
			a.bcMethod(), a.daggerMethod(), a.platoMethod(),
			a.gpsMethod(), a.lggpsMethod(),
			a.modelMethod(), a.mpcMethod(),
			a.dynaqMethod(), a.dynaMethod(),
		},
	}
	train := cli.Command{Name: "train", Usage: "train METHOD --env E [flags]",
		Summary: "train with a method: " + strings.Join(p.MethodNames(), ", ") + " ('mbrl help METHOD' lists its flags)"}
	p.Commands = []cli.Command{a.envsCommand(), a.rolloutCommand(), train, a.evalCommand(), a.optimumCommand(),
		a.compareCommand(), a.inspectCommand(), a.gradnormCommand(), a.reportCommand()}
	return p
}

// run executes the command line args (without the program name) and returns
// the error to report.
func (a *app) run(ctx context.Context, args []string) error { return a.program().Run(ctx, args) }

// row binds the flag --name to the config field at path (cli.Row).
func row(name, path, help string) cli.Row { return cli.Row{Name: name, Path: path, Help: help} }
