package control

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/mbrl/mbrl/envs"
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

func TestMPCPendulumExperiment(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    MPCSettings
	}{
		{"P1", MPCSettings{}},
		{"P16", MPCSettings{Plans: 16, Fresh: pendulumFresh()}},
	} {
		start := time.Now()
		r := runPendulum(t, pendulumMPC(t, tc.s), 100, 2, 7)
		m, s := meanStd(r)
		t.Logf("%s: mean %.2f std %.2f min %.2f (%v)", tc.name, m, s, minOf(r), time.Since(start))
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
	for b.Loop() {
		pol.Act(act, obs)
		var trunc bool
		obs, _, _, trunc = env.Step(act)
		if trunc {
			obs = env.Reset(rng)
			pol.Reset(nil)
		}
	}
}

func BenchmarkMPCActP1(b *testing.B) { benchMPC(b, MPCSettings{}) }

func BenchmarkMPCActPopulation16(b *testing.B) {
	benchMPC(b, MPCSettings{Plans: 16, Fresh: pendulumFresh()})
}
