# hwkey export gives, for RSA and ECDSA keys, the same OpenSSH type and
# base64 as ssh-keygen -D; Ed25519 as OpenSSL's key converted by ssh-keygen;
# the other formats convert back to the same key with ssh-keygen -i. Keys
# made by pkcs11-tool (not hwkey) too, and selected by id, label or URI.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"

export EX_PIN=1357
SO=97531864

for mode in $HK_P11_MODES; do
	hk_mode_begin "$mode"
	tok=ex-$mode
	hk_softhsm_init "$tok" "$EX_PIN" "$SO" >/dev/null
	args=$(hk_mode_args "$mode")
	mod=$(hk_mode_module "$mode")
	uri="pkcs11:token=$tok"
	for t in rsa2048 ecdsa-p256 ecdsa-p384 ecdsa-p521 ed25519; do
		# shellcheck disable=SC2086
		expect_exit 0 "$HWKEY" keygen "$uri" $args --type "$t" --label "hk-$t" --pin env:EX_PIN
		export EX_PIN=1357
	done
	# Keys hwkey did not make: pkcs11-tool generates them.
	pkcs11-tool --module "$mod" --token-label "$tok" --login --pin "$EX_PIN" \
		--keypairgen --key-type rsa:3072 --id 51 --label pt-rsa >/dev/null 2>&1 ||
		fail "pkcs11-tool keygen rsa"
	pkcs11-tool --module "$mod" --token-label "$tok" --login --pin "$EX_PIN" \
		--keypairgen --key-type EC:secp384r1 --id 52 --label pt-ec >/dev/null 2>&1 ||
		fail "pkcs11-tool keygen ec"
	pkcs11-tool --module "$mod" --token-label "$tok" --login --pin "$EX_PIN" \
		--keypairgen --key-type EC:edwards25519 --id 53 --label pt-ed >/dev/null 2>&1 ||
		fail "pkcs11-tool keygen ed25519"

	# The oracle: ssh-keygen -D through the same module (it skips Ed25519).
	ssh-keygen -D "$mod" 2>/dev/null | awk -v OFS=' ' '{print $1, $2, $3}' | sort >oracle.txt
	for label in hk-rsa2048 hk-ecdsa-p256 hk-ecdsa-p384 hk-ecdsa-p521 pt-rsa pt-ec; do
		# shellcheck disable=SC2086
		expect_exit 0 "$HWKEY" export "$uri" $args --key "$label"
		read -r ty b64 c <out
		assert_eq "$label" "$c" "$mode $label: comment is the label"
		grep -qxF "$ty $b64 $label" oracle.txt ||
			fail "$mode $label: '$ty $b64' is not what ssh-keygen -D printed"
		pass
		cp out "$label.pub"
		# rfc4716 / pem (/ pkcs1 for RSA) decode to the same key with ssh-keygen -i.
		# shellcheck disable=SC2086
		expect_exit 0 "$HWKEY" export "$uri" $args --key "$label" --format rfc4716 -o k.rfc
		assert_eq "$ty $b64" "$(ssh-keygen -i -f k.rfc)" "$mode $label: rfc4716"
		# shellcheck disable=SC2086
		expect_exit 0 "$HWKEY" export "$uri" $args --key "$label" --format pem -o k.pem
		assert_eq "$ty $b64" "$(ssh-keygen -i -m PKCS8 -f k.pem)" "$mode $label: pem"
		if [ "$ty" = ssh-rsa ]; then
			# shellcheck disable=SC2086
			expect_exit 0 "$HWKEY" export "$uri" $args --key "$label" --format pkcs1 -o k.p1
			assert_eq "$ty $b64" "$(ssh-keygen -i -m PEM -f k.p1)" "$mode $label: pkcs1"
		fi
	done
	# Ed25519: ssh-keygen 9.2 cannot read it from PKCS#11; pkcs11-tool's
	# SubjectPublicKeyInfo, decoded by OpenSSL, is the oracle instead.
	for pair in 53:pt-ed "$(jq -r '.keys[] | select(.label=="hk-ed25519") | .id' < <(
		"$HWKEY" keys "$uri" $args --no-login --json)):hk-ed25519"; do
		id=${pair%%:*}
		label=${pair#*:}
		pkcs11-tool --module "$mod" --token-label "$tok" --read-object --type pubkey \
			--id "$id" -o ed.der >/dev/null 2>&1 || fail "$mode: pkcs11-tool read $label"
		# pkcs11-tool 0.23 writes Ed25519 public keys as PEM, older ones as DER.
		openssl pkey -pubin -in ed.der -out ed.pem 2>/dev/null ||
			openssl pkey -pubin -inform DER -in ed.der -out ed.pem 2>/dev/null ||
			fail "$mode: openssl cannot read $label"
		# ssh-keygen 9.2 -i cannot read Ed25519 SPKI: build the RFC 8709 blob
		# from the 32 key bytes OpenSSL extracts.
		openssl pkey -pubin -in ed.pem -outform DER -out ed.spki 2>/dev/null ||
			fail "$mode: openssl DER $label"
		want="ssh-ed25519 $({ printf '\000\000\000\013ssh-ed25519\000\000\000\040'
			tail -c 32 ed.spki; } | base64 -w0)"
		# shellcheck disable=SC2086
		expect_exit 0 "$HWKEY" export "$uri" $args --key "$label"
		assert_eq "$want" "$(awk '{print $1, $2}' out)" "$mode $label: ssh-ed25519 export"
	done

	# Selection: hex id, URI id=, URI object=, and the token URI's own id=.
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" export "$uri" $args --key 51
	assert_eq "$(cat pt-rsa.pub)" "$(cat out)" "$mode: --key by hex id"
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" export "$uri" $args --key "pkcs11:id=%52"
	assert_eq "$(cat pt-ec.pub)" "$(cat out)" "$mode: --key by URI id"
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" export "$uri" $args --key "pkcs11:object=pt-rsa"
	assert_eq "$(cat pt-rsa.pub)" "$(cat out)" "$mode: --key by URI object"
	# shellcheck disable=SC2086
	expect_exit 0 "$HWKEY" export "$uri;id=%52" $args
	assert_eq "$(cat pt-ec.pub)" "$(cat out)" "$mode: key id in the token URI"
	# shellcheck disable=SC2086
	expect_exit 4 "$HWKEY" export "$uri" $args --key nosuchkey
	assert_contains "$(cat err)" "pt-rsa" "$mode: missing key lists the keys present"
	# shellcheck disable=SC2086
	expect_exit 2 "$HWKEY" export "$uri" $args --key pt-rsa --format ppk
done

# Halves without a CKA_ID (pkcs11-tool without --id) pair by their label.
pkcs11-tool --module "$HK_SOFTHSM_MODULE" --token-label ex-module --login --pin "$EX_PIN" \
	--keypairgen --key-type EC:prime256v1 --label noid >/dev/null 2>&1 || fail "pkcs11-tool noid"
expect_exit 0 "$HWKEY" keys pkcs11:token=ex-module --module "$HK_SOFTHSM_MODULE" \
	--pin env:EX_PIN --json
export EX_PIN=1357
assert_eq 1 "$(jq '[.keys[] | select(.label=="noid")] | length' out)" "id-less pair listed once"
assert_eq "" "$(jq -r '.keys[] | select(.label=="noid") | .id' out)" "and it has no id"
assert_eq true "$(jq '.keys[] | select(.label=="noid") | .proven_on_token' out)" \
	"id-less pair shows its private flags"
expect_exit 0 "$HWKEY" export pkcs11:token=ex-module --module "$HK_SOFTHSM_MODULE" --key noid
grep -qxF "$(awk '{print $1, $2, $3}' out)" <(ssh-keygen -D "$HK_SOFTHSM_MODULE" 2>/dev/null |
	awk '{print $1, $2, $3}') || fail "id-less key differs from ssh-keygen -D"
pass
hk_done
