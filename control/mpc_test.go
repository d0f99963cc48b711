package control

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/internal/cputime"
)

// pendulumMPC returns an observation-level MPC on the true pendulum
// dynamics.
func pendulumMPC(t testing.TB, s MPCSettings) *ObsMPC {
	t.Helper()
	dyn := envs.PendulumDynamics{}
	s.Low, s.High = dyn.ActionBounds()
	c, err := NewMPC(dyn, dyn, &s)
	if err != nil {
		t.Fatal(err)
	}
	return c.ObsPolicy(dyn)
}

// runPendulum runs episodes 0..n-1 of Pendulum-v1 (episode i resets with
// PCG(seed, i)) with clones of policy on `workers` goroutines and returns
// the returns in episode order.
func runPendulum(t testing.TB, policy *ObsMPC, n, workers int, seed uint64) []float64 {
	t.Helper()
	returns := make([]float64, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		pol := policy.Clone()
		wg.Add(1)
		go func() {
			defer wg.Done()
			env := envs.NewPendulum()
			act := make([]float64, 1)
			for i := range next {
				rng := rand.New(rand.NewPCG(seed, uint64(i)))
				obs := env.Reset(rng)
				pol.Reset(rand.New(rand.NewPCG(seed+1, uint64(i))))
				var ret float64
				for {
					pol.Act(act, obs)
					var r float64
					var term, trunc bool
					obs, r, term, trunc = env.Step(act)
					ret += r
					if term || trunc {
						break
					}
				}
				returns[i] = ret
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return returns
}

func meanStd(v []float64) (mean, std float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)))
}

// TestMPCPendulum evaluates MPC with the true dynamics on 100 Pendulum-v1
// episodes from random starts (episode i resets with PCG(7, i)), with
// Gymnasium's reward. Population MPC (16 plans, horizon 50, 3 iLQR
// iterations, with the energy-shaping generator) must reach a mean return
// of at least -155 (the optimum is about -148); the single warm-started
// plan (horizon 20, 2 iterations) at least -160. Skipped with -short.
func TestMPCPendulum(t *testing.T) {
	if testing.Short() {
		t.Skip("100 pendulum episodes with population MPC take ~10 s on 2 cores")
	}
	workers := max(runtime.GOMAXPROCS(0), 1)
	for _, tc := range []struct {
		name string
		s    MPCSettings
		bar  float64
	}{
		{"P1", MPCSettings{}, -160},
		{"P16", MPCSettings{Plans: 16, Fresh: pendulumFresh()}, -155},
	} {
		start, cpu0 := time.Now(), cpuTime()
		r := runPendulum(t, pendulumMPC(t, tc.s), 100, workers, 7)
		mean, std := meanStd(r)
		t.Logf("%s: mean return %.2f std %.2f min %.2f over %d episodes (wall %.1fs on %d workers, CPU %.1fs)",
			tc.name, mean, std, minOf(r), len(r), time.Since(start).Seconds(), workers, (cpuTime() - cpu0).Seconds())
		if mean < tc.bar {
			t.Errorf("%s: mean return %.2f < %g", tc.name, mean, tc.bar)
		}
	}
}

// cpuTime returns the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestMPCClonesAreIndependentAndDeterministic(t *testing.T) {
	// Evaluating on 1 or 3 goroutines gives the same returns: clones share
	// nothing mutable and each episode reseeds its stream with Reset.
	for _, s := range []MPCSettings{{}, {Plans: 5, Horizon: 15, Iters: 1, Fresh: pendulumFresh()}} {
		pol := pendulumMPC(t, s)
		a := runPendulum(t, pol, 6, 1, 3)
		b := runPendulum(t, pol, 6, 3, 3)
		for i := range a {
			if a[i] != b[i] {
				t.Errorf("plans %d episode %d: return %g serially, %g in parallel", s.Plans, i, a[i], b[i])
			}
		}
	}
}

func TestMPCActsInBounds(t *testing.T) {
	pol := pendulumMPC(t, MPCSettings{Plans: 4, Horizon: 10, Iters: 1})
	rng := rand.New(rand.NewPCG(5, 6))
	env := envs.NewPendulum()
	obs := env.Reset(rng)
	act := make([]float64, 1)
	for range 50 {
		pol.Act(act, obs)
		if err := pol.Err(); err != nil {
			t.Fatal(err)
		}
		if act[0] < -2 || act[0] > 2 {
			t.Fatalf("action %g outside [-2, 2]", act[0])
		}
		if len(pol.Plan()) != 10 || pol.Plan()[0][0] != act[0] {
			t.Fatalf("Plan()[0] = %v, action %g", pol.Plan()[0], act[0])
		}
		obs, _, _, _ = env.Step(act)
	}
	if _, err := NewMPC(envs.PendulumDynamics{}, envs.PendulumDynamics{}, &MPCSettings{Plans: 2, Fresh: pendulumFresh()}); err == nil {
		t.Error("2 plans with 4 fresh generators: no error")
	}
}

// pendulumFresh are the fresh candidates of population MPC on pendulum.
func pendulumFresh() []Generator {
	return []Generator{ZeroPlan{}, RandomPlan{Hold: 5}, BangBang{}, PendulumSwingUp()}
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

// benchMPC times one MPC action along pendulum episodes (a new episode
// every 200 actions, so warm starts are as in evaluation).
func benchMPC(b *testing.B, s MPCSettings) {
	pol := pendulumMPC(b, s)
	env := envs.NewPendulum()
	rng := rand.New(rand.NewPCG(3, 4))
	obs := env.Reset(rng)
	act := make([]float64, 1)
	cpu0 := cputime.Now()
	for b.Loop() {
		pol.Act(act, obs)
		var trunc bool
		obs, _, _, trunc = env.Step(act)
		if trunc {
			obs = env.Reset(rng)
			pol.Reset(nil)
		}
	}
	cputime.Report(b, cpu0)
}

func BenchmarkMPCActP1(b *testing.B) { benchMPC(b, MPCSettings{}) }

func BenchmarkMPCActPopulation16(b *testing.B) {
	benchMPC(b, MPCSettings{Plans: 16, Fresh: pendulumFresh()})
}
