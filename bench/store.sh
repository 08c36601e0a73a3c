#!/usr/bin/env bash
# Benchmark: the inventory's write path and its readers. Journal rows per
# second (each one committed with synchronous=FULL in WAL mode, so one fsync
# per row: what the engine pays per step), then hwkey inventory list / export
# --csv and hwkey audit --authorized-keys over N keys. Not a test: figures
# depend on the machine and its disk.
#
# usage: bench/store.sh [BUILD_DIR] [KEYS] [ROWS]
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
nkeys=${2:-1000}
nrows=${3:-2000}
hwkey=$build/hwkey
sf=$build/tests/storefill/storefill
[ -x "$hwkey" ] && [ -x "$sf" ] || { echo "build first (cmake --build $build)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hwkey-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
inv=$tmp/inventory.db

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.3f'; }

t0=$(now)
"$sf" "$inv" fill "$nrows" >/dev/null
t1=$(now)
echo "journal: $nrows rows of 4 KiB in $(secs "$t0" "$t1") s" \
	"($(echo "$nrows / ($t1 - $t0)" | bc) rows/s, one commit each)"

tid=$("$sf" "$inv" token pkcs11 bench-serial person=bench)
: >fleet.keys
for i in $(seq "$nkeys"); do
	ssh-keygen -q -t ed25519 -N '' -C "k$i" -f k >/dev/null
	"$sf" "$inv" key "$tid" "$(printf '%04x' "$i")" k.pub proof=verified >/dev/null
	cat k.pub >>fleet.keys
	rm -f k k.pub
done
for c in "inventory list" "inventory export --csv" "inventory export --json"; do
	t0=$(now)
	# shellcheck disable=SC2086
	"$hwkey" $c --inventory "$inv" >/dev/null
	t1=$(now)
	echo "hwkey $c: $nkeys keys in $(secs "$t0" "$t1") s"
done
t0=$(now)
"$hwkey" audit --authorized-keys fleet.keys --inventory "$inv" >/dev/null 2>&1
t1=$(now)
echo "hwkey audit --authorized-keys: $nkeys keys matched in $(secs "$t0" "$t1") s"
ls -l "$inv" | awk '{print "inventory size: " $5 " bytes"}'
