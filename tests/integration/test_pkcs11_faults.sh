# hwkey keygen, keys and export survive a token failing at ANY PKCS#11 call:
# through libp11fault.so (forwarding to SoftHSM), every call of each command's
# recorded sequence is failed in turn. Each run must exit with the status of
# the CKR's class (never a crash), name the PKCS#11 function and the CKR on
# stderr, and leave no half-made key pair on the token (counted through the
# real module, not the fault one).
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"

: "${HK_P11FAULT:?HK_P11FAULT must point at libp11fault.so (ctest sets it)}"
[ -e "$HK_P11FAULT" ] || fail "$HK_P11FAULT missing"

FT_PINV=86429753
export FT_PIN=$FT_PINV
TOK=faults
URI="pkcs11:token=$TOK"
FAULT=$HK_P11FAULT
export HK_P11FAULT_MODULE=$HK_SOFTHSM_MODULE
hk_softhsm_init "$TOK" "$FT_PINV" 13572468 >/dev/null

# Exit status each CKR must map to (hwkey.1, EXIT STATUS).
declare -A WANT=([CKR_DEVICE_ERROR]=4 [CKR_GENERAL_ERROR]=4 [CKR_DEVICE_REMOVED]=6
	[CKR_TOKEN_NOT_PRESENT]=5 [CKR_PIN_INCORRECT]=7 [CKR_PIN_LOCKED]=8)
# Key objects (public + private) on the token, through SoftHSM directly.
count_keys() {
	pkcs11-tool --module "$HK_SOFTHSM_MODULE" --token-label "$TOK" --login \
		--pin "$FT_PINV" --list-objects 2>/dev/null |
		grep -c '^\(Public\|Private\) Key Object' || true
}

# hk CMD ARGS...: hwkey CMD on the token through the fault module.
hk() {
	local cmd=$1
	shift
	export FT_PIN=$FT_PINV	# env: sources are unset after use
	"$HWKEY" "$cmd" "$URI" --module "$FAULT" "$@"
}

# record NAME CMD ARGS...: a clean run; its call log in NAME.calls.
record() {
	local name=$1
	shift
	rm -f "$name.calls"
	HK_P11FAULT_LOG=$PWD/$name.calls expect_exit 0 hk "$@"
	cp out "$name.out"
	cp err "$name.err"
	[ -s "$name.calls" ] || fail "$name: the fault module logged no calls"
	pass
}

# same_result NAME: a failure hwkey absorbs (exit 0) must leave the result as
# in the clean run: keys and export print the same; keygen prints the same
# kind of key and the same proof flags. Anything else is a failure it hid.
same_result() {
	if [ "$1" != keygen ]; then
		cmp -s out "$1.out"
		return
	fi
	[ "$(awk '{ print $1 }' out)" = "$(awk '{ print $1 }' keygen.out)" ] &&
		[ "$(grep -o 'local,[a-z,-]*' err)" = "$(grep -o 'local,[a-z,-]*' keygen.err)" ]
}

RUNS=0
PROBLEMS=0
# problem MSG: report and go on, so that one run shows every failing call.
problem() {
	echo "FAIL: $*" >&2
	PROBLEMS=$((PROBLEMS + 1))
}
# inject NAME SPECVAR SPEC CKR WHAT CMD ARGS...: run CMD with one fault
# (SPECVAR=HK_P11FAULT_FAIL or HK_P11FAULT_FAIL_CALL) and check the outcome.
inject() {
	local name=$1 var=$2 spec=$3 ckr=$4 what=$5 st=0 fn before after msg
	shift 5
	before=$(count_keys)
	rm -f inj.calls
	env "$var=$spec" HK_P11FAULT_LOG="$PWD/inj.calls" "$HWKEY" "$1" "$URI" \
		--module "$FAULT" "${@:2}" >out 2>err || st=$?
	export FT_PIN=$FT_PINV
	RUNS=$((RUNS + 1))
	after=$(count_keys)
	msg=$(head -3 err)
	fn=$(awk '$4 == "injected" { print $2; exit }' inj.calls 2>/dev/null)
	what="$name $what ($fn -> $ckr)"
	if [ -z "$fn" ]; then
		problem "$what: the fault ($spec) was never reached"
		return 0
	fi
	if [ "$st" -ge 128 ]; then
		problem "$what: hwkey crashed (status $st): $msg"
		return 0
	fi
	assert_not_contains "$(cat err out)" "$FT_PINV" "$what: PIN not printed"
	[ "$before" = "$after" ] || [ "$st" = 0 ] ||
		problem "$what: $before key objects before, $after after (half-made pair?)"
	if [ "$st" = 0 ]; then
		same_result "$name" || problem "$what: absorbed (exit 0) but the result differs: $msg"
		return 0
	fi
	[ "$st" = "${WANT[$ckr]}" ] || problem "$what: exit $st, expected ${WANT[$ckr]}: $msg"
	[[ "$msg" == *"$ckr"* ]] || problem "$what: stderr does not name $ckr: $msg"
	[[ "$msg" == *"$fn"* ]] || problem "$what: stderr does not name $fn: $msg"
	pass
}

# every_call NAME CKR CMD ARGS...: fail each call of NAME's sequence in turn.
every_call() {
	local name=$1 ckr=$2 n i
	shift 2
	n=$(wc -l <"$name.calls")
	for ((i = 1; i <= n; i++)); do
		inject "$name" HK_P11FAULT_FAIL_CALL "$i:$ckr" "$ckr" "call $i" "$@"
	done
}

# A key for keys/export to find, made through the real module.
expect_exit 0 "$HWKEY" keygen "$URI" --module "$HK_SOFTHSM_MODULE" --type ecdsa-p256 \
	--label present --pin env:FT_PIN
export FT_PIN=$FT_PINV
assert_eq 2 "$(count_keys)" "one pair on the token"

record keys keys --pin env:FT_PIN
assert_contains "$(cat keys.out)" "present" "keys through the fault module lists the key"
record export export --key present
grep -q '^ecdsa-sha2-nistp256 ' export.out || fail "export: not an OpenSSH ECDSA line: $(cat export.out)"
pass

every_call keys CKR_DEVICE_ERROR keys --pin env:FT_PIN
every_call export CKR_DEVICE_ERROR export --key present

# keygen: every call with DEVICE_ERROR; the calls from the login on (those
# that touch keys) also with a device removed and a token gone.
record keygen keygen --type ecdsa-p256 --label rec --pin env:FT_PIN
base=$(count_keys)
n=$(wc -l <keygen.calls)
login=$(awk '$2 == "C_Login" { print $1; exit }' keygen.calls)
gen=$(awk '$2 == "C_GenerateKeyPair" { print $1; exit }' keygen.calls)
[ -n "$login" ] && [ -n "$gen" ] || fail "keygen: no C_Login/C_GenerateKeyPair in $(tr '\n' ' ' <keygen.calls)"
for ((i = 1; i <= n; i++)); do
	for ckr in CKR_DEVICE_ERROR CKR_DEVICE_REMOVED CKR_TOKEN_NOT_PRESENT; do
		[ "$ckr" = CKR_DEVICE_ERROR ] || [ "$i" -ge "$login" ] || continue
		inject keygen HK_P11FAULT_FAIL_CALL "$i:$ckr" "$ckr" "call $i" \
			keygen --type ecdsa-p256 --label "k$i-$ckr" --pin env:FT_PIN
	done
done

# The PIN refused or blocked at login.
inject keygen HK_P11FAULT_FAIL C_Login:1:CKR_PIN_INCORRECT CKR_PIN_INCORRECT login \
	keygen --type ecdsa-p256 --label pin-bad --pin env:FT_PIN
inject keygen HK_P11FAULT_FAIL C_Login:1:CKR_PIN_LOCKED CKR_PIN_LOCKED login \
	keygen --type ecdsa-p256 --label pin-locked --pin env:FT_PIN
inject keys HK_P11FAULT_FAIL C_Login:1:CKR_PIN_INCORRECT CKR_PIN_INCORRECT login \
	keys --pin env:FT_PIN

# The device dies after doing the work: the pair exists on the token but
# hwkey was told it failed; it must not be left behind.
inject keygen HK_P11FAULT_FAIL C_GenerateKeyPair:1:CKR_GENERAL_ERROR:after \
	CKR_GENERAL_ERROR "after C_GenerateKeyPair" \
	keygen --type ecdsa-p256 --label after-gen --pin env:FT_PIN
grep -q '^[0-9]* C_GenerateKeyPair CKR_GENERAL_ERROR injected$' inj.calls ||
	fail "the :after fault did not hit C_GenerateKeyPair"
pass
ga=$(awk -v g="$gen" '$1 > g && $2 == "C_GetAttributeValue" { print $1; exit }' keygen.calls)
[ -n "$ga" ] || fail "keygen: no C_GetAttributeValue after C_GenerateKeyPair"
inject keygen HK_P11FAULT_FAIL_CALL "$ga:CKR_GENERAL_ERROR:after" CKR_GENERAL_ERROR \
	"after the first read-back" keygen --type ecdsa-p256 --label after-read --pin env:FT_PIN

# Nothing above may have left a key: only "present", "rec" and the keys of
# tolerated cleanup failures (each a complete pair) remain.
total=$(count_keys)
[ $((total % 2)) = 0 ] || fail "odd number of key objects ($total): a half pair is left"
pass
echo "$RUNS fault runs"
[ "$PROBLEMS" = 0 ] || fail "$PROBLEMS problems in $RUNS fault runs (above)"
hk_done
