# hwkey reads each key object's attributes in one batch (a size query and
# the values: two C_GetAttributeValue calls), counted through OpenSC's
# pkcs11-spy so that a new per-attribute read shows up here: keys
# --no-login and export 2 calls per key, keys with a login 4, keygen's
# proof 2 (its values fit buffers sized for a new key: no size query). The results stay what they were: exports equal ssh-keygen -D,
# and a module that refuses a batch as a whole (CKR_FUNCTION_FAILED) gets
# asked attribute by attribute and lists the same keys.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"

SPY=$HK_P11_SPY
[ -e "$SPY" ] || SPY=/usr/lib/x86_64-linux-gnu/pkcs11-spy.so
[ -e "$SPY" ] || fail "pkcs11-spy.so missing (opensc-pkcs11; dpkg -L opensc-pkcs11 | grep spy)"
MOD=$HK_SOFTHSM_MODULE
: "${HK_P11FAULT:?HK_P11FAULT must point at libp11fault.so (ctest sets it)}"

CL_PINV=24681357
export CL_PIN=$CL_PINV
TOK=calls
hk_softhsm_init "$TOK" "$CL_PINV" 11223344 >/dev/null

# hk ARGS...: hwkey through MODULE ($HKMOD, default SoftHSM itself).
hk() {
	export CL_PIN=$CL_PINV	# env: sources are unset after use
	"$HWKEY" "$1" "pkcs11:token=$TOK" --module "${HKMOD:-$MOD}" "${@:2}"
}
# spied NAME CMD ARGS...: CMD through pkcs11-spy; its log in NAME.spy.
spied() {
	local name=$1
	shift
	rm -f "$name.spy"
	PKCS11SPY=$MOD PKCS11SPY_OUTPUT=$HK_TMP/$name.spy HKMOD=$SPY expect_exit 0 "$@"
	[ -s "$name.spy" ] || fail "$name: pkcs11-spy logged nothing"
	cp out "$name.out"
}
gav() { grep -c '^[0-9]*: C_GetAttributeValue$' "$1.spy" || true; }
# The most C_GetAttributeValue calls any one object got.
per_object() {
	awk '/^[0-9]+: C_GetAttributeValue$/ { g = 1; next }
		g && /hObject = / { n[$NF]++; g = 0 }
		END { m = 0; for (o in n) if (n[o] > m) m = n[o]; print m }' "$1.spy"
}

# Seven pairs: every type hwkey makes, EC ones as a batch.
expect_exit 0 hk keygen --type ecdsa-p256 --count 3 --label ec --pin env:CL_PIN
for t in ecdsa-p384 ecdsa-p521 rsa2048 ed25519; do
	expect_exit 0 hk keygen --type "$t" --label "k-$t" --pin env:CL_PIN
	grep -E '^(ssh|ecdsa)-' out >"k-$t.keygen"
done
NK=7
expect_exit 0 hk keys --pin env:CL_PIN --json
assert_eq "$NK" "$(jq '[.keys[] | select(.has_private and .public_key != null)] | length' out)" \
	"$NK pairs on the token"

# keys --no-login: one batch per public object, 2 calls per key, fewer
# than ssh-keygen -D makes for the same keys (3 per key, Ed25519 skipped).
expect_exit 0 hk keys --no-login
cp out keys-nologin.direct
spied keys-nologin hk keys --no-login
assert_eq $((2 * NK)) "$(gav keys-nologin)" "keys --no-login: C_GetAttributeValue calls (2 per key)"
assert_eq 2 "$(per_object keys-nologin)" "keys --no-login: calls per object"
# SoftHSM's C_FindObjects order differs from process to process: compare the rows as sets.
sort keys-nologin.direct >a.sorted; sort keys-nologin.out >b.sorted
assert_files_equal a.sorted b.sorted "keys --no-login through the spy"
spied sshkeygen ssh-keygen -D "$SPY"
[ "$(gav keys-nologin)" -le "$(gav sshkeygen)" ] ||
	fail "keys --no-login made $(gav keys-nologin) calls, ssh-keygen -D $(gav sshkeygen)"
pass

# keys with a login: the private objects too, their flags in the same batch.
spied keys-login hk keys --pin env:CL_PIN --json
assert_eq $((4 * NK)) "$(gav keys-login)" "keys (login): C_GetAttributeValue calls (4 per key)"
assert_eq 2 "$(per_object keys-login)" "keys (login): calls per object"
assert_eq "$NK" "$(jq '[.keys[] | select(.proven_on_token)] | length' keys-login.out)" \
	"keys (login): every key proven from the batched flags"
cp keys-login.out keys-login.json

# export: the selection reads every key once (2 calls a key); the line is
# byte for byte what ssh-keygen -D prints (Ed25519: what keygen printed).
ssh-keygen -D "$MOD" >oracle.txt 2>/dev/null || fail "ssh-keygen -D"
assert_eq 6 "$(wc -l <oracle.txt)" "ssh-keygen -D lists the six non-Ed25519 keys"
for label in ec-1 ec-2 ec-3 k-ecdsa-p384 k-ecdsa-p521 k-rsa2048 k-ed25519; do
	spied "export-$label" hk export --key "$label"
	assert_eq $((2 * NK)) "$(gav "export-$label")" "export $label: C_GetAttributeValue calls"
	if [ "$label" = k-ed25519 ]; then
		assert_files_equal k-ed25519.keygen "export-$label.out" "export $label = keygen's line"
	else
		grep -qxF "$(cat "export-$label.out")" oracle.txt ||
			fail "export $label: '$(cat "export-$label.out")' is not a line of ssh-keygen -D"
		pass
	fi
done
assert_files_equal k-ecdsa-p384.keygen export-k-ecdsa-p384.out "keygen's line = export"

# keygen: its proof is the public object in one call (buffers sized for a
# new key) and the private flags in one. A batch also reads every label
# once (2 calls an object) to refuse duplicates without a search per key.
spied keygen-one hk keygen --type ecdsa-p256 --label one --pin env:CL_PIN
assert_eq 2 "$(gav keygen-one)" "keygen: C_GetAttributeValue calls for the proof"
grep -E '^(ssh|ecdsa)-' keygen-one.out >one.keygen
expect_exit 0 hk export --key one
assert_files_equal one.keygen out "keygen's public key = export"
nobj=$((2 * (NK + 1)))
spied keygen-batch hk keygen --type ecdsa-p256 --count 4 --label batch --pin env:CL_PIN
assert_eq $((4 * 2 + 2 * nobj)) "$(gav keygen-batch)" \
	"keygen --count 4: 2 calls per key and one label read per object present"
assert_eq 4 "$(grep -c '^ecdsa-sha2-nistp256 ' keygen-batch.out)" "keygen --count 4 made 4 keys"
# The one-call read refused: the size query and the read follow, and the
# key is still proven from what the token answered.
rm -f fault.log
HK_P11FAULT_MODULE=$MOD HK_P11FAULT_LOG=$HK_TMP/fault.log \
	HK_P11FAULT_FAIL=C_GetAttributeValue:1:CKR_FUNCTION_FAILED \
	HKMOD=$HK_P11FAULT expect_exit 0 hk keygen --type rsa2048 --label again --pin env:CL_PIN --json
assert_eq 4 "$(grep -c ' C_GetAttributeValue ' fault.log)" \
	"keygen, one-call read refused: then size query, read and flags"
assert_eq true "$(jq '.keys[0].proven_on_token' out)" "keygen, one-call read refused: proven"
assert_eq again "$(jq -r '.keys[0].label' out)" "keygen, one-call read refused: label"
NK=$((NK + 6))

# A module refusing a batch as a whole: the object is read attribute by
# attribute and nothing in the listing changes.
expect_exit 0 hk keys --no-login
cp out keys-nologin.direct
export HK_P11FAULT_MODULE=$MOD
for nth in 1 2; do
	rm -f fault.log
	HK_P11FAULT_LOG=$HK_TMP/fault.log HK_P11FAULT_FAIL=C_GetAttributeValue:$nth:CKR_FUNCTION_FAILED \
		HKMOD=$HK_P11FAULT expect_exit 0 hk keys --no-login
	assert_eq 1 "$(grep -c ' C_GetAttributeValue CKR_FUNCTION_FAILED injected$' fault.log)" \
		"refused batch (call $nth) injected"
	sort keys-nologin.direct >a.sorted; sort out >b.sorted
	assert_files_equal a.sorted b.sorted "refused batch (call $nth): same listing"
	n=$(grep -c ' C_GetAttributeValue ' fault.log)
	[ "$n" -gt $((2 * NK)) ] && [ "$n" -le $((2 * NK + 2 * 7)) ] ||
		fail "refused batch (call $nth): $n calls, want one object re-read alone"
	pass
done
# The private key's batch refused: that key's flags are unknown (it is not
# passed as proven); its public key and every other key are unchanged.
expect_exit 0 hk keys --pin env:CL_PIN --json
cp out keys-login.json
HK_P11FAULT_FAIL=C_GetAttributeValue:$((2 * NK + 1)):CKR_FUNCTION_FAILED \
	HKMOD=$HK_P11FAULT expect_exit 0 hk keys --pin env:CL_PIN --json
assert_eq 1 "$(jq '[.keys[] | select(.proven_on_token | not)] | length' out)" \
	"refused private batch: exactly that key unproven"
assert_eq "$(jq -c '[.keys[] | [.id, .label, .public_key]]' keys-login.json)" \
	"$(jq -c '[.keys[] | [.id, .label, .public_key]]' out)" "refused private batch: same keys"
hk_done
