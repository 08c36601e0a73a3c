# Sourced by every integration test: strict mode, a private temporary
# directory, cleanup of whatever the test started, and assertions that say
# what failed. Tests exit 0 on success, 1 on failure, 77 only when hardware
# that cannot be emulated is absent.
set -euo pipefail

: "${HWKEY:?HWKEY must point at the hwkey binary (ctest sets it)}"
: "${HK_SRCDIR:?}" "${HK_BUILDDIR:?}"

HK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hwkey-test.XXXXXX")
HK_CLEANUP=()
hk_on_exit() { HK_CLEANUP+=("$*"); }
hk_cleanup() {
	local rc=$? i
	for ((i = ${#HK_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${HK_CLEANUP[i]}" >/dev/null 2>&1 || true
	done
	rm -rf "$HK_TMP"
	exit $rc
}
trap hk_cleanup EXIT
trap 'exit 130' INT TERM
cd "$HK_TMP"

HK_CHECKS=0
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { HK_CHECKS=$((HK_CHECKS + 1)); }
# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	[ "$1" == "$2" ] || fail "$3: expected [$1], got [$2]"
	pass
}
# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
	[[ "$1" == *"$2"* ]] || fail "$3: [$2] not found in [$1]"
	pass
}
assert_not_contains() {
	[[ "$1" != *"$2"* ]] || fail "$3: [$2] must not appear in [$1]"
	pass
}
# assert_files_equal A B WHAT
assert_files_equal() {
	cmp -s "$1" "$2" || { diff -u "$1" "$2" | head -40 >&2; fail "$3: $1 and $2 differ"; }
	pass
}
# expect_exit STATUS CMD...: run CMD, stdout to $HK_TMP/out, stderr to $HK_TMP/err.
expect_exit() {
	local want=$1 got=0
	shift
	"$@" >"$HK_TMP/out" 2>"$HK_TMP/err" || got=$?
	if [ "$got" != "$want" ]; then
		echo "--- stdout" >&2; head -20 "$HK_TMP/out" >&2
		echo "--- stderr" >&2; head -20 "$HK_TMP/err" >&2
		fail "'$*' exited $got, expected $want"
	fi
	pass
}
# For tests that prove a secret appears in no output: hk_run STATUS CMD... is
# expect_exit, then appends what CMD printed to $HK_LOG, which the test greps
# at the end.
HK_LOG=$HK_TMP/all-output
hk_run() {
	expect_exit "$@"
	cat "$HK_TMP/out" "$HK_TMP/err" >>"$HK_LOG"
}
# hk_ptyrun ANSWER... -- CMD...: CMD on a pseudo-terminal (pty_answer.py)
# typing the answers, one a line, with no askpass or display to fall back on.
hk_ptyrun() {
	: >"$HK_TMP/answers"
	while [ "$1" != -- ]; do printf '%s\n' "$1" >>"$HK_TMP/answers"; shift; done
	shift
	env -u SSH_ASKPASS -u SSH_ASKPASS_REQUIRE -u DISPLAY -u WAYLAND_DISPLAY \
		/usr/bin/python3 "$HK_TESTLIB/pty_answer.py" "$HK_TMP/answers" "$@"
}
# A private $HOME under $HK_TMP (never the real one).
hk_home() {
	export HOME=$HK_TMP/home
	mkdir -p "$HOME"
}
# A free TCP port on 127.0.0.1 (hk_free_port, shared with scripts/demo.sh).
. "$(dirname "${BASH_SOURCE[0]}")/port.sh"
# Finish: print how many checks passed.
hk_done() { echo "ok: $HK_CHECKS checks passed in $(basename "$0")"; }
