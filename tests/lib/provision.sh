# Sourced by the provisioning tests (after common.sh, cloudsim.sh,
# cloudimport.sh, softhsm.sh): SoftHSM tokens and plans for them, and the
# check that a plan ended with exactly one key per token, one key pair per
# region holding that key, and an inventory that agrees with both. The
# tokens are read with pkcs11-tool and hwkey keys, the cloud with hwkey
# cloud list against hwkey-cloudsim; the inventory only through
# hwkey provision --status (what is compared, never the oracle).

PV_PIN=${PV_PIN:-2468}
PV_SOPIN=86420864
PV_MODULE=${PV_MODULE:-$HK_SOFTHSM_MODULE}

# pv_tokens N PREFIX: tokens PREFIX1..PREFIXN, user PIN $PV_PIN.
pv_tokens() {
	local i
	for i in $(seq "$1"); do
		softhsm2-util --init-token --free --label "$2$i" --pin "$PV_PIN" \
			--so-pin "$PV_SOPIN" >/dev/null || fail "softhsm2-util: token $2$i"
	done
}

# pv_plan FILE N PREFIX REGIONS_JSON [PLAN_NAME]: one entry per token, named PREFIXi-ssh.
pv_plan() {
	local f=$1 n=$2 p=$3 regions=$4 name=${5:-plan-$3} i sep=
	{
		printf '{"plan": "%s", "defaults": {"type": "ecdsa-p256", "label": "ssh", ' "$name"
		printf '"cloud": "aliyun", "regions": %s, "pin": "env:PV_PIN_VAR"},\n "entries": [\n' \
			"$regions"
		for i in $(seq "$n"); do
			printf '%s  {"token": "pkcs11:token=%s%d", "name": "%s%d-ssh"}' "$sep" "$p" "$i" "$p" "$i"
			sep=$',\n'
		done
		printf '\n]}\n'
	} >"$f"
}

# pv_provision ARGS...: hwkey provision against the simulator and the module.
pv_provision() {
	PV_PIN_VAR=$PV_PIN "$HWKEY" provision --module "$PV_MODULE" --endpoint "$CLOUDSIM_URL" \
		--inventory "$PV_INVENTORY" "$@"
}

# pv_check PLAN N PREFIX REGION...: the end state, checked against the tokens
# and the cloud directly, then the inventory against both.
pv_check() {
	local plan=$1 n=$2 p=$3 i r tok nk nprov fp kid line
	shift 3
	"$HWKEY" provision --status --plan "$plan" --inventory "$PV_INVENTORY" --json \
		>"$HK_TMP/pv-status.json" || fail "provision --status failed"
	for r in "$@"; do
		"$HWKEY" cloud list --cloud aliyun --endpoint "$CLOUDSIM_URL" --region "$r" --json \
			>"$HK_TMP/pv-cloud-$r.json" || fail "cloud list $r failed"
	done
	for i in $(seq "$n"); do
		tok="$p$i"
		# The token: exactly one private key (pkcs11-tool, logged in) ...
		nk=$(pkcs11-tool --module "$HK_SOFTHSM_MODULE" --token-label "$tok" --login \
			--pin "$PV_PIN" --list-objects --type privkey 2>/dev/null | grep -c '^Private Key Object')
		[ "$nk" = 1 ] || fail "token $tok holds $nk private keys, expected exactly 1"
		pass
		# ... and hwkey keys agrees: one pair, its id and fingerprint.
		PV_PIN_VAR=$PV_PIN "$HWKEY" keys "pkcs11:token=$tok" --module "$HK_SOFTHSM_MODULE" \
			--pin env:PV_PIN_VAR --json >"$HK_TMP/pv-keys.json" || fail "hwkey keys $tok"
		assert_eq 1 "$(jq '.keys | length' "$HK_TMP/pv-keys.json")" "one key pair on $tok"
		kid=$(jq -r '.keys[0].id' "$HK_TMP/pv-keys.json")
		fp=$(jq -r '.keys[0].fingerprints.sha256' "$HK_TMP/pv-keys.json")
		line=$(jq -r '.keys[0].public_key' "$HK_TMP/pv-keys.json" | awk '{print $1" "$2}')
		# The inventory agrees with the token.
		assert_eq "done" "$(jq -r --arg e "$p$i-ssh" '.entries[] | select(.entry == $e) | .state' \
			"$HK_TMP/pv-status.json")" "inventory: $p$i-ssh done"
		assert_eq "$kid" "$(jq -r --arg e "$p$i-ssh" '.entries[] | select(.entry == $e) | .key_id' \
			"$HK_TMP/pv-status.json")" "inventory key id = the token's for $tok"
		assert_eq "$fp" "$(jq -r --arg e "$p$i-ssh" '.entries[] | select(.entry == $e) | .fingerprint' \
			"$HK_TMP/pv-status.json")" "inventory fingerprint = the token's for $tok"
		for r in "$@"; do
			# The cloud: exactly one pair of that name, holding the token's key.
			nprov=$(jq --arg nm "$p$i-ssh" '[.regions[].keypairs[] | select(.name == $nm)] | length' \
				"$HK_TMP/pv-cloud-$r.json")
			assert_eq 1 "$nprov" "one key pair $p$i-ssh in $r"
			assert_eq "$line" "$(jq -r --arg nm "$p$i-ssh" \
				'.regions[].keypairs[] | select(.name == $nm) | .public_key' \
				"$HK_TMP/pv-cloud-$r.json" | awk '{print $1" "$2}')" \
				"the pair in $r holds $tok's key"
			assert_eq "imported" "$(jq -r --arg e "$p$i-ssh" --arg r "$r" \
				'.entries[] | select(.entry == $e) | .imports[] | select(.region == $r) | .status' \
				"$HK_TMP/pv-status.json")" "inventory: $p$i-ssh verified in $r"
		done
	done
	# Nothing else in the cloud under this prefix.
	for r in "$@"; do
		assert_eq "$n" "$(jq --arg p "$p" '[.regions[].keypairs[] | select(.name | startswith($p))] | length' \
			"$HK_TMP/pv-cloud-$r.json")" "exactly $n pairs with prefix $p in $r"
	done
}
