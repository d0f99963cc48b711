package main

import (
	"flag"
	"fmt"
	"reflect"
	"strconv"
	"strings"
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

// flagRow binds the flag --name to the field of a config struct at path
// (e.g. "Fit.Batch"); the field's value in the struct is the default.
type flagRow struct {
	name, path, help string
}

// bindFlags registers one flag per row on fs, bound to the fields of cfg (a
// pointer to a struct, filled with the library's DefaultConfig), so the
// defaults live once, in the library.
func bindFlags(fs *flag.FlagSet, cfg any, rows []flagRow) {
	root := reflect.ValueOf(cfg).Elem()
	for _, r := range rows {
		v := root
		for _, f := range strings.Split(r.path, ".") {
			v = v.FieldByName(f)
			if !v.IsValid() {
				panic(fmt.Sprintf("mbrl: flag --%s: %T has no field %s", r.name, cfg, r.path))
			}
		}
		switch p := v.Addr().Interface().(type) {
		case *int:
			fs.IntVar(p, r.name, *p, r.help)
		case *uint64:
			fs.Uint64Var(p, r.name, *p, r.help)
		case *float64:
			fs.Float64Var(p, r.name, *p, r.help)
		case *bool:
			fs.BoolVar(p, r.name, *p, r.help)
		case *string:
			fs.StringVar(p, r.name, *p, r.help)
		case *[]int:
			fs.Var((*sizesValue)(p), r.name, r.help)
		default:
			if v.Kind() != reflect.String {
				panic(fmt.Sprintf("mbrl: flag --%s: unsupported field type %s", r.name, v.Type()))
			}
			fs.Var(stringValue{v}, r.name, r.help)
		}
	}
}

// sizesValue is a flag of layer sizes, e.g. "64,64"; "" or "none" is no
// layer. It is the one hidden-sizes parser of the CLI.
type sizesValue []int

func (s *sizesValue) String() string {
	if s == nil {
		return ""
	}
	parts := make([]string, len(*s))
	for i, v := range *s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

func (s *sizesValue) Set(v string) error {
	if v = strings.TrimSpace(v); v == "none" {
		v = ""
	}
	sizes, err := parseInts(v)
	if err != nil {
		return err
	}
	for _, h := range sizes {
		if h < 1 {
			return fmt.Errorf("sizes must be positive, got %q", v)
		}
	}
	*s = sizes
	return nil
}

// stringValue binds a flag to a field of a named string type (e.g.
// nn.Activation).
type stringValue struct{ v reflect.Value }

func (s stringValue) String() string {
	if !s.v.IsValid() {
		return ""
	}
	return s.v.String()
}

func (s stringValue) Set(v string) error { s.v.SetString(v); return nil }

// settings returns the value of every flag of fs except those naming the
// run itself (out, resume, config): the configuration a run records.
func settings(fs *flag.FlagSet) map[string]string {
	m := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Name {
		case "out", "resume", "config":
		default:
			m[f.Name] = f.Value.String()
		}
	})
	return m
}

// parseFloats parses a comma-separated list of numbers.
func parseFloats(s string) ([]float64, error) {
	return parseList(s, func(p string) (float64, error) { return strconv.ParseFloat(p, 64) }, "a number")
}

// parseInts parses a comma-separated list of integers.
func parseInts(s string) ([]int, error) {
	return parseList(s, strconv.Atoi, "an integer")
}

func parseList[T any](s string, parse func(string) (T, error), what string) ([]T, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]T, len(parts))
	for i, p := range parts {
		v, err := parse(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("%q is not %s", strings.TrimSpace(p), what)
		}
		out[i] = v
	}
	return out, nil
}
