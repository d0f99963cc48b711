// Package learned is the one adapter of a learned dynamics model (an
// nn.DynamicsModel or nn.Ensemble predicting the next observation) that
// every model-based method uses, as mbrl-lib's ModelEnv: MPC and CEM plan
// through it (trainers/mpc), GPS optimises trajectories on it
// (trainers/gps), BPTT backpropagates through its graph form
// (trainers/bptt) and Dyna samples simulated transitions from it
// (trainers/dyna).
//
//	lm, err := learned.New(ens, low, high, true) // PETS: members stacked
//	mpc, err := control.NewMPC(lm, control.NewEnsembleCost(cost, lm.Members(), lm.ObsDim(), lm.ActionDim()), settings)
//	x := make([]float64, lm.StateDim())
//	lm.StateFromObs(x, obs)
//
// It sits between nn and the trainers: package control plans on any
// control.Model and knows nothing of neural networks.
package learned
