# mbrl's Gymnasium bridge: runs one Gymnasium environment and answers
# reset / step requests from mbrl over a pipe. Started by mbrl (package
# envs/gym) as: python -c <bootstrap> '{"id": ID, "kwargs": {...}}', the
# bootstrap running this script from the environment (MBRL_GYM_BRIDGE).
#
# Framing, both directions: uint32 little-endian length L, then L bytes:
# one kind byte and its payload. Arrays are raw little-endian float64.
#   mbrl -> bridge  'R' seed:uint64          reset(seed=seed)
#                   'S' action:float64[m]    step(action)
#                   'P'                      ping (answered by 'P': the pipe's own cost)
#                   'Q'                      close and exit
#   bridge -> mbrl  'H' json                 spaces and limits, once at start
#                   'O' obs:float64[n]       answer to R
#                   'T' obs:float64[n] reward:float64 terminated:u8 truncated:u8
#                   'E' text                 an error (the exception's last line)
#                   'M' text                 a module that cannot be imported
# Everything the environment prints goes to stderr; the pipe carries only
# the frames above.
import json
import os
import signal
import struct
import sys
import time
import traceback

# SPIN_SECONDS is how long a wait for the next request spins before it
# blocks (see next_bytes).
SPIN_SECONDS = 50e-6
# BACKOFF_WAITS is how many waits block at once after two spins in a row
# ran out (mbrl is busy between steps, or both processes share a busy CPU).
BACKOFF_WAITS = 32


def main():
    # Ctrl-C is for mbrl, which closes the bridge itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    rfd, wfd = os.dup(0), os.dup(1)
    nul = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nul, 0)
    os.close(nul)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    head = struct.Struct("<IB")

    def send(kind, payload=b""):
        msg = head.pack(len(payload) + 1, kind) + payload
        while msg:
            msg = msg[os.write(wfd, msg):]

    def last_line(e):
        traceback.print_exc(file=sys.stderr)
        return traceback.format_exception_only(type(e), e)[-1].strip()

    args = json.loads(sys.argv[1])
    try:
        import numpy as np
    except ImportError as e:
        send(ord("M"), ("numpy: " + last_line(e)).encode())
        return
    try:
        import gymnasium as gym
    except ImportError as e:
        send(ord("M"), ("gymnasium: " + last_line(e)).encode())
        return
    try:
        env = gym.make(args["id"], **args.get("kwargs", {}))
    except Exception as e:
        send(ord("E"), ("gym.make(%r): %s" % (args["id"], last_line(e))).encode())
        return

    def bound(x):
        x = float(x)
        if x != x:
            return "nan"
        if x in (float("inf"), float("-inf")):
            return "inf" if x > 0 else "-inf"
        return x

    def describe(space, what):
        if isinstance(space, gym.spaces.Box):
            return {"kind": "box", "shape": list(space.shape),
                    "low": [bound(v) for v in np.ravel(space.low)],
                    "high": [bound(v) for v in np.ravel(space.high)]}
        if isinstance(space, gym.spaces.Discrete):
            return {"kind": "discrete", "n": int(space.n), "start": int(space.start)}
        raise TypeError("%s space %s is not supported (mbrl takes Box, flattened, and Discrete; "
                        "wrap the env, e.g. gymnasium.wrappers.FlattenObservation)" % (what, space))

    try:
        obs_space, act_space = env.observation_space, env.action_space
        hdr = {"obs": describe(obs_space, "observation"), "act": describe(act_space, "action"),
               "max_steps": int(env.spec.max_episode_steps or 0) if env.spec is not None else 0,
               "gymnasium": gym.__version__}
    except Exception as e:
        send(ord("E"), last_line(e).encode())
        return
    send(ord("H"), json.dumps(hdr).encode())

    # The loop below runs once per step: its answers are built in place in
    # preallocated frames (an observation written into a float64 view of
    # the frame, the reward and flags packed after it) and leave in one
    # write; everything it uses is a local.
    f64, array, frombuffer, asarray = np.float64, np.array, np.frombuffer, np.asarray
    read, write = os.read, os.write
    unpack_len = struct.Struct("<I").unpack_from
    unpack_seed = struct.Struct("<Q").unpack_from
    unpack_d = struct.Struct("<d").unpack_from
    nobs = 1 if isinstance(obs_space, gym.spaces.Discrete) else int(np.prod(obs_space.shape, dtype=int))
    tframe, oframe = bytearray(5 + 8 * nobs + 10), bytearray(5 + 8 * nobs)
    head.pack_into(tframe, 0, len(tframe) - 4, ord("T"))
    head.pack_into(oframe, 0, len(oframe) - 4, ord("O"))
    pack_tail, tend = struct.Struct("<d??").pack_into, 5 + 8 * nobs
    if isinstance(obs_space, gym.spaces.Discrete):
        ostart, oshape = int(obs_space.start), "discrete"  # a shape no observation has
        pack_d = struct.Struct("<d").pack_into
        tobs = oobs = None

        def put(frame, view, o):
            pack_d(frame, 5, float(int(o) - ostart))
    else:
        oshape = tuple(obs_space.shape)
        tobs = np.ndarray(oshape, f64, tframe, 5)
        oobs = np.ndarray(oshape, f64, oframe, 5)

        def put(frame, view, o):
            # An observation of another shape but the same size is taken
            # flattened, as before; one of another size is an error.
            a = asarray(o, dtype=f64).ravel()
            if a.size != nobs:
                raise ValueError("the env returned an observation of shape %s; its observation space has shape %s"
                                 % (np.shape(o), oshape))
            view.reshape(-1)[:] = a
    # A short flat Box action goes through a tuple of floats (half the time
    # of frombuffer(...).copy() for one or a few); other actions through
    # action(). Both are exact and give the env a new, writable float64 array.
    unpack_a = None
    if isinstance(act_space, gym.spaces.Discrete):
        astart, asize = int(act_space.start), 9

        def action(p):
            return astart + int(unpack_d(p, 5)[0])
    else:
        ashape = tuple(act_space.shape)
        asize = 1 + 8 * int(np.prod(ashape, dtype=int))
        m = (asize - 1) // 8
        if len(ashape) == 1 and m <= 16:
            unpack_a = struct.Struct("<%dd" % m).unpack_from

        def action(p):
            return frombuffer(p, f64, m, 5).copy().reshape(ashape)
    S, R, P = ord("S"), ord("R"), ord("P")
    step, tlen = env.step, len(tframe)

    def reply(frame, k=0):
        while k < len(frame):  # the rest of a frame larger than the pipe's buffer
            k += write(wfd, memoryview(frame)[k:])

    # Waiting for mbrl's next request spins for a moment (yielding the CPU
    # to anything runnable) before it sleeps in the kernel: on an idle
    # machine a sleeping process is woken through an idle CPU, which on a
    # virtual machine costs tens of microseconds per frame, several times
    # the step itself. mbrl's side spins likewise.
    clock, spin = time.perf_counter, SPIN_SECONDS
    yield_cpu = getattr(os, "sched_yield", None) or (lambda: None)
    os.set_blocking(rfd, False)

    # [spins in a row that ran out, waits left that block at once]: two
    # spins in a row that ran out back off for BACKOFF_WAITS waits, twice as
    # many after every further one (up to 128 times), until a spin succeeds.
    state = [0, 0]

    def next_bytes():
        try:
            return read(rfd, 1 << 16)
        except BlockingIOError:
            pass
        if state[1] > 0:
            state[1] -= 1
        else:
            t0 = clock()
            while clock() - t0 < spin:
                yield_cpu()
                try:
                    more = read(rfd, 1 << 16)
                    state[0] = 0
                    return more
                except BlockingIOError:
                    pass
            state[0] += 1
            if state[0] >= 2:
                state[1] = BACKOFF_WAITS << min(state[0] - 2, 7)
        os.set_blocking(rfd, True)
        try:
            return read(rfd, 1 << 16)
        finally:
            os.set_blocking(rfd, False)

    buf = b""
    while True:
        more = next_bytes()
        if not more:
            return
        buf += more  # usually b"" + one whole request: mbrl waits for each answer
        while len(buf) >= 5:
            end = 4 + unpack_len(buf)[0]
            if len(buf) < end:
                break
            kind = buf[4]
            try:
                if kind == S:
                    if end - 4 != asize:
                        raise ValueError("bad step frame of %d bytes" % (end - 4))
                    o, r, term, trunc, _ = step(array(unpack_a(buf, 5)) if unpack_a else action(buf))
                    if getattr(o, "shape", None) == oshape:
                        tobs[...] = o
                    else:
                        put(tframe, tobs, o)
                    pack_tail(tframe, tend, r, term, trunc)
                    k = write(wfd, tframe)
                    if k < tlen:
                        reply(tframe, k)
                elif kind == R:
                    o, _ = env.reset(seed=unpack_seed(buf, 5)[0])
                    put(oframe, oobs, o)
                    reply(oframe)
                elif kind == P:
                    send(P)
                else:
                    env.close()
                    return
            except Exception as e:
                send(ord("E"), last_line(e).encode())
            buf = buf[end:]


main()
