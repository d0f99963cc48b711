// Package gym runs Gymnasium environments for mbrl: "--env gym:ID" makes
// gymnasium.make(ID, **kwargs) in a Python process and talks to it over a
// pipe, so that every method that does not need known dynamics trains on
// a user's Python environment. Nothing else in mbrl depends on Python.
//
// The bridge is a small Python script embedded in the binary (bridge.py,
// run with python -c). Each env has its own process: parallel evaluation
// workers, which make their envs through the env factory, get one each.
// Frames in both directions are a uint32 little-endian length, a kind
// byte and a payload; observations and actions are raw little-endian
// float64 arrays (exact, and no text to format or parse); only the
// one-time header with the spaces is JSON.
//
// Cost: a step is one write and one read on each side, two context
// switches and the conversions. mbrl's ends of the pipes are blocking
// descriptors outside Go's poller (whose wake-up through epoll cost 3 us
// per round trip more) and a step allocates only the observation it
// returns; the bridge decodes the action through struct, writes the
// observation into a float64 view of a preallocated answer frame and
// sends it with one write. Each side waits for the other by spinning
// briefly (100 us in mbrl, 50 us in the bridge, yielding the CPU) before
// it sleeps in the kernel: on an idle virtual machine a sleeping process
// is woken through an idle CPU, which cost 20-30 us per frame. Two spins
// in a row that run out (a slow env, or both processes on one busy CPU,
// where spinning only delays the other) back off: the next waits block
// at once, 32 of them, doubling up to 4096 while spins keep running
// out. BenchmarkOverhead (scripts/gymbench.sh) times Pendulum-v1 through
// the bridge against Gymnasium's own env.step in Python, interleaved.
// On the 2-core VM with nothing else running, the means per step were
// 34 us against 23 us: a median ratio of 1.39 over 7 rounds, and 1.26 at
// best. Before the spin they were 88.6 against 20.9 (3.8x), and a bare
// round trip (ping) took 26 us on average, against 4 us now. With two
// CPU hogs of equal priority on the two cores the spin costs: medians
// 1.7-5x (blocking only: 2.1x), because a process that spins loses the
// scheduler's wake-up preference.
//
// Spaces: a Box of any shape is flattened (row-major) to mbrl's box, a
// Discrete(n, start) is one float64 holding the index from 0 (the bridge
// adds and subtracts start); other spaces are refused with an error
// naming them. Box actions are clipped to the bounds before they are
// sent, as the envs.Env contract says. Gymnasium's terminated and
// truncated are passed through unchanged (the TimeLimit of gym.make
// truncates); MaxSteps is the spec's max_episode_steps.
//
// Seeding: Reset draws a 63-bit seed from mbrl's *rand.Rand and calls
// reset(seed=seed) every episode, so a run is reproducible given the same
// Python, numpy, gymnasium and env code. What is bit-exact through the
// bridge: the observations, rewards and flags the env returns (float64
// on the pipe, so a float32 observation arrives exactly); the env's own
// randomness is numpy's, not mbrl's, so a gym: env and its built-in twin
// start episodes from different states at the same seed.
//
// Faults are errors (ErrBridge), never panics: Python not found, numpy or
// gymnasium not importable (with how to install them), gym.make failing
// (Gymnasium's message, e.g. an unknown id), unsupported spaces, the env
// raising (the exception's last line; the whole traceback goes to
// Options.Stderr when set),
// the bridge process dying (its exit status and last stderr line), NaN
// observations or rewards. After a fault the env implements envs.Faulter:
// Err reports it, Step reports terminated, and the shared rollout loop,
// evaluation and Dyna stop with the error (the run keeps its last
// checkpoint).
//
// Processes never outlive mbrl: the bridge runs in its own process group
// (a Ctrl-C reaches mbrl only, which stops cleanly), on Linux the kernel
// kills it when mbrl dies (Pdeathsig), it exits when its stdin closes,
// Close asks it to quit and then kills its group, Options.Context kills
// it on cancellation, and an env lost without Close is killed when it is
// garbage collected.
//
// Known ids (KnownIDs) get what mbrl knows from Gymnasium's source:
// Pendulum-v1 the built-in pendulum's cost on observations and its
// swing-up hint (so mpc plans with the cost, bptt and gps train through a
// learned model with it, and gps starts its plans from the hint),
// CartPole, Acrobot and MountainCar their termination rules (for Dyna's
// simulated transitions). Other envs have no known cost: methods that
// need one say so; Dyna learns a reward model. Pendulum-v1 and
// CartPole-v1 are the built-in pendulum's and cartpole's twins
// (envs.Twins): a checkpoint of one evaluates on the other.
//
// Use:
//
//	env, err := gym.New("Pendulum-v1", gym.Options{Python: "python3"})
//	if err != nil { ... }
//	defer envs.Close(env)
//	obs := env.Reset(rng)
//	obs, r, term, trunc := env.Step([]float64{0.5})
//	if err := envs.Err(env); err != nil { ... }
package gym
