# A real sshd on loopback accepts sk keys signed through libhwkey-sk.so
# (ssh -o SecurityKeyProvider=... -i KEY) on hwkey-fido2sim: keys enrolled by
# ssh-keygen -w of both types, a key made by `hwkey keygen fido:unix:...`, a
# verify-required key whose PIN ssh reads through SSH_ASKPASS; a denied touch
# and an unknown key handle fail the login.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/sk.sh"
# sshd at DEBUG1 logs each sk signature's counter and flags; the fixture's
# config says VERBOSE, and a command-line -o wins over the config.
printf '#!/bin/sh\nexec /usr/sbin/sshd -o LogLevel=DEBUG1 "$@"\n' >"$HK_TMP/sshd-debug"
chmod 755 "$HK_TMP/sshd-debug"
HK_SSHD_BIN=$HK_TMP/sshd-debug
. "$HK_TESTLIB/sshd.sh"

P=$HK_SK_PROVIDER
hk_sk_setup
hk_sk_sim_start dev

# Keys: both types from ssh-keygen through the middleware.
for t in ecdsa-sk ed25519-sk; do
	expect_exit 0 hk_sk_run ssh-keygen -w "$P" -t "$t" -N '' -C "login-$t" -f "id_$t"
done
cat id_ecdsa-sk.pub id_ed25519-sk.pub >authorized_keys
hk_sshd_start "$HK_TMP/sshd" "$HK_TMP/authorized_keys"

# last_counter: the sk counter sshd logged for the last signature it checked.
last_counter() {
	grep -E 'userauth_pubkey: sk_counter = [0-9]+, sk_flags = 0x[0-9a-f]+' "$HK_SSHD_LOG" |
		tail -1 | sed -E 's/.*sk_counter = ([0-9]+), sk_flags = (0x[0-9a-f]+).*/\1 \2/'
}
accepted() {	# PUBFILE: sshd's "Accepted publickey" lines for that key
	grep -F "Accepted publickey for $HK_SSHD_USER" "$HK_SSHD_LOG" | grep -F "$(hk_sk_fp "$1")" || true
}

prev=0
for t in ecdsa-sk ed25519-sk ecdsa-sk; do
	expect_exit 0 hk_sk_ssh "id_$t" echo "hello from $t"
	assert_eq "hello from $t" "$(cat out)" "$t login runs the command"
	case $t in
	ecdsa-sk) assert_contains "$(accepted "id_$t.pub")" "ECDSA-SK $(hk_sk_fp "id_$t.pub")" "sshd accepted the $t key" ;;
	ed25519-sk) assert_contains "$(accepted "id_$t.pub")" "ED25519-SK $(hk_sk_fp "id_$t.pub")" "sshd accepted the $t key" ;;
	esac
	read -r counter flags <<<"$(last_counter)"
	assert_eq 0x01 "$flags" "$t: sk flags sshd saw (user present)"
	[ "$counter" -gt "$prev" ] || fail "$t: sk counter $counter after $prev"
	pass
	prev=$counter
done
# ssh showed its touch notice through the askpass (no terminal here).
assert_contains "$(cat "$HK_SK_ASKPASS_LOG")" "none|Confirm user presence for key ECDSA-SK" "ssh's touch notice"

# no-touch-required: the device is not asked for presence and sshd, told
# so by the authorized_keys option, accepts the flags 0x00 signature.
expect_exit 0 hk_sk_run ssh-keygen -w "$P" -t ed25519-sk -O no-touch-required -N '' -f id_nt
echo "no-touch-required $(cat id_nt.pub)" >>authorized_keys
expect_exit 0 hk_sk_ssh id_nt echo untouched
assert_eq untouched "$(cat out)" "login with a no-touch-required key"
read -r counter flags <<<"$(last_counter)"
assert_eq 0x00 "$flags" "no-touch-required: sshd saw no user presence"
assert_contains "$(grep getAssertion "$HK_SK_SIM_LOG" | tail -1)" "up=0" "the sim was asked without touch"

# A key handle the device does not know (made on another device) fails.
hk_sk_sim_stop
hk_sk_sim_start other
expect_exit 0 hk_sk_run ssh-keygen -w "$P" -t ecdsa-sk -N '' -f id_other
cat id_other.pub >>authorized_keys
hk_sk_sim_stop
hk_sk_sim_start dev
expect_exit 255 hk_sk_ssh id_other true
assert_eq "" "$(accepted id_other.pub)" "sshd accepted a key of another device"

# A denied touch fails the login (same device state, touch refused).
hk_sk_sim_stop
hk_sk_sim_start dev --touch deny
expect_exit 255 hk_sk_ssh id_ed25519-sk echo should-not-run
assert_not_contains "$(cat out)" "should-not-run" "command after a denied touch"
assert_contains "$(cat "$HK_SK_SIM_LOG")" "getAssertion status=0x27" "the sim denied the touch"
hk_sk_sim_stop

# verify-required: the PIN is asked for through SSH_ASKPASS (read from a
# 0600 file, never argv) at enrolment and at every login; sshd sees UV.
(umask 077 && echo 2468-hwkey >pin.txt)
hk_sk_sim_start pin --pin-file pin.txt
hk_sk_pin 2468-hwkey
assert_eq 600 "$(stat -c %a "$HK_SK_PINFILE")" "the askpass's PIN file mode"
: >"$HK_SK_ASKPASS_LOG"
expect_exit 0 hk_sk_run ssh-keygen -w "$P" -t ecdsa-sk -O verify-required -N '' -f id_uv
assert_contains "$(cat "$HK_SK_ASKPASS_LOG")" "Enter PIN for authenticator" "ssh-keygen asked for the PIN"
echo "verify-required $(cat id_uv.pub)" >>authorized_keys
: >"$HK_SK_ASKPASS_LOG"
expect_exit 0 hk_sk_ssh id_uv echo verified
assert_eq verified "$(cat out)" "login with the verify-required key"
assert_contains "$(cat "$HK_SK_ASKPASS_LOG")" "Enter PIN for ECDSA-SK key" "ssh asked for the PIN"
read -r counter flags <<<"$(last_counter)"
assert_eq 0x05 "$flags" "verify-required: sshd saw presence and verification"
assert_not_contains "$(cat "$HK_SK_ASKPASS_LOG") $(cat err) $(cat "$HK_SSHD_LOG")" "2468-hwkey" \
	"the PIN in prompts or logs"
# A wrong PIN: no login.
hk_sk_pin 1357-wrong
expect_exit 255 hk_sk_ssh id_uv echo should-not-run
assert_not_contains "$(cat out)" "should-not-run" "command after a wrong PIN"
# A key made by hwkey keygen on the same device (its PIN from the 0600
# file) logs in too.
hk_sk_pin 2468-hwkey
expect_exit 0 "$HWKEY" keygen "fido:unix:$HK_SK_SIM_SOCK" --type ed25519-sk --pin file:pin.txt -o hk_key
assert_eq "600" "$(stat -c %a hk_key)" "hwkey keygen key-handle file mode"
cat hk_key.pub >>authorized_keys
expect_exit 0 hk_sk_ssh hk_key id -un
assert_eq "$HK_SSHD_USER" "$(cat out)" "login with the hwkey keygen key"
assert_contains "$(accepted hk_key.pub)" "ED25519-SK $(hk_sk_fp hk_key.pub)" "sshd accepted the hwkey key"

hk_done
