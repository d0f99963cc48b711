// Package nn provides the neural models of mbrl - MLPs, deterministic and
// Gaussian policies, dynamics models and ensembles, Q-networks and reward
// models - in float64 on Gorgonia, plus the Adam optimiser and a reusable
// supervised trainer (Regressor).
//
// A model owns its weights as *tensor.Dense values (Param). Any number of
// Gorgonia graphs bind to the same tensors: Bind creates nodes with
// G.WithValue(sameTensor), so a training graph of batch 256, an inference
// graph and a BPTT step graph all see one set of weights, and an in-place
// update (Adam writes into Param.Data()) is visible to all of them on
// their next run. Graphs are built once and re-run; nothing here rebuilds
// a graph per step. Dense weights are stored [in, out]: y = x W + b.
//
// Every model also has a plain Go fast path for one row (Forward, Act,
// Predict, Jacobian) that allocates nothing and agrees with the graph to
// about 1e-15; those methods use per-model scratch space and are not safe
// for concurrent use (Clone per goroutine; MLP.ForwardBatch is safe).
//
// Optimisation does not use Gorgonia's solvers: gradients come from
// G.Grad nodes (without BindDualValues) copied out after each run, and
// Adam updates the flat parameter data with a serialisable state.
//
// Typical use, fitting a dynamics-sized MLP:
//
//	rng := rand.New(rand.NewPCG(seed, 1))
//	m := nn.NewMLP("dynamics", []int{4, 64, 64, 3}, nn.Tanh, rng)
//	r, err := nn.NewRegressor(m, 4, 3, nn.RegressorConfig{Batch: 256})
//	if err != nil { ... }
//	res, err := r.Fit(X, Y, n, 100, rand.New(rand.NewPCG(seed, 2)), 0.1, 10)
//	m.Forward(y, x) // fast single-row prediction with the trained weights
package nn
