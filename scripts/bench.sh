#!/bin/sh
# bench.sh prints the Go side of the performance table (README,
# "Performance"): for each workload the median over COUNT runs of the wall
# time, the CPU time (steadier on a loaded machine) and the allocations per
# operation, one thread (GOMAXPROCS=1), plus the regressor and model-fit
# steps and the BPTT and GPS iterations on two threads (@P2) for the scaling.
#
#   scripts/bench.sh                 # this checkout, 3 runs per benchmark
#   COUNT=5 scripts/bench.sh DIR     # another checkout of the module (e.g.
#                                    # a 'git archive' of an older commit)
#
# The benchmarks are compiled with DIR's cmd/mbrl/default.pgo when it has
# one (PGO=off: without), as 'go build ./cmd/mbrl' compiles the binary:
# they time the code the binary runs.
#
# PyTorch peers of the same workloads: ../shared/perf/peers.py (see its
# README); run them interleaved with this script and compare medians.
set -eu
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)}
count=${COUNT:-3}
cd "$dir"
pgo=${PGO:-$dir/cmd/mbrl/default.pgo}
[ -f "$pgo" ] || pgo=off

run() { # procs package pattern [benchtime]: lines "pkg.Name@Pprocs fields..."
	GOMAXPROCS=$1 go test -pgo="$pgo" -run '^$' -bench "$3" -benchmem -count "$count" -benchtime "${4:-1s}" "$2" 2>&1 |
		grep -E '^Benchmark' |
		sed -E "s/^Benchmark([^ 	]+)-[0-9]+([ 	])/\1\2/; s/^Benchmark//; s/^([^ 	]+)/$(basename "$2").\1@P$1/"
}

{
	run 1 ./nn/ '^Benchmark(RegressorStep|PolicyAct|DynamicsJacobians)$'
	run 2 ./nn/ '^BenchmarkRegressorStep$'
	run 1 ./trainers/model/ '^BenchmarkFitStep$'
	run 2 ./trainers/model/ '^BenchmarkFitStep$'
	run 1 ./trainers/bptt/ '^BenchmarkIteration$/^(true|model)/H=(50|200)$' 20x
	run 2 ./trainers/bptt/ '^BenchmarkIteration$/^(true|model)/H=50$' 20x
	run 1 ./control/ '^Benchmark(ILQRIterationPendulum50|ILQRIteratePendulum50|ILQRBackwardPendulum50|MPCActP1|MPCActPopulation16)$'
	run 1 ./trainers/dyna/ '^BenchmarkQUpdate$'
	run 1 ./trainers/gps/ '^BenchmarkIteration$' 5x
	run 2 ./trainers/gps/ '^BenchmarkIteration$' 5x
} | awk '
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function human(ns) {
	if (ns >= 1e6) return sprintf("%.2f ms", ns / 1e6)
	if (ns >= 1e3) return sprintf("%.2f us", ns / 1e3)
	return sprintf("%.0f ns", ns)
}
{
	name = $1
	if (!(name in seen)) { seen[name] = 1; order[++k] = name }
	for (i = 3; i < NF; i++) {
		if ($(i + 1) == "ns/op") wall[name] = wall[name] " " $i
		if ($(i + 1) == "cpu-µs/op") cpu[name] = cpu[name] " " $i
		if ($(i + 1) == "allocs/op") al[name] = al[name] " " $i
	}
}
END {
	printf "%-40s %12s %12s %10s\n", "benchmark (@P: GOMAXPROCS)", "wall", "cpu", "allocs"
	for (j = 1; j <= k; j++) {
		n = order[j]
		c = (n in cpu) ? human(median(cpu[n]) * 1e3) : "-"
		a = (n in al) ? median(al[n]) : "-"
		printf "%-40s %12s %12s %10s\n", n, human(median(wall[n])), c, a
	}
}'
echo "profile (-pgo): $pgo"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
