# hwkey keygen makes every key type on a SoftHSM token, through the module,
# p11-kit-proxy and the p11-kit registry; the read-back flags prove each
# private key is local and unextractable, the token itself refuses to reveal
# the secret attributes, ssh-keygen agrees with the fingerprints, and ids and
# labels are never silently reused.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"

export KG_PIN=24681357
TYPES="rsa2048 rsa3072 rsa4096 ecdsa-p256 ecdsa-p384 ecdsa-p521 ed25519"
declare -A SSHTYPE=([rsa2048]=ssh-rsa [rsa3072]=ssh-rsa [rsa4096]=ssh-rsa
	[ecdsa-p256]=ecdsa-sha2-nistp256 [ecdsa-p384]=ecdsa-sha2-nistp384
	[ecdsa-p521]=ecdsa-sha2-nistp521 [ed25519]=ssh-ed25519)
declare -A BITS=([rsa2048]=2048 [rsa3072]=3072 [rsa4096]=4096 [ecdsa-p256]=256
	[ecdsa-p384]=384 [ecdsa-p521]=521 [ed25519]=256)

for mode in $HK_P11_MODES; do
	hk_mode_begin "$mode"
	tok=kg-$mode
	hk_softhsm_init "$tok" "$KG_PIN" 11223344 >/dev/null
	args=$(hk_mode_args "$mode")
	uri="pkcs11:token=$tok"
	for t in $TYPES; do
		# shellcheck disable=SC2086
		expect_exit 0 "$HWKEY" keygen "$uri" $args --type "$t" --label "key-$t" \
			--pin env:KG_PIN -o "$t.pub"
		export KG_PIN=24681357	# env: sources are unset after use
		mv out "$t.out"
		line=$(head -1 "$t.out")
		assert_eq "$line" "$(cat "$t.pub")" "$mode $t: -o FILE holds the printed line"
		read -r ktype _ kcomment <<<"$line"
		assert_eq "${SSHTYPE[$t]}" "$ktype" "$mode $t: key type"
		assert_eq "key-$t" "$kcomment" "$mode $t: comment is the label"
		# ssh-keygen, not hwkey, computes the fingerprint that must match.
		want=$(ssh-keygen -l -f "$t.pub")
		assert_eq "$want" "$(sed -n 2p "$t.out")" "$mode $t: SHA256 line equals ssh-keygen -l"
		assert_eq "$(ssh-keygen -l -E md5 -f "$t.pub")" "$(sed -n 3p "$t.out")" \
			"$mode $t: MD5 line equals ssh-keygen -l -E md5"
		assert_contains "$(cat err)" "local,never-extractable,always-sensitive,sensitive" \
			"$mode $t: flags reported"
	done

	# keys --json: the flags as the token reports them now.
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" keys "$uri" $args --pin env:KG_PIN --json
	export KG_PIN=24681357
	cp out keys.json
	assert_eq 7 "$(jq '.keys | length' keys.json)" "$mode: seven keys listed"
	for t in $TYPES; do
		k=$(jq -c --arg l "key-$t" '.keys[] | select(.label == $l)' keys.json)
		assert_eq "$t" "$(jq -r .type <<<"$k")" "$mode $t: type in keys"
		assert_eq "${BITS[$t]}" "$(jq -r .bits <<<"$k")" "$mode $t: bits in keys"
		assert_eq true "$(jq -r .proven_on_token <<<"$k")" "$mode $t: proven"
		for f in local never-extractable always-sensitive sensitive private; do
			assert_eq true "$(jq --arg f "$f" '.flags | index($f) != null' <<<"$k")" \
				"$mode $t: flag $f"
		done
		assert_eq false "$(jq '.flags | index("extractable") != null' <<<"$k")" \
			"$mode $t: not extractable"
		assert_eq "$(ssh-keygen -l -f "$t.pub" | awk '{print $2}')" \
			"$(jq -r .fingerprints.sha256 <<<"$k")" "$mode $t: keys fingerprint"
		# The token itself refuses the secret attributes.
		id=$(jq -r .id <<<"$k")
		HK_PROBE_PIN=$KG_PIN "$HK_P11PROBE" "$HK_SOFTHSM_MODULE" "$tok" "$id" >probe.txt ||
			fail "$mode $t: p11probe failed: $(cat probe.txt)"
		if [[ $t == rsa* ]]; then
			assert_eq "CKA_PRIVATE_EXPONENT CKR_ATTRIBUTE_SENSITIVE
CKA_PRIME_1 CKR_ATTRIBUTE_SENSITIVE" "$(cat probe.txt)" "$mode $t: RSA secrets sensitive"
		else
			assert_eq "CKA_VALUE CKR_ATTRIBUTE_SENSITIVE" "$(cat probe.txt)" \
				"$mode $t: EC secret sensitive"
		fi
	done
done

# Reuse refusals and --force, and --count, on the module directly.
args=$(hk_mode_args module)
uri=pkcs11:token=kg-module
# shellcheck disable=SC2086
expect_exit 13 "$HWKEY" keygen "$uri" $args --type ecdsa-p256 --label key-ed25519 --pin env:KG_PIN
assert_contains "$(cat err)" "already exists" "label reuse refused"
export KG_PIN=24681357
# shellcheck disable=SC2086
expect_exit 0 "$HWKEY" keygen "$uri" $args --type ecdsa-p256 --label idkey --id 0a0b0c --pin env:KG_PIN
export KG_PIN=24681357
# shellcheck disable=SC2086
expect_exit 13 "$HWKEY" keygen "$uri" $args --type ecdsa-p256 --label other --id 0A0B0C --pin env:KG_PIN
export KG_PIN=24681357
old=$(ssh-keygen -l -f ed25519.pub | awk '{print $2}')
# shellcheck disable=SC2086
expect_exit 0 "$HWKEY" keygen "$uri" $args --type ed25519 --label key-ed25519 --force --pin env:KG_PIN
export KG_PIN=24681357
# shellcheck disable=SC2086
expect_exit 0 "$HWKEY" keys "$uri" $args --pin env:KG_PIN --json
export KG_PIN=24681357
assert_eq 1 "$(jq '[.keys[] | select(.label == "key-ed25519")] | length' out)" \
	"--force leaves exactly one key with the label"
new=$(jq -r '.keys[] | select(.label == "key-ed25519") | .fingerprints.sha256' out)
[ "$new" != "$old" ] || fail "--force did not replace the key"
pass
assert_eq 0a0b0c "$(jq -r '.keys[] | select(.label == "idkey") | .id' out)" "--id is CKA_ID"

# --count: N keys with one login, labels L-1..L-N.
# shellcheck disable=SC2086
expect_exit 0 "$HWKEY" keygen "$uri" $args --type ecdsa-p256 --label batch --count 3 \
	--pin env:KG_PIN --json
export KG_PIN=24681357
assert_eq "batch-1 batch-2 batch-3" "$(jq -r '[.keys[].label] | join(" ")' out)" "--count labels"
assert_eq 3 "$(jq -r '[.keys[].id] | unique | length' out)" "--count ids are distinct"
assert_eq 3 "$(jq -r '[.keys[] | select(.proven_on_token)] | length' out)" "--count keys proven"
# A batch checks labels against an index read once: a label taken before the
# batch (batch-2 made by pkcs11-tool, by a process that is not hwkey) and one
# the batch itself made are both refused.
pkcs11-tool --module "$HK_SOFTHSM_MODULE" --token-label kg-module --login --pin "$KG_PIN" \
	--keypairgen --key-type EC:prime256v1 --label again-2 --id 77 >/dev/null 2>&1 ||
	fail "pkcs11-tool could not make again-2"
# shellcheck disable=SC2086
expect_exit 13 "$HWKEY" keygen "$uri" $args --type ecdsa-p256 --label again --count 3 \
	--pin env:KG_PIN
export KG_PIN=24681357
assert_contains "$(cat err)" 'label "again-2" already exists' "batch refuses a label made elsewhere"
# shellcheck disable=SC2086
expect_exit 13 "$HWKEY" keygen "$uri" $args --type ecdsa-p256 --label batch --count 2 \
	--pin env:KG_PIN
export KG_PIN=24681357
assert_contains "$(cat err)" 'label "batch-1" already exists' "batch refuses its own earlier labels"
# A batch that fails half way: the key made before the failure stays on the
# token, is printed (JSON too) and written to -o; the exit status is the
# failure's own (13), as hwkey-keygen(1) says.
pkcs11-tool --module "$HK_SOFTHSM_MODULE" --token-label kg-module --login --pin "$KG_PIN" \
	--keypairgen --key-type EC:prime256v1 --label part-2 --id 78 >/dev/null 2>&1 ||
	fail "pkcs11-tool could not make part-2"
# shellcheck disable=SC2086
expect_exit 13 "$HWKEY" keygen "$uri" $args --type ed25519 --label part --count 3 \
	--pin env:KG_PIN --json -o part.pub -C "batch comment"
export KG_PIN=24681357
assert_contains "$(cat err)" 'label "part-2" already exists' "partial batch: the failure"
assert_eq "part-1" "$(jq -r '[.keys[].label] | join(" ")' out)" "partial batch: the key made is reported"
assert_eq true "$(jq '.keys[0].proven_on_token' out)" "partial batch: the key made is proven"
assert_eq 1 "$(wc -l <part.pub)" "partial batch: -o holds the key made"
assert_eq "$(jq -r '.keys[0].public_key' out)" "$(cat part.pub)" "partial batch: -o is the printed key"
assert_eq "batch comment" "$(cut -d' ' -f3- part.pub)" "partial batch: -C is the comment"
# shellcheck disable=SC2086
expect_exit 0 "$HWKEY" keys "$uri" $args --pin env:KG_PIN --json
export KG_PIN=24681357
assert_eq 1 "$(jq '[.keys[] | select(.label == "part-1")] | length' out)" "partial batch: part-1 stays"
assert_eq 0 "$(jq '[.keys[] | select(.label == "part-3")] | length' out)" "partial batch: stopped at part-2"
# Security-key kinds are known, and a PKCS#11 token refuses them clearly.
# shellcheck disable=SC2086
expect_exit 12 "$HWKEY" keygen "$uri" $args --type ed25519-sk --label sk --pin env:KG_PIN
export KG_PIN=24681357
assert_contains "$(cat err)" "FIDO2" "sk kind: the refusal says where such keys are made"
# tokens --json names the module's real file (for PKCS11Provider / ssh-agent -P).
# shellcheck disable=SC2086
expect_exit 0 "$HWKEY" tokens $args --json
assert_eq "$(realpath "$HK_SOFTHSM_MODULE")" \
	"$(jq -r '.[] | select(.label == "kg-module") | .module_path' out)" "tokens --json module_path"
# Unknown type: a usage error before any token work; the message lists the kinds.
expect_exit 2 "$HWKEY" keygen "$uri" $args --type dsa1024 --label x --pin env:KG_PIN
assert_contains "$(cat err)" "ed25519, ecdsa-sk, ed25519-sk" "unknown type: the kinds listed"
assert_not_contains "$(cat ./*.out err)" "$KG_PIN" "the PIN never appears in output"
hk_done
