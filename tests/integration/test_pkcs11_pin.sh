# PINs: token init and pin set/change/unblock on a fresh SoftHSM slot; a
# wrong PIN exits 7, names CKR_PIN_INCORRECT and the token's PIN state, and
# costs exactly one C_Login (never retried); too-short PINs exit 9; PIN
# sources env:, file: (mode checked) and fd:; PINs never appear in output.
# Also key delete: --yes deletes, no terminal and no --yes refuses.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"

SO=55667788
U1=2468
U2=97531
U3=11335577

for mode in $HK_P11_MODES; do
	hk_mode_begin "$mode"
	args=$(hk_mode_args "$mode")
	label=pin-$mode
	# The free slot's URI from hwkey tokens (it has no label or serial yet).
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" tokens $args --json
	uri0=$(jq -r '[.[] | select(.flags | index("initialized") | not)][0].uri' out)
	assert_contains "$uri0" "slot-id=" "$mode: uninitialized token named by slot-id"
	export SOP=$SO
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" token init "$uri0" $args --label "$label" --so-pin env:SOP </dev/null
	uri="pkcs11:token=$label"
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" tokens $args --json
	assert_eq '["initialized","login-required"]' \
		"$(jq -c --arg l "$label" '.[] | select(.label==$l) | .flags | map(select(. == "initialized" or . == "login-required"))' out)" \
		"$mode: token initialized"
	# Re-initializing an initialized token without a terminal needs --yes.
	export SOP=$SO
	# shellcheck disable=SC2086
	expect_exit 2 "$HWKEY" token init "$uri" $args --label again --so-pin env:SOP </dev/null

	# pin set: the SO PIN from a file (mode 600), the new PIN from a file descriptor.
	printf '%s\n' "$SO" >so.txt
	chmod 600 so.txt
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" pin set "$uri" $args --so-pin file:so.txt --new-pin fd:3 3<<<"$U1"
	export UP=$U1
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" keygen "$uri" $args --type ecdsa-p256 --label pk --pin env:UP
	# A group-readable PIN file is refused before any token call.
	chmod 644 so.txt
	# shellcheck disable=SC2086
	expect_exit 9 "$HWKEY" pin set "$uri" $args --so-pin file:so.txt --new-pin fd:3 3<<<"$U1"
	chmod 600 so.txt

	# pin change: old from env, new from fd; then only the new PIN works.
	export UP=$U1
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" pin change "$uri" $args --pin env:UP --new-pin fd:3 3<<<"$U2" --json
	assert_eq "user change" "$(jq -r '"\(.pin) \(.action)"' out)" "$mode: pin change --json"
	export UP=$U1
	# shellcheck disable=SC2086
	expect_exit 7 "$HWKEY" keys "$uri" $args --pin env:UP
	assert_contains "$(cat err)" "C_Login: CKR_PIN_INCORRECT" "$mode: raw CKR name"
	assert_contains "$(cat err)" "token $label" "$mode: token named"
	assert_contains "$(cat err)" "PIN incorrect" "$mode: text"
	# The failed login is on record: SoftHSM raises pin-count-low until
	# the next good login.
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" tokens $args --json
	assert_eq true "$(jq --arg l "$label" '.[] | select(.label==$l) | .flags | index("pin-count-low") != null' out)" \
		"$mode: pin-count-low after a wrong PIN"
	export UP=$U2
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" keys "$uri" $args --pin env:UP
	assert_contains "$(cat out)" ' pk ' "$mode: new PIN works"

	# Too short for the token: exit 9, refused before C_SetPIN, naming the range.
	export UP=$U2
	# shellcheck disable=SC2086
	expect_exit 9 "$HWKEY" pin change "$uri" $args --pin env:UP --new-pin fd:3 3<<<"12"
	assert_contains "$(cat err)" "PIN must be 4 to 255 characters" "$mode: PIN length"

	# unblock as SO sets a new user PIN; a wrong SO PIN is exit 7.
	printf '%s\n' 00000000 >badso.txt
	chmod 600 badso.txt
	# shellcheck disable=SC2086
	expect_exit 7 "$HWKEY" pin unblock "$uri" $args --so-pin file:badso.txt --new-pin fd:3 3<<<"$U3"
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" pin unblock "$uri" $args --so-pin file:so.txt --new-pin fd:3 3<<<"$U3"
	export UP=$U3
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" keys "$uri" $args --pin env:UP
	# SO PIN change.
	export SOP=$SO
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" pin change "$uri" $args --so --so-pin env:SOP --new-pin fd:3 3<<<"66778899"
	# shellcheck disable=SC2086
	expect_exit 7 "$HWKEY" pin unblock "$uri" $args --so-pin file:so.txt --new-pin fd:3 3<<<"$U3"
	printf '66778899\n' >so.txt
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" pin unblock "$uri" $args --so-pin file:so.txt --new-pin fd:3 3<<<"$U3"

	# key delete: refused without a terminal and --yes; the key stays.
	export UP=$U3
	# shellcheck disable=SC2086
	expect_exit 2 "$HWKEY" key delete "$uri" $args --key pk --pin env:UP </dev/null
	assert_contains "$(cat err)" "--yes" "$mode: delete asks for --yes"
	export UP=$U3
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" keys "$uri" $args --pin env:UP --json
	assert_eq 1 "$(jq '[.keys[] | select(.label=="pk")] | length' out)" "$mode: key kept"
	export UP=$U3
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" key delete "$uri" $args --key pk --pin env:UP --yes --json
	assert_eq pk "$(jq -r .key.label out)" "$mode: delete reports the key"
	export UP=$U3
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" keys "$uri" $args --pin env:UP --json
	assert_eq 0 "$(jq '.keys | length' out)" "$mode: key and its public half deleted"
	# shellcheck disable=SC2086
	expect_exit 4 "$HWKEY" export "$uri" $args --key pk
done

# A wrong PIN costs exactly one C_Login: counted by pkcs11-spy.
if [ -e "$HK_P11_SPY" ]; then
	export PKCS11SPY=$HK_SOFTHSM_MODULE PKCS11SPY_OUTPUT=$HK_TMP/spy.log
	rm -f spy.log
	export UP=0000
	expect_exit 7 "$HWKEY" keygen pkcs11:token=pin-module --module "$HK_P11_SPY" \
		--type ed25519 --label nope --pin env:UP
	assert_eq 1 "$(grep -c ' C_Login$' spy.log)" "wrong PIN: one C_Login, no retry"
	assert_eq 0 "$(grep -c ' C_GenerateKeyPair$' spy.log)" "wrong PIN: no keygen"
	unset PKCS11SPY PKCS11SPY_OUTPUT
fi
for s in "$SO" "$U1" "$U2" "$U3" 66778899; do
	assert_not_contains "$(cat out err)" "$s" "PIN $s never printed"
done
hk_done
