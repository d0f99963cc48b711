// Package cli is what a command-line front end of the mbrl libraries
// needs beyond the flag package, independent of any method: flags bound by
// reflection to the fields of a library configuration (so that defaults
// live once, in the library's DefaultConfig), configuration errors mapped
// back to the flags that set them, flags interleaved with positional
// arguments, YAML/JSON configuration files of flag values, and usage
// errors (exit status 2) told apart from failures (exit status 1).
//
//	cfg := gps.DefaultConfig()
//	b := cli.NewBinder(flag.NewFlagSet("train gps", flag.ContinueOnError))
//	b.Bind("gps", &cfg, cli.Row{Name: "conditions", Path: "Conditions", Help: "initial conditions K"})
//	if _, err := cli.Parse(b.FS, os.Args[1:]); err != nil { ... }
//	if err := b.Check("mbrl train gps", cfg.Validate()); err != nil { ... } // "--conditions must be >= 1, got 0"
package cli
