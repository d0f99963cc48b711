#!/bin/sh
# gymbench.sh measures the bridge's overhead bar (issue 18): a
# gym:Pendulum-v1 step through the bridge against Gymnasium's own env.step
# timed in Python, in the same sitting, interleaved over ROUNDS rounds
# (default 7) of 20000 steps each; then the plain per-step and ping
# benchmarks (allocations). See BenchmarkOverhead in envs/gym/bench_test.go
# for what each figure is. Needs a Python with numpy and gymnasium (see
# envs/gym/gymtest); the machine's load is printed before and after.
#
#   scripts/gymbench.sh            # this checkout
#   ROUNDS=11 scripts/gymbench.sh
set -eu
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-7}
go test ./envs/gym -run '^$' -bench '^BenchmarkOverhead$' -benchtime "${rounds}x" -v |
	grep -E 'load|round|^Benchmark'
go test ./envs/gym -run '^$' -bench '^Benchmark(Step|Ping)$' -benchtime 20000x -benchmem |
	grep -E '^Benchmark'
