package main

import (
	"flag"

	"github.com/mbrl/mbrl/internal/cli"
)

// commonOptions are the flags every training-like command shares.
type commonOptions struct {
	Seed   uint64
	Out    string
	Config string
	Resume string
	Quiet  bool
	JSON   bool
}

func (o *commonOptions) addFlags(fs *flag.FlagSet, withRun bool) {
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed; the same seed gives the same result bit for bit")
	fs.StringVar(&o.Config, "config", "", "YAML or JSON file of flag values (flag names as keys); command-line flags win")
	fs.BoolVar(&o.Quiet, "quiet", false, "no progress bar")
	fs.BoolVar(&o.JSON, "json", false, "print a one-line JSON summary as the last line of stdout")
	if withRun {
		fs.StringVar(&o.Out, "out", "", "run folder (default runs/METHOD-ENV-SEED-TIMESTAMP)")
		fs.StringVar(&o.Resume, "resume", "", "checkpoint to resume training from (e.g. RUN/latest.safetensors)")
	}
}

// row binds the flag --name to the config field at path (cli.Row).
func row(name, path, help string) cli.Row { return cli.Row{Name: name, Path: path, Help: help} }
