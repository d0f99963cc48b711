//go:build unix

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/bptt"
	"github.com/mbrl/mbrl/trainers/dagger"
	"github.com/mbrl/mbrl/trainers/dyna"
	"github.com/mbrl/mbrl/trainers/dynaq"
	"github.com/mbrl/mbrl/trainers/gps"
	"github.com/mbrl/mbrl/trainers/lggps"
	"github.com/mbrl/mbrl/trainers/model"
	"github.com/mbrl/mbrl/trainers/mpc"
	"github.com/mbrl/mbrl/trainers/plato"
)

// TestMemoryEstimateRefuses checks that configurations whose allocations
// exceed any machine are refused before anything is allocated, with one
// line that names the flag to lower and exit status 2 (on main they ended
// in a Go out-of-memory trace).
func TestMemoryEstimateRefuses(t *testing.T) {
	cases := []struct {
		args []string
		flag string
	}{
		{[]string{"train", "bptt", "--env", "pendulum", "--true-dynamics", "--hidden", "100000000000"}, "--hidden"},
		{[]string{"train", "bptt", "--env", "pendulum", "--true-dynamics", "--hidden", "1000000,1000000"}, "--hidden"},
		{[]string{"train", "model", "--env", "pendulum", "--samples", "1000000000000"}, "--samples"},
		{[]string{"train", "model", "--env", "pendulum", "--hidden", "1000000,1000000"}, "--hidden"},
		{[]string{"train", "model", "--env", "pendulum", "--batch", "1000000000000"}, "--batch"},
		{[]string{"train", "mpc", "--env", "pendulum", "--samples", "10000000000"}, "--samples"},
		{[]string{"train", "dagger", "--env", "pendulum", "--episodes-per-iter", "100000000000"}, "--episodes-per-iter"},
		{[]string{"train", "plato", "--env", "pendulum", "--hidden", "10000000,10000000"}, "--hidden"},
		{[]string{"train", "gps", "--env", "pendulum", "--conditions", "100000000000"}, "--conditions"},
		{[]string{"train", "lggps", "--env", "pendulum", "--samples", "100000000000"}, "--samples"},
		{[]string{"train", "dyna", "--env", "cartpole", "--buffer", "100000000000"}, "--buffer"},
		{[]string{"train", "dyna", "--env", "cartpole", "--model-buffer", "100000000000"}, "--model-buffer"},
		{[]string{"train", "dynaq", "--runs", "100000000000"}, "--runs"},
		{[]string{"train", "bptt", "--env", "pendulum", "--true-dynamics", "--final-episodes", "100000000000"}, "--final-episodes"},
		{[]string{"eval", "--env", "linear", "--controller", "lqr", "--episodes", "100000000000"}, "--episodes"},
		{[]string{"gradnorm", "--env", "pendulum", "--true-dynamics", "--starts", "100000000000"}, "--starts"},
		{[]string{"rollout", "--env", "linear", "--max-steps", "100000000000"}, "--max-steps"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args[:2], " ")+" "+c.flag, func(t *testing.T) {
			args := c.args
			if args[0] == "train" {
				args = append(args, "--out", filepath.Join(t.TempDir(), "run"))
			}
			_, stderr, code := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(stderr, c.flag+" needs about") || !strings.Contains(stderr, "available") {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %s and the memory available", code, stderr, c.flag)
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n > 0 {
				t.Fatalf("error is not one line: %q", stderr)
			}
		})
	}
}

// TestDivergenceSaysWhatIsTrue checks the message of a run that diverges
// in its first iteration: no checkpoint exists, and the message must not
// claim one is kept (on main it did).
func TestDivergenceSaysWhatIsTrue(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	_, stderr, code := runCLI(t, "train", "bptt", "--env", "pendulum", "--true-dynamics", "--lr", "1.7e308", "--warmup", "0",
		"--iters", "2", "--final-episodes", "1", "--out", dir, "--quiet")
	if code != 1 || !strings.Contains(stderr, "training diverged at iteration 0") {
		t.Fatalf("exit %d, stderr %q; want exit 1 and a divergence", code, stderr)
	}
	if strings.Contains(stderr, "is kept") || !strings.Contains(stderr, "no checkpoint was written") {
		t.Fatalf("stderr %q: want 'no checkpoint was written', not a kept checkpoint", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "latest.safetensors")); err == nil {
		t.Fatal("a latest.safetensors exists after all")
	}
}

// TestNumericFlagRanges checks flags that main accepted silently.
func TestNumericFlagRanges(t *testing.T) {
	ckptless := func(extra ...string) []string {
		return append([]string{"train", "dagger", "--env", "pendulum", "--iters", "1"}, extra...)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--env", "pendulum", "--controller", "mpc", "--plans", "0"}, "--plans must be >= 1, got 0"},
		{[]string{"eval", "--env", "pendulum", "--controller", "mpc", "--plans", "-3"}, "--plans must be >= 1, got -3"},
		{[]string{"eval", "--env", "pendulum", "--controller", "lqr", "--workers", "-1"}, "--workers must be 0 (one per CPU) or more, got -1"},
		{[]string{"eval", "--env", "pendulum", "--controller", "mpc", "--mpc-horizon", "-1"}, "--mpc-horizon must be >= 0, got -1"},
		{[]string{"eval", "--env", "pendulum", "--controller", "mpc", "--mpc-iters", "-1"}, "--mpc-iters must be >= 0, got -1"},
		{[]string{"rollout", "--env", "pendulum", "--max-steps", "-1"}, "--max-steps must be >= 0"},
		{ckptless("--plans", "0"), "--plans must be >= 1, got 0"},
		{ckptless("--mpc-horizon", "-1"), "--mpc-horizon must be >= 0, got -1"},
		{ckptless("--mpc-iters", "-1"), "--mpc-iters must be >= 0, got -1"},
		{[]string{"train", "bc", "--env", "pendulum", "--plans", "-3"}, "--plans must be >= 1, got -3"},
		{[]string{"train", "plato", "--env", "pendulum", "--plans", "0"}, "--plans must be >= 1, got 0"},
		{[]string{"train", "dynaq", "--workers", "-1"}, "--workers must be 0 (one per CPU) or more, got -1"},
		{[]string{"train", "dynaq", "--gamma", "0"}, "--gamma must be in (0, 1], got 0"},
		{[]string{"train", "lggps", "--env", "pendulum", "--conditions", "0"}, "--conditions must be >= 1, got 0"},
		{[]string{"train", "lggps", "--env", "pendulum", "--batch", "-1"}, "--batch must be >= 1, got -1"},
		{[]string{"train", "lggps", "--env", "pendulum", "--em-iters", "-1"}, "--em-iters must be >= 0, got -1"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			args := c.args
			if args[0] == "train" {
				args = append(args, "--out", filepath.Join(t.TempDir(), "run"))
			}
			_, stderr, code := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 and %q", code, stderr, c.want)
			}
		})
	}
}

// TestOutputNeverReplacesSpecialFiles writes rollout's CSV onto a device,
// a FIFO, a folder and symlinks: special files are refused (exit 2) and
// left as they are, a symlink is written through (main replaced all of
// them with a regular file).
func TestOutputNeverReplacesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	target := filepath.Join(dir, "target.csv")
	os.WriteFile(target, []byte("old\n"), 0o644)
	link := filepath.Join(dir, "link.csv")
	os.Symlink("target.csv", link)
	dangling := filepath.Join(dir, "dangling.csv")
	os.Symlink("new.csv", dangling)
	toFIFO := filepath.Join(dir, "tofifo.csv")
	os.Symlink(fifo, toFIFO)
	sub := filepath.Join(dir, "folder")
	os.Mkdir(sub, 0o755)
	// A character device of our own (the null device's numbers), never
	// the system's /dev/null: a regression would replace it.
	dev := filepath.Join(dir, "null")
	hasDev := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3) == nil
	cases := []struct {
		name, path, want string // want: "" for success
		written          string // the regular file that must hold the trajectory
	}{
		{"character device", dev, "character device", ""},
		{"FIFO", fifo, "FIFO", ""},
		{"symlink to a FIFO", toFIFO, "FIFO", ""},
		{"folder", sub, "folder", ""},
		{"symlink", link, "", target},
		{"dangling symlink", dangling, "", filepath.Join(dir, "new.csv")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.path == dev && !hasDev {
				t.Skip("cannot create a device node here (not root)")
			}
			before, _ := os.Lstat(c.path)
			_, stderr, code := runCLI(t, "rollout", "--env", "pendulum", "--max-steps", "3", "--csv", c.path)
			if c.want != "" {
				if code != exitUsage || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "not a regular file") {
					t.Fatalf("exit %d, stderr %q; want exit 2 naming a %s", code, stderr, c.want)
				}
				after, err := os.Lstat(c.path)
				if err != nil || after.Mode() != before.Mode() {
					t.Fatalf("%s changed: %v -> %v (%v)", c.path, before.Mode(), after.Mode(), err)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if fi, err := os.Lstat(c.path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("the symlink was replaced: %v %v", fi.Mode(), err)
			}
			b, err := os.ReadFile(c.written)
			if err != nil || !strings.HasPrefix(string(b), "t,obs_0") {
				t.Fatalf("target holds %q (%v), want the trajectory", b, err)
			}
		})
	}
}

// TestFilesAreMode0644 checks every file of a run folder and of rollout's
// CSV (main wrote config.yaml and PNGs 0600 at one point: CreateTemp).
func TestFilesAreMode0644(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "run")
	if _, stderr, code := runCLI(t, "train", "bptt", "--env", "pendulum", "--true-dynamics", "--iters", "5", "--eval-every", "0",
		"--final-episodes", "1", "--out", dir, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	csv := filepath.Join(dir, "traj.csv")
	if _, stderr, code := runCLI(t, "rollout", "--env", "pendulum", "--max-steps", "2", "--csv", csv); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	entries, _ := os.ReadDir(dir)
	seen := map[string]bool{}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		seen[e.Name()] = true
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", e.Name(), fi.Mode().Perm())
		}
	}
	for _, name := range []string{"config.yaml", "metrics.csv", "latest.safetensors", "final.safetensors", "learning_curve.png", "summary.json", "traj.csv"} {
		if !seen[name] {
			t.Errorf("run folder lacks %s (has %v)", name, seen)
		}
	}
	// compare's plan and cluster file (0600 on main: CreateTemp).
	cmpDir := filepath.Join(t.TempDir(), "cmp")
	if _, stderr, code := runCLI(t, "compare", "--env", "pendulum", "--methods", "bptt", "--seeds", "1-2", "--emit", "slurm", "--out", cmpDir, "--quiet"); code != 0 {
		t.Fatalf("compare --emit: exit %d: %s", code, stderr)
	}
	for _, name := range []string{"plan.json", "compare.slurm"} {
		fi, err := os.Stat(filepath.Join(cmpDir, name))
		if err != nil {
			t.Errorf("compare wrote no %s: %v", name, err)
		} else if fi.Mode().Perm() != 0o644 {
			t.Errorf("compare's %s has mode %v, want 0644", name, fi.Mode().Perm())
		}
	}
}

// TestResumeFinishedRunChangesNothing resumes a finished run: it says so,
// exits 0 and leaves every file as it was; with a larger --iters it
// continues, and wall_s and the summary line count both this process's
// time and the run's.
func TestResumeFinishedRunChangesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	train := func(iters string, extra ...string) (string, string, int) {
		return runCLI(t, append([]string{"train", "bptt", "--env", "pendulum", "--true-dynamics", "--iters", iters, "--eval-every", "0",
			"--final-episodes", "1", "--quiet"}, extra...)...)
	}
	if _, stderr, code := train("3", "--out", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	snapshot := func() map[string]string {
		m := map[string]string{}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			fi, _ := e.Info()
			m[e.Name()] = string(b) + fi.ModTime().String()
		}
		return m
	}
	before := snapshot()
	stdout, stderr, code := train("3", "--resume", filepath.Join(dir, "final.safetensors"), "--json")
	if code != 0 || !strings.Contains(stderr, "the run is finished") || !strings.Contains(stderr, "nothing was changed") {
		t.Fatalf("exit %d, stderr %q; want exit 0 and 'the run is finished'", code, stderr)
	}
	if m := lastJSON(t, stdout); m["iterations"].(float64) != 3 {
		t.Fatalf("--json printed %v, want the run's summary", m)
	}
	// Without --iters the run's own (from its config.yaml) applies.
	if _, stderr, code := runCLI(t, "train", "bptt", "--resume", filepath.Join(dir, "final.safetensors"), "--quiet"); code != 0 || !strings.Contains(stderr, "holds 3 of 3 iterations") {
		t.Fatalf("resume without flags: exit %d, stderr %q; want the run's 3 iterations, finished", code, stderr)
	}
	after := snapshot()
	for name, v := range before {
		if after[name] != v {
			t.Errorf("%s changed", name)
		}
	}
	stdout, stderr, code = train("5", "--resume", filepath.Join(dir, "latest.safetensors"))
	if code != 0 || !strings.Contains(stdout, "5 iterations (2 this run) in ") || !strings.Contains(stdout, "s in all)") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want '5 iterations (2 this run) in ...s (...s in all)'", code, stdout, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "metrics.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 6 {
		t.Fatalf("metrics.csv has %d lines, want header + 5:\n%s", len(lines), b)
	}
	var walls []float64
	for _, l := range lines[1:] {
		var w float64
		json.Unmarshal([]byte(strings.Split(l, ",")[1]), &w)
		walls = append(walls, w)
	}
	for i := 1; i < len(walls); i++ {
		if walls[i] < walls[i-1] {
			t.Fatalf("wall_s restarts after the resume: %v", walls)
		}
	}
}

// TestDefaultsFitSmallMachines checks that the memory estimate of every
// method's defaults is far below a small machine's memory (2 GB), so the
// check never refuses an ordinary run, and that it grows with the sizes.
func TestDefaultsFitSmallMachines(t *testing.T) {
	env := func(name string) envs.Env {
		e, err := envs.Make(name)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	pend := env("pendulum")
	dagCfg := dagger.DefaultConfig()
	cases := []struct {
		name string
		m    config.Memory
	}{
		{"bptt", bptt.DefaultConfig().Memory(pend, []int{64, 64})},
		{"gradnorm", bptt.StudyMemory(pend, []int{64, 64}, 100, []int{1, 2, 5, 10, 20, 50, 100, 200})},
		{"model", model.DefaultConfig().Memory(pend)},
		{"mpc", mpc.DefaultConfig().Memory(pend, 15)},
		{"dagger", dagCfg.Memory(pend)},
		{"bc", dagger.DefaultBCConfig().Memory(pend)},
		{"plato", plato.DefaultConfig().Memory(pend)},
		{"gps", gps.DefaultConfig().Memory(pend, []int{64, 64})},
		{"lggps", lggps.DefaultConfig().Memory(pend, []int{64, 64})},
		{"dyna", dyna.DefaultConfig().Memory(env("cartpole"))},
		{"dynaq", dynaq.DefaultConfig().Memory(env("maze"), 3, dynaq.DefaultRuns, 0)},
	}
	for _, c := range cases {
		if b := c.m.Bytes(); b <= 0 || b > 2e9 {
			t.Errorf("%s: default estimate %s, want (0, 2 GB]", c.name, config.FormatBytes(b))
		} else {
			t.Logf("%s: default estimate %s", c.name, config.FormatBytes(b))
		}
	}
	big := bptt.DefaultConfig()
	big.Batch *= 10
	if a, b := bptt.DefaultConfig().Memory(pend, []int{64, 64}).Bytes(), big.Memory(pend, []int{64, 64}).Bytes(); b <= a {
		t.Errorf("10x the batch: estimate %v <= %v", b, a)
	}
}
