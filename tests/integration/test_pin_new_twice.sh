# New PINs are typed twice: pin set/change/unblock and token init ask for the
# new PIN (SO PIN for init) twice on a real pseudo-terminal and through
# askpass, tell the user of a mismatch and ask again (at most three pairs,
# then cancelled, exit 16, no PIN call made); a source is read once; a PIN
# outside the token's length range is refused naming the range, exit 9,
# before the PKCS#11 call that would use it.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"

: "${HK_P11FAULT:?HK_P11FAULT must name libp11fault.so (ctest sets it)}"
PTY="/usr/bin/python3 $HK_TESTLIB/pty_answer.py"
SO=55667788
export SOP=$SO
hk_softhsm_init twice 1234 "$SO" >/dev/null
URI=pkcs11:token=twice
M=(--module "$HK_SOFTHSM_MODULE")
logins_ok() {
	local p=$1
	export CHK=$p
	expect_exit 0 "$HWKEY" keys "$URI" "${M[@]}" --pin env:CHK --json
}

# 1. pin set: a mismatching pair, then a matching pair; the second is set.
expect_exit 0 hk_ptyrun 11112222 11113333 24682468 24682468 -- \
	"$HWKEY" pin set "$URI" "${M[@]}" --so-pin env:SOP
assert_contains "$(cat out)" "(again)" "pin set: asked a second time"
assert_contains "$(cat out)" "do not match" "pin set: mismatch told"
logins_ok 24682468
export CHK=11112222
expect_exit 7 "$HWKEY" keys "$URI" "${M[@]}" --pin env:CHK --json
logins_ok 24682468

# 2. pin change: the current PIN once, the new one twice (mismatch first).
expect_exit 0 hk_ptyrun 24682468 13571357 13579999 13571357 13571357 -- \
	"$HWKEY" pin change "$URI" "${M[@]}"
assert_eq 2 "$(grep -c 'again' out)" "pin change: two confirmations (one per pair)"
logins_ok 13571357

# 3. Three mismatching pairs: cancelled, exit 16, and no C_InitPIN was called.
rm -f "$HK_TMP/calls"
: >"$HK_TMP/answers"
for i in 1 2 3; do printf '1111%s\n2222%s\n' "$i" "$i" >>"$HK_TMP/answers"; done
got=0
env -u SSH_ASKPASS -u SSH_ASKPASS_REQUIRE -u DISPLAY HK_P11FAULT_MODULE="$HK_SOFTHSM_MODULE" \
	HK_P11FAULT_LOG="$HK_TMP/calls" $PTY "$HK_TMP/answers" \
	"$HWKEY" pin unblock "$URI" --module "$HK_P11FAULT" --so-pin env:SOP >out 2>err || got=$?
assert_eq 16 "$got" "three mismatches: exit 16"
assert_contains "$(cat out)" "cancelled" "three mismatches: cancelled"
assert_eq 0 "$(grep -c ' C_InitPIN ' "$HK_TMP/calls" || true)" "three mismatches: no C_InitPIN"
logins_ok 13571357

# 4. A new PIN from a source is read once, never asked twice (no terminal).
expect_exit 0 setsid -w "$HWKEY" pin set "$URI" "${M[@]}" --so-pin env:SOP --new-pin fd:3 \
	3<<<"86428642" </dev/null
logins_ok 86428642

# 5. askpass is asked twice too; its answers must match.
cat >"$HK_TMP/askpass" <<ASK
#!/bin/sh
n=\$(cat "$HK_TMP/askn" 2>/dev/null || echo 0)
n=\$((n + 1))
echo \$n >"$HK_TMP/askn"
case \$n in 1) echo 77776666 ;; 2) echo 77775555 ;; *) echo 77774444 ;; esac
ASK
chmod 700 "$HK_TMP/askpass"
rm -f "$HK_TMP/askn"
expect_exit 0 env SSH_ASKPASS="$HK_TMP/askpass" SSH_ASKPASS_REQUIRE=force setsid -w \
	"$HWKEY" pin set "$URI" "${M[@]}" --so-pin env:SOP </dev/null
assert_eq 4 "$(cat "$HK_TMP/askn")" "askpass: two pairs asked"
logins_ok 77774444

# 6. Outside the token's range (SoftHSM: 4 to 255): named, exit 9, before C_InitPIN.
rm -f "$HK_TMP/calls"
expect_exit 9 env HK_P11FAULT_MODULE="$HK_SOFTHSM_MODULE" HK_P11FAULT_LOG="$HK_TMP/calls" \
	"$HWKEY" pin set "$URI" --module "$HK_P11FAULT" --so-pin env:SOP --new-pin fd:3 3<<<"12"
assert_contains "$(cat err)" "PIN must be 4 to 255 characters" "short PIN: range named"
assert_eq 0 "$(grep -c ' C_InitPIN ' "$HK_TMP/calls" || true)" "short PIN: no C_InitPIN"
expect_exit 9 hk_ptyrun 123 123 -- "$HWKEY" pin change "$URI" "${M[@]}" --pin env:CHK
assert_contains "$(cat out)" "PIN must be 4 to 255 characters" "pin change: range named"
logins_ok 77774444

# 7. token init of a fresh token: the SO PIN it sets is typed twice
#    (mismatch, then match). An initialized token checks the SO PIN it has:
#    asked once.
expect_exit 0 "$HWKEY" tokens "${M[@]}" --json
uri0=$(jq -r '[.[] | select(.flags | index("initialized") | not)][0].uri' out)
expect_exit 0 hk_ptyrun 99990000 99991111 99992222 99992222 -- \
	"$HWKEY" token init "$uri0" "${M[@]}" --label twice2
assert_contains "$(cat out)" "do not match" "token init: mismatch told"
export SOP=99992222
expect_exit 0 "$HWKEY" pin set pkcs11:token=twice2 "${M[@]}" --so-pin env:SOP --new-pin fd:3 \
	3<<<"5555"
expect_exit 0 hk_ptyrun y 99992222 -- "$HWKEY" token init pkcs11:token=twice2 "${M[@]}" --label twice3
assert_not_contains "$(cat out)" "(again)" "re-init: current SO PIN asked once"
hk_done
