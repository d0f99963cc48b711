package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/mbrl/mbrl/nn"
)

// A pendulum-sized policy: fast single-observation actions within the
// bounds, and du/dobs for trajectory optimisers.
func ExampleDeterministicPolicy() {
	rng := rand.New(rand.NewPCG(1, 1))
	p, err := nn.NewDeterministicPolicy("policy", nn.PolicyArch{
		ObsDim: 3, ActDim: 1, Hidden: []int{64, 64}, Activation: nn.Tanh,
		Low: []float64{-2}, High: []float64{2},
	}, rng)
	if err != nil {
		panic(err)
	}
	obs := []float64{1, 0, 0}
	u := make([]float64, 1)
	p.Act(u, obs)
	jac := make([]float64, 3) // [actDim, obsDim]
	p.ActionJacobian(jac, obs)
	fmt.Println(len(p.Params()), p.Params()[0].Name, p.Params()[0].Shape())
	fmt.Println(u[0] >= -2 && u[0] <= 2)
	// Output:
	// 6 policy.l0.weight [3 64]
	// true
}

// Fitting y = sin(x) with the reusable supervised trainer.
func ExampleRegressor() {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 256
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = 6*rng.Float64() - 3
		y[i] = x[i] * x[i] / 9
	}
	m := nn.NewMLP("net", []int{1, 16, 1}, nn.Tanh, rand.New(rand.NewPCG(1, 3)))
	r, err := nn.NewRegressor(m, 1, 1, nn.RegressorConfig{Batch: 32, Adam: nn.Adam{LR: 1e-2}})
	if err != nil {
		panic(err)
	}
	defer r.Close()
	res, err := r.Fit(x, y, n, 50, rand.New(rand.NewPCG(1, 4)), 0.1, 10)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.BestValLoss < 1e-2)
	// Output: true
}
