# The keygen proof holds when the token misbehaves (through libp11fault.so
# over SoftHSM): a token that rejects the full template gets the minimal one
# and the key is still proven by read-back; a key whose flags cannot be read
# back is refused (exit 14) and destroyed, never left on the token.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"

: "${HK_P11FAULT:?HK_P11FAULT must name libp11fault.so (ctest sets it)}"
export HK_P11FAULT_MODULE=$HK_SOFTHSM_MODULE
export PF_PIN=4321
hk_softhsm_init proof "$PF_PIN" 10203040 >/dev/null
uri=pkcs11:token=proof
fault() {
	rm -f "$HK_TMP/fault.log"
	HK_P11FAULT_LOG=$HK_TMP/fault.log "$@"
	export PF_PIN=4321
}

# 1. A token refusing an optional attribute (as YKCS11 2.2 does): one retry
#    with the minimal template, and the read-back still proves the key.
export HK_P11FAULT_FAIL=C_GenerateKeyPair:1:CKR_ATTRIBUTE_TYPE_INVALID
fault expect_exit 0 "$HWKEY" keygen "$uri" --module "$HK_P11FAULT" --type ecdsa-p256 \
	--label minimal --pin env:PF_PIN --json
unset HK_P11FAULT_FAIL
assert_eq 2 "$(grep -c ' C_GenerateKeyPair ' fault.log)" "minimal template: one retry"
assert_eq 1 "$(grep ' C_GenerateKeyPair ' fault.log | grep -c injected)" "first call refused"
assert_eq true "$(jq '.keys[0].proven_on_token' out)" "minimal-template key proven"
assert_eq "$(ssh-keygen -l -f <(jq -r '.keys[0].public_key' out) | awk '{print $2}')" \
	"$(jq -r '.keys[0].fingerprints.sha256' out)" "minimal-template key fingerprint"

# 2. Which C_GetAttributeValue reads the flags: the last one of a good keygen.
fault expect_exit 0 "$HWKEY" keygen "$uri" --module "$HK_P11FAULT" --type ed25519 \
	--label count --pin env:PF_PIN
nth=$(grep -c ' C_GetAttributeValue ' fault.log)
[ "$nth" -gt 1 ] || fail "no attribute reads logged"
pass
#    Fail exactly that read: the flags are unknown, the key unproven.
export HK_P11FAULT_FAIL=C_GetAttributeValue:$nth:CKR_FUNCTION_FAILED
fault expect_exit 14 "$HWKEY" keygen "$uri" --module "$HK_P11FAULT" --type ed25519 \
	--label unproven --pin env:PF_PIN
unset HK_P11FAULT_FAIL
assert_contains "$(cat err)" "CKA_NEVER_EXTRACTABLE unreadable" "unproven: which flag"
assert_contains "$(cat err)" "destroyed" "unproven: says the pair is gone"
assert_eq 2 "$(grep ' C_DestroyObject ' fault.log | grep -c ' CKR_OK')" "both halves destroyed"
expect_exit 0 "$HWKEY" keys "$uri" --module "$HK_SOFTHSM_MODULE" --pin env:PF_PIN --json
export PF_PIN=4321
assert_eq "count minimal" "$(jq -r '[.keys[].label] | sort | join(" ")' out)" \
	"no trace of the unproven key"
hk_done
