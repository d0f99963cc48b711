package gps_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/gps"
)

// GPS with a linear policy on the linear system recovers the LQR gain.
func Example() {
	env, _ := envs.Make("linear")
	dyn, _ := envs.DynamicsOf(env)
	pol := gps.MLPPolicy{MLP: nn.NewMLP("policy", []int{2, 1}, nn.Identity, rand.New(rand.NewPCG(1, 0)))}
	tr, err := gps.New(config.With(gps.DefaultConfig(), func(c *gps.Config) {
		c.Conditions = 4
		c.Batch = 400
		c.PolicyEpochs = 50
		c.Adam = nn.Adam{LR: 3e-2}
		c.LRFloor = 1e-3
		c.RhoSchedule = []gps.RhoStage{{From: 0, Rho: 1}}
		c.Seed = 1
	}), env, gps.NewTrueSystem(dyn), pol)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()
	for it := range 50 {
		if _, err := tr.Iterate(context.Background(), it); err != nil {
			fmt.Println(err)
			return
		}
	}
	w := pol.Params()[0].Data() // W [2, 1]: u = x W + b
	lqr, _ := control.Linearize(dyn, dyn, []float64{0, 0}, []float64{0}).SolveInfinite()
	fmt.Printf("GPS gain [%.3f %.3f]\n", w[0], w[1])
	fmt.Printf("LQR gain [%.3f %.3f]\n", lqr.K.At(0, 0), lqr.K.At(0, 1))
	// Output:
	// GPS gain [-2.305 -1.096]
	// LQR gain [-2.305 -1.096]
}

// A penalty schedule for --rho-schedule.
func ExampleParseRhoSchedule() {
	st, err := gps.ParseRhoSchedule("5:10,10:100")
	fmt.Println(st, err)
	st, err = gps.ParseRhoSchedule("adaptive")
	fmt.Println(st, err)
	// Output:
	// [{5 10} {10 100}] <nil>
	// [] <nil>
}
