# FIDO2 PINs and reset against hwkey-fido2sim over fido:unix: (real libfido2):
# a device without a PIN refuses listings and says how to set one (exit 9);
# pin set checks 4..63 bytes before the device sees it (exit 9, no setPIN in
# the sim's log), sets the first PIN from fd:, typed twice on a terminal, and
# refuses a second set (exit 13); pin change with a wrong current PIN exits 7
# naming the tries left (and they match the sim's counter), with the right one
# changes it (old PIN then refused, new one accepted); unblock and --so are
# refused (exit 12); token init resets only after a yes (no terminal and no
# --yes: exit 2, nothing erased; "n" on a terminal: exit 16), a denied touch
# (exit 18) and a timed-out one (exit 18, another message) leave the device
# as it was; a reset clears the PIN and every credential. PINs never appear
# in any output or in the sim's log.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/json.sh"
. "$HK_TESTLIB/fido2sim.sh"

P1=481516
P2=2342abcd
hk_home
# Every command runs through hk_run: its output is kept to grep for the PINs at the end.
# Start the sim's log afresh, keeping what it held for the PIN check at the end.
simlog_reset() { cat "$FIDO2SIM_LOG" >>"$HK_LOG"; : >"$FIDO2SIM_LOG"; }
# The sim's PIN retry counter, through libfido2 (simprobe) rather than hwkey.
retries() { "$HK_SIMPROBE" "$FIDO2SIM_SOCKET" retries | sed -n 's/^retries=//p'; }

hk_fido2sim_start
DEV=fido:unix:$FIDO2SIM_SOCKET
export HWKEY_FIDO_SOCKETS=$FIDO2SIM_SOCKET

# 1. No PIN yet: resident keys cannot be listed; the message says what to do.
hk_run 9 "$HWKEY" keys "$DEV" </dev/null
assert_contains "$(cat err)" "has no PIN" "no PIN: said"
assert_contains "$(cat err)" "hwkey pin set $DEV" "no PIN: the command to set one"
hk_run 9 "$HWKEY" keys "$DEV" --json </dev/null
hk_json_valid keys out
assert_eq HK_ERR_PIN_REQUIRED "$(jq -r .error.code out)" "no PIN: --json error"

# 2. pin set: a 3-byte and a 64-byte PIN are refused before the device sees them.
simlog_reset
hk_run 9 "$HWKEY" pin set "$DEV" --new-pin fd:3 3<<<"123"
assert_contains "$(cat err)" "4 to 63 bytes" "short PIN: the range named"
long=$(printf 'x%.0s' $(seq 64))
hk_run 9 "$HWKEY" pin set "$DEV" --new-pin fd:3 3<<<"$long"
assert_eq 0 "$(grep -c 'clientPIN.*sub=0x03' "$FIDO2SIM_LOG" || true)" "no setPIN sent for a bad length"

# 3. pin set from a terminal: typed twice, a mismatch first; then it is set.
hk_run 0 hk_ptyrun 11112222 11113333 "$P1" "$P1" -- "$HWKEY" pin set "$DEV"
assert_contains "$(cat out)" "do not match" "pin set: mismatch told"
assert_contains "$(cat out)" "PIN of security key $DEV set" "pin set: done"
assert_eq 1 "$(grep -c 'clientPIN.*sub=0x03' "$FIDO2SIM_LOG")" "one setPIN reached the device"
hk_run 0 "$HWKEY" tokens --json
assert_eq true "$(jq --arg u "$DEV" '[.[] | select(.uri==$u)][0].flags | index("user-pin-initialized") != null' out)" \
	"tokens: the device has a PIN now"
export KP=$P1
hk_run 0 "$HWKEY" keys "$DEV" --pin env:KP --json
hk_json_valid keys out
assert_eq 0 "$(jq '.keys | length' out)" "a fresh device has no resident keys"
# A second set: the device has a PIN; change it instead (exit 13).
hk_run 13 "$HWKEY" pin set "$DEV" --new-pin fd:3 3<<<"$P2"
assert_contains "$(cat err)" "hwkey pin change" "second set: points at pin change"

# 4. pin change with a wrong current PIN: exit 7, the tries left named and true.
before=$(retries)
assert_eq 8 "$before" "sim: 8 retries after a right PIN"
hk_run 7 "$HWKEY" pin change "$DEV" --pin fd:4 4<<<"000000" --new-pin fd:3 3<<<"$P2" --json
hk_json_valid pin out
assert_eq HK_ERR_PIN_INCORRECT "$(jq -r .error.code out)" "wrong PIN: code"
assert_contains "$(jq -r .error.message out)" "7 tries left" "wrong PIN: tries named"
assert_eq 7 "$(retries)" "sim: one retry spent, no more"
# The right one changes it; --json as documented.
hk_run 0 "$HWKEY" pin change "$DEV" --pin fd:4 4<<<"$P1" --new-pin fd:3 3<<<"$P2" --json
hk_json_valid pin out
assert_eq "user change changed" "$(jq -r '"\(.pin) \(.action) \(.status)"' out)" "pin change --json"
assert_eq 8 "$(retries)" "sim: retries back to 8"
export KP=$P1
hk_run 7 "$HWKEY" keys "$DEV" --pin env:KP
assert_contains "$(cat err)" "PIN incorrect" "old PIN refused after the change"
export KP=$P2
hk_run 0 "$HWKEY" keys "$DEV" --pin env:KP
# pin change on a terminal: the current PIN once, the new one twice.
hk_run 0 hk_ptyrun "$P2" "$P1" "$P1" -- "$HWKEY" pin change "$DEV"
assert_contains "$(cat out)" "changed" "pin change on a terminal"
export KP=$P1
hk_run 0 "$HWKEY" keys "$DEV" --pin env:KP

# 5. What FIDO2 does not have: unblock, an SO PIN.
hk_run 12 "$HWKEY" pin unblock "$DEV" --new-pin fd:3 3<<<"$P2"
assert_contains "$(cat err)" "hwkey token init $DEV" "unblock: points at a reset"
hk_run 12 "$HWKEY" pin change "$DEV" --so --pin fd:4 4<<<"$P1" --new-pin fd:3 3<<<"$P2"
assert_contains "$(cat err)" "no SO PIN" "--so refused"

# 6. A resident key to see a reset erase (made through libfido2 by simprobe).
SIMPROBE_PIN=$P1 "$HK_SIMPROBE" "$FIDO2SIM_SOCKET" make es256 --rk --rp ssh:reset >/dev/null ||
	fail "simprobe could not make a resident key"
export KP=$P1
hk_run 0 "$HWKEY" keys "$DEV" --pin env:KP --json
assert_eq 1 "$(jq '.keys | length' out)" "one resident key before the reset"

# 7. token init = reset: never without a yes.
simlog_reset
hk_run 2 "$HWKEY" token init "$DEV" </dev/null
assert_contains "$(cat err)" "pass --yes" "no terminal: --yes asked for"
hk_run 16 hk_ptyrun n -- "$HWKEY" token init "$DEV"
assert_contains "$(cat out)" "erases every credential" "the question says what a reset does"
assert_eq 0 "$(grep -c 'cmd=0x07' "$FIDO2SIM_LOG" || true)" "no reset reached the device"
hk_run 2 "$HWKEY" token init "$DEV" --yes --label x
assert_contains "$(cat err)" "no label" "--label refused for fido:"

# A denied touch and a timed-out one: exit 18 each, each its own message.
hk_fido2sim_restart --touch deny
hk_run 18 "$HWKEY" token init "$DEV" --yes --json
hk_json_valid token-init out
assert_eq HK_ERR_TOUCH_DENIED "$(jq -r .error.code out)" "touch deny: code"
assert_contains "$(cat err)" "denied" "touch deny: message"
hk_fido2sim_restart --touch timeout --touch-timeout 300
hk_run 18 "$HWKEY" token init "$DEV" --yes
assert_contains "$(cat err)" "not touched in time" "touch timeout: message"
assert_not_contains "$(cat err)" "denied" "touch timeout: not the denial's message"
hk_fido2sim_restart --touch approve
export KP=$P1
hk_run 0 "$HWKEY" keys "$DEV" --pin env:KP --json
assert_eq 1 "$(jq '.keys | length' out)" "refused resets erased nothing"

# The reset: PIN and credentials gone.
simlog_reset
hk_run 0 "$HWKEY" token init "$DEV" --yes --json
hk_json_valid token-init out
assert_eq reset "$(jq -r .status out)" "token init --json: reset"
assert_eq 1 "$(grep -c 'cmd=0x07' "$FIDO2SIM_LOG")" "one reset reached the device"
hk_run 9 "$HWKEY" keys "$DEV" </dev/null
assert_contains "$(cat err)" "has no PIN" "after the reset: no PIN"
hk_run 0 "$HWKEY" pin set "$DEV" --new-pin fd:3 3<<<"$P2"
export KP=$P2
hk_run 0 "$HWKEY" keys "$DEV" --pin env:KP --json
assert_eq 0 "$(jq '.keys | length' out)" "after the reset: no resident keys"

# 8. The PINs appear nowhere: not in hwkey's output, not in the sim's log.
cat "$FIDO2SIM_DIR"/log* >>"$HK_LOG" 2>/dev/null || true
for p in "$P1" "$P2"; do
	assert_eq 0 "$(grep -c -- "$p" "$HK_LOG" || true)" "PIN $p in no output"
done
hk_done
