package gym

import (
	"github.com/mbrl/mbrl/envs/gym/gymtest"
	"math"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkStep times one gym:Pendulum-v1 step through the bridge (Go
// framing, pipe, Python framing and Gymnasium's env.step with gym.make's
// default wrappers). In the same sitting, just before, it times
// Gymnasium's own env.step in Python (pythonStepScript) and reports it as
// python-ns/step, the bridge's best mean over runs of 2000 steps as
// best-ns/step (the same statistic), and their ratio as x-python (the
// bar is 1.5). Run with -benchtime 100000x or more for 50 runs.
func BenchmarkStep(b *testing.B) {
	py := gymtest.Python(b)
	out, err := exec.Command(py, "-c", pythonStepScript).Output()
	if err != nil {
		b.Fatal(err)
	}
	pyNs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatal(err)
	}
	e, err := Open("Pendulum-v1", Options{Python: py})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	e.Reset(rand.New(rand.NewPCG(1, 1)))
	a := []float64{0.5}
	b.ReportAllocs()
	best, n, t0 := math.Inf(1), 0, time.Now()
	for b.Loop() {
		e.Step(a)
		if n++; n == 2000 {
			best = math.Min(best, float64(time.Since(t0).Nanoseconds())/2000)
			n, t0 = 0, time.Now()
		}
	}
	if err := e.Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(pyNs, "python-ns/step")
	b.ReportMetric(best, "best-ns/step")
	b.ReportMetric(best/pyNs, "x-python")
}

// BenchmarkPing times a bare round trip through the pipe (the bridge's
// fixed cost apart from the env and the observation's encoding).
func BenchmarkPing(b *testing.B) {
	py := gymtest.Python(b)
	e, err := Open("Pendulum-v1", Options{Python: py})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	for b.Loop() {
		if err := e.ping(); err != nil {
			b.Fatal(err)
		}
	}
}

// pythonStepScript times env.step of Pendulum-v1 in Python alone, with a
// float64 action as the bridge sends it, and prints the best mean ns per
// step of 50 runs of 2000 steps (the statistic BenchmarkStep compares it
// with: on a shared machine the best run is the one least disturbed).
const pythonStepScript = `import time, numpy as np, gymnasium as gym
e = gym.make("Pendulum-v1"); e.reset(seed=1); a = np.array([0.5])
best = 1e9
for _ in range(50):
    t = time.perf_counter()
    for _ in range(2000):
        e.step(a)
    best = min(best, (time.perf_counter() - t) / 2000)
print(int(best * 1e9))`
