#!/usr/bin/env bash
# rounds: the decision benchmark in ROUNDS rounds on one core, each between
# two memory-latency calibrations (internal/tools/memlat), so that every
# sample carries what the machine's memory was doing around it
# (docs/performance.md, "Session 14"). Prints one line per sample and the
# median ns/op and ns/decision per sub-benchmark.
#
# With QUIET_NS set, a round starts only once the 16 MB load costs at most
# that many ns (other tenants are not holding the L3; it waits and retries,
# up to QUIET_WAIT seconds, default 1200), and the medians count only the
# samples whose calibrations before and after both stayed at most that.
#
#   internal/tools/rounds/rounds.sh [ROUNDS] [BENCH_REGEXP]
#   default: 8 rounds of 'Decision/explained-batched$', 300,000 ops each
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-8}
bench=${2:-'Decision/explained-batched$'}
dir=$(mktemp -d)
go test -c -o "$dir/engine.test" ./engine/
go build -o "$dir/memlat" ./internal/tools/memlat
cal() { "$dir/memlat" | awk '/16 MB|256 MB/ {printf "%s%s=%sns ", $3, $4, $7}'; }
l16() { sed 's/.*16MB=\([0-9.]*\)ns.*/\1/' <<<"$1"; }
quiet() { [ -z "${QUIET_NS:-}" ] || awk -v v="$(l16 "$1")" -v q="$QUIET_NS" 'BEGIN {exit !(v <= q)}'; }
deadline=$(( $(date +%s) + ${QUIET_WAIT:-1200} ))
for r in $(seq "$rounds"); do
	before=$(cal)
	while ! quiet "$before" && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 15
		before=$(cal)
	done
	out=$(cd engine && "$dir/engine.test" -test.run '^$' -test.bench "$bench" -test.benchtime 300000x -test.cpu 1 | grep '^Benchmark')
	after=$(cal)
	tag=""
	if [ -n "${QUIET_NS:-}" ]; then
		tag=noisy
		if quiet "$before" && quiet "$after"; then tag=quiet; fi
	fi
	while read -r line; do
		echo "round $r: $line | before: $before| after: $after $tag"
	done <<<"$out"
done | tee "$dir/samples"
echo
[ -n "${QUIET_NS:-}" ] && echo "medians of the samples with the 16 MB load at most ${QUIET_NS} ns before and after:"
awk -v gate="${QUIET_NS:-}" 'gate != "" && $NF != "quiet" {next} {
	name=$3; ns=$5
	for (i=1; i<=NF; i++) if ($(i+1)=="decisions/op") d=$i
	vals[name]=vals[name] " " ns; per[name]=d
} END {
	for (n in vals) {
		k=split(substr(vals[n],2), a, " ")
		for (i=2; i<=k; i++) { v=a[i]+0; j=i-1; while (j>0 && a[j]+0>v) { a[j+1]=a[j]; j-- }; a[j+1]=v }
		m=(k%2) ? a[(k+1)/2] : (a[k/2]+a[k/2+1])/2
		printf "%-40s median %7.0f ns/op = %5.2f µs/decision over %d samples (min %d, max %d)\n", n, m, m/per[n]/1000, k, a[1], a[k]
	}
}' "$dir/samples"
