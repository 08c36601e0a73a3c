# Tokens are selected by RFC 7512 URI: two tokens on one module are told
# apart by token= and serial=, a URI matching both is an error listing both
# (and hwkey opens no session on either), a URI matching none lists what is
# there, a bad --module says so, and hwkey only ever talks to the token the
# user selected.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"

export SEL_PIN=8642
s_alice=$(hk_softhsm_init alice "$SEL_PIN" 12121212)
s_bob=$(hk_softhsm_init bob "$SEL_PIN" 34343434)
[ -n "$s_alice" ] && [ -n "$s_bob" ] || fail "no serials from softhsm2-util"

for mode in $HK_P11_MODES; do
	hk_mode_begin "$mode"
	args=$(hk_mode_args "$mode")
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" tokens $args --json
	cp out tokens.json
	assert_eq "alice bob" "$(jq -r '[.[] | select(.flags | index("initialized")) | .label] | sort | join(" ")' tokens.json)" \
		"$mode: tokens lists both"
	assert_eq "$s_bob" "$(jq -r '.[] | select(.label=="bob") | .serial' tokens.json)" "$mode: bob serial"
	assert_eq true "$(jq '[.[] | select(.label=="alice") | .keygen | index("ed25519") != null] | all' tokens.json)" \
		"$mode: mechanisms say ed25519"
	# Each listed URI selects exactly its own token.
	for l in alice bob; do
		u=$(jq -r --arg l "$l" '.[] | select(.label==$l) | .uri' tokens.json)
		# shellcheck disable=SC2086
		expect_exit 0 "$HWKEY" keys "$u" $args --no-login --json
		assert_eq "$u" "$(jq -r .token out)" "$mode: URI of $l selects $l"
	done
	# serial= picks bob; the key lands on bob only.
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" keygen "pkcs11:serial=$s_bob" $args --type ecdsa-p256 \
		--label "sel-$mode" --pin env:SEL_PIN
	export SEL_PIN=8642
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" keys pkcs11:token=bob $args --no-login --json
	assert_eq 1 "$(jq --arg l "sel-$mode" '[.keys[] | select(.label==$l)] | length' out)" \
		"$mode: key on bob"
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" keys pkcs11:token=alice $args --no-login --json
	assert_eq 0 "$(jq --arg l "sel-$mode" '[.keys[] | select(.label==$l)] | length' out)" \
		"$mode: not on alice"
	# Ambiguous: both candidates named, exit 4.
	# shellcheck disable=SC2086
	expect_exit 4 "$HWKEY" keygen "pkcs11:model=SoftHSM%20v2" $args --type ed25519 \
		--label amb --pin env:SEL_PIN
	assert_contains "$(cat err)" "more than one token matches" "$mode: ambiguity error"
	assert_contains "$(cat err)" "serial=$s_alice;token=alice" "$mode: ambiguity lists alice"
	assert_contains "$(cat err)" "serial=$s_bob;token=bob" "$mode: ambiguity lists bob"
	export SEL_PIN=8642
	# Nothing matches: exit 4 and the tokens present.
	# shellcheck disable=SC2086
	expect_exit 4 "$HWKEY" keys pkcs11:token=carol $args --pin env:SEL_PIN
	assert_contains "$(cat err)" "no token matches" "$mode: no match"
	assert_contains "$(cat err)" "token=alice" "$mode: no match lists alice"
	assert_contains "$(cat err)" "token=bob" "$mode: no match lists bob"
	export SEL_PIN=8642
done

# Through pkcs11-spy (OpenSC's logging module): sessions and logins only on
# the selected token, none at all when the selection is ambiguous.
if [ -e "$HK_P11_SPY" ]; then
	export PKCS11SPY=$HK_SOFTHSM_MODULE PKCS11SPY_OUTPUT=$HK_TMP/spy.log
	expect_exit 0 "$HWKEY" tokens --module "$HK_P11_SPY" --json
	slot_bob=$(jq -r '.[] | select(.label=="bob") | .slot' out)
	rm -f spy.log
	expect_exit 0 "$HWKEY" keygen pkcs11:token=bob --module "$HK_P11_SPY" --type ecdsa-p256 \
		--label spied --pin env:SEL_PIN
	export SEL_PIN=8642
	want=$(printf '0x%x' "$slot_bob")
	opened=$(grep -A2 ' C_OpenSession$' spy.log | sed -n 's/.*slotID = //p' | sort -u)
	assert_eq "$want" "$opened" "sessions only on bob's slot"
	assert_eq 1 "$(grep -c ' C_Login$' spy.log)" "one login"
	rm -f spy.log
	expect_exit 4 "$HWKEY" keygen "pkcs11:model=SoftHSM%20v2" --module "$HK_P11_SPY" \
		--type ecdsa-p256 --label amb --pin env:SEL_PIN
	export SEL_PIN=8642
	assert_eq 0 "$(grep -c ' C_OpenSession$\| C_Login$' spy.log)" "ambiguous: no session, no login"
	unset PKCS11SPY PKCS11SPY_OUTPUT
fi

# Bad modules and bad URIs.
expect_exit 4 "$HWKEY" tokens --module "$HK_TMP/nonexistent.so"
assert_contains "$(cat err)" "nonexistent.so: No such file" "missing module named"
printf 'not a library\n' >notamodule.so
expect_exit 4 "$HWKEY" tokens --module "$HK_TMP/notamodule.so"
assert_contains "$(cat err)" "notamodule.so" "bad module named"
expect_exit 2 "$HWKEY" keys "pkcs11:token=alice;pin-value=$SEL_PIN" --no-login
assert_contains "$(cat err)" "not taken from URIs" "pin-value refused"
assert_not_contains "$(cat err)" "$SEL_PIN" "pin-value not echoed"
expect_exit 2 "$HWKEY" keys alice --no-login
expect_exit 2 "$HWKEY" keys "pkcs11:token=alice;bogus=1" --no-login
expect_exit 2 "$HWKEY" keys --no-login
hk_done
