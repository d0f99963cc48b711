package gym

import (
	"context"
	"errors"
	"fmt"
	"github.com/mbrl/mbrl/envs/gym/gymtest"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// faultEnvs is a Python module of test environments registered with
// Gymnasium: Faulty-v0 misbehaves at step `at` as `mode` says, DictObs-v0
// has an observation space the bridge refuses, Discrete-v0 has discrete
// observations (start 3) and actions (start -1).
const faultEnvs = `import os
import numpy as np
import gymnasium as gym
from gymnasium import spaces


class Faulty(gym.Env):
    def __init__(self, mode="raise", at=3):
        self.observation_space = spaces.Box(-1, 1, (2, 1), np.float32)
        self.action_space = spaces.Box(-1, 1, (1,), np.float32)
        self.mode, self.at = mode, at

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros((2, 1), np.float32), {}

    def step(self, a):
        self.t += 1
        if self.t == self.at:
            if self.mode == "raise":
                raise ValueError("boom at step %d" % self.t)
            if self.mode == "die":
                os._exit(3)
            if self.mode == "nan":
                return np.array([[np.nan], [0]], np.float32), 0.0, False, False, {}
            if self.mode == "print":
                print("noise on stdout " * 100)
                os.write(1, b"raw noise on fd 1\n")
        return np.full((2, 1), float(a[0]), np.float32), 1.0, self.t == 10, False, {}


class DictObs(gym.Env):
    observation_space = spaces.Dict({"a": spaces.Discrete(2)})
    action_space = spaces.Discrete(2)


class Disc(gym.Env):
    observation_space = spaces.Discrete(5, start=3)
    action_space = spaces.Discrete(3, start=-1)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.s = 3
        return self.s, {}

    def step(self, a):
        assert a in (-1, 0, 1), a
        self.s = min(max(self.s + a, 3), 7)
        return self.s, float(a), self.s == 7, False, {}


gym.register("Faulty-v0", entry_point=Faulty, max_episode_steps=50)
gym.register("DictObs-v0", entry_point=DictObs)
gym.register("Discrete-v0", entry_point=Disc)
`

// withModule writes a module name.py holding src into a new folder put
// first on PYTHONPATH.
func withModule(t *testing.T, name, src string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name+".py"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", dir+string(os.PathListSeparator)+os.Getenv("PYTHONPATH"))
}

func TestStartFaults(t *testing.T) {
	py := gymtest.Python(t)
	cases := []struct {
		name, id, kwargs, python string
		module, src              string // a module put first on PYTHONPATH
		want                     []string
	}{
		{name: "python missing", id: "Pendulum-v1", python: "/nonexistent/python3",
			want: []string{`Python "/nonexistent/python3" not found`, "pip install gymnasium", "--python"}},
		{name: "numpy missing", id: "Pendulum-v1", module: "numpy", src: "raise ModuleNotFoundError(\"No module named 'numpy'\")",
			want: []string{"cannot import numpy", "No module named 'numpy'", "pip install gymnasium", "apt install python3-numpy"}},
		{name: "gymnasium missing", id: "Pendulum-v1", module: "gymnasium", src: "raise ModuleNotFoundError(\"No module named 'gymnasium'\")",
			want: []string{"cannot import gymnasium", "-m pip install gymnasium", "--python"}},
		{name: "unknown id", id: "NoSuchEnv-v0", want: []string{"gym.make('NoSuchEnv-v0')", "NoSuchEnv", "doesn't exist"}},
		{name: "bad kwargs", id: "Pendulum-v1", kwargs: "{g: 1}", want: []string{"--gym-kwargs must be a JSON object"}},
		{name: "two kwargs objects", id: "Pendulum-v1", kwargs: `{"g": 1} {}`, want: []string{"must be one JSON object"}},
		{name: "kwargs refused", id: "Pendulum-v1", kwargs: `{"gravity": 1}`, want: []string{"TypeError", "gravity"}},
		{name: "dict space", id: "faultenvs:DictObs-v0", module: "faultenvs", src: faultEnvs,
			want: []string{"observation space Dict", "not supported", "FlattenObservation"}},
		{name: "empty id", id: "", want: []string{"give an environment id"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.module != "" {
				withModule(t, c.module, c.src)
			}
			e, err := New(c.id, Options{Python: cmpOr(c.python, py), Kwargs: c.kwargs})
			if err == nil {
				Close(e)
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrBridge) {
				t.Errorf("error %v does not wrap ErrBridge", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Close closes e if it is a bridge env.
func Close(e interface{ Name() string }) {
	if c, ok := e.(interface{ Close() error }); ok {
		c.Close()
	}
}

func TestEpisodeFaults(t *testing.T) {
	py := gymtest.Python(t)
	withModule(t, "faultenvs", faultEnvs)
	cases := []struct {
		mode string
		want []string
	}{
		{"raise", []string{"gym:faultenvs:Faulty-v0 raised at step 3", "ValueError: boom at step 3"}},
		{"die", []string{"bridge process for gym:faultenvs:Faulty-v0 ended", "exit status 3"}},
		{"nan", []string{"NaN observation at step 3"}},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			e, err := Open("faultenvs:Faulty-v0", Options{Python: py, Kwargs: fmt.Sprintf(`{"mode": %q}`, c.mode)})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if e.MaxSteps() != 50 || e.ObservationSpace().Dim() != 2 {
				t.Fatalf("MaxSteps %d, obs dim %d; want 50, 2", e.MaxSteps(), e.ObservationSpace().Dim())
			}
			e.Reset(rand.New(rand.NewPCG(1, 1)))
			for step := 1; step <= 3; step++ {
				obs, r, term, _ := e.Step([]float64{0.5})
				if step < 3 && (e.Err() != nil || r != 1 || obs[0] != 0.5) {
					t.Fatalf("step %d: obs %v reward %v err %v", step, obs, r, e.Err())
				}
				if step == 3 {
					if !term || r != 0 || obs[0] != 0.5 {
						t.Errorf("faulty step: obs %v reward %v terminated %v, want the last obs, 0, terminated", obs, r, term)
					}
				}
			}
			err = e.Err()
			if err == nil || !errors.Is(err, ErrBridge) {
				t.Fatalf("Err() = %v, want a bridge error", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			// Sticky: later calls keep the fault and do not touch the pipe.
			e.Reset(rand.New(rand.NewPCG(1, 2)))
			if _, _, term, _ := e.Step([]float64{0}); !term || e.Err() != err {
				t.Errorf("after the fault: terminated %v, Err %v", term, e.Err())
			}
			gone(t, e.p.cmd.Process.Pid)
		})
	}
}

// TestPrintsAndDiscrete checks that what an env prints does not disturb
// the pipe, that Box observations of any shape are flattened, and that
// Discrete spaces with a start are indices from 0 both ways.
func TestPrintsAndDiscrete(t *testing.T) {
	py := gymtest.Python(t)
	withModule(t, "faultenvs", faultEnvs)
	e, err := Open("faultenvs:Faulty-v0", Options{Python: py, Kwargs: `{"mode": "print"}`})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.Reset(rand.New(rand.NewPCG(1, 1)))
	for step := 1; step <= 10; step++ {
		obs, _, term, _ := e.Step([]float64{2}) // clipped to 1
		if e.Err() != nil || obs[0] != 1 || obs[1] != 1 || term != (step == 10) {
			t.Fatalf("step %d: obs %v terminated %v err %v", step, obs, term, e.Err())
		}
	}
	d, err := Open("faultenvs:Discrete-v0", Options{Python: py})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if os, as := d.ObservationSpace(), d.ActionSpace(); !os.Discrete || os.N != 5 || !as.Discrete || as.N != 3 {
		t.Fatalf("spaces %v, %v; want discrete(5), discrete(3)", os, as)
	}
	if obs := d.Reset(rand.New(rand.NewPCG(1, 1))); obs[0] != 0 {
		t.Fatalf("reset obs %v, want [0]", obs)
	}
	for i, want := range []float64{1, 2, 3, 4} {
		obs, r, term, _ := d.Step([]float64{2}) // action index 2 is +1
		if obs[0] != want || r != 1 || term != (i == 3) || d.Err() != nil {
			t.Fatalf("step %d: obs %v reward %v terminated %v err %v", i+1, obs, r, term, d.Err())
		}
	}
	d.Step([]float64{3})
	if d.Err() == nil || !strings.Contains(d.Err().Error(), "not one of the discrete actions") {
		t.Fatalf("invalid discrete action: Err %v", d.Err())
	}
}

// TestProcessesEnd checks that the bridge process ends on Close and on
// the cancellation of the context (Err then wraps context.Canceled).
func TestProcessesEnd(t *testing.T) {
	py := gymtest.Python(t)
	e, err := Open("CartPole-v1", Options{Python: py})
	if err != nil {
		t.Fatal(err)
	}
	pid := e.p.cmd.Process.Pid
	e.Close()
	e.Close()
	gone(t, pid)

	ctx, cancel := context.WithCancel(context.Background())
	e, err = Open("CartPole-v1", Options{Python: py, Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.Reset(rand.New(rand.NewPCG(1, 1)))
	cancel()
	gone(t, e.p.cmd.Process.Pid)
	if _, _, term, _ := e.Step([]float64{0}); !term || !errors.Is(e.Err(), context.Canceled) {
		t.Fatalf("after cancel: terminated %v, Err %v; want terminated and context.Canceled", term, e.Err())
	}
}

// TestNoOrphanWhenKilled kills (SIGKILL) a process that holds a bridge
// and checks that the bridge dies with it (Pdeathsig, Linux).
func TestNoOrphanWhenKilled(t *testing.T) {
	if os.Getenv("MBRL_GYM_HOLDER") == "1" {
		e, err := Open("CartPole-v1", Options{Python: os.Getenv("MBRL_GYM_PYTHON")})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(e.p.cmd.Process.Pid)
		time.Sleep(time.Minute)
		return
	}
	py := gymtest.Python(t)
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("needs Linux (/proc)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoOrphanWhenKilled$")
	cmd.Env = append(os.Environ(), "MBRL_GYM_HOLDER=1", "MBRL_GYM_PYTHON="+py)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("holder said %q", buf[:n])
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("bridge %d not running before the kill: %v", pid, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	gone(t, pid)
}

// gone waits up to 5 s for process pid to disappear (or be a zombie of
// another parent) and fails if it does not.
func gone(t *testing.T, pid int) {
	t.Helper()
	for range 100 {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(st), ") Z ") {
			return
		}
		if _, err := os.Stat("/proc/self"); err != nil { // no /proc: ask the kernel
			if syscall.Kill(pid, 0) != nil {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("bridge process %d still running", pid)
}

// TestLostEnvIsKilled drops an env without closing it: once it is
// garbage collected its bridge process is killed.
func TestLostEnvIsKilled(t *testing.T) {
	py := gymtest.Python(t)
	pid := func() int {
		e, err := Open("CartPole-v1", Options{Python: py})
		if err != nil {
			t.Fatal(err)
		}
		return e.p.cmd.Process.Pid
	}()
	for range 5 {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	gone(t, pid)
}
