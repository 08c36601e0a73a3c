#!/bin/bash
# hwkey-cloudsim enforces Alibaba's 500 key pairs per region (per account and
# region; freed by a delete), and serves HTTPS that verifies with the right CA
# and fails without it.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
: "${HK_SIMCLIENT:?}"
S=$HK_SIMCLIENT

CLOUDSIM_TLS=1
hk_cloudsim_start --quiet
U=$CLOUDSIM_URL/
assert_contains "$U" "https://127.0.0.1:" "TLS URL"
ca=(--cacert "$CLOUDSIM_CERT")

# HTTPS: verified with the test CA; refused by curl and simclient without it.
expect_exit 0 curl -fsS --cacert "$CLOUDSIM_CERT" "$CLOUDSIM_URL/cloudsim/health"
assert_eq ok "$(cat "$HK_TMP/out")" "health over HTTPS"
expect_exit 60 curl -fsS "$CLOUDSIM_URL/cloudsim/health"
expect_exit 3 "$S" aliyun GET "$U" DescribeRegions
assert_contains "$(cat "$HK_TMP/err")" "curl: (60)" "simclient without the CA"
expect_exit 0 "$S" "${ca[@]}" aliyun GET "$U" DescribeRegions
assert_eq cn-qingdao "$(jq -r '.Regions.Region[0].RegionId' "$HK_TMP/out")" "signed request over HTTPS"
expect_exit 0 "$S" "${ca[@]}" huawei GET "$CLOUDSIM_URL" /v3/projects name=cn-east-3
assert_eq "$CLOUDSIM_HUAWEI_PROJECT2" "$(jq -r '.projects[0].id' "$HK_TMP/out")" "Huawei over HTTPS"
# Plain HTTP to the TLS port gets no answer.
if curl -fsS --max-time 10 "http://127.0.0.1:$CLOUDSIM_PORT/cloudsim/health" >/dev/null 2>&1; then
	fail "plain HTTP was answered on the TLS port"
fi
pass

# Quota: 500 pairs, then QuotaExceed.KeyPair (403); other regions and accounts
# are not affected; deleting one frees a slot.
ssh-keygen -q -t ecdsa -N '' -f ec
for i in $(seq 500); do
	"$S" "${ca[@]}" aliyun POST "$U" ImportKeyPair RegionId=cn-beijing "KeyPairName=q$i" \
		PublicKeyBody=@ec.pub >/dev/null 2>&1 || fail "import q$i of 500"
done
pass
expect_exit 0 "$S" "${ca[@]}" aliyun GET "$U" DescribeKeyPairs RegionId=cn-beijing PageSize=50
assert_eq 500 "$(jq -r .TotalCount "$HK_TMP/out")" "500 pairs stored"
expect_exit 1 "$S" "${ca[@]}" aliyun POST "$U" ImportKeyPair RegionId=cn-beijing KeyPairName=q501 \
	PublicKeyBody=@ec.pub
assert_eq QuotaExceed.KeyPair "$(jq -r .Code "$HK_TMP/out")" "501st import"
assert_contains "$(cat "$HK_TMP/err")" "HTTP 403" "quota status"
expect_exit 0 "$S" "${ca[@]}" aliyun POST "$U" ImportKeyPair RegionId=cn-shanghai KeyPairName=q501 \
	PublicKeyBody=@ec.pub
expect_exit 0 "$S" "${ca[@]}" --ak "$CLOUDSIM_ALIYUN_AK2" aliyun POST "$U" ImportKeyPair \
	RegionId=cn-beijing KeyPairName=q501 PublicKeyBody=@ec.pub
expect_exit 0 "$S" "${ca[@]}" aliyun POST "$U" DeleteKeyPairs RegionId=cn-beijing 'KeyPairNames=["q7"]'
expect_exit 0 "$S" "${ca[@]}" aliyun POST "$U" ImportKeyPair RegionId=cn-beijing KeyPairName=q501 \
	PublicKeyBody=@ec.pub
expect_exit 1 "$S" "${ca[@]}" aliyun POST "$U" ImportKeyPair RegionId=cn-beijing KeyPairName=q502 \
	PublicKeyBody=@ec.pub
assert_eq QuotaExceed.KeyPair "$(jq -r .Code "$HK_TMP/out")" "quota after delete and re-import"
hk_done
