#!/bin/bash
# bench/sk.sh [BUILD_DIR]: what libhwkey-sk.so costs OpenSSH, on hwkey-fido2sim.
# Prints (medians of BENCH_RUNS runs, default 5):
#   1. one sk_sign through the middleware (skclient: load, open the device,
#      assert, verify), ECDSA and Ed25519
#   2. one ssh-keygen -w enrolment (ssh-keygen, ssh-sk-helper, the device)
#   3. an ssh login to a loopback sshd with an sk key through the middleware
#      against the same login with a software ed25519 key [ratio; the sk path
#      adds ssh-sk-helper and a device round trip]
# Not a test: figures vary with the machine; the two logins of 3 run back to
# back, alternating which goes first, so load hits both alike.
set -euo pipefail
export LC_ALL=C

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
export HWKEY=$BUILD/hwkey HK_SRCDIR=$SRC HK_BUILDDIR=$BUILD HK_TESTLIB=$SRC/tests/lib
export HK_SK_PROVIDER=$BUILD/libhwkey-sk.so HK_SKCLIENT=$BUILD/tests/skclient/skclient
export HK_FIDO2SIM=$BUILD/tests/fido2sim/hwkey-fido2sim
for f in "$HWKEY" "$HK_SK_PROVIDER" "$HK_SKCLIENT" "$HK_FIDO2SIM"; do
	[ -e "$f" ] || { echo "no $f: build first (cmake --build build)" >&2; exit 1; }
done
RUNS=${BENCH_RUNS:-5}

. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/sk.sh"
. "$HK_TESTLIB/sshd.sh"

now() { echo "$EPOCHREALTIME"; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# timed CMD...: milliseconds one run of CMD takes (its output discarded).
timed() {
	local t0 t1
	t0=$(now)
	"$@" >"$HK_TMP/bench.out" 2>&1 || { cat "$HK_TMP/bench.out" >&2; fail "$* failed"; }
	t1=$(now)
	ms "$t0" "$t1"
}

hk_sk_setup
hk_sk_sim_start bench
P=$HK_SK_PROVIDER
for alg in ecdsa ed25519; do
	"$HK_SKCLIENT" "$P" enroll "$alg" "$alg.kh" >"$HK_TMP/bench.out"
	for _ in $(seq "$RUNS"); do timed "$HK_SKCLIENT" "$P" sign "$alg.kh"; done |
		median | xargs printf "1. sk_sign, %s: %s ms\n" "$alg"
done
for i in $(seq "$RUNS"); do
	timed hk_sk_run ssh-keygen -q -w "$P" -t ed25519-sk -N '' -f "gen$i"
done | median | xargs printf "2. ssh-keygen -w -t ed25519-sk: %s ms\n"

hk_sk_run ssh-keygen -q -w "$P" -t ed25519-sk -N '' -f id_sk
ssh-keygen -q -t ed25519 -N '' -f id_soft
cat id_sk.pub id_soft.pub >authorized_keys
hk_sshd_start "$HK_TMP/sshd" "$HK_TMP/authorized_keys"
: >sk.ms
: >soft.ms
: >ratio
for i in $(seq "$RUNS"); do
	if [ $((i % 2)) = 1 ]; then
		a=$(timed hk_sk_ssh id_sk true); b=$(timed hk_sk_ssh id_soft true)
	else
		b=$(timed hk_sk_ssh id_soft true); a=$(timed hk_sk_ssh id_sk true)
	fi
	echo "$a" >>sk.ms
	echo "$b" >>soft.ms
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f\n", a / b }' >>ratio
done
printf "3. ssh login: sk key through libhwkey-sk.so %s ms, software ed25519 %s ms, ratio %s\n" \
	"$(median <sk.ms)" "$(median <soft.ms)" "$(median <ratio)"
