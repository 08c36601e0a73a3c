#!/bin/bash
# bench/token.sh [BUILD_DIR]: hwkey against the usual tools on SoftHSM2 tokens.
# Prints three ratios (targets in brackets):
#   1. hwkey keys vs ssh-keygen -D on a token holding 200 EC key pairs [<= 1.0]
#   2. 100 EC P-256 keys: a pkcs11-tool --keypairgen loop vs ONE
#      "hwkey keygen --count 100" [>= 5x]
#   3. hwkey keygen --count 100 vs bench/p11gen.c making the same 100 keys
#      with bare C_GenerateKeyPair (one login, hwkey's template, the module
#      initialized as hwkey does) [overhead <= 10%]
# Not a test: figures vary with the machine. Times are medians of BENCH_RUNS
# (default 3; listing at least 10) runs. Ratios 1 and 3 are the median of
# paired runs (the two contenders back to back, alternating which goes
# first), so that load from other processes on a shared machine hits both
# sides of a pair alike instead of one whole series.
#
# What 3 compares: both sides are whole processes doing the work hwkey
# cannot skip (start, load the module, C_Initialize, find the token, open a
# session, log in once, generate, log out, C_Finalize), each on a fresh
# token. Also shown: the time p11gen spends inside C_GenerateKeyPair alone;
# hwkey against that charges it with the process and module start-up both
# sides pay.
set -euo pipefail
export LC_ALL=C	# a '.' in $EPOCHREALTIME

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
HWKEY=$BUILD/hwkey
MOD=${HK_SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
N_LIST=200
N_GEN=100
RUNS=${BENCH_RUNS:-3}
LIST_RUNS=$((RUNS > 10 ? RUNS : 10))

[ -x "$HWKEY" ] || { echo "no $HWKEY: build first (cmake --build build)" >&2; exit 1; }
[ -e "$MOD" ] || { echo "no SoftHSM2 module at $MOD" >&2; exit 1; }

# Tokens on tmpfs by default: on a disk SoftHSM's fsync per object dominates
# (~0.2 s a key here) and the figures would measure the disk, not the code.
BENCH_DIR=${BENCH_DIR:-$( [ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")}
TMP=$(mktemp -d "$BENCH_DIR/hwkey-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/tokens"
cat >"$TMP/softhsm2.conf" <<CONF
directories.tokendir = $TMP/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
export SOFTHSM2_CONF=$TMP/softhsm2.conf
export HOME=$TMP
PINV=31415926
export BENCH_PIN=$PINV HK_BENCH_PIN=$PINV

cc -O2 -I/usr/include/p11-kit-1 -o "$TMP/p11gen" "$SRC/bench/p11gen.c" -ldl

token_new() {	# LABEL: a fresh empty token
	softhsm2-util --delete-token --token "$1" >/dev/null 2>&1 || true
	softhsm2-util --init-token --free --label "$1" --pin "$PINV" --so-pin 27182818 >/dev/null
}
now() { date +%s.%N; }
# timed CMD...: seconds CMD took (no fork between the two clock reads).
timed() {
	local t0=$EPOCHREALTIME
	"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
	awk "BEGIN { printf \"%.6f\", $EPOCHREALTIME - $t0 }"
}
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "$("$HWKEY" --version 2>/dev/null | head -n 1 || echo "hwkey ?"), $(nproc) CPUs, SoftHSM $MOD, tokens in $BENCH_DIR"

# 1. Listing 200 key pairs. ssh-keygen -D reads public objects without a
# login; hwkey keys --no-login does the same work.
token_new list
"$HWKEY" keygen pkcs11:token=list --module "$MOD" --count "$N_LIST" --type ecdsa-p256 \
	--label k --pin env:BENCH_PIN >/dev/null 2>&1
export BENCH_PIN=$PINV
n_hw=$("$HWKEY" keys pkcs11:token=list --module "$MOD" --no-login | grep -c ecdsa || true)
n_ssh=$(ssh-keygen -D "$MOD" 2>/dev/null | grep -c ecdsa || true)
echo "keys listed: hwkey $n_hw, ssh-keygen -D $n_ssh (want $N_LIST)"
HW_KEYS="$HWKEY keys pkcs11:token=list --module $MOD --no-login"
SSH_KEYS="ssh-keygen -D $MOD"
$HW_KEYS >/dev/null; $SSH_KEYS >/dev/null 2>&1	# warm-up
: >"$TMP/lpair"
for ((r = 1; r <= LIST_RUNS; r++)); do
	if ((r % 2)); then
		a=$(timed $HW_KEYS); b=$(timed $SSH_KEYS)
	else
		b=$(timed $SSH_KEYS); a=$(timed $HW_KEYS)
	fi
	echo "$a $b" >>"$TMP/lpair"
done
t_hw=$(awk '{ print $1 }' "$TMP/lpair" | median)
t_ssh=$(awk '{ print $2 }' "$TMP/lpair" | median)
r_list=$(awk '{ print $1 / $2 }' "$TMP/lpair" | median)
# The 400 listing objects would otherwise be loaded by every C_Initialize below.
softhsm2-util --delete-token --token list >/dev/null

# 2 and 3. 100 EC P-256 keys, each contender on a fresh empty token, RUNS
# times; odd runs start with hwkey, even ones with p11gen.
gen_hwkey() {
	token_new gen
	timed "$HWKEY" keygen pkcs11:token=gen --module "$MOD" --count "$N_GEN" \
		--type ecdsa-p256 --label hk --pin env:BENCH_PIN >>"$TMP/hw"
	echo >>"$TMP/hw"
	export BENCH_PIN=$PINV
}
gen_floor() {
	local t0
	token_new gen
	t0=$EPOCHREALTIME
	"$TMP/p11gen" "$MOD" gen "$N_GEN" >>"$TMP/floor"
	awk "BEGIN { printf \"%.6f\n\", $EPOCHREALTIME - $t0 }" >>"$TMP/floorproc"
}
: >"$TMP/hw" >"$TMP/floor" >"$TMP/floorproc"
for ((r = 1; r <= RUNS; r++)); do
	if ((r % 2)); then gen_hwkey; gen_floor; else gen_floor; gen_hwkey; fi
done
token_new gen
t0=$(now)
for ((i = 1; i <= N_GEN; i++)); do
	pkcs11-tool --module "$MOD" --token-label gen --login --pin "$PINV" --keypairgen \
		--key-type EC:prime256v1 --id "$(printf '%04x' "$i")" --label "pt-$i" >/dev/null 2>&1
done
t_tool=$(calc "$(now) - $t0")
t_gen=$(median <"$TMP/hw")
t_floor=$(median <"$TMP/floor")
t_floorproc=$(median <"$TMP/floorproc")
r_gen=$(paste -d' ' "$TMP/hw" "$TMP/floorproc" | awk '{ print $1 / $2 }' | median)

echo
printf '1. hwkey keys (%d pairs, no login): %.4f s; ssh-keygen -D: %.4f s (medians of %d pairs); ratio hwkey/ssh-keygen = %s [target <= 1.0]\n' \
	"$N_LIST" "$t_hw" "$t_ssh" "$LIST_RUNS" "$(calc "$r_list")"
printf '2. %d x pkcs11-tool --keypairgen: %.3f s; hwkey keygen --count %d: %.3f s (median of %d); speed-up = %sx [target >= 5x]\n' \
	"$N_GEN" "$t_tool" "$N_GEN" "$t_gen" "$RUNS" "$(calc "$t_tool / $t_gen")"
printf '3. p11gen (bare C_GenerateKeyPair x %d): %.3f s; hwkey: %.3f s (medians of %d pairs); overhead = %s%% [target <= 10%%]\n' \
	"$N_GEN" "$t_floorproc" "$t_gen" "$RUNS" "$(calc "($r_gen - 1) * 100")"
printf '   (inside C_GenerateKeyPair alone: %.3f s; hwkey against that: +%s%%)\n' \
	"$t_floor" "$(calc "($t_gen - $t_floor) * 100 / $t_floor")"

# Where hwkey keygen's PKCS#11 time goes: the same run through libp11fault
# (a pass-through here) timing each call in SoftHSM.
FAULT=$BUILD/tests/p11fault/libp11fault.so
if [ -e "$FAULT" ]; then
	token_new gen
	HK_P11FAULT_MODULE=$MOD HK_P11FAULT_TIME=1 HK_P11FAULT_LOG=$TMP/calls \
		"$HWKEY" keygen pkcs11:token=gen --module "$FAULT" --count "$N_GEN" \
		--type ecdsa-p256 --label hk --pin env:BENCH_PIN >/dev/null 2>&1
	echo "4. hwkey keygen --count $N_GEN, time inside SoftHSM by PKCS#11 function:"
	awk '{ for (i = 4; i <= NF; i++) if ($i ~ /^us=/) { t[$2] += substr($i, 4); n[$2]++ } }
		END { for (f in t) printf "   %-22s %6d calls %9.1f ms\n", f, n[f], t[f] / 1000 }' \
		"$TMP/calls" | sort -k4 -g -r | head -6
fi
