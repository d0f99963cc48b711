package compare

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewPlan(t *testing.T) {
	known := []string{"bc", "dagger", "dyna"}
	now := time.Date(2026, 11, 25, 10, 15, 0, 0, time.UTC)
	ok := Options{Env: "pendulum", Methods: "bc,dagger:plans=16", Seeds: "1-3", EvalSeed: 11, Episodes: 5}
	p, err := NewPlan(ok, known, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Dir != "runs/compare-pendulum-20261125-101500" || len(p.Methods) != 2 || !slices.Equal(p.Seeds, []uint64{1, 2, 3}) {
		t.Errorf("plan %+v: want the default folder, 2 methods and seeds 1-3", p)
	}
	cases := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no methods", func(o *Options) { o.Methods = "" }, "no methods"},
		{"unknown method", func(o *Options) { o.Methods = "bc,dagr" }, `unknown method "dagr"`},
		{"bad seeds", func(o *Options) { o.Seeds = "5-1" }, "runs backwards"},
		{"bad episodes", func(o *Options) { o.Episodes = 0 }, "--episodes must be at least 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := ok
			c.edit(&o)
			if _, err := NewPlan(o, known, now); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestRunIndexCommandAndJobAt(t *testing.T) {
	target := 475.0
	p, err := NewPlan(Options{Env: "cartpole", Methods: "dyna,dyna:planning-steps=0", Seeds: "1-2,5", EvalSeed: 3, Episodes: 7, Target: &target, Dir: "cmp"}, []string{"dyna"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(p.RunIndexCommand("/bin/mbrl"), " ")
	want := "/bin/mbrl compare --env cartpole --methods dyna,dyna:planning-steps=0 --seeds 1-2,5 --eval-seed 3 --episodes 7 --out cmp --target 475 --run-index"
	if got != want {
		t.Errorf("command\n%s\nwant\n%s", got, want)
	}
	j, err := p.JobAt("4")
	if err != nil || j.Index != 4 || j.Seed != 2 || j.Spec.Text != "dyna:planning-steps=0" {
		t.Errorf("JobAt(4) = %+v, %v: want the second spec's seed 2", j, err)
	}
	for _, bad := range []string{"6", "-1", "x"} {
		if _, err := p.JobAt(bad); err == nil || !strings.Contains(err.Error(), "between 0 and 5") {
			t.Errorf("JobAt(%q): error %v, want one naming the range", bad, err)
		}
	}
}

func TestRunResultString(t *testing.T) {
	ret, wall := 123.45, 6.78
	cases := []struct {
		r    RunResult
		want string
	}{
		{RunResult{Method: "bc", Seed: 1, Status: StatusFailed, Error: "train: boom"}, "bc seed 1: FAILED train: boom"},
		{RunResult{Method: "bc", Seed: 2, Status: StatusMissing}, "bc seed 2: missing (not trained)"},
		{RunResult{Method: "gps", Seed: 3, Return: &ret, WallSeconds: &wall, Reused: true}, "gps seed 3: return 123.5, 6.8 s (reused)"},
		{RunResult{Method: "model", Seed: 4}, "model seed 4: trained (no policy to evaluate)"},
	}
	for _, c := range cases {
		if got := c.r.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestExecutable(t *testing.T) {
	if got, err := Executable("/opt/mbrl"); got != "/opt/mbrl" || err != nil {
		t.Errorf("Executable(/opt/mbrl) = %q, %v", got, err)
	}
	if got, err := Executable(""); got == "" || err != nil {
		t.Errorf("Executable(\"\") = %q, %v: want this test binary", got, err)
	}
}

// TestGymOptionsForwarded checks that a gym: env's --python and
// --gym-kwargs reach every child command line (train, eval, optimum, the
// cluster's run-index command) and survive plan.json, and that a plan
// without them passes neither.
func TestGymOptionsForwarded(t *testing.T) {
	dir := t.TempDir()
	kw := `{"g": 9.81}`
	cases := []struct {
		name, python, kwargs string
		want                 string
	}{
		{"both", "/opt/py/bin/python3", kw, "--env gym:Pendulum-v1 --python /opt/py/bin/python3 --gym-kwargs " + kw + " "},
		{"python only", "/opt/py/bin/python3", "", "--env gym:Pendulum-v1 --python /opt/py/bin/python3 --"},
		{"neither", "", "", "--env gym:Pendulum-v1 --"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Options{Env: "gym:Pendulum-v1", Methods: "dyna", Seeds: "1", EvalSeed: 11, Episodes: 2,
				Python: c.python, GymKwargs: c.kwargs, Dir: filepath.Join(dir, c.name)}
			p, err := NewPlan(o, []string{"dyna"}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(p.Dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := p.Save(); err != nil {
				t.Fatal(err)
			}
			q, err := LoadPlan(p.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if q.Python != c.python || q.GymKwargs != c.kwargs {
				t.Errorf("plan.json gave python %q, kwargs %q; want %q, %q", q.Python, q.GymKwargs, c.python, c.kwargs)
			}
			j := q.Jobs()[0]
			for name, args := range map[string][]string{
				"train": q.TrainArgs(j), "eval": q.EvalArgs("c.safetensors"), "optimum": q.OptimumArgs(),
				"run-index": q.RunIndexCommand("/bin/mbrl"),
			} {
				line := strings.Join(args, " ")
				if !strings.Contains(line, c.want) {
					t.Errorf("%s: %q does not hold %q", name, line, c.want)
				}
				if c.python == "" && strings.Contains(line, "--python") || c.kwargs == "" && strings.Contains(line, "--gym-kwargs") {
					t.Errorf("%s: %q passes an option that was not given", name, line)
				}
			}
		})
	}
}
