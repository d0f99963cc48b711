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
import traceback


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

    f64 = np.float64
    if isinstance(obs_space, gym.spaces.Discrete):
        ostart = int(obs_space.start)

        def obs_bytes(o):
            return struct.pack("<d", float(int(o) - ostart))
    else:
        def obs_bytes(o):
            return np.asarray(o, dtype=f64).tobytes()
    if isinstance(act_space, gym.spaces.Discrete):
        astart = int(act_space.start)
        unpack_d = struct.Struct("<d").unpack

        def action(p):
            return astart + int(unpack_d(p)[0])
    else:
        shape = act_space.shape
        flat = len(shape) == 1

        def action(p):
            a = np.frombuffer(p, dtype=f64).copy()
            return a if flat else a.reshape(shape)
    tail = struct.Struct("<dBB")
    unpack_seed = struct.Struct("<Q").unpack
    S, R, P = ord("S"), ord("R"), ord("P")
    buf = b""
    while True:
        # One read usually holds a whole request: mbrl waits for each answer.
        while len(buf) < 5 or len(buf) < 4 + head.unpack_from(buf)[0]:
            more = os.read(rfd, 1 << 16)
            if not more:
                return
            buf += more
        n, kind = head.unpack_from(buf)
        p, buf = buf[5:4 + n], buf[4 + n:]
        try:
            if kind == S:
                o, r, term, trunc, _ = env.step(action(p))
                send(ord("T"), obs_bytes(o) + tail.pack(float(r), bool(term), bool(trunc)))
            elif kind == R:
                o, _ = env.reset(seed=unpack_seed(p)[0])
                send(ord("O"), obs_bytes(o))
            elif kind == P:
                send(P)
            else:
                env.close()
                return
        except Exception as e:
            send(ord("E"), last_line(e).encode())


main()
