package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/control/dp"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/bptt"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/compare"
	"github.com/mbrl/mbrl/trainers/gps"
	"github.com/mbrl/mbrl/trainers/plato"
)

// The fuzz targets below cover every parser a user's text reaches through
// the CLI (checkpoints have their own in checkpoints/fuzz_test.go). Their
// seed corpora live in testdata/fuzz/<target>/ and run with go test; the
// README's "Tests" section gives the command that fuzzes each for a
// minute:
//
//	for t in ConfigFile ActionsCSV Init Hidden Schedules CompareSpecs; do
//		go test ./cmd/internal/cli -run '^$' -fuzz "^Fuzz$t\$" -fuzztime 1m -parallel 1
//	done

// FuzzConfigFile applies an arbitrary --config file (YAML or JSON) to
// flags of every type the binder supports: it must never panic, and a
// file it refuses is a usage error (exit status 2).
func FuzzConfigFile(f *testing.F) {
	f.Add([]byte("iters: 4\nname: c\nhidden: [16, 16]\n"))
	f.Add([]byte(`{"lr": 0.5, "on": false, "kind": "tanh", "seed": 3}`))
	f.Add([]byte("method: gps\nbatch: 8\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, _ := newTest()
		_, err := Parse(b.FS, []string{"--config", path})
		if err != nil && !IsUsage(err) {
			t.Fatalf("not a usage error: %v", err)
		}
		if _, err := ConfigMethod([]string{"--config", path}); err != nil && !IsUsage(err) {
			t.Fatalf("ConfigMethod: not a usage error: %v", err)
		}
	})
}

// FuzzActionsCSV reads an arbitrary actions file (rollout --actions) for
// a continuous and a discrete action space: no panic, and every action it
// accepts lies in the space.
func FuzzActionsCSV(f *testing.F) {
	f.Add([]byte("action\n2\n-2\n5\n0\n"), false)
	f.Add([]byte("# comment\n0\n1\n\n1\n"), true)
	f.Add([]byte("0.5\nabc\n"), false)
	f.Add([]byte("1,2\n"), true)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, discrete bool) {
		path := filepath.Join(dir, "a.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		space := envs.Box([]float64{-2}, []float64{2})
		if discrete {
			space = envs.DiscreteSpace(2)
		}
		acts, err := common.ReadActions(path, space)
		if err != nil {
			return
		}
		for i, a := range acts {
			if err := space.Validate(a); err != nil {
				t.Fatalf("accepted action %d %v outside %s: %v", i, a, space, err)
			}
		}
	})
}

// FuzzInit parses an arbitrary --init list: when it succeeds there is one
// value per comma-separated field.
func FuzzInit(f *testing.F) {
	for _, s := range []string{"0.5,0", "1,b", "", " 1e308 , -0 ", "NaN,Inf", "1,,2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Floats(s)
		if err != nil || strings.TrimSpace(s) == "" {
			return
		}
		if want := strings.Count(s, ",") + 1; len(v) != want {
			t.Fatalf("Floats(%q) = %v: %d values, want %d", s, v, len(v), want)
		}
	})
}

// FuzzHidden sets --hidden to arbitrary text: accepted sizes are all >= 1
// and print back to text that parses to the same sizes.
func FuzzHidden(f *testing.F) {
	for _, s := range []string{"64,64", "none", "", "8,0", "8,x", "100000000000", " 3 , 4 ", "-1", "1,,2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var h Sizes
		if err := h.Set(s); err != nil {
			return
		}
		for _, v := range h {
			if v < 1 {
				t.Fatalf("Set(%q) accepted size %d", s, v)
			}
		}
		var again Sizes
		if err := again.Set(h.String()); err != nil || !reflect.DeepEqual([]int(again), []int(h)) {
			t.Fatalf("Set(%q) = %v prints %q, which parses to %v (%v)", s, h, h.String(), again, err)
		}
	})
}

// FuzzSchedules parses arbitrary text as every schedule flag: bptt's
// --horizon-schedule (an accepted schedule passes Config.Validate, whose
// memory estimate is finite or refused), gps's --rho-schedule, plato's
// --kl-schedule and optimum's --grid (a grid dp.Config.Validate accepts has at least
// two points per dimension). None may panic.
func FuzzSchedules(f *testing.F) {
	for _, s := range []string{"100:100,300:200", "5:10,10:100", "adaptive", "constant", "linear", "exp", "512x513", "", "0:1", "3:2,1:5", "1:0", "x:y"} {
		f.Add(s)
	}
	env, err := envs.Make("pendulum")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if sched, err := bptt.ParseSchedule(s); err == nil {
			cfg := bptt.DefaultConfig()
			cfg.Schedule = sched
			if err := cfg.Validate(); err == nil {
				if m := cfg.Memory(env, []int{64, 64}); m.Bytes() < 0 {
					t.Fatalf("schedule %q: memory estimate %v", s, m.Bytes())
				}
			}
		}
		gps.ParseRhoSchedule(s)
		plato.ParseSchedule(s)
		if g, err := dp.ParseGrid(s); err == nil {
			cfg := dp.DefaultConfig()
			cfg.Points = g
			if err := cfg.Validate(); err == nil && (g[0] < 2 || g[1] < 2) {
				t.Fatalf("grid %q = %v passes dp.Config.Validate", s, g)
			}
		}
	})
}

// FuzzCompareSpecs parses arbitrary --methods and --seeds text of
// compare: accepted specs name a method and options with flag names;
// accepted seeds are distinct and print back to the same list.
func FuzzCompareSpecs(f *testing.F) {
	for _, s := range []string{"bptt,gps,dagger:plans=16,dyna:planning-steps=0", "1-5", "1-3,8", "bptt:config=x.yaml", "a:b=c:d", "18446744073709551615", "0-18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if specs, err := compare.ParseMethods(s); err == nil {
			for _, sp := range specs {
				if sp.Method == "" || sp.DirName() == "" {
					t.Fatalf("ParseMethods(%q): spec %+v", s, sp)
				}
				for _, a := range sp.Args() {
					if !strings.HasPrefix(a, "--") {
						t.Fatalf("ParseMethods(%q): argument %q is no flag", s, a)
					}
				}
			}
		}
		seeds, err := compare.ParseSeeds(s)
		if err != nil {
			return
		}
		seen := map[uint64]bool{}
		for _, x := range seeds {
			if seen[x] {
				t.Fatalf("ParseSeeds(%q) lists %d twice", s, x)
			}
			seen[x] = true
		}
		back, err := compare.ParseSeeds(compare.FormatSeeds(seeds))
		if err != nil || !reflect.DeepEqual(back, seeds) {
			t.Fatalf("ParseSeeds(%q) = %v prints %q, which parses to %v (%v)", s, seeds, compare.FormatSeeds(seeds), back, err)
		}
	})
}

// TestFuzzCorporaPresent checks that every fuzz target has its seed corpus
// in testdata (so go test runs more than the f.Add seeds).
func TestFuzzCorporaPresent(t *testing.T) {
	for _, name := range []string{"FuzzConfigFile", "FuzzActionsCSV", "FuzzInit", "FuzzHidden", "FuzzSchedules", "FuzzCompareSpecs"} {
		entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", name))
		if err != nil || len(entries) == 0 {
			t.Errorf("%s: no seed corpus in testdata/fuzz/%s (%v)", name, name, err)
		}
	}
}
