# One answer to "no": declining a confirmation on the terminal (n, Enter
# alone, anything but y) is "cancelled", exit 16, in token init and key
# delete, and nothing is erased or deleted; without a terminal and without
# --yes both refuse as a usage error (exit 2) before touching anything.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"

PTY="/usr/bin/python3 $HK_TESTLIB/pty_answer.py"
export UP=24682468 SOP=55667788
hk_softhsm_init decline "$UP" "$SOP" >/dev/null
URI=pkcs11:token=decline
M=(--module "$HK_SOFTHSM_MODULE")
expect_exit 0 "$HWKEY" keygen "$URI" "${M[@]}" --type ecdsa-p256 --label keep --pin env:UP
# ptyrun ANSWER... -- CMD...: CMD on a pseudo-terminal, typing the answers.
ptyrun() {
	: >"$HK_TMP/answers"
	while [ "$1" != -- ]; do printf '%s\n' "$1" >>"$HK_TMP/answers"; shift; done
	shift
	env -u SSH_ASKPASS -u SSH_ASKPASS_REQUIRE -u DISPLAY $PTY "$HK_TMP/answers" "$@"
}
still_there() {
	expect_exit 0 "$HWKEY" keys "$URI" "${M[@]}" --pin env:UP --json
	assert_eq '["keep"]' "$(jq -c '[.keys[].label]' out)" "$1: key still there"
}

for answer in n "" no x; do
	expect_exit 16 ptyrun "$answer" -- "$HWKEY" token init "$URI" "${M[@]}" --label gone \
		--so-pin env:SOP
	assert_contains "$(cat out)" "cancelled" "token init '$answer': cancelled"
	still_there "token init '$answer'"
	expect_exit 16 ptyrun "$answer" -- "$HWKEY" key delete "$URI" "${M[@]}" --key keep \
		--pin env:UP
	assert_contains "$(cat out)" "cancelled" "key delete '$answer': cancelled"
	still_there "key delete '$answer'"
done
# The same under --json: the one error object, code HK_ERR_CANCELLED, exit 16.
expect_exit 16 ptyrun n -- "$HWKEY" key delete "$URI" "${M[@]}" --key keep --pin env:UP --json
assert_eq HK_ERR_CANCELLED "$(sed -n '/^{/,$p' out | tr -d '\r' | jq -r '.error.code')" \
	"key delete --json: cancelled"
expect_exit 16 ptyrun n -- "$HWKEY" token init "$URI" "${M[@]}" --label gone --so-pin env:SOP --json
assert_eq HK_ERR_CANCELLED "$(sed -n '/^{/,$p' out | tr -d '\r' | jq -r '.error.code')" \
	"token init --json: cancelled"
# No terminal, no --yes: a usage error, nothing done.
expect_exit 2 setsid -w "$HWKEY" key delete "$URI" "${M[@]}" --key keep --pin env:UP </dev/null
expect_exit 2 setsid -w "$HWKEY" token init "$URI" "${M[@]}" --label gone --so-pin env:SOP </dev/null
still_there "no terminal"
hk_done
