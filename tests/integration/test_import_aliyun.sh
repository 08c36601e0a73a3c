# hwkey import into Alibaba ECS (hwkey-cloudsim over loopback HTTP): imports,
# idempotency, --replace, the returned fingerprint equals ssh-keygen's MD5 by
# Alibaba's formula, both signatures, many keys per call, capability refusals
# before any request, and the cloud list/delete/attach/detach verbs.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_cloudsim_start
hk_creds_aliyun
A=(--cloud aliyun --endpoint "$CLOUDSIM_URL")
hk_keygen ec ecdsa 256
hk_keygen rsa rsa 3072
hk_keygen other ecdsa 384
hk_keygen ed ed25519

# Import into two regions; the fingerprint column is ssh-keygen's MD5 without colons.
expect_exit 0 "$HWKEY" import "${A[@]}" --region cn-hangzhou,cn-shanghai --name alice ec.pub
want=$(fp_aliyun ec.pub)
assert_eq 2 "$(grep -c " imported *$want\$" out)" "two regions imported with Alibaba's fingerprint"
# What the cloud now lists (the simulator computes its own) is the same key.
"$HWKEY" cloud list "${A[@]}" --region cn-hangzhou,cn-shanghai --json >list.json
assert_eq "$want $want" "$(jq -r '[.regions[].keypairs[] | select(.name=="alice") | .fingerprints.aliyun] | join(" ")' list.json)" \
	"listed fingerprints"
assert_eq "$(awk '{print $2}' ec.pub)" "$(jq -r '.regions[0].keypairs[0].public_key' list.json | awk '{print $2}')" \
	"listed public key"

# Options may follow the operand.
expect_exit 0 "$HWKEY" import ec.pub "${A[@]}" --region cn-hangzhou --name alice --json
assert_eq already_present "$(jq -r '.results[0].status' out)" "options after FILE"

# Same name, same key: already present, nothing imported again.
before=$(sim_applied_imports)
expect_exit 0 "$HWKEY" import "${A[@]}" --region cn-hangzhou,cn-shanghai --name alice --json ec.pub
assert_eq '["already_present","already_present"]' "$(jq -c '[.results[].status]' out)" "second run"
assert_eq "$before" "$(sim_applied_imports)" "no import was applied on the second run"
assert_eq "$want" "$(jq -r '.results[0].cloud_fingerprint' out)" "cloud fingerprint in JSON"

# Same name, another key: exit 13 and the pair is untouched.
expect_exit 13 "$HWKEY" import "${A[@]}" --region cn-hangzhou --name alice other.pub
assert_contains "$(cat out err)" "holds another key" "conflict explained"
assert_contains "$(cat err)" "--replace" "conflict suggests --replace"
"$HWKEY" cloud list "${A[@]}" --region cn-hangzhou --name alice --json >l.json
assert_eq "$want" "$(jq -r '.regions[0].keypairs[0].fingerprints.aliyun' l.json)" "pair untouched after conflict"

# --replace: deleted and imported; the cloud now holds the other key.
expect_exit 0 "$HWKEY" import "${A[@]}" --region cn-hangzhou --name alice --replace other.pub
assert_contains "$(cat out)" "replaced" "status replaced"
"$HWKEY" cloud list "${A[@]}" --region cn-hangzhou --name alice --json >l.json
assert_eq "$(fp_aliyun other.pub)" "$(jq -r '.regions[0].keypairs[0].fingerprints.aliyun' l.json)" "replaced key listed"

# ACS3 signature and an RSA key.
expect_exit 0 "$HWKEY" import "${A[@]}" --signature v3 --region cn-beijing --name rsa-key rsa.pub
assert_contains "$(cat out)" "imported" "v3 import"
assert_contains "$(cat out)" "$(fp_aliyun rsa.pub)" "v3 fingerprint"

# Many keys in one call: %n names them; every key in every region.
for i in 1 2 3; do hk_keygen m$i ecdsa 256; cat m$i.pub; done >many.pub
expect_exit 0 "$HWKEY" import "${A[@]}" --region cn-qingdao,cn-shenzhen --name fleet-%n --json many.pub
assert_eq 6 "$(jq '.summary.imported' out)" "3 keys x 2 regions"
for i in 1 2 3; do
	assert_eq "$(fp_aliyun m$i.pub)" \
		"$(jq -r --arg n fleet-$i '[.results[] | select(.name==$n and .region=="cn-shenzhen")][0].fingerprints.aliyun' out)" \
		"fleet-$i fingerprint"
done
# Several keys and no %n: refused, nothing sent.
n0=$(sim_requests)
expect_exit 2 "$HWKEY" import "${A[@]}" --region cn-qingdao --name fleet many.pub
assert_contains "$(cat err)" "%n" "asks for %n"
assert_eq "$n0" "$(sim_requests)" "no request for a usage error"

# Capability refusals come before any request, with a suggestion.
n0=$(sim_requests)
expect_exit 12 "$HWKEY" import "${A[@]}" --region cn-hangzhou --name edkey ed.pub
assert_contains "$(cat err)" "ssh-ed25519" "ed25519 refusal names the type"
assert_contains "$(cat err)" "ecdsa-p256" "ed25519 refusal suggests ecdsa-p256"
hk_sk_line >sk.pub
expect_exit 12 "$HWKEY" import "${A[@]}" --region cn-hangzhou --name skkey sk.pub
assert_contains "$(cat err)" "authorized_keys" "sk refusal suggests authorized_keys"
expect_exit 12 "$HWKEY" import "${A[@]}" --region cn-hangzhou --name 9starts-with-digit ec.pub
assert_contains "$(cat err)" "starts with a letter" "name rule explained"
assert_eq "$n0" "$(sim_requests)" "refusals sent no request"

# Attach replaces and needs a restart; a Windows instance is refused by the cloud.
expect_exit 15 "$HWKEY" cloud attach "${A[@]}" --region cn-hangzhou --name alice i-sim0001 i-simwin0001
assert_contains "$(grep i-sim0001 out)" "attached" "attached"
assert_contains "$(grep i-simwin0001 out)" "DependencyViolation.WindowsInstance" "windows refused"
assert_contains "$(cat err)" "restart" "restart reminder"
# A bound pair cannot be deleted; detach, then delete.
expect_exit 10 "$HWKEY" cloud delete "${A[@]}" --region cn-hangzhou --yes alice
assert_contains "$(cat out)" "KeypairAlreadyAttachedInstance" "delete of a bound pair"
expect_exit 0 "$HWKEY" cloud detach "${A[@]}" --region cn-hangzhou --name alice i-sim0001 --json
assert_eq detached "$(jq -r '.results[0].status' out)" "detach"
expect_exit 2 "$HWKEY" cloud delete "${A[@]}" --region cn-hangzhou alice </dev/null
expect_exit 0 "$HWKEY" cloud delete "${A[@]}" --region cn-hangzhou,cn-shanghai --yes alice
"$HWKEY" cloud list "${A[@]}" --region cn-hangzhou,cn-shanghai --json >l.json
assert_eq 0 "$(jq '[.regions[].keypairs[] | select(.name=="alice")] | length' l.json)" "alice deleted"

# Paging: more pairs than one DescribeKeyPairs page (50) are all listed.
for i in $(seq 60); do ssh-keygen -q -t ecdsa -N '' -C p$i -f p$i; cat p$i.pub; done >page.pub
expect_exit 0 "$HWKEY" import "${A[@]}" --jobs 16 --region cn-chengdu --name page-%n page.pub
"$HWKEY" cloud list "${A[@]}" --region cn-chengdu --json >l.json
assert_eq 60 "$(jq '.regions[0].keypairs | length' l.json)" "60 pairs over two pages"
assert_eq 60 "$(jq '[.regions[0].keypairs[].name] | unique | length' l.json)" "no pair listed twice"

# Unknown region: the cloud's InvalidRegionId.NotFound, exit 2.
expect_exit 2 "$HWKEY" import "${A[@]}" --region xx-nowhere-9 --name alice ec.pub
assert_contains "$(cat out err)" "InvalidRegionId.NotFound" "unknown region code"
hk_done
