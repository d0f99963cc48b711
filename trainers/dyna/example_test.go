package dyna_test

import (
	"fmt"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/dyna"
)

// Pendulum's torque in [-2, 2] discretised into 5 actions for the
// Q-network; the models see the torque itself.
func ExampleNewActions() {
	a, err := dyna.NewActions(envs.NewPendulum().ActionSpace(), 5)
	if err != nil {
		panic(err)
	}
	u := make([]float64, a.EnvDim())
	for k := range a.N() {
		a.EnvAction(u, k)
		fmt.Print(u[0], " ")
	}
	fmt.Println()
	// Output: -2 -1 0 1 2
}

// The termination rule Dyna applies to simulated cart-pole transitions.
func ExampleTerminalFunc() {
	terminal := dyna.TerminalFunc(envs.NewCartPole())
	fmt.Println(terminal([]float64{0.1, 0, 0.05, 0}), terminal([]float64{2.5, 0, 0, 0}))
	fmt.Println(dyna.TerminalFunc(envs.NewPendulum()) == nil)
	// Output:
	// false true
	// true
}
