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
// (outside Go's poller, whose wake-up through epoll cost 3 us per round
// trip more) and a step allocates only the observation it returns; the
// bridge decodes the action through struct, writes the observation into
// a float64 view of a preallocated answer frame and sends it with one
// write. BenchmarkOverhead (scripts/gymbench.sh) times Pendulum-v1
// through the bridge against Gymnasium's own env.step in Python,
// interleaved: 28.6-30.7 us against 19.2-20.5 us at best on the shared
// 2-core VM, 1.42-1.54x with a median of 1.50 over 11 sittings (its doc
// has the details). What is left is the kernel's: a bare round trip
// (ping) costs 6.4 us at best, most of it the two switches between the
// processes. Spinning instead of blocking was
// measured and dropped: with the two processes on one CPU, which is
// where the scheduler puts them on a busy machine, a spinning side only
// delays the other.
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
