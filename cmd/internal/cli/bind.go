package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/config"
)

// Row binds the flag --Name to the field of a configuration struct at
// Path (e.g. "Fit.Batch"); the field's value when it is bound is the
// flag's default.
type Row struct {
	Name, Path, Help string
}

// Binder binds flags to configuration fields and maps the configuration
// errors of those fields back to their flags.
type Binder struct {
	FS *flag.FlagSet
	// Cmd names the command in messages ("mbrl train gps"), Method the
	// method of a group command ("gps").
	Cmd, Method string
	// Common are the options every command shares (Program binds them).
	Common Common
	fields map[string]string // "pkg.Field" -> flag name
	gym    gymFlags          // --python, --gym-kwargs (gym.go)
}

// NewBinder returns a Binder over fs.
func NewBinder(fs *flag.FlagSet) *Binder {
	return &Binder{FS: fs, fields: map[string]string{}}
}

// Bind registers one flag per row, bound to the fields of cfg (a pointer
// to a struct, e.g. filled by a library's DefaultConfig). pkg is the
// config.Error package of cfg's Validate ("" for a struct of the CLI's
// own). Fields may be int, uint64, float64, bool, string, a named string
// type or []int (layer sizes, Sizes).
func (b *Binder) Bind(pkg string, cfg any, rows ...Row) {
	root := reflect.ValueOf(cfg).Elem()
	for _, r := range rows {
		v := root
		for _, f := range strings.Split(r.Path, ".") {
			if v = v.FieldByName(f); !v.IsValid() {
				panic(fmt.Sprintf("cli: flag --%s: %T has no field %s", r.Name, cfg, r.Path))
			}
		}
		switch p := v.Addr().Interface().(type) {
		case *int:
			b.FS.IntVar(p, r.Name, *p, r.Help)
		case *uint64:
			b.FS.Uint64Var(p, r.Name, *p, r.Help)
		case *float64:
			b.FS.Float64Var(p, r.Name, *p, r.Help)
		case *bool:
			b.FS.BoolVar(p, r.Name, *p, r.Help)
		case *string:
			b.FS.StringVar(p, r.Name, *p, r.Help)
		case *[]int:
			b.FS.Var((*Sizes)(p), r.Name, r.Help)
		default:
			if v.Kind() != reflect.String {
				panic(fmt.Sprintf("cli: flag --%s: unsupported field type %s", r.Name, v.Type()))
			}
			b.FS.Var(stringValue{v}, r.Name, r.Help)
		}
		b.fields[pkg+"."+r.Path] = r.Name
	}
}

// Alias makes Check name the flag name for errors of the field at path of
// pkg's configuration too (a field set from another bound field).
func (b *Binder) Alias(pkg, path, name string) { b.fields[pkg+"."+path] = name }

// Check returns the first non-nil error of errs as a usage error of cmd;
// a configuration error of a bound field names its flag ("mbrl train
// gps: --conditions must be >= 1, got 0").
func (b *Binder) Check(cmd string, errs ...error) error {
	for _, err := range errs {
		if err == nil {
			continue
		}
		var ce *config.Error
		if errors.As(err, &ce) {
			if name, ok := b.fields[ce.Pkg+"."+ce.Field]; ok {
				return Usagef("%s: --%s %s", cmd, name, ce.Msg)
			}
		}
		return Usagef("%s: %v", cmd, err)
	}
	return nil
}

// Given reports whether the flag name was set on the command line.
func (b *Binder) Given(name string) bool {
	given := false
	b.FS.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// Sizes is a flag of layer sizes, e.g. "64,64"; "" or "none" is no layer.
type Sizes []int

func (s *Sizes) String() string {
	if s == nil {
		return ""
	}
	parts := make([]string, len(*s))
	for i, v := range *s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

// Get returns the sizes.
func (s *Sizes) Get() any { return []int(*s) }

// Set parses a comma-separated list of positive sizes.
func (s *Sizes) Set(v string) error {
	if v = strings.TrimSpace(v); v == "none" {
		v = ""
	}
	sizes, err := Ints(v)
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

// stringValue binds a flag to a field of a named string type.
type stringValue struct{ v reflect.Value }

func (s stringValue) String() string {
	if !s.v.IsValid() {
		return ""
	}
	return s.v.String()
}

func (s stringValue) Set(v string) error { s.v.SetString(v); return nil }

func (s stringValue) Get() any { return s.String() }

// Settings returns the value of every flag of fs but those in skip, typed
// (flag.Getter's Get: int, float64, bool, []int, ...) where the flag can
// tell, else as its string.
func Settings(fs *flag.FlagSet, skip ...string) map[string]any {
	m := map[string]any{}
	fs.VisitAll(func(f *flag.Flag) {
		for _, s := range skip {
			if f.Name == s {
				return
			}
		}
		m[f.Name] = f.Value.String()
		if g, ok := f.Value.(flag.Getter); ok {
			m[f.Name] = g.Get()
		}
	})
	return m
}

// PrintDefaults lists every flag of fs with its usage and default.
func PrintDefaults(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		def := f.DefValue
		if def == "" {
			def = `""`
		}
		if strings.Contains(f.Usage, "(default ") { // the usage explains the default
			fmt.Fprintf(w, "  --%-20s %s\n", f.Name, f.Usage)
			return
		}
		fmt.Fprintf(w, "  --%-20s %s (default %s)\n", f.Name, f.Usage, def)
	})
}

// Floats parses a comma-separated list of numbers.
func Floats(s string) ([]float64, error) {
	return parseList(s, func(p string) (float64, error) { return strconv.ParseFloat(p, 64) }, "a number")
}

// Ints parses a comma-separated list of integers.
func Ints(s string) ([]int, error) {
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

// CheckMemory refuses, as a usage error naming the flag of the largest
// term, a configuration whose estimated memory (the sum of ms) exceeds
// what the machine has available (config.Available), before anything
// is allocated.
func (b *Binder) CheckMemory(ms ...config.Memory) error {
	var all config.Memory
	for _, m := range ms {
		all.Merge(m)
	}
	avail, _ := config.Available()
	return b.Check(b.Cmd, all.Check(avail))
}
