# hwkey audit --cloud C --region R against hwkey-cloudsim: keys generated on
# a SoftHSM2 token and recorded in the inventory (storefill, standing in for
# the engine, with the proof hwkey keys read from the token) are imported
# with hwkey import TOKEN --key K; a software key is imported as an unknown
# pair, and another software key takes a name the inventory gave a token key.
# The audit tells hardware, unknown, differs and missing apart, in text and
# --json (schema), exits 14 while something is unknown or differs, and 0
# once the cloud is cleaned up.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/json.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"
. "$HK_TESTLIB/softhsm.sh"

: "${HK_STOREFILL:?HK_STOREFILL must point at tests/storefill (ctest sets it)}"
SF=$HK_STOREFILL
INV=$HK_TMP/inventory.db
M=(--module "$HK_SOFTHSM_MODULE")

export TK_PIN=1357
serial=$(hk_softhsm_init audit "$TK_PIN" 97531975)
[ -n "$serial" ] || fail "no serial for the SoftHSM token"
uri="pkcs11:token=audit"
for l in alice-key bob-key; do
	expect_exit 0 "$HWKEY" keygen "$uri" "${M[@]}" --type ecdsa-p256 --label $l --pin env:TK_PIN
	export TK_PIN=1357
	expect_exit 0 "$HWKEY" export "$uri" "${M[@]}" --key $l
	cp out $l.pub
done
# What the token proves about each key, as hwkey keys reads it.
expect_exit 0 "$HWKEY" keys "$uri" "${M[@]}" --pin env:TK_PIN --json
cp out keys.json
export TK_PIN=1357

# Record the token and its keys, as the engine will.
tid=$("$SF" "$INV" token pkcs11 "$serial" model="SoftHSM v2" person=alice \
	uri="pkcs11:token=audit;serial=$serial")
declare -A kid
for l in alice-key bob-key; do
	id=$(jq -r ".keys[] | select(.label == \"$l\") | .id" keys.json)
	proven=$(jq -r ".keys[] | select(.label == \"$l\") | .proven_on_token" keys.json)
	flags=$(jq -r ".keys[] | select(.label == \"$l\") | .flags | join(\",\")" keys.json)
	assert_eq true "$proven" "$l proven on the token"
	kid[$l]=$("$SF" "$INV" key "$tid" "$id" $l.pub label=$l proof=verified detail="$flags")
done

hk_cloudsim_start
hk_creds_aliyun
C=(--cloud aliyun --endpoint "$CLOUDSIM_URL")
# alice: the token key, imported and recorded.
expect_exit 0 "$HWKEY" import "$uri" --key alice-key "${M[@]}" "${C[@]}" \
	--region cn-hangzhou,cn-shanghai --name alice --json
for r in cn-hangzhou cn-shanghai; do
	"$SF" "$INV" import "${kid[alice-key]}" aliyun $r alice verified \
		cloud_fp="$(jq -r ".results[] | select(.region == \"$r\") | .cloud_fingerprint" out)" >/dev/null
done
# dave: the bob token key under a name the inventory never recorded: still ours.
expect_exit 0 "$HWKEY" import "$uri" --key bob-key "${M[@]}" "${C[@]}" --region cn-hangzhou --name dave
# rogue: a software key nobody recorded.
hk_keygen rogue ecdsa 256
expect_exit 0 "$HWKEY" import rogue.pub "${C[@]}" --region cn-hangzhou --name rogue
# bob: the inventory gave the name to the token's bob key; a software key holds it.
hk_keygen impostor ecdsa 256
expect_exit 0 "$HWKEY" import impostor.pub "${C[@]}" --region cn-hangzhou --name bob
"$SF" "$INV" import "${kid[bob-key]}" aliyun cn-hangzhou bob verified \
	cloud_fp="$(fp_aliyun bob-key.pub)" >/dev/null
# carol: recorded as imported, not in the cloud.
"$SF" "$INV" import "${kid[bob-key]}" aliyun cn-hangzhou carol verified >/dev/null

expect_exit 14 "$HWKEY" audit "${C[@]}" --region cn-hangzhou,cn-shanghai --inventory "$INV"
cp out audit.txt
st() { awk -v r="$1" -v n="$2" '$1 == r && $2 == n { print $3 }' audit.txt; }
assert_eq hardware "$(st cn-hangzhou alice)" "token key imported and recorded"
assert_eq hardware "$(st cn-shanghai alice)" "in the second region too"
assert_eq hardware "$(st cn-hangzhou dave)" "token key under an unrecorded name"
assert_eq unknown "$(st cn-hangzhou rogue)" "software key nobody recorded"
assert_eq differs "$(st cn-hangzhou bob)" "name held by another key"
assert_eq missing "$(st cn-hangzhou carol)" "recorded import not in the cloud"
assert_contains "$(grep ' alice ' audit.txt | head -1)" "$serial" "the token's serial"
assert_contains "$(grep ' bob ' audit.txt)" "inventory: $(fp_aliyun bob-key.pub)" \
	"differs shows the fingerprint the inventory holds"
assert_contains "$(grep ' bob ' audit.txt)" "$(fp_aliyun impostor.pub)" \
	"differs shows the cloud's fingerprint"
assert_contains "$(cat err)" "3 hardware, 0 unproven, 1 differ, 1 unknown, 1 missing" "summary"

expect_exit 14 "$HWKEY" audit "${C[@]}" --region cn-hangzhou --inventory "$INV" --json
hk_json_valid audit out
assert_eq cloud "$(jq -r .mode out)" "mode"
assert_eq aliyun "$(jq -r .cloud out)" "cloud"
assert_eq '{"differs":1,"hardware":2,"missing":1,"unknown":1,"unproven":0}' \
	"$(jq -cS .summary out)" "summary counts"
assert_eq "${kid[bob-key]}" "$(jq -r '.items[] | select(.name == "dave") | .key_id' out)" \
	"dave matched to the bob key by fingerprint"
assert_eq alice "$(jq -r '.items[] | select(.name == "alice") | .person' out)" "person"
assert_eq "$(fp_aliyun rogue.pub)" "$(jq -r '.items[] | select(.name == "rogue") | .fingerprint' out)" \
	"the cloud's fingerprint of the unknown pair"
assert_eq null "$(jq -r '.items[] | select(.name == "rogue") | .key_id' out)" "unknown: no key"

# Clean the cloud up: the unknown pair goes, bob gets its token key back.
expect_exit 0 "$HWKEY" cloud delete "${C[@]}" --region cn-hangzhou --yes rogue
expect_exit 0 "$HWKEY" import "$uri" --key bob-key "${M[@]}" "${C[@]}" --region cn-hangzhou \
	--name bob --replace
expect_exit 0 "$HWKEY" audit "${C[@]}" --region cn-hangzhou,cn-shanghai --inventory "$INV" --json
hk_json_valid audit out
assert_eq '{"differs":0,"hardware":4,"missing":1,"unknown":0,"unproven":0}' \
	"$(jq -cS .summary out)" "clean cloud"

# A key whose on-token proof did not verify is reported, and fails the audit.
"$SF" "$INV" key "$tid" "$(jq -r '.keys[] | select(.label == "bob-key") | .id' keys.json)" \
	bob-key.pub proof=unverified detail="CKA_LOCAL=FALSE" >/dev/null
expect_exit 14 "$HWKEY" audit "${C[@]}" --region cn-hangzhou --inventory "$INV"
assert_eq unproven "$(awk '$2 == "bob" { print $3 }' out)" "unproven key"

# Huawei's own fingerprint formula (MD5 colon hex): a recorded token key and an
# unrecorded software key.
hk_creds_huawei
H=(--cloud huawei --endpoint "$CLOUDSIM_URL" --region cn-north-4)
expect_exit 0 "$HWKEY" import "$uri" --key alice-key "${M[@]}" "${H[@]}" --name alice_h --json
"$SF" "$INV" import "${kid[alice-key]}" huawei cn-north-4 alice_h verified \
	cloud_fp="$(jq -r '.results[0].cloud_fingerprint' out)" >/dev/null
expect_exit 0 "$HWKEY" import rogue.pub "${H[@]}" --name rogue_h
expect_exit 14 "$HWKEY" audit "${H[@]}" --inventory "$INV" --json
hk_json_valid audit out
assert_eq huawei "$(jq -r .cloud out)" "huawei audit"
assert_eq hardware "$(jq -r '.items[] | select(.name == "alice_h") | .status' out)" "huawei: token key"
assert_eq unknown "$(jq -r '.items[] | select(.name == "rogue_h") | .status' out)" "huawei: software key"
assert_eq "$(fp_huawei rogue.pub)" "$(jq -r '.items[] | select(.name == "rogue_h") | .fingerprint' out)" \
	"huawei's fingerprint form"

# Usage: one mode, and a missing inventory is exit 17 before any request.
expect_exit 2 "$HWKEY" audit --inventory "$INV"
expect_exit 2 "$HWKEY" audit "${C[@]}" --region cn-hangzhou --authorized-keys x
n0=$(sim_requests)
expect_exit 17 "$HWKEY" audit "${C[@]}" --region cn-hangzhou --inventory "$HK_TMP/none.db" --json
hk_json_valid audit out
assert_eq "$n0" "$(sim_requests)" "nothing sent without an inventory"
# Refused credentials: the cloud's exit status, not a finding.
export ALIBABA_CLOUD_ACCESS_KEY_SECRET=wrong-secret
expect_exit 11 "$HWKEY" audit "${C[@]}" --region cn-hangzhou --inventory "$INV" --retries 1
hk_done
