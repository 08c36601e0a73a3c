#!/bin/bash
# Benchmark: 100 keys x 20 regions into hwkey-cloudsim with 50 ms latency per
# call. One `hwkey import --jobs 32` against a serial loop of one `hwkey import`
# per key per region (what a shell loop over a vendor CLI does). The serial loop
# runs on a sample and is extrapolated (said in the output).
#
#   bench/import.sh [BUILD_DIR]     (default: build)
# Targets: wall time <= 1.3 x floor (calls x latency / jobs); >= 20x the loop.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
export HK_SRCDIR=$here HK_BUILDDIR=$build
export HWKEY=${HWKEY:-$build/hwkey} HWKEY_CLOUDSIM=${HWKEY_CLOUDSIM:-$build/hwkey-cloudsim}
export HK_TESTLIB=${HK_TESTLIB:-$here/tests/lib}
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

KEYS=${KEYS:-100}
NREGIONS=${NREGIONS:-20}
LATENCY_MS=${LATENCY_MS:-50}
JOBS=${JOBS:-32}
SAMPLE=${SAMPLE:-100}		# serial calls actually timed

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

for i in $(seq "$KEYS"); do
	ssh-keygen -q -t ecdsa -N '' -C bench$i -f k$i
	cat k$i.pub
done >fleet.pub
hk_creds_aliyun
hk_cloudsim_start --latency "$LATENCY_MS" --quiet
A=(--cloud aliyun --endpoint "$CLOUDSIM_URL")
REGIONS=$("$HWKEY" cloud list "${A[@]}" --region all --json |
	jq -r --argjson n "$NREGIONS" '[.regions[].region][:$n] | join(",")')
CALLS=$((KEYS * NREGIONS))

echo "hwkey import: $KEYS keys x $NREGIONS regions = $CALLS ImportKeyPair calls," \
	"simulator latency ${LATENCY_MS} ms, --jobs $JOBS"
t0=$(now)
"$HWKEY" import "${A[@]}" --region "$REGIONS" --name fleet-%n --jobs "$JOBS" --json fleet.pub >run.json
t1=$(now)
par=$(elapsed "$t0" "$t1")
[ "$(jq '.summary.imported' run.json)" = "$CALLS" ] || fail "not every import succeeded"
floor=$(awk -v c=$CALLS -v l=$LATENCY_MS -v j=$JOBS 'BEGIN { printf "%.3f", c * l / 1000 / j }')

# Serial loop: one process per key per region, on a fresh state.
hk_cloudsim_stop
rm -f "$CLOUDSIM_STATE"
hk_cloudsim_start --latency "$LATENCY_MS" --quiet
A=(--cloud aliyun --endpoint "$CLOUDSIM_URL")
IFS=, read -r -a R <<<"$REGIONS"
n=0
t0=$(now)
for ((k = 1; k <= KEYS && n < SAMPLE; k++)); do
	for r in "${R[@]}"; do
		[ $n -lt "$SAMPLE" ] || break
		"$HWKEY" import "${A[@]}" --region "$r" --name "loop-$k" "k$k.pub" >/dev/null
		n=$((n + 1))
	done
done
t1=$(now)
loop_sample=$(elapsed "$t0" "$t1")
loop=$(awk -v s="$loop_sample" -v n=$n -v c=$CALLS 'BEGIN { printf "%.3f", s * c / n }')

awk -v par="$par" -v floor="$floor" -v loop="$loop" -v n=$n -v c=$CALLS -v s="$loop_sample" 'BEGIN {
	printf "parallel: %.3f s wall; floor (calls x latency / jobs) %.3f s; ratio %.2f (target <= 1.30)\n", par, floor, par / floor
	printf "serial loop: %d of %d calls took %.3f s; extrapolated to %d calls: %.3f s\n", n, c, s, c, loop
	printf "speedup over the serial loop: %.1fx (target >= 20x)\n", loop / par
}'
