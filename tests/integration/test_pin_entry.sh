# How the CLI gets a PIN when --pin is not given: SSH_ASKPASS with OpenSSH's
# rules (SSH_ASKPASS_REQUIRE=force/never, DISPLAY without a terminal), a
# cancelled askpass stops before any login, and with neither a terminal nor
# askpass the user is told about --pin and SSH_ASKPASS. setsid takes the
# controlling terminal away so that the test does not depend on how it is run.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"

: "${HK_P11FAULT:?HK_P11FAULT must name libp11fault.so (ctest sets it)}"
command -v setsid >/dev/null || fail "setsid (util-linux) missing"
PE_PINV=75318642
export PE_PIN=$PE_PINV
hk_softhsm_init pinentry "$PE_PINV" 24681357 >/dev/null
URI=pkcs11:token=pinentry
expect_exit 0 "$HWKEY" keygen "$URI" --module "$HK_SOFTHSM_MODULE" --type ecdsa-p256 \
	--label pe-key --pin env:PE_PIN

# askpass PIN STATUS: a program printing PIN, exiting STATUS, recording its prompt.
askpass() {
	cat >"$HK_TMP/askpass" <<EOF
#!/bin/sh
printf '%s' "\$1" >"$HK_TMP/prompt"
printf '%s\n' '$1'
exit $2
EOF
	chmod 700 "$HK_TMP/askpass"
	rm -f "$HK_TMP/prompt"
}
# keys ENV...: hwkey keys without --pin, no terminal, through the logging module.
keys() {
	rm -f "$HK_TMP/calls"
	env -u DISPLAY -u WAYLAND_DISPLAY -u SSH_ASKPASS -u SSH_ASKPASS_REQUIRE "$@" \
		HK_P11FAULT_MODULE="$HK_SOFTHSM_MODULE" HK_P11FAULT_LOG="$HK_TMP/calls" \
		setsid -w "$HWKEY" keys "$URI" --module "$HK_P11FAULT" --json </dev/null
}
logins() { grep -c ' C_Login ' "$HK_TMP/calls" || true; }
no_pin_shown() {
	assert_not_contains "$(cat "$HK_TMP/out" "$HK_TMP/err")" "$PE_PINV" "$1: PIN not printed"
}

# 1. SSH_ASKPASS_REQUIRE=force: askpass gives the PIN, the login succeeds and
#    the private half is seen (its flags are only readable after login).
askpass "$PE_PINV" 0
expect_exit 0 keys SSH_ASKPASS="$HK_TMP/askpass" SSH_ASKPASS_REQUIRE=force
assert_eq 1 "$(logins)" "askpass: one login"
assert_eq true "$(jq '[.keys[] | select(.label == "pe-key") | .flags | index("never-extractable") != null] | any' out)" \
	"askpass: private-key flags read after login"
assert_contains "$(cat "$HK_TMP/prompt")" "pinentry" "askpass prompt names the token"
no_pin_shown askpass

# 2. No terminal, DISPLAY set: SSH_ASKPASS is used without being forced...
expect_exit 0 keys SSH_ASKPASS="$HK_TMP/askpass" DISPLAY=:99
assert_eq 1 "$(logins)" "DISPLAY: askpass used"
# ...but not with SSH_ASKPASS_REQUIRE=never, nor without DISPLAY.
expect_exit 9 keys SSH_ASKPASS="$HK_TMP/askpass" DISPLAY=:99 SSH_ASKPASS_REQUIRE=never
assert_eq 0 "$(logins)" "never: no login"
expect_exit 9 keys SSH_ASKPASS="$HK_TMP/askpass"
assert_eq 0 "$(logins)" "no DISPLAY: no login"

# 3. Nothing to ask with: exit 9, and the message says what to do.
expect_exit 9 keys
assert_contains "$(cat err)" "--pin" "no terminal: mentions --pin"
assert_contains "$(cat err)" "SSH_ASKPASS" "no terminal: mentions SSH_ASKPASS"
assert_eq 0 "$(logins)" "no terminal: no login"

# 4. The user presses Cancel (askpass exits 1), or answers nothing: exit 16
#    (interrupted) before any login, so no PIN retry is used up.
askpass "$PE_PINV" 1
expect_exit 16 keys SSH_ASKPASS="$HK_TMP/askpass" SSH_ASKPASS_REQUIRE=force
assert_eq 0 "$(logins)" "cancel: no login"
no_pin_shown cancel
askpass "" 0
expect_exit 16 keys SSH_ASKPASS="$HK_TMP/askpass" SSH_ASKPASS_REQUIRE=force
assert_eq 0 "$(logins)" "empty answer: no login"

# 5. A wrong PIN from askpass is the token's verdict: exit 7, named, not shown.
askpass 11112222 0
expect_exit 7 keys SSH_ASKPASS="$HK_TMP/askpass" SSH_ASKPASS_REQUIRE=force
assert_contains "$(cat err)" "CKR_PIN_INCORRECT" "wrong PIN: CKR named"
assert_not_contains "$(cat err)" "11112222" "wrong PIN not printed"

# 6. --pin wins over askpass; a PIN file others can read is refused unread.
askpass 11112222 0
printf '%s\n' "$PE_PINV" >"$HK_TMP/pinfile"
chmod 600 "$HK_TMP/pinfile"
expect_exit 0 env SSH_ASKPASS="$HK_TMP/askpass" SSH_ASKPASS_REQUIRE=force \
	"$HWKEY" keys "$URI" --module "$HK_SOFTHSM_MODULE" --pin "file:$HK_TMP/pinfile" --json
[ ! -e "$HK_TMP/prompt" ] || fail "askpass ran although --pin was given"
pass
chmod 644 "$HK_TMP/pinfile"
expect_exit 9 "$HWKEY" keys "$URI" --module "$HK_SOFTHSM_MODULE" --pin "file:$HK_TMP/pinfile"
assert_contains "$(cat err)" "chmod 600" "unsafe PIN file: says how to fix it"
no_pin_shown "unsafe file"
hk_done
