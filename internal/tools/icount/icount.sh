#!/usr/bin/env bash
# icount: instructions and simulated L2 misses per op of an engine benchmark,
# counted by cachegrind, which the noise of a shared machine does not touch
# (docs/performance.md, "Session 12"). The collector is off, so that its
# cycles (timed by the pacer) do not land in one run and not the other; the
# benchmark runs at 60,000 and 100,000 ops and the difference / 40,000 is the
# steady state's cost per op, setup excluded.
#
# The branch count is cachegrind's simple predictor model: compare binaries
# with it, not the hardware. LL sets the size of the modelled last cache
# level in bytes (default 1 MB; 8388608 and 2097152 in docs/performance.md).
#
#   [LL=bytes] internal/tools/icount/icount.sh [TEST_BINARY] [BENCH_REGEXP]
#   default: builds ./engine's test binary, 'Decision/explained$'
set -euo pipefail
cd "$(dirname "$0")/../../.."
command -v valgrind >/dev/null || { echo "icount: valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
bin=${1:-}
if [ -z "$bin" ]; then
	bin=$(mktemp -d)/engine.test
	go test -c -o "$bin" ./engine/
fi
bench=${2:-'Decision/explained$'}
run() {
	GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=cachegrind --cache-sim=yes --branch-sim=yes \
		--LL="${LL:-1048576}",16,64 --cachegrind-out-file=/dev/null "$bin" -test.run '^$' \
		-test.bench "$bench" -test.benchtime "$1"x -test.cpu 1 2>&1 |
		awk '/I +refs/ {gsub(",", "", $NF); i=$NF} /LLd misses/ {gsub(",", "", $4); l=$4}
			/Mispredicts:/ {gsub(",", "", $3); m=$3} END {print i, l, m}'
}
read -r ia la ma < <(run 60000)
read -r ib lb mb < <(run 100000)
echo "$bench: $(( (ib - ia) / 40000 )) instructions/op, $(( (lb - la) / 40000 )) simulated L2 misses/op (LL ${LL:-1048576} bytes), $(( (mb - ma) / 40000 )) mispredicted branches/op"
