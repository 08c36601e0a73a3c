# hwkey import into Huawei KPS (hwkey-cloudsim over loopback HTTP): project ids
# from IAM per region or HUAWEICLOUD_SDK_PROJECT_ID, colon-MD5 fingerprints equal
# to ssh-keygen's, idempotency, --replace, KPS's own key rules, marker paging.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_cloudsim_start
hk_creds_huawei
H=(--cloud huawei --endpoint "$CLOUDSIM_URL")
hk_keygen ed ed25519
hk_keygen rsa2k rsa 2048
hk_keygen rsa1k rsa 1024
hk_keygen other ecdsa 521

# Two regions: each project id is looked up once with IAM.
n0=$(grep -c KeystoneListProjects "$CLOUDSIM_LOG" || true)
expect_exit 0 "$HWKEY" import "${H[@]}" --region cn-north-4,cn-east-3 --name bob_ed --json ed.pub
assert_eq '["imported","imported"]' "$(jq -c '[.results[].status]' out)" "imported in both regions"
want=$(fp_huawei ed.pub)
assert_eq "$want $want" "$(jq -r '[.results[].cloud_fingerprint] | join(" ")' out)" \
	"KPS fingerprint is ssh-keygen's colon MD5"
assert_eq $((n0 + 2)) "$(grep -c KeystoneListProjects "$CLOUDSIM_LOG")" "one IAM lookup per region"

# One region and HUAWEICLOUD_SDK_PROJECT_ID: no IAM call.
n0=$(grep -c KeystoneListProjects "$CLOUDSIM_LOG")
HUAWEICLOUD_SDK_PROJECT_ID=$CLOUDSIM_HUAWEI_PROJECT expect_exit 0 \
	"$HWKEY" import "${H[@]}" --region cn-north-4 --name bob_rsa rsa2k.pub
assert_contains "$(cat out)" "$(fp_huawei rsa2k.pub)" "rsa-2048 imported"
assert_eq "$n0" "$(grep -c KeystoneListProjects "$CLOUDSIM_LOG")" "project id from the environment"

# --region all: the account's IAM projects (one call gives regions and ids).
n0=$(grep -c KeystoneListProjects "$CLOUDSIM_LOG")
expect_exit 0 "$HWKEY" import "${H[@]}" --region all --name bob_all --json ed.pub
assert_eq "cn-east-3,cn-north-4" "$(jq -r '[.results[].region] | sort | join(",")' out)" \
	"all = the regions the account has projects in"
assert_eq $((n0 + 1)) "$(grep -c KeystoneListProjects "$CLOUDSIM_LOG")" "one IAM call for all"

# Idempotency and conflicts.
before=$(sim_applied_imports)
expect_exit 0 "$HWKEY" import "${H[@]}" --region cn-north-4,cn-east-3 --name bob_ed --json ed.pub
assert_eq 2 "$(jq .summary.already_present out)" "already present twice"
assert_eq "$before" "$(sim_applied_imports)" "nothing imported again"
expect_exit 13 "$HWKEY" import "${H[@]}" --region cn-east-3 --name bob_ed other.pub
expect_exit 0 "$HWKEY" import "${H[@]}" --region cn-east-3 --name bob_ed --replace other.pub
assert_contains "$(cat out)" "replaced" "replaced"
"$HWKEY" cloud list "${H[@]}" --region cn-east-3 --name bob_ed --json >l.json
assert_eq "$(fp_huawei other.pub)" "$(jq -r '.regions[0].keypairs[0].fingerprints.huawei' l.json)" "replaced key listed"

# KPS's rules: RSA 2048/3072/4096 only, no sk keys, names of [A-Za-z0-9_-].
n0=$(sim_requests)
expect_exit 12 "$HWKEY" import "${H[@]}" --region cn-north-4 --name small rsa1k.pub
assert_contains "$(cat err)" "1024" "rsa-1024 refusal"
hk_sk_line >sk.pub
expect_exit 12 "$HWKEY" import "${H[@]}" --region cn-north-4 --name sk sk.pub
assert_contains "$(cat err)" "authorized_keys" "sk refusal suggests authorized_keys"
expect_exit 12 "$HWKEY" import "${H[@]}" --region cn-north-4 --name bad.name ed.pub
assert_eq "$n0" "$(sim_requests)" "refusals sent nothing"

# A region the account has no project in: IAM lists none, exit 2.
expect_exit 2 "$HWKEY" import "${H[@]}" --region cn-south-1 --name bob_ed ed.pub
assert_contains "$(cat out err)" "no project" "missing project explained"

# Paging by marker: 55 pairs, all listed once.
for i in $(seq 55); do ssh-keygen -q -t ed25519 -N '' -C p$i -f p$i; cat p$i.pub; done >page.pub
expect_exit 0 "$HWKEY" import "${H[@]}" --jobs 16 --region cn-east-3 --name page_%n page.pub
"$HWKEY" cloud list "${H[@]}" --region cn-east-3 --json >l.json
assert_eq 57 "$(jq '.regions[0].keypairs | length' l.json)" "55 + bob_ed + bob_all listed"
assert_eq 57 "$(jq '[.regions[0].keypairs[].name] | unique | length' l.json)" "no pair listed twice"
assert_eq "$(fp_huawei p55.pub)" \
	"$(jq -r '.regions[0].keypairs[] | select(.name=="page_55") | .fingerprints.huawei' l.json)" "page_55 fingerprint"

# Delete (one call per pair; an absent pair counts as deleted); attach is not offered.
expect_exit 0 "$HWKEY" cloud delete "${H[@]}" --region cn-north-4,cn-east-3 --yes bob_ed gone_already
"$HWKEY" cloud list "${H[@]}" --region cn-north-4,cn-east-3 --name bob_ed --json >l.json
assert_eq 0 "$(jq '[.regions[].keypairs[]] | length' l.json)" "bob_ed deleted in both regions"
expect_exit 12 "$HWKEY" cloud attach "${H[@]}" --region cn-north-4 --name bob_rsa i-1
hk_done
