package cli

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/config"
)

type fit struct {
	Batch int
	LR    float64
}

type testConfig struct {
	Name   string
	Iters  int
	Seed   uint64
	On     bool
	Hidden []int
	Kind   kind
	Fit    fit
}

type kind string

func (c testConfig) Validate() error {
	v := config.Checker{Pkg: "test"}
	v.AtLeast("Iters", c.Iters, 1)
	v.AtLeast("Fit.Batch", c.Fit.Batch, 1)
	return v.Err()
}

func newTest() (*Binder, *testConfig) {
	cfg := &testConfig{Name: "a", Iters: 3, Seed: 7, On: true, Hidden: []int{64, 64}, Kind: "relu", Fit: fit{Batch: 32, LR: 1e-3}}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	b := NewBinder(fs)
	b.Bind("test", cfg,
		Row{"name", "Name", "a name"}, Row{"iters", "Iters", "iterations"}, Row{"seed", "Seed", "seed"},
		Row{"on", "On", "switch"}, Row{"hidden", "Hidden", "sizes"}, Row{"kind", "Kind", "kind"},
		Row{"batch", "Fit.Batch", "batch"}, Row{"lr", "Fit.LR", "learning rate"})
	fs.String("config", "", "config file")
	return b, cfg
}

// TestBindDefaultsAndSet checks that the bound fields' values are the
// flags' defaults and that every field type is set from its flag.
func TestBindDefaultsAndSet(t *testing.T) {
	b, cfg := newTest()
	for name, want := range map[string]string{"name": "a", "iters": "3", "seed": "7", "on": "true", "hidden": "64,64", "kind": "relu", "batch": "32", "lr": "0.001"} {
		if got := b.FS.Lookup(name).DefValue; got != want {
			t.Errorf("--%s default %q, want %q", name, got, want)
		}
	}
	pos, err := Parse(b.FS, []string{"x", "--name", "b", "--iters=5", "y", "--seed", "9", "--on=false", "--hidden", "8", "--kind", "tanh", "--batch", "4", "--lr", "0.5", "--", "--z"})
	if err != nil {
		t.Fatal(err)
	}
	want := testConfig{Name: "b", Iters: 5, Seed: 9, Hidden: []int{8}, Kind: "tanh", Fit: fit{Batch: 4, LR: 0.5}}
	if !reflect.DeepEqual(*cfg, want) || !reflect.DeepEqual(pos, []string{"x", "y", "--z"}) {
		t.Fatalf("config %+v, positional %v", *cfg, pos)
	}
	if !b.Given("iters") || b.Given("config") {
		t.Error("Given is wrong")
	}
}

func TestCheckNamesTheFlag(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--iters", "0"}, "cmd: --iters must be >= 1, got 0"},
		{[]string{"--batch", "0"}, "cmd: --batch must be >= 1, got 0"},
	}
	for _, c := range cases {
		b, cfg := newTest()
		if _, err := Parse(b.FS, c.args); err != nil {
			t.Fatal(err)
		}
		err := b.Check("cmd", nil, cfg.Validate())
		if err == nil || err.Error() != c.want || ExitCode(err) != ExitUsage {
			t.Errorf("%v: %v (exit %d), want %q and exit 2", c.args, err, ExitCode(err), c.want)
		}
	}
	b, _ := newTest()
	if err := b.Check("cmd", nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestParseErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "c.yaml")
	os.WriteFile(good, []byte("iters: 4\nname: c\nhidden: [16, 16]\n"), 0o644)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("nosuch: 1\n"), 0o644)
	cases := []struct {
		args []string
		want string // "" for success
	}{
		{[]string{"--hidden", "8,0"}, "positive"},
		{[]string{"--hidden", "8,x"}, "not an integer"},
		{[]string{"--bogus"}, "flag provided but not defined: --bogus"},
		{[]string{"--config", bad}, "unknown key"},
		{[]string{"--config", filepath.Join(dir, "none.yaml")}, "no such file"},
		{[]string{"--config", good, "--name", "flag"}, ""},
	}
	for _, c := range cases {
		b, cfg := newTest()
		_, err := Parse(b.FS, c.args)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.args, err)
		case c.want == "" && (cfg.Iters != 4 || cfg.Name != "flag" || !reflect.DeepEqual(cfg.Hidden, []int{16, 16})):
			t.Errorf("%v: config file not applied or flag did not win: %+v", c.args, *cfg)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.want)
		}
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("disk full"), ExitOther},
		{Usagef("bad %s", "flag"), ExitUsage},
		{&config.Error{Pkg: "gps", Field: "Rho", Msg: "must be positive"}, ExitUsage},
		{AsUsage(errors.New("unknown env")), ExitUsage},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
