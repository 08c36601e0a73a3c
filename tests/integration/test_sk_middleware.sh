# libhwkey-sk.so as OpenSSH's SecurityKeyProvider against hwkey-fido2sim over
# fido:unix: — the sk-api contract entry point by entry point (skclient loads
# it as ssh-sk-helper does and verifies each signature with OpenSSL), then
# the real ssh-keygen: -w enrolment of both types (fingerprints equal hwkey's),
# the PIN through SSH_ASKPASS, -K recovering resident keys, device selection
# and its failures, a denied touch.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/sk.sh"

: "${HK_SKCLIENT:?HK_SKCLIENT must point at skclient (ctest sets it)}"
P=$HK_SK_PROVIDER
hk_sk_setup
skc() { "$HK_SKCLIENT" "$P" "$@"; }
# value KEY: the "KEY value" line of the last skclient output.
value() { awk -v k="$1" '$1 == k { print $2 }' "$HK_TMP/out"; }

# 1. What ssh-sk-helper checks first.
expect_exit 0 skc version
assert_eq 0x000a0000 "$(value version)" "sk_api_version"

# 2. Enrol and sign, both algorithms; every signature verifies over
# SHA256(app) || flags || counter || SHA256(data) with the enrolled key.
hk_sk_sim_start dev
for alg in ecdsa ed25519; do
	expect_exit 0 skc enroll "$alg" "$alg.kh"
	assert_eq 0x01 "$(value flags)" "$alg enrol flags"
	[ "$(value cert_len)" -gt 0 ] || fail "$alg: no attestation certificate"
	pass
	expect_exit 0 skc sign "$alg.kh" --data "login as $alg"
	assert_eq yes "$(value verified)" "$alg signature verifies"
	assert_eq 0x01 "$(value flags)" "$alg signature flags (user present)"
	c1=$(value counter)
	expect_exit 0 skc sign "$alg.kh" --data "again"
	assert_eq yes "$(value verified)" "$alg second signature"
	[ "$(value counter)" -gt "$c1" ] || fail "$alg: counter did not grow ($c1, $(value counter))"
	pass
done
assert_contains "$(cat "$HK_SK_SIM_LOG")" "makeCredential status=0x00 alg=-8" "sim made an EdDSA credential"
assert_contains "$(cat "$HK_SK_SIM_LOG")" "getAssertion status=0x00 rp=ssh: up=1" "sim signed with touch"
# Another application is another rp: the handle does not sign for it.
expect_exit 0 skc enroll ecdsa app.kh --app ssh:hwkey-test
assert_contains "$(cat "$HK_SK_SIM_LOG")" "rp=ssh:hwkey-test" "application is the rp id"
sed -i '2s/.*/ssh:/' app.kh
expect_exit 1 skc sign app.kh
assert_eq -1 "$(value status)" "signing under the wrong application"
# An application OpenSSH would refuse, an algorithm that does not exist, an
# option OpenSSH marks required that the provider does not know.
expect_exit 1 skc enroll ecdsa bad.kh --app https://example.com
assert_eq -1 "$(value status)" "non-ssh: application"
expect_exit 1 skc enroll 7 bad.kh
assert_eq -2 "$(value status)" "unknown algorithm: SSH_SK_ERR_UNSUPPORTED"
expect_exit 1 skc enroll ecdsa bad.kh --require-option hwkey-unknown
assert_eq -2 "$(value status)" "unknown required option: SSH_SK_ERR_UNSUPPORTED"
expect_exit 1 skc sign ecdsa.kh --require-option hwkey-unknown
assert_eq -2 "$(value status)" "unknown required option at sign"
# verify-required without a PIN on a device without built-in UV: ask for it.
expect_exit 1 skc sign ecdsa.kh --flags 05
assert_eq -3 "$(value status)" "UV without a PIN: SSH_SK_ERR_PIN_REQUIRED"

# 3. no-touch-required: flags 0 asks for no user presence, and gets none.
expect_exit 0 skc enroll ed25519 nt.kh --flags 0
expect_exit 0 skc sign nt.kh
assert_eq 0x00 "$(value flags)" "no-touch-required signature flags"
assert_eq yes "$(value verified)" "no-touch-required signature"
assert_contains "$(cat "$HK_SK_SIM_LOG")" "up=0" "sim asked without touch"

# 4. Nothing on stdout (ssh-sk-helper's protocol channel), debug only on
# request and only on stderr.
"$HK_SKCLIENT" "$P" sign ed25519.kh >out 2>err
assert_eq "" "$(cat err)" "stderr without HWKEY_SK_DEBUG"
HWKEY_SK_DEBUG=1 "$HK_SKCLIENT" "$P" sign ed25519.kh >out 2>err
assert_not_contains "$(cat out)" "libhwkey-sk" "stdout with HWKEY_SK_DEBUG"
assert_contains "$(cat err)" "libhwkey-sk: device fido:unix:$HK_SK_SIM_SOCK" "debug names the device"
assert_contains "$(cat err)" "libhwkey-sk: sign: flags 0x01" "debug says what it signed"

# 5. ssh-keygen -w enrols both types through the middleware; the .pub
# fingerprints equal hwkey's, the key-handle file loads, mode 0600.
for t in ecdsa-sk ed25519-sk; do
	expect_exit 0 hk_sk_run ssh-keygen -w "$P" -t "$t" -N '' -C "$t@hwkey" -f "id_$t"
	assert_eq "600" "$(stat -c %a "id_$t")" "$t key-handle file mode"
	case $t in
	ecdsa-sk) want=sk-ecdsa-sha2-nistp256@openssh.com ;;
	ed25519-sk) want=sk-ssh-ed25519@openssh.com ;;
	esac
	assert_eq "$want" "$(cut -d' ' -f1 "id_$t.pub")" "$t .pub type"
	expect_exit 0 "$HWKEY" fingerprint "id_$t.pub"
	assert_eq "$(ssh-keygen -l -f "id_$t.pub")" "$(cat out)" "$t: hwkey fingerprint = ssh-keygen -l"
	assert_eq "$(hk_sk_blob "id_$t.pub")" "$(ssh-keygen -y -f "id_$t" | awk '{ print $1, $2 }')" \
		"$t: ssh-keygen -y of the key-handle file"
done
# -O application= and -O device= reach the device.
expect_exit 0 hk_sk_run env HWKEY_SK_DEVICE=fido:unix:$HK_TMP/absent.sock \
	ssh-keygen -w "$P" -t ed25519-sk -N '' -O application=ssh:hwkey-app \
	-O device="fido:unix:$HK_SK_SIM_SOCK" -f id_app
assert_contains "$(cat "$HK_SK_SIM_LOG")" "rp=ssh:hwkey-app" "ssh-keygen -O application"

# 6. Device selection and its failures: a dead socket, a missing one, no
# device at all; the first device found when none is named.
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$HK_TMP/dead.sock"
for dev in "fido:unix:$HK_TMP/dead.sock" "fido:unix:$HK_TMP/absent.sock"; do
	expect_exit 1 env HWKEY_SK_DEVICE="$dev" "$HK_SKCLIENT" "$P" enroll ecdsa x.kh
	assert_eq -4 "$(value status)" "enrol on $dev: SSH_SK_ERR_DEVICE_NOT_FOUND"
	expect_exit 255 hk_sk_run env HWKEY_SK_DEVICE="$dev" HWKEY_SK_DEBUG=1 \
		ssh-keygen -w "$P" -t ecdsa-sk -N '' -f id_dead
	assert_contains "$(cat err)" "Key enrollment failed: device not found" "ssh-keygen on $dev"
	[ ! -e id_dead ] && [ ! -e id_dead.pub ] || fail "ssh-keygen left a key behind for $dev"
	pass
done
assert_contains "$(cat err)" "fido:unix:$HK_TMP/absent.sock: no such device" "debug says why"
expect_exit 1 env -u HWKEY_SK_DEVICE HWKEY_FIDO_SOCKETS= "$HK_SKCLIENT" "$P" enroll ecdsa x.kh
assert_eq -4 "$(value status)" "no device at all"
expect_exit 0 env -u HWKEY_SK_DEVICE HWKEY_FIDO_SOCKETS="$HK_SK_SIM_SOCK" HWKEY_SK_DEBUG=1 \
	"$HK_SKCLIENT" "$P" enroll ecdsa first.kh
assert_contains "$(cat err)" "device fido:unix:$HK_SK_SIM_SOCK" "first device found"
expect_exit 0 env HWKEY_SK_DEVICE="fido:unix:$HK_TMP/dead.sock" \
	"$HK_SKCLIENT" "$P" sign first.kh --device "fido:unix:$HK_SK_SIM_SOCK"
assert_eq yes "$(value verified)" "the device option beats HWKEY_SK_DEVICE"

# 7. A device whose attestation does not verify makes no key (as with
# OpenSSH's own middleware).
hk_sk_sim_stop
for what in sig authdata; do
	hk_sk_sim_start dev --corrupt-attestation "$what"
	HWKEY_SK_DEBUG=1 expect_exit 1 skc enroll ecdsa bad.kh
	assert_eq -1 "$(value status)" "enrol with a corrupt attestation ($what)"
	assert_contains "$(cat err)" "HK_ERR_ATTESTATION" "debug names the attestation failure ($what)"
	expect_exit 255 hk_sk_run ssh-keygen -w "$P" -t ed25519-sk -N '' -f "id_bad_$what"
	[ ! -e "id_bad_$what" ] || fail "a key file from a corrupt attestation ($what)"
	pass
	hk_sk_sim_stop
done
hk_sk_sim_start dev

# 8. A denied touch fails the signature and the enrolment.
hk_sk_sim_stop
hk_sk_sim_start dev --touch deny
expect_exit 1 skc sign ecdsa.kh
assert_eq -1 "$(value status)" "sign with the touch denied"
expect_exit 255 hk_sk_run ssh-keygen -w "$P" -t ed25519-sk -N '' -f id_denied
assert_contains "$(cat err)" "Key enrollment failed" "ssh-keygen with the touch denied"
[ ! -e id_denied ] || fail "a key file after a denied touch"
pass
# ... and so does a touch that never comes (the device times out).
hk_sk_sim_stop
hk_sk_sim_start dev --touch timeout --touch-timeout 300
HWKEY_SK_DEBUG=1 expect_exit 1 skc sign ecdsa.kh
assert_eq -1 "$(value status)" "sign with the touch timed out"
assert_contains "$(cat err)" "not touched in time" "debug says the touch timed out"
hk_sk_sim_stop

# 9. A device with a PIN: none → PIN_REQUIRED (ssh asks), wrong → asked
# again, right → made. Resident keys: listed with the PIN only, a second
# one for the same user refused unless forced, recovered by ssh-keygen -K.
(umask 077 && echo 4711-hwkey >pin.txt && echo 0000-wrong >wrong.txt)
# A CTAP 2.0 device (credentialManagementPreview, a PIN for every credential).
hk_sk_sim_start pin --pin-file pin.txt --ctap 2.0
# A CTAP 2.0 device with a PIN wants it for every credential.
expect_exit 1 skc enroll ecdsa p.kh
assert_eq -3 "$(value status)" "enrol without the PIN"
expect_exit 1 skc enroll ecdsa p.kh --pin-file wrong.txt
assert_eq -3 "$(value status)" "enrol with a wrong PIN"
expect_exit 0 skc enroll ecdsa p.kh --pin-file pin.txt
expect_exit 0 skc enroll ed25519 rk.kh --flags 21 --user alice --pin-file pin.txt
assert_eq 0x21 "$(value flags)" "resident enrol flags"
rkpub=$(value pubkey)
expect_exit 1 skc enroll ed25519 rk2.kh --flags 21 --user alice --pin-file pin.txt
assert_eq -5 "$(value status)" "a second resident key for alice: CREDENTIAL_EXISTS"
expect_exit 0 skc enroll ed25519 rk2.kh --flags 31 --user alice --pin-file pin.txt
rkpub=$(value pubkey)
expect_exit 1 skc load
assert_eq -3 "$(value status)" "resident keys without the PIN"
expect_exit 0 skc load --pin-file pin.txt
assert_eq 1 "$(value count)" "resident keys after the forced overwrite"
assert_contains "$(cat out)" "key ed25519 ssh: flags 0x21 $rkpub user alice" "the resident key"
expect_exit 0 skc sign rk2.kh
assert_eq yes "$(value verified)" "the resident key signs"
# Verification by PIN: the UV flag in the signature; a wrong PIN is asked again.
expect_exit 0 skc sign rk2.kh --flags 05 --pin-file pin.txt
assert_eq 0x05 "$(value flags)" "signature flags with the PIN (present, verified)"
assert_eq yes "$(value verified)" "the PIN-verified signature"
expect_exit 1 skc sign rk2.kh --flags 05 --pin-file wrong.txt
assert_eq -3 "$(value status)" "sign with a wrong PIN: SSH_SK_ERR_PIN_REQUIRED"

# ssh-keygen asks for the PIN through SSH_ASKPASS (the PIN comes from a
# 0600 file, never argv) and makes a resident key; -K brings it back.
hk_sk_pin 4711-hwkey
: >"$HK_SK_ASKPASS_LOG"
expect_exit 0 hk_sk_run ssh-keygen -w "$P" -t ecdsa-sk -O resident -O user=bob -N '' -f id_rk
assert_contains "$(cat "$HK_SK_ASKPASS_LOG")" "Enter PIN for authenticator" "ssh-keygen asked for the PIN"
assert_not_contains "$(cat "$HK_SK_ASKPASS_LOG") $(cat err)" "4711-hwkey" "PIN in prompts or messages"
# Bob's key again: the middleware says it exists (SSH_SK_ERR_CREDENTIAL_EXISTS,
# which ssh-keygen 9.2 reports as "bad permissions"); nothing is replaced.
expect_exit 255 hk_sk_run env HWKEY_SK_DEBUG=1 ssh-keygen -w "$P" -t ecdsa-sk -O resident -O user=bob -N '' -f id_rk2
assert_contains "$(cat err)" "Key enrollment failed: bad permissions" "ssh-keygen refuses to overwrite"
assert_contains "$(cat err)" "a resident key for this application and user already exists" "debug says why"
[ ! -e id_rk2 ] || fail "a key file for a refused overwrite"
pass
mkdir recover
(cd recover && hk_sk_run ssh-keygen -K -w "$P" -N '') >out 2>err ||
	fail "ssh-keygen -K: $(cat err)"
pass
assert_eq "$(hk_sk_blob id_rk.pub)" "$(hk_sk_blob recover/id_ecdsa_sk_rk_bob.pub)" "ssh-keygen -K: the ecdsa key"
ed=$(awk '{ print $1 }' recover/id_ed25519_sk_rk_alice.pub)
assert_eq sk-ssh-ed25519@openssh.com "$ed" "ssh-keygen -K: alice's ed25519 key"
assert_eq "600" "$(stat -c %a recover/id_ecdsa_sk_rk_bob)" "recovered key-handle file mode"
# The recovered handle signs like the original.
expect_exit 0 hk_sk_run ssh-keygen -Y sign -w "$P" -f recover/id_ecdsa_sk_rk_bob -n hwkey-test id_rk.pub
[ -s id_rk.pub.sig ] || fail "no signature from the recovered key"
pass
echo "hwkey-test@example $(hk_sk_blob id_rk.pub)" >allowed
expect_exit 0 ssh-keygen -Y verify -f allowed -I hwkey-test@example -n hwkey-test -s id_rk.pub.sig <id_rk.pub
assert_contains "$(cat out)" "Good \"hwkey-test\" signature for hwkey-test@example" "ssh-keygen -Y verify"

# 10. cmake --install puts the provider in the library directory, and the
# installed copy is the same working provider.
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$HK_BUILDDIR/CMakeCache.txt")
[ -n "$libdir" ] || fail "no CMAKE_INSTALL_LIBDIR in the build's cache"
expect_exit 0 cmake --install "$HK_BUILDDIR" --prefix "$HK_TMP/inst"
inst=$HK_TMP/inst/$libdir/libhwkey-sk.so
[ -f "$inst" ] || fail "cmake --install did not install $inst: $(cat out)"
pass
assert_eq "$(sha256sum <"$P")" "$(sha256sum <"$inst")" "the installed provider is the built one"
hk_sk_sim_stop
hk_sk_sim_start dev
expect_exit 0 hk_sk_run ssh-keygen -w "$inst" -t ecdsa-sk -N '' -f id_installed
expect_exit 0 "$HK_SKCLIENT" "$inst" version
hk_done
