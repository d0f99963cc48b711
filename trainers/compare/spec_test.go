package compare

import (
	"slices"
	"strings"
	"testing"
)

func TestParseMethods(t *testing.T) {
	cases := []struct {
		in   string
		want [][]string // per spec: method, then its train args
		dirs []string
	}{
		{"bptt", [][]string{{"bptt"}}, []string{"bptt"}},
		{"bptt,gps,dagger:plans=16,dyna:planning-steps=0", [][]string{{"bptt"}, {"gps"}, {"dagger", "--plans=16"}, {"dyna", "--planning-steps=0"}},
			[]string{"bptt", "gps", "dagger_plans=16", "dyna_planning-steps=0"}},
		{"dagger:iters=2:epochs=2", [][]string{{"dagger", "--iters=2", "--epochs=2"}}, []string{"dagger_iters=2_epochs=2"}},
		{" bc , dyna:stop-at-target", [][]string{{"bc"}, {"dyna", "--stop-at-target"}}, []string{"bc", "dyna_stop-at-target"}},
		{"mpc:planner=cem:lr=0.003", [][]string{{"mpc", "--planner=cem", "--lr=0.003"}}, []string{"mpc_planner=cem_lr=0.003"}},
		{"bptt:horizon-schedule=150/100", [][]string{{"bptt", "--horizon-schedule=150/100"}}, []string{"bptt_horizon-schedule=150_100"}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			specs, err := ParseMethods(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(specs) != len(c.want) {
				t.Fatalf("got %d specs, want %d", len(specs), len(c.want))
			}
			for i, sp := range specs {
				got := append([]string{sp.Method}, sp.Args()...)
				if !slices.Equal(got, c.want[i]) {
					t.Errorf("spec %d: got %q, want %q", i, got, c.want[i])
				}
				if sp.DirName() != c.dirs[i] {
					t.Errorf("spec %d: dir %q, want %q", i, sp.DirName(), c.dirs[i])
				}
				if strings.TrimSpace(strings.Split(c.in, ",")[i]) != sp.Text {
					t.Errorf("spec %d: text %q is not the spec as written", i, sp.Text)
				}
			}
		})
	}
}

// TestParseMethodsQuoted: a quoted value may hold ',' and ':', which
// then reach the train command unquoted.
func TestParseMethodsQuoted(t *testing.T) {
	cases := []struct {
		in    string
		texts []string
		args  [][]string
	}{
		{`bptt:horizon-schedule="150:100,300:150",gps`, []string{`bptt:horizon-schedule="150:100,300:150"`, "gps"},
			[][]string{{"--horizon-schedule=150:100,300:150"}, {}}},
		{`dagger:hidden='32,32':iters=2`, []string{`dagger:hidden='32,32':iters=2`}, [][]string{{"--hidden=32,32", "--iters=2"}}},
		{`bc:hidden=32','32,dagger`, []string{`bc:hidden=32','32`, "dagger"}, [][]string{{"--hidden=32,32"}, {}}},
		{`mpc:x="it's"`, []string{`mpc:x="it's"`}, [][]string{{"--x=it's"}}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			specs, err := ParseMethods(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(specs) != len(c.texts) {
				t.Fatalf("got %d specs, want %d", len(specs), len(c.texts))
			}
			for i, sp := range specs {
				if sp.Text != c.texts[i] || !slices.Equal(sp.Args(), c.args[i]) {
					t.Errorf("spec %d: text %q args %q, want %q %q", i, sp.Text, sp.Args(), c.texts[i], c.args[i])
				}
			}
		})
	}
}

func TestParseMethodsErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`bptt:horizon-schedule="150:100`, "quote is not closed"},
		{`bptt,dagger:hidden='32,32`, "quote is not closed"},
		{"", "no methods"},
		{"bptt,,gps", "empty method"},
		{"bptt,", "empty method"},
		{"dagger:--plans=16", "without dashes"},
		{"dagger:=16", "not name=value"},
		{"dagger:plans=16:plans=8", "given twice"},
		{"bptt,bptt", "listed twice"},
		{"dagger:seed=3", "set by compare itself"},
		{"dagger:out=x", "set by compare itself"},
		{"9lives", "not valid"},
		{"dag ger", "not valid"},
		{"a:x=1_2,a:x=1/2", "share the run folder"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := ParseMethods(c.in)
			if err == nil {
				t.Fatalf("ParseMethods(%q): no error", c.in)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line containing %q", err, c.want)
			}
		})
	}
}

func TestParseSeeds(t *testing.T) {
	cases := []struct {
		in   string
		want []uint64
		fmt  string
	}{
		{"1-5", []uint64{1, 2, 3, 4, 5}, "1-5"},
		{"1,3,7", []uint64{1, 3, 7}, "1,3,7"},
		{"1-3,8", []uint64{1, 2, 3, 8}, "1-3,8"},
		{"4", []uint64{4}, "4"},
		{" 2 - 3 , 0 ", []uint64{2, 3, 0}, "2-3,0"},
		{"7,5-6", []uint64{7, 5, 6}, "7,5-6"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseSeeds(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			if f := FormatSeeds(got); f != c.fmt {
				t.Errorf("FormatSeeds = %q, want %q", f, c.fmt)
			}
			back, err := ParseSeeds(FormatSeeds(got))
			if err != nil || !slices.Equal(back, got) {
				t.Errorf("FormatSeeds does not round-trip: %v, %v", back, err)
			}
		})
	}
}

func TestParseSeedsErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "no seeds"},
		{"a", "not a seed"},
		{"1-", "not a seed"},
		{"-3", "not a seed"},
		{"5-1", "runs backwards"},
		{"1,2,1", "listed twice"},
		{"1-3,2", "listed twice"},
		{"1-100000", "more than"},
		{"1,,2", "not a seed"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := ParseSeeds(c.in)
			if err == nil {
				t.Fatalf("ParseSeeds(%q): no error", c.in)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line containing %q", err, c.want)
			}
		})
	}
}

func TestJobsOrderAndArgs(t *testing.T) {
	specs, _ := ParseMethods("bc,dagger:plans=16")
	p := &Plan{Env: "pendulum", Methods: specs, Seeds: []uint64{3, 1}, EvalSeed: 11, Episodes: 5, Dir: "out"}
	jobs := p.Jobs()
	want := []struct {
		dir  string
		args string
	}{
		{"out/bc/seed-3", "train bc --env pendulum --seed 3 --out out/bc/seed-3 --quiet --json"},
		{"out/bc/seed-1", "train bc --env pendulum --seed 1 --out out/bc/seed-1 --quiet --json"},
		{"out/dagger_plans=16/seed-3", "train dagger --env pendulum --seed 3 --out out/dagger_plans=16/seed-3 --quiet --json --plans=16"},
		{"out/dagger_plans=16/seed-1", "train dagger --env pendulum --seed 1 --out out/dagger_plans=16/seed-1 --quiet --json --plans=16"},
	}
	if len(jobs) != len(want) {
		t.Fatalf("%d jobs, want %d", len(jobs), len(want))
	}
	for i, j := range jobs {
		if j.Index != i || j.Dir != want[i].dir || strings.Join(p.TrainArgs(j), " ") != want[i].args {
			t.Errorf("job %d: index %d dir %q args %q; want dir %q args %q", i, j.Index, j.Dir, strings.Join(p.TrainArgs(j), " "), want[i].dir, want[i].args)
		}
	}
	if got := strings.Join(p.EvalArgs("c.safetensors"), " "); got != "eval --checkpoint c.safetensors --env pendulum --seed 11 --episodes 5 --quiet --json" {
		t.Errorf("EvalArgs = %q", got)
	}
}

func TestPlanSaveLoad(t *testing.T) {
	specs, _ := ParseMethods("bc:iters=1,dyna:planning-steps=10")
	target := 475.0
	p := &Plan{Env: "cartpole", Methods: specs, Seeds: []uint64{1, 2, 3, 8}, EvalSeed: 11, Episodes: 7, Target: &target, Dir: t.TempDir()}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	q, err := LoadPlan(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if q.Env != p.Env || !slices.Equal(q.Seeds, p.Seeds) || q.EvalSeed != 11 || q.Episodes != 7 || *q.Target != 475 ||
		len(q.Methods) != 2 || q.Methods[1].Text != "dyna:planning-steps=10" {
		t.Errorf("loaded plan %+v differs from saved %+v", q, p)
	}
	if _, err := LoadPlan(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a comparison folder") {
		t.Errorf("LoadPlan of an empty folder: %v", err)
	}
}
