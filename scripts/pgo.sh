#!/bin/sh
# pgo.sh regenerates cmd/mbrl/default.pgo, the CPU profile that 'go build',
# 'go install' and 'go run' of ./cmd/mbrl use for profile-guided
# optimisation (inlining and devirtualising the hot calls: about 8% off an
# iLQR iteration, 15% off a BPTT iteration; results stay the same bits).
# It profiles default training runs of the methods, one after the other
# (about 2 minutes on 2 cores), with a binary built without a profile, and
# merges the profiles.
#
#   scripts/pgo.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
go build -pgo=off -o "$tmp/mbrl" ./cmd/mbrl
cd "$tmp"
profile() { # name, then the arguments of 'mbrl train'
	name=$1
	shift
	./mbrl train "$@" --quiet --out "run-$name" --cpuprofile "$name.pprof" >/dev/null
	echo "profiled $name: $*"
}
profile bptt bptt --env pendulum --true-dynamics
profile dagger dagger --env pendulum
profile plato plato --env pendulum
profile gps gps --env pendulum
profile mpc mpc --env pendulum
profile model model --env pendulum
profile dyna dyna --env cartpole
go tool pprof -proto ./*.pprof >"$root/cmd/mbrl/default.pgo"
echo "wrote cmd/mbrl/default.pgo"
