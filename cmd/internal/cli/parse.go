package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse parses the flags of fs that may appear before, between or after
// positional arguments ("--" ends them) and returns the positional
// arguments; then, if fs has a flag -config naming a file, it applies the
// file (ApplyConfigFile). A bad flag is returned as it is (wrap it into a
// usage error); flag.ErrHelp for -h.
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			// The flag package names flags with one dash; the CLI documents two.
			msg := strings.NewReplacer("flag -", "flag --", "defined: -", "defined: --").Replace(err.Error())
			return nil, errors.New(msg)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// fs.Parse stops at the first non-flag or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if cf := fs.Lookup("config"); cf != nil && cf.Value.String() != "" {
		return pos, ApplyConfigFile(fs, cf.Value.String())
	}
	return pos, nil
}

// ApplyConfigFile reads the YAML or JSON file at path, whose keys are flag
// names of fs, and sets every flag it names that was not given on the
// command line (command-line flags win). Lists become comma-separated
// values. The key "method" names the training method (ConfigMethod) and
// is no flag. Errors are usage errors.
func ApplyConfigFile(fs *flag.FlagSet, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Usagef("--config: %v", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return Usagef("--config %s: not valid YAML or JSON: %v", path, OneLine(err))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := strings.TrimLeft(k, "-")
		switch {
		case name == "config" || name == "method" || given[name]:
			continue
		case fs.Lookup(name) == nil:
			return Usagef("--config %s: unknown key %q (keys are flag names)", path, k)
		}
		v, err := configValue(m[k])
		if err == nil && v == fs.Lookup(name).Value.String() {
			continue // the value it has: leave the flag unset (not Given)
		}
		if err == nil {
			err = fs.Set(name, v)
		}
		if err != nil {
			return Usagef("--config %s: key %q: %v", path, k, err)
		}
	}
	return nil
}

// ConfigMethod returns the value of the key "method" of the config file
// named by a --config flag in args ("" if there is none), so that
// "mbrl train --config RUN/config.yaml" reruns a run by itself.
func ConfigMethod(args []string) (string, error) {
	path := ""
	for i, a := range args {
		switch {
		case (a == "--config" || a == "-config") && i+1 < len(args):
			path = args[i+1]
		case strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
			_, path, _ = strings.Cut(a, "=")
		}
	}
	if path == "" {
		return "", nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", Usagef("--config: %v", err)
	}
	var m struct{ Method string }
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return "", Usagef("--config %s: not valid YAML or JSON: %v", path, OneLine(err))
	}
	return m.Method, nil
}

func configValue(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, err := configValue(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("unsupported value %v", v)
}
