# hwkey-fido2sim speaks CTAPHID + CTAP2 well enough for the real libfido2 1.12
# (through simprobe, a libfido2 client over the sim's socket): GetInfo, packed
# attestation whose x5c chains to the sim's CA, assertions that verify, PIN
# protocols 1 and 2 (set, change, retries, blocking), credProtect, credential
# management, reset, touch deny/timeout/cancel, persistence across restarts,
# clean SIGTERM, tampered attestation, and the CTAPHID error replies.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/fido2sim.sh"

: "${HK_SIMPROBE:?HK_SIMPROBE must point at simprobe (ctest sets it)}"
PIN=4711-sim
NEWPIN=8642-sim
printf '%s\n' "$PIN" >pinfile
chmod 600 pinfile
AAGUID=68776b65792d6669646f3273696d0001
AAGUID_EXT_OID=060b2b0601040182e51c010104	# 1.3.6.1.4.1.45724.1.1.4

# probe [ENV=V...] ARGS: simprobe on the current sim; output in $HK_TMP/out.
probe() {
	local want=$1
	shift
	expect_exit "$want" env "$@"
}
val() { sed -n "s/^$1=//p" "$HK_TMP/out" | head -1; }
hex() { xxd -p "$1" | tr -d '\n'; }
P=("$HK_SIMPROBE")

# --- usage errors name what is wrong ------------------------------------
expect_exit 2 "$HK_FIDO2SIM" --socket s --state st --touch sometimes
assert_contains "$(cat err)" "--touch" "bad --touch is named"
expect_exit 2 "$HK_FIDO2SIM" --socket s
assert_contains "$(cat err)" "--state" "missing --state is named"
echo "not a state" >bogus-state
expect_exit 1 "$HK_FIDO2SIM" --socket "$HK_TMP/bogus.sock" --state bogus-state
assert_contains "$(cat err)" "bogus-state" "unreadable state file is named"
expect_exit 0 "$HK_FIDO2SIM" --help
for o in --socket --state --ca-dir --touch --touch-delay --touch-timeout --pin \
	--pin-file --aaguid --no-rk --log --corrupt-attestation --ctap --pin-protocols \
	--pin-streak-per-connection --algorithms --reset-window --publish-delay --attestation-format; do
	assert_contains "$(cat out)" "$o" "--help documents $o"
done
for v in self none fido-u2f leaf-ou leaf-ca aaguid es256,eddsa; do
	assert_contains "$(cat out)" "$v" "--help documents the value $v"
done
expect_exit 2 "$HK_FIDO2SIM" --socket s --state st --corrupt-attestation leaf
assert_contains "$(cat err)" "leaf-ou, leaf-ca or aaguid" "bad --corrupt-attestation lists the choices"

# --- CTAPHID framing, by hand ---------------------------------------------
FIDO2SIM_DIR=$HK_TMP/a hk_fido2sim_start
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" raw
assert_eq "1" "$(val init.nonce_echo)" "INIT echoes the nonce"
assert_eq "0x0d" "$(val init.caps)" "capabilities WINK|CBOR|NMSG"
assert_eq "1" "$(val init.cid_new)" "INIT allocates a channel"
assert_eq "1" "$(val ping.echo)" "a 200-byte PING over four packets comes back whole"
assert_eq "cmd:bf bcnt:1 data0:0b" "$(val badcid)" "unknown channel: ERR_INVALID_CHANNEL"
assert_eq "cmd:bf bcnt:1 data0:0b" "$(val broadcast_cbor)" "CBOR on the broadcast channel refused"
assert_eq "cmd:bf bcnt:1 data0:01" "$(val badcmd)" "unknown command: ERR_INVALID_CMD"
assert_eq "cmd:bf bcnt:1 data0:01" "$(val msg)" "CTAPHID_MSG refused (NMSG)"
assert_eq "cmd:bf bcnt:1 data0:03" "$(val badlen)" "oversized message: ERR_INVALID_LEN"
assert_eq "cmd:bf bcnt:1 data0:04" "$(val badseq)" "sequence gap: ERR_INVALID_SEQ"
assert_eq "cmd:bf bcnt:1 data0:03" "$(val badinit)" "short INIT nonce: ERR_INVALID_LEN"
assert_eq "cmd:90 bcnt:1 data0:12" "$(val cbor_truncated)" "truncated CBOR: CTAP2_ERR_INVALID_CBOR"
assert_eq "cmd:90 bcnt:1 data0:12" "$(val cbor_notmap)" "CBOR array: CTAP2_ERR_INVALID_CBOR"
assert_eq "cmd:90 bcnt:1 data0:14" "$(val cbor_empty)" "makeCredential {}: CTAP2_ERR_MISSING_PARAMETER"
assert_eq "cmd:90 bcnt:1 data0:01" "$(val cbor_badcmd)" "unknown CTAP2 command: CTAP1_ERR_INVALID_COMMAND"
assert_eq "cmd:bf bcnt:1 data0:03" "$(val cbor_nothing)" "empty CBOR message: ERR_INVALID_LEN"
assert_contains "$(val getinfo)" "cmd:90" "the channel still works after the errors"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" raw-garbage 3000
assert_eq "3000" "$(val garbage.replies)" "3000 mutated requests, one reply each"
assert_contains "$(val getinfo)" "cmd:90 bcnt" "GetInfo still answered after them"

expect_exit 1 "$HK_FIDO2SIM" --socket "$FIDO2SIM_SOCKET" --state "$HK_TMP/other-state"
assert_contains "$(cat err)" "another simulator" "a live socket is not stolen"
[ -S "$FIDO2SIM_SOCKET" ] || fail "the refused second sim removed the first one's socket"
pass

# --- GetInfo through libfido2 ---------------------------------------------
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "FIDO_2_0,FIDO_2_1" "$(val versions)" "versions"
assert_eq "credProtect,hmac-secret" "$(val extensions)" "extensions"
assert_eq "$AAGUID" "$(val aaguid)" "default AAGUID"
assert_eq "true" "$(val option.rk)" "rk"
assert_eq "false" "$(val option.clientPin)" "no PIN yet"
assert_eq "true" "$(val option.credMgmt)" "credMgmt"
assert_eq "2,1" "$(val protocols)" "PIN/UV auth protocols"
assert_eq "-7,-8" "$(val algorithms)" "ES256 and EdDSA"
assert_eq "1" "$(val is_fido2)" "libfido2 sees a FIDO2 device"
assert_eq "1" "$(val cred_prot)" "fido_dev_supports_cred_prot (OpenSSH needs it)"
assert_eq "1" "$(val credman)" "fido_dev_supports_credman"
assert_eq "0" "$(val has_pin)" "fido_dev_has_pin"
assert_eq "4" "$(val minpinlen)" "minPINLength"
assert_eq "0x10000" "$(val fwversion)" "firmwareVersion"
assert_eq "25" "$(val rk_remaining)" "remainingDiscoverableCredentials, empty device"

# --- MakeCredential: packed attestation, chain to the CA ------------------
for alg in es256 eddsa; do
	probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" make "$alg" --out "nr-$alg"
	assert_eq "packed" "$(val fmt)" "$alg: fmt"
	assert_eq "0x41" "$(val flags)" "$alg: flags UP|AT, no UV without a PIN"
	assert_eq "ok" "$(val verify)" "$alg: fido_cred_verify with x5c"
	assert_eq "$AAGUID" "$(val aaguid)" "$alg: AAGUID in authData"
	openssl x509 -inform der -in "nr-$alg.x5c.der" -out "nr-$alg.pem"
	expect_exit 0 openssl verify -CAfile "$FIDO2SIM_CA/ca.pem" "nr-$alg.pem"
	openssl x509 -in "nr-$alg.pem" -noout -text >"cert-$alg.txt"
	assert_contains "$(cat "cert-$alg.txt")" "OU = Authenticator Attestation" "$alg: cert OU"
	assert_contains "$(cat "cert-$alg.txt")" "CA:FALSE" "$alg: cert is not a CA"
	assert_contains "$(cat "cert-$alg.txt")" "Version: 3" "$alg: v3 cert"
	assert_contains "$(hex "nr-$alg.x5c.der")" "${AAGUID_EXT_OID}04120410$AAGUID" \
		"$alg: id-fido-gen-ce-aaguid carries the AAGUID"
done
assert_eq "64" "$(stat -c %s nr-es256.pub)" "ES256 public key is x|y"
assert_eq "32" "$(stat -c %s nr-eddsa.pub)" "EdDSA public key is 32 bytes"

# --- GetAssertion: signatures verify, the counter climbs ------------------
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred nr-es256
assert_eq "ok" "$(val assert.0.verify)" "ES256 assertion verifies"
assert_eq "0x01" "$(val assert.0.flags)" "UP set, UV clear"
c1=$(val assert.0.sigcount)
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred nr-eddsa
assert_eq "ok" "$(val assert.0.verify)" "EdDSA assertion verifies"
c2=$(val assert.0.sigcount)
[ "$c2" -gt "$c1" ] || fail "counter must increase: $c1 then $c2"
pass
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred nr-es256 --up 0
assert_eq "0x00" "$(val assert.0.flags)" "up=false: no touch, UP clear"
assert_eq "ok" "$(val assert.0.verify)" "up=false assertion verifies with up not required"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" assert --rp ssh:elsewhere --cred nr-es256
assert_eq "0x2e" "$(val error | cut -d' ' -f1)" "a credential id is bound to its RP"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --exclude nr-es256
assert_eq "0x19 FIDO_ERR_CREDENTIAL_EXCLUDED" "$(val error)" "excludeList"

probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" touch
assert_eq "1" "$(val touched)" "fido_dev_get_touch_begin/status, no PIN"

# --- hmac-secret ----------------------------------------------------------
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --hmac-secret --out hs
assert_eq "0xc1" "$(val flags)" "hmac-secret: ED flag"
assert_eq "ok" "$(val verify)" "hmac-secret echoed as libfido2 expects"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred hs --salt one
assert_eq "ok" "$(val assert.0.verify)" "assertion with hmac-secret output verifies"
assert_eq "0x81" "$(val assert.0.flags)" "UP|ED"
hs1=$(val assert.0.hmac_secret)
assert_eq "64" "${#hs1}" "32-byte secret, decrypted by libfido2"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred hs --salt one
assert_eq "$hs1" "$(val assert.0.hmac_secret)" "same salt, same secret"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred hs --salt two
[ "$(val assert.0.hmac_secret)" != "$hs1" ] || fail "another salt must give another secret"
pass
probe 3 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred nr-es256 --salt one
assert_eq "" "$(val assert.0.hmac_secret)" "no secret from a credential made without hmac-secret"

# --- ClientPIN (protocol 2, 2.1 token with permissions) -------------------
probe 0 SIMPROBE_NEW_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" setpin
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" touch
assert_eq "1" "$(val touched)" "touch probe with a PIN set (empty pinUvAuthParam)"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "1" "$(val has_pin)" "PIN now set"
assert_eq "true" "$(val option.clientPin)" "clientPin true"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" retries
assert_eq "8" "$(val retries)" "8 retries"
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --rk --prot 2 \
	--user alice --out rk-alice
assert_eq "0xc5" "$(val flags)" "rk with PIN: UP|UV|AT|ED"
assert_eq "2" "$(val prot)" "credProtect 2 echoed in authData"
assert_eq "ok" "$(val verify)" "rk credential verifies"
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" make eddsa --rk --prot 3 \
	--user bob --rp ssh:vr --out rk-bob
assert_eq "3" "$(val prot)" "credProtect 3"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --rk --user carol
assert_eq "0x36" "$(val error | cut -d' ' -f1)" "rk without the PIN: PIN required"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" make es256
assert_eq "0x41" "$(val flags)" "non-rk without the PIN is allowed (makeCredUvNotRqd)"
assert_contains "$(cat "$FIDO2SIM_LOG")" "clientPIN status=0x00 sub=0x09 protocol=2" \
	"libfido2 asked for a token with permissions, protocol 2"

# credProtect enforcement
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" assert --discover --cred rk-alice
assert_eq "0x2e" "$(val error | cut -d' ' -f1)" "prot 2: not discoverable without UV"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred rk-alice
assert_eq "ok" "$(val assert.0.verify)" "prot 2: usable with its id, no UV"
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" assert --discover --cred rk-alice
assert_eq "0x05" "$(val assert.0.flags)" "discovered with the PIN: UP|UV"
assert_eq "alice" "$(val assert.0.user_name)" "user name returned with UV"
assert_eq "ok" "$(val assert.0.verify)" "discovered assertion verifies"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" assert --rp ssh:vr --cred rk-bob
assert_eq "0x2e" "$(val error | cut -d' ' -f1)" "prot 3: not even with its id without UV"
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred hs --salt one
assert_eq "0x85" "$(val assert.0.flags)" "hmac-secret with UV: UP|UV|ED"
[ "$(val assert.0.hmac_secret)" != "$hs1" ] || fail "UV and no-UV secrets must differ (CTAP 2.1)"
pass
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" assert --rp ssh:vr --cred rk-bob
assert_eq "ok" "$(val assert.0.verify)" "prot 3 with the PIN"

# --- credential management --------------------------------------------------
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "23" "$(val rk_remaining)" "remainingDiscoverableCredentials counts down"
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" credman-list
assert_eq "2" "$(val existing)" "two resident credentials"
assert_eq "23" "$(val remaining)" "remaining slots"
assert_eq "2" "$(val rps)" "two RPs"
assert_eq "alice" "$(val 'rk\.ssh:\.0\.user')" "alice listed under ssh:"
assert_eq "2" "$(val 'rk\.ssh:\.0\.prot')" "her credProtect"
assert_eq "$(hex rk-alice.pub)" "$(val 'rk\.ssh:\.0\.pub')" "listed key is the made key"
assert_eq "$(hex rk-alice.id)" "$(val 'rk\.ssh:\.0\.id')" "listed id is the made id"
assert_eq "-8" "$(val 'rk\.ssh:vr\.0\.type')" "bob's key is EdDSA"
assert_contains "$(cat "$FIDO2SIM_LOG")" "cmd=0x41 credentialManagementPreview status=0x00 sub=0x04" \
	"libfido2 1.12 enumerates with 0x41"
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" credman-del rk-alice
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" credman-list
assert_eq "1" "$(val existing)" "one left after delete"
assert_not_contains "$(cat out)" "alice" "alice is gone"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred rk-alice
assert_eq "0x2e" "$(val error | cut -d' ' -f1)" "a deleted resident credential cannot sign"

# --- change PIN, wrong PIN, retries ----------------------------------------
probe 0 SIMPROBE_PIN="$PIN" SIMPROBE_NEW_PIN="$NEWPIN" "${P[@]}" "$FIDO2SIM_SOCKET" changepin
probe 1 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" credman-list
assert_eq "0x31 FIDO_ERR_PIN_INVALID" "$(val error)" "the old PIN is wrong now"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" retries
assert_eq "7" "$(val retries)" "a wrong PIN costs a retry"
probe 0 SIMPROBE_PIN="$NEWPIN" "${P[@]}" "$FIDO2SIM_SOCKET" credman-list
assert_eq "1" "$(val existing)" "the new PIN works"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" retries
assert_eq "8" "$(val retries)" "a right PIN restores the retries"
assert_not_contains "$(cat "$FIDO2SIM_LOG")" "$PIN" "the log never holds the PIN"
assert_not_contains "$(cat "$FIDO2SIM_LOG")" "$NEWPIN" "the log never holds the new PIN"
assert_not_contains "$(cat "$FIDO2SIM_STATE")" "$NEWPIN" "the state holds no PIN in clear"
assert_eq "600" "$(stat -c %a "$FIDO2SIM_STATE")" "state file is private"
[ ! -e "$FIDO2SIM_STATE.tmp" ] || fail "a temporary state file was left behind"
pass

# --- restart: state, PIN and CA survive; SIGTERM removes the socket --------
cp "$FIDO2SIM_CA/ca.pem" ca-before.pem
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred nr-es256
before=$(val assert.0.sigcount)
pid=$FIDO2SIM_PID
hk_fido2sim_stop	# fails unless it exits 0 and removes the socket
kill -0 "$pid" 2>/dev/null && fail "SIGTERM: the sim is still running"
[ ! -e "$HK_TMP/a/sock" ] || fail "SIGTERM left the socket behind"
pass
hk_fido2sim_restart
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred nr-es256
assert_eq "ok" "$(val assert.0.verify)" "a credential made before the restart still signs"
[ "$(val assert.0.sigcount)" -gt "$before" ] || fail "counter persisted: $before then $(val assert.0.sigcount)"
pass
assert_files_equal ca-before.pem "$FIDO2SIM_CA/ca.pem" "the CA is reused"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "1" "$(val has_pin)" "the PIN survived"
probe 0 SIMPROBE_PIN="$NEWPIN" "${P[@]}" "$FIDO2SIM_SOCKET" assert --rp ssh:vr --cred rk-bob
assert_eq "ok" "$(val assert.0.verify)" "a resident credential survived"

# --- concurrent clients do not corrupt state -------------------------------
hk_fido2sim_restart --touch-delay 300
env SIMPROBE_PIN="$NEWPIN" "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --rk --user c1 >c1.out 2>&1 &
j1=$!
env SIMPROBE_PIN="$NEWPIN" "${P[@]}" "$FIDO2SIM_SOCKET" make eddsa --rk --user c2 >c2.out 2>&1 &
j2=$!
wait "$j1" || fail "concurrent client 1: $(cat c1.out)"
wait "$j2" || fail "concurrent client 2: $(cat c2.out)"
pass
probe 0 SIMPROBE_PIN="$NEWPIN" "${P[@]}" "$FIDO2SIM_SOCKET" credman-list
assert_eq "3" "$(val existing)" "both concurrent credentials stored (bob + 2)"

# --- reset -----------------------------------------------------------------
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" reset
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "0" "$(val has_pin)" "reset clears the PIN"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred nr-es256
assert_eq "0x2e" "$(val error | cut -d' ' -f1)" "reset forgets every credential"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" retries
assert_eq "8" "$(val retries)" "reset restores the retries"
hk_fido2sim_stop

# --- PIN blocking: 3 in a row last until a power cycle, 8 block the PIN ---
# hwkey opens one connection per command: the streak must survive them.
FIDO2SIM_DIR=$HK_TMP/b hk_fido2sim_start --pin-file "$HK_TMP/pinfile"
got=
for _ in 1 2 3 4; do
	probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" wrongpin 1
	got="$got$(val attempt.1 | cut -d' ' -f1) "
done
assert_eq "0x31 0x31 0x34 0x34 " "$got" \
	"wrong PINs in four connections: the 3rd in a row is PIN_AUTH_BLOCKED, and stays so"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" retries
assert_eq "5" "$(val retries)" "blocked attempts cost nothing"
probe 1 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --rk --user b
assert_eq "0x34 FIDO_ERR_PIN_AUTH_BLOCKED" "$(val error)" "even the right PIN waits for a power cycle"
hk_fido2sim_restart
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --rk --user b
assert_eq "ok" "$(val verify)" "after a restart (power cycle) the right PIN works"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" retries
assert_eq "8" "$(val retries)" "the right PIN restored the retries"
# a right PIN ends the streak too
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" wrongpin 1
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" wrongpin 1
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" credman-list
assert_eq "1" "$(val existing)" "the right PIN after two wrong ones"
got=
for _ in 1 2 3; do
	probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" wrongpin 1
	got="$got$(val attempt.1 | cut -d' ' -f1) "
done
assert_eq "0x31 0x31 0x34 " "$got" "a right PIN after two wrong ones starts the count again"
hk_fido2sim_restart
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" wrongpin 3
assert_eq "0x31 FIDO_ERR_PIN_INVALID" "$(val attempt.1)" "4th wrong PIN"
assert_eq "0x34 FIDO_ERR_PIN_AUTH_BLOCKED" "$(val attempt.3)" "6th wrong PIN, 3rd since the restart"
hk_fido2sim_restart
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" wrongpin 2
assert_eq "0x31 FIDO_ERR_PIN_INVALID" "$(val attempt.1)" "7th wrong PIN"
assert_eq "0x32 FIDO_ERR_PIN_BLOCKED" "$(val attempt.2)" "8th wrong PIN blocks"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" retries
assert_eq "0" "$(val retries)" "no retries left"
probe 1 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" credman-list
assert_eq "0x32 FIDO_ERR_PIN_BLOCKED" "$(val error)" "even the right PIN is refused"
hk_fido2sim_stop
# the old behaviour, on request: a new connection ends the streak
FIDO2SIM_DIR=$HK_TMP/b2 hk_fido2sim_start --pin-file "$HK_TMP/pinfile" --pin-streak-per-connection
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" wrongpin 4
assert_eq "0x34 FIDO_ERR_PIN_AUTH_BLOCKED" "$(val attempt.3)" "per connection: 3rd in a row blocked"
assert_eq "0x34 FIDO_ERR_PIN_AUTH_BLOCKED" "$(val attempt.4)" "per connection: blocked on that connection"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" wrongpin 1
assert_eq "0x31 FIDO_ERR_PIN_INVALID" "$(val attempt.1)" "--pin-streak-per-connection: a reconnect ends it"
hk_fido2sim_stop

# --- CTAP 2.0 flavour, PIN protocol 1: getPinToken, 2.1-PRE credman --------
FIDO2SIM_DIR=$HK_TMP/c hk_fido2sim_start --ctap 2.0 --pin-protocols 1 \
	--aaguid 00112233445566778899aabbccddeeff
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "FIDO_2_0,FIDO_2_1_PRE" "$(val versions)" "2.0 versions"
assert_eq "true" "$(val option.credentialMgmtPreview)" "credentialMgmtPreview"
assert_eq "1" "$(val protocols)" "protocol 1 only"
assert_eq "0" "$(val permissions)" "no pinUvAuthToken"
assert_eq "00112233445566778899aabbccddeeff" "$(val aaguid)" "--aaguid"
probe 0 SIMPROBE_NEW_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" setpin
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" make eddsa --rk --prot 2 --out p1
assert_eq "ok" "$(val verify)" "protocol 1: credential verifies"
assert_eq "0xc5" "$(val flags)" "protocol 1: UV from the PIN"
assert_contains "$(hex p1.x5c.der)" "${AAGUID_EXT_OID}0412041000112233445566778899aabbccddeeff" \
	"the attestation cert follows --aaguid"
assert_contains "$(cat "$FIDO2SIM_LOG")" "clientPIN status=0x00 sub=0x05 protocol=1" \
	"libfido2 used getPinToken over protocol 1"
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" assert --discover --cred p1
assert_eq "ok" "$(val assert.0.verify)" "protocol 1: assertion"
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" credman-list
assert_eq "1" "$(val existing)" "protocol 1: credman"
probe 0 SIMPROBE_PIN="$PIN" SIMPROBE_NEW_PIN="$NEWPIN" "${P[@]}" "$FIDO2SIM_SOCKET" changepin
probe 0 SIMPROBE_PIN="$NEWPIN" "${P[@]}" "$FIDO2SIM_SOCKET" credman-list
assert_eq "1" "$(val existing)" "protocol 1: changed PIN works"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" make es256
assert_eq "0x36" "$(val error | cut -d' ' -f1)" "CTAP 2.0 with a PIN set: every make needs it"
hk_fido2sim_stop
FIDO2SIM_DIR=$HK_TMP/c2 hk_fido2sim_start --pin-protocols 1 --pin-file "$HK_TMP/pinfile"
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --rk
assert_eq "ok" "$(val verify)" "2.1 token over protocol 1"
assert_contains "$(cat "$FIDO2SIM_LOG")" "sub=0x09 protocol=1" "permissions token, protocol 1"
long=$(printf 'é%.0s' $(seq 50))	# 100 bytes
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" make eddsa --rk --rp ssh:long --user "$long"
hk_fido2sim_restart
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" credman-list --rp ssh:long
assert_eq "$(printf 'é%.0s' $(seq 32))" "$(val 'rk\.ssh:long\.0\.user')" \
	"a long user name is kept to 64 bytes, whole characters, across a restart"
hk_fido2sim_stop

# --- touch: deny, timeout, cancel, no-rk; --pin --------------------------------
FIDO2SIM_DIR=$HK_TMP/d hk_fido2sim_start --touch deny --no-rk --pin "$PIN"
cmdline=$(tr '\0' ' ' <"/proc/$FIDO2SIM_PID/cmdline")
assert_not_contains "$cmdline" "$PIN" "--pin is wiped from the sim's argv"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "1" "$(val has_pin)" "--pin sets the PIN of a new state"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" reset
assert_eq "0x27 FIDO_ERR_OPERATION_DENIED" "$(val error)" "reset needs a touch"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "1" "$(val has_pin)" "a denied reset changes nothing"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" make es256
assert_eq "0x27 FIDO_ERR_OPERATION_DENIED" "$(val error)" "touch denied"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --rk
assert_eq "0x2b FIDO_ERR_UNSUPPORTED_OPTION" "$(val error)" "--no-rk refuses rk"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "false" "$(val option.rk)" "--no-rk: rk=false"
hk_fido2sim_restart --touch timeout --touch-timeout 400
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" make eddsa
assert_eq "0x2f FIDO_ERR_USER_ACTION_TIMEOUT" "$(val error)" "no touch: timeout"
hk_fido2sim_restart --touch timeout --touch-timeout 600000
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" cancel-make 300
assert_eq "0x2d FIDO_ERR_KEEPALIVE_CANCEL" "$(val error)" "CTAPHID_CANCEL ends the wait"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" raw-touch
assert_eq "1" "$(val two_channels)" "two channels on one connection"
assert_eq "cmd:bb bcnt:1 data0:02 same_cid=1" "$(val first)" "KEEPALIVE UPNEEDED while waiting"
assert_eq "cmd:bf bcnt:1 data0:06" "$(val other)" "another channel: ERR_CHANNEL_BUSY"
assert_eq "1" "$(val other.cid2)" "the busy error goes to the other channel"
assert_eq "cmd:90 bcnt:1 data0:2d" "$(val cancelled)" "CANCEL: CTAP2_ERR_KEEPALIVE_CANCEL"
hk_fido2sim_restart --touch-delay 250
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --out slow
assert_eq "ok" "$(val verify)" "delayed touch (keepalives meanwhile) then approved"
hk_fido2sim_stop

# --- mutated requests to a device with a PIN and credentials ---------------
FIDO2SIM_DIR=$HK_TMP/g hk_fido2sim_start --pin-file "$HK_TMP/pinfile"
probe 0 SIMPROBE_PIN="$PIN" "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --rk --user g
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" raw-garbage 3000
assert_eq "3000" "$(val garbage.replies)" "PIN set: 3000 mutated requests, one reply each"
assert_contains "$(val getinfo)" "cmd:90 bcnt" "GetInfo still answered"
# SIGKILL: the socket stays behind (stale), the state file is whole
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
pin_before=$(val has_pin)
kill -KILL "$FIDO2SIM_PID"
wait "$FIDO2SIM_PID" 2>/dev/null || true
FIDO2SIM_PID=
[ -S "$FIDO2SIM_SOCKET" ] || fail "expected a stale socket after SIGKILL"
pass
FIDO2SIM_DIR=$HK_TMP/g hk_fido2sim_start
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "$pin_before" "$(val has_pin)" "after SIGKILL the state loads as it was"
hk_fido2sim_stop

# --- the socket file appears only once the sim listens ----------------------
# --publish-delay holds the sim between bind() and listen(): were the file
# there from bind() on, the helper would see it and the probe be refused.
FIDO2SIM_DIR=$HK_TMP/pub hk_fido2sim_start --publish-delay 700
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "FIDO_2_0,FIDO_2_1" "$(val versions)" "a client that sees the socket file can connect at once"
assert_eq "" "$(find "$HK_TMP/pub" -name 'sock.*')" "no temporary socket name left behind"
hk_fido2sim_stop
: >"$HK_TMP/pub/notsock"
expect_exit 1 "$HK_FIDO2SIM" --socket "$HK_TMP/pub/notsock" --state "$HK_TMP/pub/state"
assert_contains "$(cat err)" "notsock: exists" "a file that is not a socket is not replaced"
if [ ! -f "$HK_TMP/pub/notsock" ] || [ -s "$HK_TMP/pub/notsock" ]; then
	fail "the file that is not a socket was touched"
fi
pass
assert_eq "" "$(find "$HK_TMP/pub" -name 'notsock.*')" "no temporary left after the refusal"

# --- --algorithms: GetInfo lists only those, the others are refused ---------
expect_exit 2 "$HK_FIDO2SIM" --socket s --state st --algorithms rs256
assert_contains "$(cat err)" "--algorithms" "bad --algorithms is named"
FIDO2SIM_DIR=$HK_TMP/al hk_fido2sim_start --algorithms es256
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "-7" "$(val algorithms)" "--algorithms es256: GetInfo lists ES256 only"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" make eddsa
assert_eq "0x26 FIDO_ERR_UNSUPPORTED_ALGORITHM" "$(val error)" "--algorithms es256: EdDSA refused"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" make es256
assert_eq "ok" "$(val verify)" "--algorithms es256: ES256 made"
hk_fido2sim_restart --algorithms eddsa
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "-8" "$(val algorithms)" "--algorithms eddsa: GetInfo lists EdDSA only"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" make es256
assert_eq "0x26 FIDO_ERR_UNSUPPORTED_ALGORITHM" "$(val error)" "--algorithms eddsa: ES256 refused"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" make eddsa
assert_eq "ok" "$(val verify)" "--algorithms eddsa: EdDSA made"
hk_fido2sim_restart --algorithms es256,eddsa
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "-7,-8" "$(val algorithms)" "--algorithms es256,eddsa: both"
hk_fido2sim_stop

# --- --reset-window: Reset only soon after start (power-up) ------------------
expect_exit 2 "$HK_FIDO2SIM" --socket s --state st --reset-window soon
assert_contains "$(cat err)" "--reset-window" "bad --reset-window is named"
# window 0: any Reset comes later than that (the sim has to start, the probe
# to connect), so it is refused whatever the machine's speed
FIDO2SIM_DIR=$HK_TMP/rw hk_fido2sim_start --reset-window 0 --pin-file "$HK_TMP/pinfile"
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" reset
assert_eq "0x30 FIDO_ERR_NOT_ALLOWED" "$(val error)" "Reset after the window: NOT_ALLOWED"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "1" "$(val has_pin)" "a Reset out of its window changes nothing"
assert_contains "$(cat "$FIDO2SIM_LOG")" "reset status=0x30" "the log says why"
hk_fido2sim_restart --reset-window 600000
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" reset
assert_eq "ok" "$(val reset)" "Reset within the window after a power cycle"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" info
assert_eq "0" "$(val has_pin)" "that Reset cleared the PIN"
hk_fido2sim_stop

# --- --attestation-format self | none | fido-u2f (packed is the default) ------
expect_exit 2 "$HK_FIDO2SIM" --socket s --state st --attestation-format basic
assert_contains "$(cat err)" "--attestation-format" "bad --attestation-format is named"
FIDO2SIM_DIR=$HK_TMP/af hk_fido2sim_start --attestation-format self
for alg in es256 eddsa; do
	probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" make "$alg" --out "self-$alg"
	assert_eq "packed" "$(val fmt)" "self/$alg: fmt packed"
	assert_eq "0" "$(val x5c_len)" "self/$alg: no x5c"
	assert_eq "ok" "$(val verify)" "self/$alg: fido_cred_verify_self (signed by the credential key)"
	assert_not_contains "$(val verify_x5c)" "ok" "self/$alg: not an x5c statement"
done
assert_contains "$(val attstmt)" "63616c6727" "self/eddsa: attStmt alg is -8, the credential's"
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" assert --cred self-eddsa
assert_eq "ok" "$(val assert.0.verify)" "a self-attested credential signs"
hk_fido2sim_restart --attestation-format none
for alg in es256 eddsa; do
	probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" make "$alg" --out "none-$alg"
	assert_eq "none" "$(val fmt)" "none/$alg: fmt none"
	assert_eq "a0" "$(val attstmt)" "none/$alg: attStmt is an empty map"
	assert_eq "0" "$(val sig_len)" "none/$alg: no signature"
	assert_eq "0" "$(val x5c_len)" "none/$alg: no x5c"
	assert_eq "$AAGUID" "$(val aaguid)" "none/$alg: authData still has the AAGUID"
done
hk_fido2sim_restart --attestation-format fido-u2f
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --out u2f
assert_eq "fido-u2f" "$(val fmt)" "fido-u2f: fmt"
assert_eq "ok" "$(val verify)" "fido-u2f: fido_cred_verify accepts it"
assert_not_contains "$(val attstmt)" "63616c67" "fido-u2f: attStmt has no alg"
openssl x509 -inform der -in u2f.x5c.der -out u2f.pem
expect_exit 0 openssl verify -CAfile "$FIDO2SIM_CA/ca.pem" u2f.pem
# the signature, checked by openssl over the bytes the brief names
openssl x509 -in u2f.pem -pubkey -noout >u2f-attkey.pem
{ printf '\0'; printf 'ssh:' | openssl dgst -sha256 -binary; cat u2f.cdh u2f.id; printf '\4'; cat u2f.pub; } >u2f.msg
expect_exit 0 openssl dgst -sha256 -verify u2f-attkey.pem -signature u2f.sig u2f.msg
probe 1 "${P[@]}" "$FIDO2SIM_SOCKET" make eddsa
assert_eq "0x26 FIDO_ERR_UNSUPPORTED_ALGORITHM" "$(val error)" "fido-u2f: EdDSA refused"
hk_fido2sim_restart --attestation-format fido-u2f --corrupt-attestation sig
probe 3 "${P[@]}" "$FIDO2SIM_SOCKET" make es256
assert_not_contains "$(val verify)" "ok" "fido-u2f with a corrupt sig fails fido_cred_verify"
hk_fido2sim_restart --attestation-format packed
probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" make es256
assert_eq "packed ok" "$(val fmt) $(val verify)" "--attestation-format packed: x5c as by default"
[ "$(val x5c_len)" -gt 0 ] || fail "packed: no x5c"
pass
hk_fido2sim_stop

# --- leaves, validly signed by the CA, that break a FIDO requirement ---------
for what in leaf-ou leaf-ca aaguid; do
	FIDO2SIM_DIR=$HK_TMP/l-$what hk_fido2sim_start --corrupt-attestation "$what"
	probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --out "l-$what"
	assert_eq "ok" "$(val verify)" "$what: the statement's signature is still good"
	assert_eq "$AAGUID" "$(val aaguid)" "$what: authData keeps the AAGUID"
	openssl x509 -inform der -in "l-$what.x5c.der" -out "l-$what.pem"
	expect_exit 0 openssl verify -CAfile "$FIDO2SIM_CA/ca.pem" "l-$what.pem"
	openssl x509 -in "l-$what.pem" -noout -text >"l-$what.txt"
	case $what in
	leaf-ou)
		assert_not_contains "$(cat "l-$what.txt")" "Authenticator Attestation" "leaf-ou: no such OU"
		assert_contains "$(cat "l-$what.txt")" "CA:FALSE" "leaf-ou: nothing else changed"
		;;
	leaf-ca)
		assert_contains "$(cat "l-$what.txt")" "CA:TRUE" "leaf-ca: basicConstraints CA:TRUE"
		assert_contains "$(cat "l-$what.txt")" "OU = Authenticator Attestation" "leaf-ca: OU kept"
		;;
	aaguid)
		assert_not_contains "$(hex "l-$what.x5c.der")" "${AAGUID_EXT_OID}04120410$AAGUID" \
			"aaguid: the extension is not authData's AAGUID"
		assert_contains "$(hex "l-$what.x5c.der")" "${AAGUID_EXT_OID}04120410${AAGUID%01}fe" \
			"aaguid: it holds another one"
		;;
	esac
	# only this run: a start without the option attests soundly again
	hk_fido2sim_restart --touch approve
	probe 0 "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --out "l-$what-after"
	openssl x509 -inform der -in "l-$what-after.x5c.der" -noout -text >"l-$what-after.txt"
	assert_contains "$(cat "l-$what-after.txt")" "OU = Authenticator Attestation" "$what: sound leaf after"
	assert_contains "$(cat "l-$what-after.txt")" "CA:FALSE" "$what: sound leaf after (CA:FALSE)"
	assert_contains "$(hex "l-$what-after.x5c.der")" "${AAGUID_EXT_OID}04120410$AAGUID" \
		"$what: sound leaf after (AAGUID)"
	hk_fido2sim_stop
done

# --- tampered attestation fails fido_cred_verify ------------------------------
for what in sig authdata cert; do
	FIDO2SIM_DIR=$HK_TMP/t-$what hk_fido2sim_start --corrupt-attestation "$what"
	probe 3 "${P[@]}" "$FIDO2SIM_SOCKET" make es256 --out "bad-$what"
	assert_not_contains "$(val verify)" "ok" "--corrupt-attestation $what: verify fails"
	hk_fido2sim_stop INT	# SIGINT stops it as cleanly as SIGTERM
done
openssl x509 -inform der -in bad-cert.x5c.der -out bad-cert.pem 2>/dev/null || true
if openssl verify -CAfile "$HK_TMP/t-cert/ca/ca.pem" bad-cert.pem >/dev/null 2>&1; then
	fail "a tampered attestation certificate must not chain to the CA"
fi
pass
hk_done
