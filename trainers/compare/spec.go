package compare

import (
	"fmt"
	"strconv"
	"strings"
)

// Option is one "name=value" setting of a method spec; it becomes the flag
// --name=value of "mbrl train METHOD". An option without "=value" is a
// boolean flag given as --name.
type Option struct {
	Name  string
	Value string
	// Bare reports that the option had no "=value".
	Bare bool
}

// Arg returns the option as one command-line argument.
func (o Option) Arg() string {
	if o.Bare {
		return "--" + o.Name
	}
	return "--" + o.Name + "=" + o.Value
}

// Spec is one entry of --methods: a training method with its options,
// e.g. "dagger:iters=2:epochs=2". Its text is its display name.
type Spec struct {
	Text    string
	Method  string
	Options []Option
}

// Args returns the method's options as flags of "mbrl train METHOD".
func (s Spec) Args() []string {
	out := make([]string, len(s.Options))
	for i, o := range s.Options {
		out[i] = o.Arg()
	}
	return out
}

// DirName returns the name of the folder that holds the spec's runs: its
// text with every character other than letters, digits and "._=+-"
// replaced by "_" (so "dyna:planning-steps=0" becomes
// "dyna_planning-steps=0").
func (s Spec) DirName() string {
	b := []byte(s.Text)
	for i, c := range b {
		if !isDirChar(c) {
			b[i] = '_'
		}
	}
	return string(b)
}

func isDirChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '=' || c == '+' || c == '-'
}

// controlledFlag reports whether name is a train flag compare sets itself
// for every run.
func controlledFlag(name string) bool {
	switch name {
	case "env", "seed", "out", "json", "quiet", "resume":
		return true
	}
	return false
}

// ParseMethods parses a comma-separated list of method specs,
// "METHOD[:name=value]...", e.g. "bptt,gps,dagger:plans=16,dyna:planning-steps=0".
// Options may not set the flags compare controls (env, seed, out, json,
// quiet, resume); specs must be distinct and their folder names too. A
// value holding ',' or ':' is quoted with "..." or '...' (the quotes are
// not part of the value), e.g.
// bptt:horizon-schedule="150:100,300:150" or dagger:hidden='32,32'.
func ParseMethods(s string) ([]Spec, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("compare: no methods given (e.g. --methods bptt,gps,dagger:plans=16)")
	}
	texts, err := splitUnquoted(s, ',')
	if err != nil {
		return nil, err
	}
	var specs []Spec
	dirs := map[string]string{}
	for _, text := range texts {
		text = strings.TrimSpace(text)
		sp, err := parseSpec(text)
		if err != nil {
			return nil, err
		}
		if prev, ok := dirs[sp.DirName()]; ok {
			if prev == sp.Text {
				return nil, fmt.Errorf("compare: method %q is listed twice", sp.Text)
			}
			return nil, fmt.Errorf("compare: methods %q and %q would share the run folder %q; write one differently", prev, sp.Text, sp.DirName())
		}
		dirs[sp.DirName()] = sp.Text
		specs = append(specs, sp)
	}
	return specs, nil
}

func parseSpec(text string) (Spec, error) {
	if text == "" {
		return Spec{}, fmt.Errorf("compare: empty method in --methods (remove the extra comma)")
	}
	parts, err := splitUnquoted(text, ':')
	if err != nil {
		return Spec{}, err
	}
	sp := Spec{Text: text, Method: parts[0]}
	if !isName(sp.Method) {
		return Spec{}, fmt.Errorf("compare: %q: method name %q is not valid (letters, digits and '-', e.g. dagger)", text, sp.Method)
	}
	seen := map[string]bool{}
	for _, p := range parts[1:] {
		name, value, hasValue := strings.Cut(p, "=")
		if strings.HasPrefix(name, "-") {
			return Spec{}, fmt.Errorf("compare: %q: write option %q without dashes, as name=value (e.g. %s:plans=16)", text, p, sp.Method)
		}
		if !isName(name) {
			return Spec{}, fmt.Errorf("compare: %q: option %q is not name=value with a flag name (e.g. %s:plans=16)", text, p, sp.Method)
		}
		if controlledFlag(name) {
			return Spec{}, fmt.Errorf("compare: %q: option %q is set by compare itself; use compare's own flags (--env, --seeds, --out)", text, name)
		}
		if seen[name] {
			return Spec{}, fmt.Errorf("compare: %q: option %q is given twice", text, name)
		}
		seen[name] = true
		sp.Options = append(sp.Options, Option{Name: name, Value: unquote(value), Bare: !hasValue})
	}
	return sp, nil
}

// isName reports whether s is a method or flag name: a letter, then
// letters, digits and '-'.
func isName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// maxSeeds bounds a seed list so that a typo ("1-100000") fails early.
const maxSeeds = 10000

// ParseSeeds parses a seed list: ranges and single seeds separated by
// commas, e.g. "1-5", "1,3,7", "1-3,8". Seeds are returned in the order
// given; a seed may appear only once.
func ParseSeeds(s string) ([]uint64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("compare: no seeds given (e.g. --seeds 1-5 or --seeds 1,3,7)")
	}
	var seeds []uint64
	seen := map[uint64]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parseSeed(lo, part)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseSeed(hi, part); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("compare: seed range %q runs backwards (write %d-%d)", part, b, a)
			}
		}
		if b-a >= maxSeeds || len(seeds)+int(b-a+1) > maxSeeds {
			return nil, fmt.Errorf("compare: more than %d seeds in %q", maxSeeds, s)
		}
		for x := a; ; x++ {
			if seen[x] {
				return nil, fmt.Errorf("compare: seed %d is listed twice in %q", x, s)
			}
			seen[x] = true
			seeds = append(seeds, x)
			if x == b {
				break
			}
		}
	}
	return seeds, nil
}

func parseSeed(s, part string) (uint64, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("compare: seed list entry %q is not a seed or a range like 1-5", part)
	}
	return v, nil
}

// FormatSeeds writes seeds in the compact form ParseSeeds reads, joining
// runs of consecutive seeds into ranges ("1-3,8").
func FormatSeeds(seeds []uint64) string {
	var parts []string
	for i := 0; i < len(seeds); {
		j := i
		for j+1 < len(seeds) && seeds[j+1] == seeds[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", seeds[i], seeds[j]))
		} else {
			parts = append(parts, strconv.FormatUint(seeds[i], 10))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// splitUnquoted splits s at every sep outside a '...' or "..." quote; an
// unclosed quote is an error.
func splitUnquoted(s string, sep byte) ([]string, error) {
	var parts []string
	var quote byte
	start := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("compare: %q: a %c quote is not closed", s, quote)
	}
	return append(parts, s[start:]), nil
}

// unquote removes the quotes of every quoted part of an option value:
// "a,b" and 'a,b' give a,b; x="1:2" gives x=1:2.
func unquote(v string) string {
	if !strings.ContainsAny(v, "\"'") {
		return v
	}
	var b strings.Builder
	var quote byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
