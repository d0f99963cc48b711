package cli

import "flag"

// Common are the options every command of mbrl takes.
type Common struct {
	Seed   uint64
	Config string
	Quiet  bool
	JSON   bool
	// CPUProfile names a file for a CPU profile of the command (pprof).
	CPUProfile string
	// Out and Resume name a run folder and the checkpoint to resume
	// from; Force reuses a folder that holds a run (training commands).
	Out, Resume string
	Force       bool
}

// AddFlags registers --seed, --config, --quiet and --json on fs and, for
// a command that writes a run folder, --out (its default named by
// outDefault) and, if resume, --resume.
func (o *Common) AddFlags(fs *flag.FlagSet, run, resume bool, outDefault string) {
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed; the same seed gives the same result bit for bit (with --env gym:ID: given the same Python, numpy, gymnasium and env code; each episode calls reset(seed=...) with a seed drawn from this one)")
	fs.StringVar(&o.Config, "config", "", "YAML or JSON file of flag values (flag names as keys); command-line flags win")
	fs.BoolVar(&o.Quiet, "quiet", false, "no progress bar")
	fs.BoolVar(&o.JSON, "json", false, "print a one-line JSON summary as the last line of stdout")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the command to FILE (read it with 'go tool pprof'; merged runs' profiles make cmd/mbrl/default.pgo)")
	if run {
		fs.StringVar(&o.Out, "out", "", "run folder (default "+outDefault+")")
		fs.BoolVar(&o.Force, "force", false, "overwrite the run in --out (without it, a folder that holds a run is refused unless --resume)")
	}
	if run && resume {
		fs.StringVar(&o.Resume, "resume", "", "checkpoint to resume training from (e.g. RUN/latest.safetensors)")
	}
}
