#!/usr/bin/env bash
# Benchmark: hwkey fingerprint against ssh-keygen -lf on a 100,000-line file
# of mixed key types. Checks that both print the same bytes, then prints the
# times and their ratio. Not a test: figures depend on the machine.
#
# usage: bench/fingerprint.sh [BUILD_DIR] [LINES]
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
lines=${2:-100000}
build=$(cd "$build" && pwd)
hwkey=$build/hwkey
[ -x "$hwkey" ] || { echo "no $hwkey: build first (cmake --build build)" >&2; exit 1; }
# shellcheck source=../scripts/deps.sh
. "$here/scripts/deps.sh"
hk_install_deps "${HK_BENCH_DEPS[@]}" 2>/dev/null || true

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hwkey-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export LC_ALL=C.UTF-8

# A few hundred distinct keys: RSA is slow to generate, so fewer of them.
# HK_BENCH_KEYS=FILE keeps them between runs (key generation takes minutes).
cache=${HK_BENCH_KEYS:-}
nkeys=0
gen() {	# gen COUNT ssh-keygen-args...
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		nkeys=$((nkeys + 1))
		ssh-keygen -q -N '' -C '' -f "k$nkeys" "$@" </dev/null
	done
}
if [ -n "$cache" ] && [ -s "$cache" ]; then
	cp "$cache" distinct.txt
else
	echo "generating keys..." >&2
	gen 120 -t ed25519
	gen 40 -t ecdsa -b 256
	gen 40 -t ecdsa -b 384
	gen 40 -t ecdsa -b 521
	gen 60 -t rsa -b 2048
	gen 20 -t rsa -b 3072
	gen 10 -t rsa -b 4096
	cut -d' ' -f1,2 ./*.pub >distinct.txt
	[ -z "$cache" ] || cp distinct.txt "$cache"
fi

# Repeat and shuffle them, each with its own comment (every line has one:
# ssh-keygen 9.2 prints stale bytes for a comment-less line after a
# commented one).
awk -v n="$lines" 'BEGIN { srand(42) }
	{ k[NR] = $0 }
	END { for (i = 1; i <= n; i++)
		printf "%s user%d@host-%d.example %s\n", k[int(rand() * NR) + 1], i, i % 97,
		    (i % 3 ? "" : "ops team") }' distinct.txt >keys.pub
echo "$(wc -l <keys.pub) lines, $(wc -c <keys.pub) bytes, $(wc -l <distinct.txt) distinct keys" >&2

ssh-keygen -lf keys.pub >want
"$hwkey" fingerprint keys.pub >got
cmp want got || { echo "outputs differ" >&2; diff want got | head >&2; exit 1; }
echo "outputs identical ($(wc -l <got) lines)" >&2

if command -v hyperfine >/dev/null; then
	hyperfine -N --runs 1 --export-json sk.json "ssh-keygen -lf keys.pub" >&2
	hyperfine -N --warmup 2 --runs 10 --export-json hk.json "$hwkey fingerprint keys.pub" >&2
	t_sk=$(jq '.results[0].mean' sk.json)
	t_hk=$(jq '.results[0].mean' hk.json)
else
	now() { date +%s.%N; }
	s=$(now); ssh-keygen -lf keys.pub >/dev/null; e=$(now)
	t_sk=$(echo "$e - $s" | bc -l)
	s=$(now); for _ in 1 2 3 4 5; do "$hwkey" fingerprint keys.pub >/dev/null; done; e=$(now)
	t_hk=$(echo "($e - $s) / 5" | bc -l)
fi
awk -v a="$t_sk" -v b="$t_hk" 'BEGIN {
	printf "ssh-keygen -lf: %.3f s\nhwkey fingerprint: %.4f s\nratio: %.1fx faster\n", a, b, a / b }'
