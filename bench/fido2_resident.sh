#!/bin/bash
# Benchmark: resident keys on hwkey-fido2sim (fido:unix:, real libfido2).
# Makes N resident keys (hwkey keygen --resident, one user each), then times
# hwkey keys (credential management: metadata, RPs, credentials) and hwkey
# export of all N (key-handle files as ssh-keygen -K), and checks the export
# holds N loadable files. Not a test: figures depend on the machine.
#
#   bench/fido2_resident.sh [BUILD_DIR] [N]     (default: build, 25)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
n=${2:-25}
export HK_SRCDIR=$here HK_BUILDDIR=$build
export HWKEY=${HWKEY:-$build/hwkey}
export HK_FIDO2SIM=${HK_FIDO2SIM:-$build/tests/fido2sim/hwkey-fido2sim}
export HK_TESTLIB=${HK_TESTLIB:-$here/tests/lib}
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/fido2sim.sh"

export HOME=$HK_TMP/home
mkdir -p "$HOME" keys out
printf '%s\n' 5544332211 >pin
chmod 600 pin
hk_fido2sim_start --pin-file pin
DEV=fido:unix:$FIDO2SIM_SOCKET
now() { date +%s.%N; }
t0=$(now)
for i in $(seq "$n"); do
	"$HWKEY" keygen "$DEV" --pin file:pin --type ecdsa-sk --resident \
		--application ssh:bench --user "u$i" -o "keys/k$i" >/dev/null 2>&1 ||
		fail "keygen $i"
done
t1=$(now)
"$HWKEY" keys "$DEV" --pin file:pin --json >keys.json
t2=$(now)
"$HWKEY" export "$DEV" --pin file:pin -o out 2>/dev/null
t3=$(now)
[ "$(jq '.keys | length' keys.json)" = "$n" ] || fail "keys lists $(jq '.keys | length' keys.json), not $n"
[ "$(find out -name 'id_*_rk_*' ! -name '*.pub' | wc -l)" = "$n" ] || fail "export wrote the wrong number of files"
ssh-keygen -y -f "out/id_ecdsa_sk_rk_bench_u$n" >/dev/null || fail "export: not loadable"
awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
	printf "resident keys: %d\n", n
	printf "keygen --resident: %.3f s each (%.2f s total, with the credential-exists check)\n", (b - a) / n, b - a
	printf "hwkey keys:        %.3f s for %d keys\n", c - b, n
	printf "hwkey export:      %.3f s for %d key-handle files and .pub\n", d - c, n
}'
