package mpc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/model"
)

// cpuTime returns the process's user + system CPU time: on a shared,
// overloaded machine the CPU time per operation is steadier than the wall
// time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPlannerAct times one action of MPC through a learned pendulum
// model (2x64 tanh MLP; fitted briefly to random data) along episodes (a
// new episode every 200 actions, so warm starts are as in evaluation),
// for iLQR (H = 20, 2 iterations) and CEM (H = 25, 3 iterations of 60
// samples), with one model and with an ensemble of 5 whose members each
// roll every plan out.
func BenchmarkPlannerAct(b *testing.B) {
	for _, E := range []int{1, 5} {
		env, _ := envs.Make("pendulum")
		d := model.NewDataset(3, 1)
		pol := &common.RandomPolicy{Space: env.ActionSpace(), Rng: rand.New(rand.NewPCG(1, 1))}
		if _, err := model.Collect(d, env, pol, rand.New(rand.NewPCG(1, 2)), model.CollectConfig{Steps: 1000}); err != nil {
			b.Fatal(err)
		}
		f, err := model.NewFitter("dynamics", 3, 1, config.With(model.DefaultFitConfig(), func(c *model.FitConfig) {
			c.Ensemble = E
			c.Batch = 64
		}), rand.New(rand.NewPCG(1, 0)), 1)
		if err != nil {
			b.Fatal(err)
		}
		obs, act, next := d.Gather(d.All())
		if err := f.SetData(obs, act, next, d.Len()); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Epochs(context.Background(), 15); err != nil {
			b.Fatal(err)
		}
		f.Close()
		for _, planner := range []string{PlannerILQR, PlannerCEM} {
			b.Run(fmt.Sprintf("%s/E=%d", planner, E), func(b *testing.B) {
				p, err := NewPlannerPolicy(f.Model(), env, config.With(DefaultPlannerConfig(), func(c *PlannerConfig) {
					c.Planner = planner
				}))
				if err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(3, 4))
				o := env.Reset(rng)
				u := make([]float64, 1)
				cpu0 := cpuTime()
				for b.Loop() {
					p.Act(u, o)
					var trunc bool
					o, _, _, trunc = env.Step(u)
					if trunc {
						o = env.Reset(rng)
						p.(*PlannerPolicy).Reset(rng)
					}
				}
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			})
		}
	}
}
