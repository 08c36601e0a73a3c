# 2,000 imports in one hwkey process (100 keys x 20 regions, --jobs 32) over one
# HTTP engine: every pair present exactly once, each with the key's own
# fingerprint, and a second run imports nothing.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_cloudsim_start
hk_creds_aliyun
A=(--cloud aliyun --endpoint "$CLOUDSIM_URL")
for i in $(seq 100); do
	ssh-keygen -q -t ecdsa -N '' -C s$i -f s$i
	cat s$i.pub
done >fleet.pub
# 20 regions as DescribeRegions lists them.
"$HWKEY" cloud list "${A[@]}" --region all --json >all.json
REGIONS=$(jq -r '[.regions[].region][:20] | join(",")' all.json)
assert_eq 20 "$(tr ',' '\n' <<<"$REGIONS" | sort -u | wc -l)" "20 distinct regions"

expect_exit 0 "$HWKEY" import "${A[@]}" --region "$REGIONS" --name fleet-%n --jobs 32 --json fleet.pub
assert_eq 2000 "$(jq '.summary.imported' out)" "2000 imported"
assert_eq 2000 "$(jq '[.results[] | select(.fingerprints.aliyun == .cloud_fingerprint)] | length' out)" \
	"every returned fingerprint equals hwkey's"
assert_eq 2000 "$(sim_applied_imports)" "2000 ImportKeyPair calls applied, no more"

"$HWKEY" cloud list "${A[@]}" --region "$REGIONS" --jobs 32 --json >list.json
assert_eq 2000 "$(jq '[.regions[].keypairs[]] | length' list.json)" "2000 pairs listed"
assert_eq 100 "$(jq '[.regions[].keypairs[].name] | unique | length' list.json)" "100 names"
assert_eq 20 "$(jq '[.regions[] | select((.keypairs | length) == 100)] | length' list.json)" \
	"100 pairs in each region"
# Spot checks against ssh-keygen.
for i in 1 57 100; do
	assert_eq "$(fp_aliyun s$i.pub)" \
		"$(jq -r --arg n fleet-$i '[.regions[].keypairs[] | select(.name==$n) | .fingerprints.aliyun] | unique | join(",")' list.json)" \
		"fleet-$i fingerprint in all regions"
done

expect_exit 0 "$HWKEY" import "${A[@]}" --region "$REGIONS" --name fleet-%n --jobs 32 --json fleet.pub
assert_eq 2000 "$(jq '.summary.already_present' out)" "second run: all already present"
assert_eq 2000 "$(sim_applied_imports)" "second run applied nothing"
hk_done
