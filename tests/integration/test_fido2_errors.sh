# Every FIDO2 error path has its message and exit status (docs/hwkey.1 EXIT
# STATUS), through real libfido2 against hwkey-fido2sim over fido:unix:, and
# none leaves a file behind: no permission on a hidraw node (a node of our own
# in a private directory, hwkey run as nobody: exit 17, points at udev/); no
# device (exit 5); PIN required (a device with a PIN, no PIN source: exit 9);
# a wrong PIN (exit 7, the tries left named and equal to the sim's counter);
# the PIN blocked once the retries are spent (exit 8, points at a reset, and
# then even the right PIN is refused); touch denied and touch timed out (exit
# 18 each, distinct messages); algorithm unsupported (exit 12); resident keys
# on a device without them (sim --no-rk: exit 12); credential exists (exit
# 13). --json gives each as the schema's error document. The PIN appears in
# no output.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/json.sh"
. "$HK_TESTLIB/fido2sim.sh"

PIN=20461357
hk_home
printf '%s\n' "$PIN" >"$HK_TMP/pin"
printf '%s\n' 99999999 >"$HK_TMP/wrong"
chmod 600 "$HK_TMP/pin" "$HK_TMP/wrong"
PS=(--pin "file:$HK_TMP/pin")
WS=(--pin "file:$HK_TMP/wrong")
# A failure under --json: the schema's error document with this code and exit.
json_error() {
	hk_json_valid keygen out
	assert_eq "$1 $2" "$(jq -r '"\(.error.code) \(.error.exit)"' out)" "$3: --json error"
}
nofiles() {
	[ ! -e "$1" ] && [ ! -e "$1.pub" ] || fail "$2: left $1 behind"
	pass
}
retries() { "$HK_SIMPROBE" "$FIDO2SIM_SOCKET" retries | sed -n 's/^retries=//p'; }
kg() { "$HWKEY" keygen "$DEV" --type ecdsa-sk "$@"; }

# 1. No permission on the device node: a node we make, mode 0600 root, in a
# directory of our own; hwkey runs as nobody.
chmod 711 "$HK_TMP"
mkdir -m 755 "$HK_TMP/dev"
mknod -m 600 "$HK_TMP/dev/hidraw0" c 1 3
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups -- env HOME=/nonexistent)
hk_run 17 "${NOBODY[@]}" "$HWKEY" keys "fido:$HK_TMP/dev/hidraw0"
assert_contains "$(cat err)" "no permission to open $HK_TMP/dev/hidraw0" "permission: the node named"
assert_contains "$(cat err)" "udev/70-hwkey.rules" "permission: points at udev/"
# (keygen checks its output directory first: give nobody one it may write.)
mkdir -m 777 "$HK_TMP/nobody"
hk_run 17 "${NOBODY[@]}" "$HWKEY" keygen "fido:$HK_TMP/dev/hidraw0" --type ecdsa-sk -o "$HK_TMP/nobody/k" --json
json_error HK_ERR_DEVICE_PERMISSION 17 "permission"
nofiles "$HK_TMP/nobody/k" "permission"

# 2. No device: no such node, and a socket nothing answers on.
hk_run 5 "$HWKEY" keys "fido:unix:$HK_TMP/nothing"
assert_contains "$(cat err)" "no such device" "absent: said"

hk_fido2sim_start --pin-file "$HK_TMP/pin"
DEV=fido:unix:$FIDO2SIM_SOCKET

# 3. PIN required: the device has a PIN and no source gives one (no terminal).
hk_run 9 kg -o k </dev/null
assert_contains "$(cat err)" "PIN required" "PIN required: keygen"
nofiles k "PIN required"
hk_run 9 "$HWKEY" keys "$DEV" --json </dev/null
hk_json_valid keys out
assert_eq HK_ERR_PIN_REQUIRED "$(jq -r .error.code out)" "PIN required: keys --json"

# 4. A wrong PIN: exit 7, the tries left named, exactly one spent.
assert_eq 8 "$(retries)" "sim: 8 retries at start"
hk_run 7 kg "${WS[@]}" -o k
assert_contains "$(cat err)" "PIN incorrect, 7 tries left" "wrong PIN: keygen names the tries"
nofiles k "wrong PIN"
assert_eq 7 "$(retries)" "wrong PIN: one retry spent"
hk_run 7 "$HWKEY" keys "$DEV" "${WS[@]}" --json
hk_json_valid keys out
assert_contains "$(jq -r .error.message out)" "6 tries left" "wrong PIN: keys names the tries"
# The third wrong PIN in a row (three processes: the device keeps the
# streak until it is power-cycled) locks PIN use: exit 8, "reinsert".
hk_run 8 "$HWKEY" key delete "$DEV" "${WS[@]}" --key x --yes --json
hk_json_valid key-delete out
assert_eq "HK_ERR_PIN_AUTH_BLOCKED 8" "$(jq -r '"\(.error.code) \(.error.exit)"' out)" "three in a row: code and exit"
assert_contains "$(jq -r .error.message out)" "remove and reinsert" "three in a row: says to reinsert"
hk_run 8 "$HWKEY" keys "$DEV" "${PS[@]}"
assert_contains "$(cat err)" "remove and reinsert" "three in a row: even the right PIN waits for a power cycle"
# A power cycle, then the right PIN resets the counter.
hk_fido2sim_restart --pin-file "$HK_TMP/pin"
hk_run 0 "$HWKEY" keys "$DEV" "${PS[@]}"
assert_eq 8 "$(retries)" "right PIN: retries back to 8"

# 5. The PIN blocked: spend all 8 (a restart, a power cycle, every two so that
# three in a row never lock the session first).
for i in 1 2 3 4 5 6 7; do
	hk_run 7 "$HWKEY" keys "$DEV" "${WS[@]}"
	[ $((i % 2)) -eq 0 ] && hk_fido2sim_restart --pin-file "$HK_TMP/pin"
done
assert_contains "$(cat err)" "1 try left" "one try left: said"
hk_run 8 "$HWKEY" keys "$DEV" "${WS[@]}" --json
hk_json_valid keys out
assert_eq "HK_ERR_PIN_LOCKED 8" "$(jq -r '"\(.error.code) \(.error.exit)"' out)" "PIN blocked: code and exit"
assert_contains "$(jq -r .error.message out)" "hwkey token init $DEV" "PIN blocked: points at a reset"
assert_eq 0 "$(retries)" "sim: no retries left"
# Now even the right PIN is refused, without spending anything.
hk_run 8 "$HWKEY" keys "$DEV" "${PS[@]}"
assert_contains "$(cat err)" "PIN blocked" "blocked: the right PIN too"
hk_run 8 kg "${PS[@]}" -o k
nofiles k "PIN blocked"
# A reset is the way out (it erases everything).
hk_run 0 "$HWKEY" token init "$DEV" --yes
hk_run 0 "$HWKEY" pin set "$DEV" --new-pin "file:$HK_TMP/pin"

# 6. Touch denied and timed out: exit 18 each, each its own message.
hk_fido2sim_restart --touch deny
hk_run 18 kg "${PS[@]}" -o k
assert_contains "$(cat err)" "denied the operation" "touch denied: message"
nofiles k "touch denied"
hk_run 18 kg "${PS[@]}" -o k --json
json_error HK_ERR_TOUCH_DENIED 18 "touch denied"
hk_fido2sim_restart --touch timeout --touch-timeout 300
hk_run 18 kg "${PS[@]}" -o k --resident
assert_contains "$(cat err)" "not touched in time" "touch timeout: message"
assert_not_contains "$(cat err)" "denied" "touch timeout: not the denial"
nofiles k "touch timeout"
hk_run 18 kg "${PS[@]}" -o k --json
json_error HK_ERR_TOUCH_TIMEOUT 18 "touch timeout"
hk_fido2sim_restart --touch approve
hk_run 0 "$HWKEY" keys "$DEV" "${PS[@]}" --json
assert_eq 0 "$(jq '.keys | length' out)" "no resident key from the refused touches"

# 7. Algorithm unsupported: a FIDO2 device makes sk keys only.
hk_run 12 "$HWKEY" keygen "$DEV" "${PS[@]}" --type rsa2048 -o k
assert_contains "$(cat err)" "ecdsa-sk and ed25519-sk" "algorithm: what the device makes"
nofiles k "algorithm"
hk_run 12 "$HWKEY" keygen "$DEV" "${PS[@]}" --type ed25519 -o k --json
json_error HK_ERR_MECHANISM 12 "algorithm"

# A CTAP 2.0 device that lists no algorithms makes ES256 only (the one CTAP
# requires): ed25519-sk is refused before the device is asked.
hk_fido2sim_stop
FIDO2SIM_DIR=$HK_TMP/ctap20 hk_fido2sim_start --ctap 2.0 --pin-file "$HK_TMP/pin"
DEV20=fido:unix:$FIDO2SIM_SOCKET
hk_run 12 "$HWKEY" keygen "$DEV20" "${PS[@]}" --type ed25519-sk -o k
assert_contains "$(cat err)" "does not support ed25519-sk" "algorithm: the device's own list"
nofiles k "algorithm (device)"
assert_eq 0 "$(grep -c makeCredential "$FIDO2SIM_LOG" || true)" "algorithm: no makeCredential sent"
cat "$FIDO2SIM_LOG" >>"$HK_LOG"
hk_fido2sim_stop
FIDO2SIM_DIR=$HK_TMP/fido2sim hk_fido2sim_start --pin-file "$HK_TMP/pin"

# 8. Credential exists: a second resident key for the same application and user.
hk_run 0 kg "${PS[@]}" --resident --application ssh:dup --user u -o first
hk_run 13 kg "${PS[@]}" --resident --application ssh:dup --user u -o second
assert_contains "$(cat err)" "already exists; delete it first (hwkey key delete)" "credential exists: message"
nofiles second "credential exists"
hk_run 13 kg "${PS[@]}" --resident --application ssh:dup --user u -o second --json
json_error HK_ERR_CREDENTIAL_EXISTS 13 "credential exists"
hk_run 0 "$HWKEY" keys "$DEV" "${PS[@]}" --json
assert_eq 1 "$(jq '.keys | length' out)" "credential exists: still one"

# 9. Option unsupported: resident keys on a device without them.
hk_fido2sim_stop
FIDO2SIM_DIR=$HK_TMP/norks hk_fido2sim_start --no-rk --pin-file "$HK_TMP/pin"
DEV=fido:unix:$FIDO2SIM_SOCKET
hk_run 12 kg "${PS[@]}" --resident -o k
assert_contains "$(cat err)" "does not store resident keys" "no rk: message"
nofiles k "no rk"
hk_run 12 kg "${PS[@]}" --resident -o k --json
json_error HK_ERR_NOT_SUPPORTED 12 "no rk"
# Non-resident keys still work there.
hk_run 0 kg "${PS[@]}" -o k
ssh-keygen -l -f k.pub >/dev/null || fail "no rk: the non-resident key"
pass

# 10. The PIN appears in no output and not in the sims' logs.
cat "$HK_TMP"/fido2sim/log "$HK_TMP"/norks/log >>"$HK_LOG" 2>/dev/null || true
assert_eq 0 "$(grep -c -- "$PIN" "$HK_LOG" || true)" "the PIN is in no output"
hk_done
