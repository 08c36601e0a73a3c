# hwkey keygen fido:unix:... makes ecdsa-sk and ed25519-sk keys on the
# software authenticator through the real libfido2 code path, resident and
# not, with and without a PIN and user verification: ssh-keygen loads the
# key-handle file and fingerprints the .pub as hwkey does, the file's flags
# (read here by an independent parser) are what was asked, and bad
# combinations are refused before the device is touched.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/json.sh"
. "$HK_TESTLIB/fido2sim.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_home

# The sk fields of an openssh-key-v1 file, parsed without hwkey:
# "cipher kdf nkeys type application flags(hex) khlen reservedlen comment".
skparse() {
	/usr/bin/python3 - "$1" <<'PY'
import base64, struct, sys
t = open(sys.argv[1]).read().strip().splitlines()
assert t[0] == "-----BEGIN OPENSSH PRIVATE KEY-----" and t[-1] == "-----END OPENSSH PRIVATE KEY-----"
assert all(len(l) <= 70 for l in t[1:-1]) and all(len(l) == 70 for l in t[1:-2])
b = base64.b64decode("".join(t[1:-1]))
assert b.startswith(b"openssh-key-v1\0")
o = 15
def s():
    global o
    n = struct.unpack(">I", b[o:o + 4])[0]; o += 4
    v = b[o:o + n]; o += n
    return v
cipher, kdf, kdfo = s(), s(), s()
n = struct.unpack(">I", b[o:o + 4])[0]; o += 4
pub = s(); priv = s()
assert o == len(b) and len(priv) % 8 == 0
b, o = priv, 0
c1, c2 = struct.unpack(">II", b[:8]); o = 8
assert c1 == c2
typ = s()
if typ == b"sk-ecdsa-sha2-nistp256@openssh.com":
    s(); s()
else:
    s()
app = s(); flags = b[o]; o += 1
kh = s(); res = s(); comment = s()
pad = b[o:]
assert pad == bytes(range(1, len(pad) + 1))
print(cipher.decode(), kdf.decode(), n, typ.decode(), app.decode(), "%02x" % flags,
      len(kh), len(res), comment.decode())
PY
}

hk_fido2sim_start
DEV=fido:unix:$FIDO2SIM_SOCKET
declare -A SSHTYPE=([ecdsa-sk]=sk-ecdsa-sha2-nistp256@openssh.com
	[ed25519-sk]=sk-ssh-ed25519@openssh.com)
declare -A COSE=([ecdsa-sk]=-7 [ed25519-sk]=-8)

# check_key NAME TYPE FLAGS APPLICATION: the files and what ssh-keygen says of them.
check_key() {
	local f=$1 t=$2 flags=$3 app=$4 line parsed
	[ -f "$f" ] && [ -f "$f.pub" ] || fail "$f: key-handle file and .pub written"
	assert_eq 600 "$(stat -c %a "$f")" "$f: key-handle file mode"
	line=$(cat "$f.pub")
	assert_eq "${SSHTYPE[$t]}" "${line%% *}" "$f: .pub type"
	# ssh-keygen, not hwkey, reads the key-handle file and fingerprints the .pub.
	assert_eq "$line" "$(ssh-keygen -y -f "$f")" "$f: ssh-keygen -y loads the key-handle file"
	assert_eq "$(ssh-keygen -l -f "$f.pub")" "$("$HWKEY" fingerprint "$f.pub")" \
		"$f: ssh-keygen -l and hwkey fingerprint agree"
	assert_eq "$(ssh-keygen -l -E md5 -f "$f.pub")" "$("$HWKEY" fingerprint -E md5 "$f.pub")" \
		"$f: MD5 fingerprints agree"
	parsed=$(skparse "$f") || fail "$f: not a well-formed openssh-key-v1 sk file"
	read -r cipher kdf n typ fapp fflags khlen reslen comment <<<"$parsed"
	assert_eq "none none 1" "$cipher $kdf $n" "$f: no cipher, no kdf, one key"
	assert_eq "${SSHTYPE[$t]} $app" "$typ $fapp" "$f: type and application"
	assert_eq "$flags" "$fflags" "$f: sk flags"
	assert_eq 0 "$reslen" "$f: reserved is empty"
	[ "$khlen" -gt 0 ] || fail "$f: key handle present"
	pass
	assert_eq "${line##* }" "$comment" "$f: comment in both files"
}

# --- No PIN on the device: both types, resident or not, touch or not.
for t in ecdsa-sk ed25519-sk; do
	expect_exit 0 "$HWKEY" keygen "$DEV" --type "$t" -o "$t" -C "plain-$t"
	check_key "$t" "$t" 01 ssh:
	assert_contains "$(cat err)" "touch-required,attested; attestation packed verified" "$t: flags and proof shown"
	assert_contains "$(head -1 err)" "hwkey: Touch your security key" "$t: the touch prompt first"
	assert_contains "$(cat out)" "$(cat "$t.pub")" "$t: the public key line printed"
	assert_eq "$(sed -n 2p out)" "$(ssh-keygen -l -f "$t.pub")" "$t: printed fingerprint"
	assert_contains "$(tail -1 "$FIDO2SIM_LOG")" "makeCredential status=0x00 alg=${COSE[$t]} rk=0" \
		"$t: the device made a non-resident credential"

	expect_exit 0 "$HWKEY" keygen "$DEV" --type "$t" -o "rk-$t" --resident --user alice \
		--application ssh:hwkey-test -C "rk-$t" --json
	cp out "rk-$t.json"
	hk_json_valid keygen "rk-$t.json"
	check_key "rk-$t" "$t" 21 ssh:hwkey-test
	assert_contains "$(tail -1 "$FIDO2SIM_LOG")" "rk=1 prot=2" "$t: resident with credProtect 2"
	assert_contains "$(tail -1 "$FIDO2SIM_LOG")" "rp=ssh:hwkey-test" "$t: the application is the rp id"
	assert_eq '["touch-required","resident"]' "$(jq -c '.keys[0].sk_flags' "rk-$t.json")" \
		"$t: sk_flags in JSON"
	assert_eq "ssh:hwkey-test" "$(jq -r '.keys[0].application' "rk-$t.json")" "$t: application in JSON"
	assert_eq "$(cat "rk-$t.pub")" "$(jq -r '.keys[0].public_key' "rk-$t.json")" \
		"$t: JSON public key is the .pub line"
	assert_eq "fido2-attestation packed true" \
		"$(jq -r '.keys[0].proof | "\(.kind) \(.format) \(.verified)"' "rk-$t.json")" \
		"$t: the proof in JSON"
	assert_eq true "$(jq '.keys[0].proven_on_token' "rk-$t.json")" "$t: proven"

	expect_exit 0 "$HWKEY" keygen "$DEV" --type "$t" -o "nt-$t" --no-touch-required
	check_key "nt-$t" "$t" 00 ssh:
done
# The resident credentials are on the device (its state), user id "alice".
assert_eq 2 "$(grep -c 'rk=1' "$FIDO2SIM_LOG")" "two resident credentials made"

# verify-required needs a PIN: the device has none, so it says how to set one.
expect_exit 9 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o vr --verify-required
assert_contains "$(cat err)" "has no PIN; set one with hwkey pin set" "verify-required without a PIN"
[ ! -e vr ] && [ ! -e vr.pub ] || fail "nothing written without a PIN"
pass

# Refused before the device is touched: existing files, missing -o, options
# of the other backend, bad application and user.
n=$(grep -c makeCredential "$FIDO2SIM_LOG")
expect_exit 13 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o ecdsa-sk
assert_contains "$(cat err)" "ecdsa-sk exists" "existing key-handle file refused"
before=$(cat ecdsa-sk.pub)
expect_exit 2 "$HWKEY" keygen "$DEV" --type ecdsa-sk
assert_contains "$(cat err)" "needs -o FILE" "-o required"
for o in "--id 01" "--module /nonexistent.so" "--count 2" "--so-pin env:X"; do
	# shellcheck disable=SC2086
	expect_exit 2 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o x $o
	assert_contains "$(cat err)" "is a PKCS#11 option" "fido: refuses ${o%% *}"
done
expect_exit 2 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o x --application web:x
assert_contains "$(cat err)" 'must start with "ssh:"' "application checked"
expect_exit 2 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o x --user 0123456789abcdef0123456789abcdef
assert_contains "$(cat err)" "1 to 31 bytes" "user length checked"
for o in --resident --verify-required --no-touch-required "--user bob" "--application ssh:x" \
	"--attestation a" "--attestation-roots d" "--challenge c" --allow-self-attestation; do
	# shellcheck disable=SC2086
	expect_exit 2 "$HWKEY" keygen "pkcs11:token=none" --type ecdsa-p256 --label l $o
	assert_contains "$(cat err)" "is for fido: security keys" "pkcs11: refuses ${o%% *}"
done
head -c 300 /dev/zero >big-challenge
: >empty-challenge
expect_exit 2 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o x --challenge big-challenge
assert_contains "$(cat err)" "--challenge big-challenge is 300 bytes; at most 256" "challenge size checked"
expect_exit 2 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o x --challenge empty-challenge
assert_contains "$(cat err)" "is empty" "empty challenge refused"
expect_exit 2 "$HWKEY" keygen "$DEV" --type nosuch -o x --challenge big-challenge
expect_exit 3 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o x --challenge no-such-file
assert_contains "$(cat err)" "no-such-file" "missing challenge file named"
expect_exit 2 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o x --attestation-roots nosuchdir
assert_contains "$(cat err)" "--attestation-roots nosuchdir is not a directory" "roots dir checked first"
expect_exit 3 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o nosuchdir/key
assert_contains "$(cat err)" "nosuchdir/key: cannot write a file in its directory" \
	"the output directory checked first"
expect_exit 12 "$HWKEY" keygen "$DEV" --type ed25519 -o x
assert_contains "$(cat err)" "makes ecdsa-sk and ed25519-sk keys" "non-sk type refused"
assert_eq "$n" "$(grep -c makeCredential "$FIDO2SIM_LOG")" "the device was not asked for any of these"
assert_eq "$before" "$(cat ecdsa-sk.pub)" "the existing file is untouched"
[ ! -e x ] || fail "nothing written by refused keygens"
pass
# --force replaces the files with a new key.
expect_exit 0 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o ecdsa-sk --force
check_key ecdsa-sk ecdsa-sk 01 ssh:
[ "$before" != "$(cat ecdsa-sk.pub)" ] || fail "--force wrote the new key"
pass

# Interrupted while the device waits for the touch: the request is cancelled
# on the device (CTAPHID_CANCEL, answered KEEPALIVE_CANCEL), exit 16, nothing
# written. (SIGTERM: a script's background job ignores SIGINT.)
hk_fido2sim_restart --touch-delay 60000
"$HWKEY" keygen "$DEV" --type ecdsa-sk -o stopped >stopped.out 2>stopped.err &
kg=$!
for _ in $(seq 200); do
	grep -q "Touch your security key" stopped.err 2>/dev/null && break
	sleep 0.05
done
assert_contains "$(cat stopped.err)" "Touch your security key" "the prompt while the device waits"
kill -TERM "$kg"
st=0
wait "$kg" || st=$?
assert_eq 16 "$st" "cancelled during the touch wait"
assert_contains "$(cat stopped.err)" "key generation cancelled while the device waited for a touch" \
	"the cancel named"
assert_contains "$(tail -1 "$FIDO2SIM_LOG")" "makeCredential status=0x2d" \
	"the device got CTAPHID_CANCEL and answered KEEPALIVE_CANCEL"
no_left=$(ls stopped stopped.pub stopped.tmp.* 2>/dev/null || true)
assert_eq "" "$no_left" "nothing written when cancelled during the touch"
hk_fido2sim_restart --touch approve

# --- A device with a PIN: asked for it, wrong PIN says the retries, and
# verify-required sets the UV flag (0x04) the attestation also proves.
hk_fido2sim_stop
printf '%s\n' 246813 >"$HK_TMP/sim-pin"
FIDO2SIM_DIR=$HK_TMP/pinsim hk_fido2sim_start --pin-file "$HK_TMP/sim-pin"
DEV=fido:unix:$FIDO2SIM_SOCKET
printf '%s' 246813 >pin && chmod 600 pin
printf '%s' 111111 >badpin && chmod 600 badpin
expect_exit 9 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o nopin </dev/null
assert_contains "$(cat err)" "PIN for security key $DEV" "the PIN is asked for"
[ ! -e nopin ] || fail "nothing written without the PIN"
pass
expect_exit 7 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o badpin-key --pin file:badpin
assert_contains "$(cat err)" "PIN incorrect, 7 tries left" "wrong PIN with the retries left"
[ ! -e badpin-key ] || fail "nothing written with a wrong PIN"
pass
for t in ecdsa-sk ed25519-sk; do
	expect_exit 0 "$HWKEY" keygen "$DEV" --type "$t" -o "pin-$t" --pin file:pin
	check_key "pin-$t" "$t" 01 ssh:
	expect_exit 0 "$HWKEY" keygen "$DEV" --type "$t" -o "uv-$t" --pin file:pin \
		--verify-required --json
	cp out "uv-$t.json"
	hk_json_valid keygen "uv-$t.json"
	check_key "uv-$t" "$t" 05 ssh:
	assert_contains "$(tail -1 "$FIDO2SIM_LOG")" "prot=3 uv=1" "$t: credProtect 3 with the PIN"
	assert_eq '["touch-required","verify-required"]' "$(jq -c '.keys[0].sk_flags' "uv-$t.json")" \
		"$t: verify-required in JSON"
	expect_exit 0 "$HWKEY" keygen "$DEV" --type "$t" -o "rkuv-$t" --pin file:pin \
		--verify-required --resident --user "bob-$t"
	check_key "rkuv-$t" "$t" 25 ssh:
done
# The PIN never reached an output or the sim's log.
grep -rq 246813 out err "$FIDO2SIM_LOG" && fail "the PIN appeared in output or log"
pass

# A device-made sk key is still not importable into a cloud key pair: the
# capability table's reason, pointing at authorized_keys, before any request.
hk_cloudsim_start
hk_creds_aliyun
for t in ecdsa-sk ed25519-sk; do
	expect_exit 12 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" \
		--region cn-hangzhou --name "sk-$t" "pin-$t.pub"
	assert_contains "$(cat err)" "authorized_keys" "$t: import refusal points to authorized_keys"
done
expect_exit 0 "$HWKEY" cloud list --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou --json
assert_eq 0 "$(jq '[.regions[].keypairs[]] | length' out)" "nothing was imported"

hk_done
