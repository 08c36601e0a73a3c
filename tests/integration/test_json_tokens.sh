# One --json schema for the token commands: tokens, keys, keygen, export,
# key delete, pin set/change/unblock and token init each print one document
# valid under docs/json/<command>.schema.json on success, with a per-item
# failure where the command has items (keygen's batch), and as the one error
# document {"error": {...}} when the whole command fails; the key names are
# those of hwkey-json(7) (fingerprints {sha256, md5}, type, bits, id, label,
# public_key, token). Also item 6 and 7 of issue 8: keys --no-login says
# "not checked"/null, keygen names a taken id, export names a bad -o path
# once, and the keys table fits a long label.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"
. "$HK_TESTLIB/json.sh"
. "$HK_TESTLIB/fido2sim.sh"

export UP=24682468 SOP=55667788
hk_softhsm_init jt "$UP" "$SOP" >/dev/null
URI=pkcs11:token=jt
M=(--module "$HK_SOFTHSM_MODULE")
# valid SCHEMA WHAT: stdout is one document valid under SCHEMA.
valid() { hk_json_valid "$1" "$HK_TMP/out"; }
# failed SCHEMA CODE WHAT: stdout is the error document with that code.
failed() {
	valid "$1"
	assert_eq "$2" "$(jq -r '.error.code' out)" "$3: error code"
	assert_eq "$(jq -r '.error.exit' out)" "$4" "$3: error.exit is the exit status"
}

# tokens
expect_exit 0 "$HWKEY" tokens "${M[@]}" --json
valid tokens
assert_eq 4 "$(jq -r '.[] | select(.label=="jt") | .pin_min_len' out)" "tokens: PIN range"
expect_exit 4 "$HWKEY" tokens --module "$HK_TMP/no-such-module.so" --json
failed tokens HK_ERR_MODULE_LOAD "tokens: no module" 4

# keygen: success; a batch stopped part way (keys made plus error); a whole failure.
expect_exit 0 "$HWKEY" keygen "$URI" "${M[@]}" --type ecdsa-p256 --label one --id 01 \
	--pin env:UP --json
valid keygen
assert_eq 1 "$(jq '.keys | length' out)" "keygen: one key"
assert_eq true "$(jq '.keys[0].fingerprints.sha256 | startswith("SHA256:")' out)" \
	"keygen: fingerprints.sha256"
assert_eq true "$(jq '.keys[0].fingerprints.md5 | startswith("MD5:")' out)" "keygen: fingerprints.md5"
assert_eq null "$(jq '.keys[0].fingerprint_sha256' out)" "keygen: old key name gone"
expect_exit 0 "$HWKEY" keygen "$URI" "${M[@]}" --type ecdsa-p256 --label part-2 --pin env:UP
expect_exit 13 "$HWKEY" keygen "$URI" "${M[@]}" --type ecdsa-p256 --label part --count 3 \
	--pin env:UP --json
valid keygen
assert_eq part-1 "$(jq -r '[.keys[].label] | join(" ")' out)" "keygen batch: the key made"
assert_eq HK_ERR_KEY_EXISTS "$(jq -r '.error.code' out)" "keygen batch: the error beside it"
expect_exit 13 "$HWKEY" keygen "$URI" "${M[@]}" --type ecdsa-p256 --label other --id 01 \
	--pin env:UP --json
failed keygen HK_ERR_KEY_EXISTS "keygen taken id" 13
assert_contains "$(cat err)" "key id 01 already exists on token jt" "keygen: the taken id named"
assert_not_contains "$(cat err)" "given --id" "keygen: no placeholder"

# keys: with a login, without (null for what was not seen), a whole failure.
expect_exit 0 "$HWKEY" keys "$URI" "${M[@]}" --pin env:UP --json
valid keys
assert_eq true "$(jq '[.keys[] | .has_private] | all' out)" "keys: private halves seen"
expect_exit 0 "$HWKEY" keys "$URI" "${M[@]}" --no-login --json
valid keys
assert_eq '[null]' "$(jq -c '[.keys[] | .has_private, .flags, .proven_on_token] | unique' out)" \
	"keys --no-login: null, not false"
expect_exit 0 "$HWKEY" keys "$URI" "${M[@]}" --no-login
assert_contains "$(cat out)" "not checked" "keys --no-login: not checked"
assert_not_contains "$(cat out)" "public-only" "keys --no-login: no public-only guess"
expect_exit 4 "$HWKEY" keys pkcs11:token=nosuch "${M[@]}" --no-login --json
failed keys HK_ERR_TOKEN_NOT_FOUND "keys: no token" 4

# The table's columns fit the longest label.
long=a-label-much-longer-than-any-column-header-would-be
expect_exit 0 "$HWKEY" keygen "$URI" "${M[@]}" --type ecdsa-p256 --label "$long" --pin env:UP
expect_exit 0 "$HWKEY" keys "$URI" "${M[@]}" --pin env:UP
assert_contains "$(cat out)" "$long" "keys: the long label whole"
assert_eq 1 "$(awk 'NR == 1 { print index($0, "TYPE") } NR > 1 { print index($0, " " $3 " ") + 1 }' out |
	sort -u | wc -l)" \
	"keys: the TYPE column starts at one place in every row"

# export: to stdout (text in the document), to a file, a whole failure.
expect_exit 0 "$HWKEY" export "$URI" "${M[@]}" --key one --json
valid export
assert_eq "$(jq -r .key.public_key out | cut -d' ' -f1-2)" "$(jq -r .text out | cut -d' ' -f1-2)" \
	"export: text is the key"
assert_eq null "$(jq .key.has_private out)" "export without --login: not checked"
expect_exit 0 "$HWKEY" export "$URI" "${M[@]}" --key one --json -o one.pub
valid export
assert_eq one.pub "$(jq -r .output out)" "export -o: output named"
expect_exit 3 "$HWKEY" export "$URI" "${M[@]}" --key one --json -o /nonexistent/dir/x.pub
failed export HK_ERR_IO "export to a missing directory" 3
assert_contains "$(cat err)" "/nonexistent/dir/x.pub" "export: the path named"
assert_not_contains "$(cat err)" "input/output error" "export: no stray input/output error"
assert_eq 1 "$(grep -o 'No such file or directory' err | wc -l)" "export: the reason once"
expect_exit 4 "$HWKEY" export "$URI" "${M[@]}" --key nosuch --json
failed export HK_ERR_KEY_NOT_FOUND "export: no key" 4

# key delete
expect_exit 0 "$HWKEY" key delete "$URI" "${M[@]}" --key part-1 --pin env:UP --yes --json
valid key-delete
assert_eq part-1 "$(jq -r .key.label out)" "key delete: the key"
expect_exit 4 "$HWKEY" key delete "$URI" "${M[@]}" --key part-1 --pin env:UP --yes --json
failed key-delete HK_ERR_KEY_NOT_FOUND "key delete: gone" 4

# pin set / change / unblock
expect_exit 0 "$HWKEY" pin change "$URI" "${M[@]}" --pin env:UP --new-pin fd:3 --json 3<<<"13571357"
valid pin
assert_eq changed "$(jq -r .status out)" "pin change: status"
export UP=13571357
expect_exit 0 "$HWKEY" pin unblock "$URI" "${M[@]}" --so-pin env:SOP --new-pin fd:3 --json 3<<<"24682468"
valid pin
assert_eq unblocked "$(jq -r .status out)" "pin unblock: status"
expect_exit 0 "$HWKEY" pin set "$URI" "${M[@]}" --so-pin env:SOP --new-pin fd:3 --json 3<<<"13571357"
valid pin
export BAD=00000000
expect_exit 7 "$HWKEY" pin change "$URI" "${M[@]}" --pin env:BAD --new-pin fd:3 --json 3<<<"99999999"
failed pin HK_ERR_PIN_INCORRECT "pin change: wrong PIN" 7
expect_exit 9 "$HWKEY" pin set "$URI" "${M[@]}" --so-pin env:SOP --new-pin fd:3 --json 3<<<"12"
failed pin HK_ERR_PIN_LEN_RANGE "pin set: too short" 9

# token init: a fresh slot; an initialized token without a terminal or --yes.
expect_exit 0 "$HWKEY" tokens "${M[@]}" --json
uri0=$(jq -r '[.[] | select(.flags | index("initialized") | not)][0].uri' out)
expect_exit 0 "$HWKEY" token init "$uri0" "${M[@]}" --label jt2 --so-pin env:SOP --json </dev/null
valid token-init
assert_eq initialized "$(jq -r .status out)" "token init: status"
expect_exit 2 setsid -w "$HWKEY" token init "$URI" "${M[@]}" --label again --so-pin env:SOP \
	--json </dev/null
failed token-init HK_ERR_USAGE "token init: no terminal" 2

# FIDO2 devices beside the PKCS#11 tokens: the sim (with a PIN) and a socket
# nobody answers on, listed with the reason; --module lists PKCS#11 only.
printf '%s\n' 8642 >"$HK_TMP/fido-pin"
chmod 600 "$HK_TMP/fido-pin"
hk_fido2sim_start --pin-file "$HK_TMP/fido-pin" --aaguid 00112233445566778899aabbccddeeff
export HWKEY_FIDO_SOCKETS=$FIDO2SIM_SOCKET:$HK_TMP/nobody.sock
FDEV=fido:unix:$FIDO2SIM_SOCKET
expect_exit 0 "$HWKEY" tokens --json
valid tokens
f=$(jq -c --arg u "$FDEV" '.[] | select(.uri == $u)' out)
assert_eq fido2 "$(jq -r .backend <<<"$f")" "tokens: the sim is a fido2 device"
assert_eq 00112233445566778899aabbccddeeff "$(jq -r .fido2.aaguid <<<"$f")" "tokens: AAGUID"
assert_eq '["FIDO_2_0","FIDO_2_1"]' "$(jq -c .fido2.versions <<<"$f")" "tokens: CTAP versions"
assert_eq "true true true" "$(jq -r '.fido2.options | "\(.rk) \(.clientPin) \(.credMgmt)"' <<<"$f")" \
	"tokens: options rk, clientPin, credMgmt"
assert_eq null "$(jq -r '.fido2.options.uv' <<<"$f")" "tokens: uv not reported by the sim"
assert_eq '["es256","eddsa"]' "$(jq -c .fido2.algorithms <<<"$f")" "tokens: algorithms"
assert_eq '["ecdsa-sk","ed25519-sk"]' "$(jq -c .keygen <<<"$f")" "tokens: sk kinds it makes"
assert_eq "true 8" "$(jq -r '.fido2 | "\(.pin_set) \(.pin_retries)"' <<<"$f")" "tokens: PIN retries"
assert_eq '[1,2]' "$(jq -c .fido2.pin_protocols <<<"$f")" "tokens: PIN protocols"
d=$(jq -c --arg u "fido:unix:$HK_TMP/nobody.sock" '.[] | select(.uri == $u)' out)
assert_eq null "$(jq -r .fido2 <<<"$d")" "tokens: an unreadable device has no info"
assert_contains "$(jq -r .error <<<"$d")" "no such device" "tokens: and says why"
expect_exit 0 "$HWKEY" tokens
assert_contains "$(cat out)" "$FDEV: FIDO2 device on a socket" "tokens text: the device"
assert_contains "$(cat out)" "options: rk=yes uv=unsupported clientPin=yes credMgmt=yes" \
	"tokens text: the options hwkey relies on"
assert_contains "$(cat out)" "algorithms: es256 eddsa" "tokens text: algorithms"
assert_contains "$(cat out)" "pin: set, 8 retries left" "tokens text: PIN retries"
assert_contains "$(cat out)" "aaguid: 00112233445566778899aabbccddeeff" "tokens text: AAGUID"
assert_contains "$(cat out)" "error: fido:unix:$HK_TMP/nobody.sock: no such device" \
	"tokens text: the unreadable device and why"
expect_exit 0 "$HWKEY" tokens "${M[@]}" --json
valid tokens
assert_eq 0 "$(jq '[.[] | select(.backend == "fido2")] | length' out)" "tokens --module: PKCS#11 only"
# keygen --json of a FIDO2 key, and its failure document.
expect_exit 0 "$HWKEY" keygen "$FDEV" --type ed25519-sk -o fk --pin file:"$HK_TMP/fido-pin" --json
valid keygen
assert_eq "fido2-attestation true" "$(jq -r '.keys[0].proof | "\(.kind) \(.verified)"' out)" \
	"keygen fido: the proof"
expect_exit 9 "$HWKEY" keygen "$FDEV" --type ed25519-sk -o fk2 --json </dev/null
failed keygen HK_ERR_PIN_REQUIRED "keygen fido: no PIN source" 9
unset HWKEY_FIDO_SOCKETS

# A usage error found after the options were read is the error document too.
for c in "tokens extra" "keys" "keygen $URI" "export" "key delete" "pin set" "pin change" \
	"pin unblock" "token init $URI"; do
	set -- $c
	case $1 in key) schema=key-delete ;; token) schema=token-init ;; *) schema=$1 ;; esac
	expect_exit 2 "$HWKEY" "$@" --json
	failed "$schema" HK_ERR_USAGE "$c: usage" 2
done
hk_done
