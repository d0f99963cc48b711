package compare

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// mbrlBinary is the mbrl command built once for the end-to-end tests.
var mbrlBinary string

func TestMain(m *testing.M) {
	code := func() int {
		flag.Parse()
		if testing.Short() {
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "mbrl-compare-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "mbrl")
		out, err := exec.Command("go", "build", "-o", bin, "github.com/mbrl/mbrl/cmd/mbrl").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build mbrl: %v\n%s", err, out)
			return 1
		}
		mbrlBinary = bin
		return m.Run()
	}()
	os.Exit(code)
}

// tinyMethods train in about a second each on pendulum.
const tinyMethods = "bc:iters=1:episodes-per-iter=2:epochs=2:eval-episodes=2:final-episodes=2," +
	"dagger:iters=2:episodes-per-iter=2:epochs=2:eval-episodes=2:final-episodes=2," +
	"bc:bogus=1"

// fakeOptimum writes a wrapper around the mbrl binary that counts
// "train" invocations in a file and answers "optimum" from optFile when
// it exists (and like an mbrl without the command otherwise), so the tests
// do not depend on how long the real optimum takes.
func fakeOptimum(t *testing.T, dir string) (wrapper, optFile, counter string) {
	t.Helper()
	wrapper = filepath.Join(dir, "mbrl-wrapper")
	optFile = filepath.Join(dir, "optimum-answer.json")
	counter = filepath.Join(dir, "train-count")
	script := fmt.Sprintf(`#!/bin/sh
if [ "$1" = optimum ]; then
  if [ -f %[1]q ]; then cat %[1]q; exit 0; fi
  echo 'error: mbrl: unknown command "optimum"' >&2
  exit 2
fi
if [ "$1" = train ]; then echo "$2" >> %[2]q; fi
exec %[3]q "$@"
`, optFile, counter, mbrlBinary)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return wrapper, optFile, counter
}

// runMbrl runs the real binary and returns stdout, stderr and the exit status.
func runMbrl(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(mbrlBinary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func parseReport(t *testing.T, stdout string) *Report {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var r Report
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("last stdout line is not the JSON report: %v\n%s", err, stdout)
	}
	return &r
}

func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

// numbers is what must be equal between two leaderboards of the same runs
// (everything but wall time and folders).
type numbers struct {
	Method                       string
	Seeds                        []uint64
	Returns                      []float64
	Mean, Median, IQM            *float64
	MeanCI, MedianCI, IQMCI      *Interval
	Gap, WorstGap                *float64
	Successes                    *int
	EnvSteps, Labels             *float64
	Evaluated, Failed, Runs, Rnk int
}

func leaderboardNumbers(r *Report) []numbers {
	var out []numbers
	for _, m := range r.Methods {
		out = append(out, numbers{m.Method, m.Seeds, m.Returns, m.Mean, m.Median, m.IQM, m.MeanCI, m.MedianCI, m.IQMCI,
			m.GapPercent, m.WorstGapPercent, m.Successes, m.EnvSteps, m.Labels, m.Evaluated, m.Failed, m.Runs, m.Rank})
	}
	return out
}

// TestCompareEndToEnd runs "mbrl compare" with tiny budgets (two methods
// and one with a bad flag, seeds 1-2), reruns it (every finished run
// reused, the optimum row added), then emits a Slurm script, runs its
// array indexes one by one, collects, and checks the collected leaderboard
// equals the plain one; it also checks the Kubernetes manifest.
func TestCompareEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end compare: skipped in -short")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh for the wrapper binary")
	}
	tmp := t.TempDir()
	wrapper, optFile, counter := fakeOptimum(t, tmp)
	dirA := filepath.Join(tmp, "A")
	args := []string{"compare", "--env", "pendulum", "--methods", tinyMethods, "--seeds", "1-2", "--episodes", "3",
		"--jobs", "2", "--binary", wrapper, "--json", "--quiet"}

	// 1. A plain compare: leaderboard files, the failing method reported.
	stdout, stderr, code := runMbrl(t, nil, append(args, "--out", dirA)...)
	if code != 0 {
		t.Fatalf("compare exited %d: %s", code, stderr)
	}
	a := parseReport(t, stdout)
	for _, f := range []string{LeaderboardCSV, LeaderboardMD, LeaderboardPNG, RunsCSV, ReportJSON, PlanFile} {
		if fi, err := os.Stat(filepath.Join(dirA, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	if a.Optimum != nil || !strings.Contains(stderr, "no optimum row") {
		t.Errorf("without an optimum command: optimum %v, stderr %q", a.Optimum, stderr)
	}
	if len(a.Methods) != 3 || a.Methods[2].Method != "bc:bogus=1" || a.Methods[2].Failed != 2 || len(a.Failed) != 2 ||
		!strings.Contains(a.Failed[0], "flag provided but not defined: --bogus") {
		t.Fatalf("the bad-flag method must show as failed: %+v", a.Failed)
	}
	for _, m := range a.Methods[:2] {
		if m.Evaluated != 2 || m.Mean == nil || m.IQMCI == nil || *m.Labels <= 0 {
			t.Errorf("%s: %+v", m.Method, m)
		}
	}
	trains := countLines(counter)
	if trains != 6 {
		t.Errorf("%d train invocations, want 6", trains)
	}
	ckpt := filepath.Join(dirA, "bc_iters=1_episodes-per-iter=2_epochs=2_eval-episodes=2_final-episodes=2", "seed-1", FinalCheckpoint)
	before, err := os.Stat(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{SummaryFile, EvalFile} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(ckpt), f)); err != nil {
			t.Errorf("run folder lacks %s", f)
		}
	}

	// 2. Rerun: finished runs are reused (only the failed ones retried),
	// and the optimum row appears once "mbrl optimum" answers.
	os.WriteFile(optFile, []byte(`{"command":"optimum","env":"pendulum","mean_return":-1300,"returns":[-1200,-1400,-1300]}`+"\n"), 0o644)
	time.Sleep(10 * time.Millisecond)
	stdout, stderr, code = runMbrl(t, nil, append(args, "--out", dirA)...)
	if code != 0 {
		t.Fatalf("rerun exited %d: %s", code, stderr)
	}
	a2 := parseReport(t, stdout)
	if got := countLines(counter) - trains; got != 2 {
		t.Errorf("rerun trained %d runs, want 2 (the failed ones)", got)
	}
	after, _ := os.Stat(ckpt)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("rerun rewrote %s", ckpt)
	}
	for _, r := range a2.Runs {
		if r.Status == StatusDone && !r.Reused {
			t.Errorf("%s seed %d not reused", r.Method, r.Seed)
		}
	}
	if a2.Optimum == nil || *a2.Optimum != -1300 {
		t.Fatalf("optimum row %v, want -1300", a2.Optimum)
	}
	for i, m := range a2.Methods[:2] {
		if m.GapPercent == nil || *m.GapPercent != GapPercent(*m.Mean, -1300) || m.Successes == nil {
			t.Errorf("%s: gap %v successes %v", m.Method, m.GapPercent, m.Successes)
		}
		if !reflect.DeepEqual(m.Returns, a.Methods[i].Returns) {
			t.Errorf("%s: rerun returns %v differ from %v", m.Method, m.Returns, a.Methods[i].Returns)
		}
	}
	if _, err := os.Stat(filepath.Join(dirA, "optimum-seed11-episodes3.json")); err != nil {
		t.Errorf("optimum not cached: %v", err)
	}

	// 3. Slurm: emit, run the array indexes one by one as Slurm would, collect.
	dirB := filepath.Join(tmp, "B")
	stdout, stderr, code = runMbrl(t, nil, "compare", "--env", "pendulum", "--methods", tinyMethods, "--seeds", "1-2",
		"--episodes", "3", "--binary", wrapper, "--out", dirB, "--emit", "slurm", "--json")
	if code != 0 {
		t.Fatalf("emit slurm exited %d: %s", code, stderr)
	}
	script := filepath.Join(dirB, SlurmFile)
	sb, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sb), "#SBATCH --array=0-5\n") {
		t.Errorf("slurm script lacks the array line:\n%s", sb)
	}
	// Each listed train command line is the one the plan gives job i.
	plan, err := LoadPlan(dirB)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range plan.Jobs() {
		line := fmt.Sprintf("#   %d: %s\n", j.Index, ShellJoin(append([]string{wrapper}, plan.TrainArgs(j)...)))
		if !strings.Contains(string(sb), line) {
			t.Errorf("slurm script does not list job %d as %q", j.Index, line)
		}
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash to run the Slurm script")
	}
	// The array tasks run with GOMAXPROCS=3, the plain compare with
	// max(1, CPUs/2): the numbers must not depend on it.
	runIndex := func(i int) {
		cmd := exec.Command("bash", script)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID="+strconv.Itoa(i), "SLURM_CPUS_PER_TASK=3")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("array index %d: %v\n%s", i, err, out)
		}
	}
	for i := range 5 {
		runIndex(i)
	}
	collect := func() *Report {
		stdout, stderr, code := runMbrl(t, nil, "compare", "--collect", dirB, "--binary", wrapper, "--json", "--quiet")
		if code != 0 {
			t.Fatalf("collect exited %d: %s", code, stderr)
		}
		return parseReport(t, stdout)
	}
	partial := collect()
	if len(partial.Missing) != 1 || !strings.HasSuffix(partial.Missing[0], filepath.Join("bc_bogus=1", "seed-2")) || len(partial.Failed) != 1 {
		t.Errorf("after indexes 0-4: missing %v failed %v, want the last run missing and one failed", partial.Missing, partial.Failed)
	}
	runIndex(5)
	// Collect evaluates a trained run whose eval.json is missing.
	evalB := filepath.Join(dirB, "dagger_iters=2_episodes-per-iter=2_epochs=2_eval-episodes=2_final-episodes=2", "seed-2", EvalFile)
	if err := os.Remove(evalB); err != nil {
		t.Fatal(err)
	}
	b := collect()
	if _, err := os.Stat(evalB); err != nil {
		t.Errorf("collect did not evaluate the run without eval.json: %v", err)
	}
	if len(b.Missing) != 0 || len(b.Failed) != 2 {
		t.Errorf("collected: missing %v failed %v", b.Missing, b.Failed)
	}
	if na, nb := leaderboardNumbers(a2), leaderboardNumbers(b); !reflect.DeepEqual(na, nb) {
		t.Errorf("collected leaderboard differs from the plain compare:\nplain   %+v\ncollect %+v", na, nb)
	}
	for _, f := range []string{LeaderboardCSV, LeaderboardMD, LeaderboardPNG} {
		if _, err := os.Stat(filepath.Join(dirB, f)); err != nil {
			t.Errorf("collect did not write %s", f)
		}
	}

	// 4. Kubernetes: an Indexed batch/v1 Job with one completion per run.
	dirC := filepath.Join(tmp, "C")
	if _, stderr, code := runMbrl(t, nil, "compare", "--env", "pendulum", "--methods", tinyMethods, "--seeds", "1-2",
		"--episodes", "3", "--out", dirC, "--emit", "k8s"); code != 0 {
		t.Fatalf("emit k8s exited %d: %s", code, stderr)
	}
	yb, err := os.ReadFile(filepath.Join(dirC, KubernetesFile))
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int    `yaml:"completions"`
			Template       struct {
				Spec struct {
					RestartPolicy string `yaml:"restartPolicy"`
					Containers    []struct {
						Command []string `yaml:"command"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(yb, &job); err != nil {
		t.Fatalf("k8s manifest does not parse: %v\n%s", err, yb)
	}
	if job.APIVersion != "batch/v1" || job.Kind != "Job" || job.Spec.CompletionMode != "Indexed" || job.Spec.Completions != 6 ||
		job.Spec.Template.Spec.RestartPolicy != "Never" || len(job.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("k8s manifest: %+v", job)
	}
	cmd := job.Spec.Template.Spec.Containers[0].Command
	if cmd[len(cmd)-1] != "$(JOB_COMPLETION_INDEX)" || cmd[len(cmd)-2] != "--run-index" {
		t.Errorf("k8s command %q does not end with --run-index $(JOB_COMPLETION_INDEX)", cmd)
	}
	if m := regexp.MustCompile(`(?m)^#   5: mbrl train bc --env pendulum --seed 2 .*--bogus=1$`).Find(yb); m == nil {
		t.Errorf("k8s manifest does not list index 5's train command line:\n%s", yb)
	}
}
