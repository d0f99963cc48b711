// Package dyna implements Dyna (Sutton 1990; Sutton & Barto, Reinforcement
// Learning: An Introduction, 2nd ed., 2018, section 8.2) with function
// approximation: a DQN learner (Mnih et al., Nature 2015) trained on real
// transitions and on transitions simulated by a learned neural model, the
// general "Dyna-style" recipe of model-based deep RL (Holland, Talvitie &
// Bowling 2018; short model rollouts branched from real states as in MBPO,
// Janner et al., NeurIPS 2019). The tabular original is trainers/dynaq.
//
// After every real step the trainer does one DQN update on real data,
// refits the dynamics (nn.DynamicsModel, or an nn.Ensemble) and reward
// (nn.RewardModel) models every ModelEvery steps, generates K simulated
// transitions (the dynamics sampled member by member through the shared
// learned.Model of package control/learned) by rolling the model out h
// steps from observations of the real buffer with the exploration policy,
// stores them in a separate model buffer and does K DQN updates on
// minibatches of it. With K = 0 it is
// plain DQN. Simulated transitions end at the environment's known
// termination rule when there is one (TerminalFunc; MBPO does the same).
// Continuous action spaces are discretised into a grid (Actions).
//
//	cfg := dyna.DefaultConfig() // K = 10 planning steps
//	cfg.Seed = 1
//	tr, err := dyna.New(cfg, func() (envs.Env, error) { return envs.Make("cartpole") })
//	if err != nil { ... }
//	defer tr.Close()
//	for it := range 30 { // 30 x 1000 real steps, evaluated after each
//		metrics, err := tr.Iterate(ctx, it)
//		...
//	}
//	pol := tr.Policy() // greedy in the env's action space
//
// Trainer implements common.Trainer (bit-exact resume included: the replay
// buffers, target network, optimiser moments and random streams are part
// of its State). It does not print and has no package-level mutable state;
// all randomness comes from PCG streams of Config.Seed.
package dyna
