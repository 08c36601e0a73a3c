#!/bin/bash
# hwkey-cloudsim verifies Alibaba v1 (GET and POST), ACS3 and Huawei
# SDK-HMAC-SHA256 signatures, rejects replayed nonces, stale or malformed
# timestamps, unknown keys and unsigned headers; refuses a world-readable
# accounts file; documents every option in its man page.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
: "${HK_SIMCLIENT:?}"
S=$HK_SIMCLIENT

hk_cloudsim_accounts

# The man page lists every long option the server accepts.
opts=$("$HWKEY_CLOUDSIM" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
[ -n "$opts" ] || fail "hwkey-cloudsim --help lists no options"
for o in $opts; do
	grep -qF -- "$(printf "%s" "$o" | sed "s/-/\\\\-/g")" "$HK_SRCDIR/docs/hwkey-cloudsim.1" ||
		fail "docs/hwkey-cloudsim.1 does not document $o"
	pass
done

# A group- or world-readable accounts file is refused before listening.
cp "$CLOUDSIM_ACCOUNTS" "$HK_TMP/open-accounts"
chmod 644 "$HK_TMP/open-accounts"
expect_exit 1 "$HWKEY_CLOUDSIM" --accounts "$HK_TMP/open-accounts" --state "$HK_TMP/x.db" \
	--port 0 --port-file "$HK_TMP/x.port"
assert_contains "$(cat "$HK_TMP/err")" "readable by group or others" "unsafe accounts"
[ ! -e "$HK_TMP/x.port" ] || fail "server listened with an unsafe accounts file"
pass

hk_cloudsim_start
U=$CLOUDSIM_URL/

# code EXPECTED_EXIT JQ_FILTER WHAT -- simclient args
check() {
	local want_exit=$1 filter=$2 want=$3
	shift 3
	expect_exit "$want_exit" "$S" "$@"
	assert_eq "$want" "$(jq -r "$filter" "$HK_TMP/out")" "$*"
}

# Alibaba v1: GET and POST, good and bad signatures.
check 0 '.Regions.Region | length > 20' true aliyun GET "$U" DescribeRegions
check 0 '.Regions.Region[] | select(.RegionId == "cn-hangzhou") | .RegionEndpoint' \
	ecs.aliyuncs.com aliyun POST "$U" DescribeRegions
check 1 .Code SignatureDoesNotMatch --corrupt aliyun GET "$U" DescribeRegions
assert_contains "$(jq -r .Message "$HK_TMP/out")" \
	"Specified signature is not matched with our calculation. server string to sign is:GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions" \
	"v1 mismatch quotes the string to sign"
assert_contains "$(cat "$HK_TMP/err")" "HTTP 400" "SignatureDoesNotMatch status"
check 1 .Code SignatureDoesNotMatch --corrupt aliyun POST "$U" DescribeRegions
assert_contains "$(jq -r .Message "$HK_TMP/out")" "string to sign is:POST&%2F&" "POST string"
# The second account signs with its own secret.
check 0 .Regions.Region[0].RegionId cn-qingdao --ak "$CLOUDSIM_ALIYUN_AK2" aliyun GET "$U" DescribeRegions
# Unknown key id; missing signature; missing common parameter; bad method.
printf 'aliyun LTAInobody nosecret\n' >"$HK_TMP/nobody"
chmod 600 "$HK_TMP/nobody"
check 1 .Code InvalidAccessKeyId.NotFound --accounts "$HK_TMP/nobody" aliyun GET "$U" DescribeRegions
assert_contains "$(cat "$HK_TMP/err")" "HTTP 404" "unknown key id status (v1), as the live gateway"
check 1 .Code MissingParameter --omit Timestamp aliyun GET "$U" DescribeRegions
assert_contains "$(jq -r .Message "$HK_TMP/out")" '"Timestamp"' "missing parameter named"
expect_exit 0 curl -sS -o "$HK_TMP/out" "$U?Action=DescribeRegions&Format=JSON"
assert_eq IncompleteSignature "$(jq -r .Code "$HK_TMP/out")" "unsigned request"
check 1 .Code InvalidVersion aliyun GET "$U" DescribeRegions Version=2016-01-01
check 1 .Code InvalidAction.NotFound aliyun GET "$U" CreateUniverse

# Replayed nonce (v1): the second use is refused, also over POST.
check 0 '.Regions.Region | length > 0' true --nonce "nonce-$$-1" aliyun GET "$U" DescribeRegions
check 1 .Code SignatureNonceUsed --nonce "nonce-$$-1" aliyun GET "$U" DescribeRegions
check 1 .Code SignatureNonceUsed --nonce "nonce-$$-1" aliyun POST "$U" DescribeRegions
# A nonce is per account: the other key may use the same one.
check 0 '.Regions.Region | length > 0' true --ak "$CLOUDSIM_ALIYUN_AK2" --nonce "nonce-$$-1" \
	aliyun GET "$U" DescribeRegions
# A bad signature does not burn the nonce.
check 1 .Code SignatureDoesNotMatch --corrupt --nonce "nonce-$$-2" aliyun GET "$U" DescribeRegions
check 0 '.Regions.Region | length > 0' true --nonce "nonce-$$-2" aliyun GET "$U" DescribeRegions

# Timestamps more than 15 minutes off either way; malformed ones.
check 1 .Code InvalidTimeStamp.Expired --skew -1000 aliyun GET "$U" DescribeRegions
check 1 .Code InvalidTimeStamp.Expired --skew 1000 aliyun GET "$U" DescribeRegions
check 0 '.Regions.Region | length > 0' true --skew -600 aliyun GET "$U" DescribeRegions
check 1 .Code InvalidTimeStamp.Format --date "2026-01-01 10:00:00" aliyun GET "$U" DescribeRegions

# ACS3, parameters in the query and in a form body.
check 0 '.Regions.Region | length > 20' true --acs3 aliyun POST "$U" DescribeRegions
check 0 '.Regions.Region | length > 20' true --acs3 aliyun GET "$U" DescribeRegions
check 0 '.Regions.Region | length > 20' true --acs3 --form aliyun POST "$U" DescribeRegions
check 1 .Code SignatureDoesNotMatch --acs3 --corrupt aliyun POST "$U" DescribeRegions
assert_contains "$(jq -r .Message "$HK_TMP/out")" "string to sign is:ACS3-HMAC-SHA256" "ACS3 mismatch"
check 1 .Code SignatureDoesNotMatch --acs3 --corrupt --form aliyun POST "$U" DescribeRegions
check 0 '.Regions.Region | length > 0' true --acs3 --nonce "acs3-$$" aliyun POST "$U" DescribeRegions
check 1 .Code SignatureNonceUsed --acs3 --nonce "acs3-$$" aliyun POST "$U" DescribeRegions
check 1 .Code InvalidTimeStamp.Expired --acs3 --skew 3600 aliyun POST "$U" DescribeRegions
check 1 .Code InvalidAccessKeyId.NotFound --acs3 --accounts "$HK_TMP/nobody" aliyun POST "$U" DescribeRegions
assert_contains "$(cat "$HK_TMP/err")" "HTTP 404" "unknown key id status (ACS3)"

# XML is the v1 default format (simclient asks for JSON unless told).
expect_exit 0 "$S" aliyun GET "$U" DescribeRegions Format=XML
assert_contains "$(cat "$HK_TMP/out")" "<DescribeRegionsResponse><Regions><Region><RegionId>" "XML body"
expect_exit 1 "$S" --corrupt aliyun GET "$U" DescribeRegions Format=XML
assert_contains "$(cat "$HK_TMP/out")" "<Error><RequestId>" "XML error"
assert_contains "$(cat "$HK_TMP/out")" "<Code>SignatureDoesNotMatch</Code>" "XML error code"

# Huawei: IAM project lookup, signed list, bad signature, stale date, unsigned X-Project-Id.
P=$CLOUDSIM_HUAWEI_PROJECT
check 0 '.projects[0].id' "$P" huawei GET "$CLOUDSIM_URL" /v3/projects name=cn-north-4
check 0 '.projects | length' 0 huawei GET "$CLOUDSIM_URL" /v3/projects name=cn-south-1
check 0 '.keypairs | length' 0 --project-header "$P" huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"
check 1 .error_code APIGW.0301 --corrupt huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"
assert_contains "$(cat "$HK_TMP/err")" "HTTP 401" "Huawei signature failure status"
assert_contains "$(jq -r .error_msg "$HK_TMP/out")" "verify aksk signature fail" "APIGW message"
check 1 .error_code APIGW.0301 --skew -1000 huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"
check 1 .error_code APIGW.0301 --skew 1000 huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"
check 1 .error_code APIGW.0301 --project-header "$P" --no-sign X-Project-Id \
	huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"
check 1 .error_code APIGW.0301 --no-sign Host huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"
printf 'huawei HWNOBODY nosecret\n' >"$HK_TMP/hwnobody"
chmod 600 "$HK_TMP/hwnobody"
check 1 .error_code APIGW.0301 --accounts "$HK_TMP/hwnobody" huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"
# Huawei answers carry the request id in X-Request-Id too (the SDKs read it there).
expect_exit 0 curl -sS -D "$HK_TMP/hdrs" -o "$HK_TMP/body" "$CLOUDSIM_URL/v3/projects"
rid=$(jq -r .request_id "$HK_TMP/body")
assert_contains "$(tr -d '\r' <"$HK_TMP/hdrs")" "X-Request-Id: $rid" "X-Request-Id equals request_id"
# A project of another account (or none) is refused after authentication.
check 1 .error_code KPS.9003 huawei GET "$CLOUDSIM_URL" /v3/00000000000000000000000000000000/keypairs
check 1 .error_code KPS.0002 --project-header "$CLOUDSIM_HUAWEI_PROJECT2" \
	huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"

# X-Sdk-Content-Sha256: when signed it stands for the body, so it must be the
# body's hash; a captured request cannot carry another body (another name and
# key). Unsigned, it plays no part: the real body is hashed.
ssh-keygen -q -t ed25519 -N '' -f ed
kpbody() { jq -cn --arg n "$1" --arg k "$(cat ed.pub)" '{keypair: {name: $n, public_key: $k}}'; }
KP=(huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs")
check 0 .keypair.name sha-ok --content-sha256 auto --data "$(kpbody sha-ok)" "${KP[@]}"
check 1 .error_code APIGW.0301 --content-sha256 auto --data "$(kpbody victim-a)" \
	--send-data "$(kpbody evil-b)" "${KP[@]}"
assert_contains "$(jq -r .error_msg "$HK_TMP/out")" "x-sdk-content-sha256 does not match" \
	"tampered body named"
assert_contains "$(cat "$HK_TMP/err")" "HTTP 401" "tampered body status"
check 1 .error_code APIGW.0301 --content-sha256 auto --no-sign X-Sdk-Content-Sha256 \
	--data "$(kpbody victim-a)" --send-data "$(kpbody evil-c)" "${KP[@]}"
assert_contains "$(jq -r .error_msg "$HK_TMP/out")" "verify aksk signature fail" \
	"unsigned header: the real body is hashed"
check 1 .error_code APIGW.0301 --data "$(kpbody victim-a)" --send-data "$(kpbody evil-d)" "${KP[@]}"
check 0 .keypair.name unsigned-ok --content-sha256 "$(printf '0%.0s' $(seq 64))" \
	--no-sign X-Sdk-Content-Sha256 --data "$(kpbody unsigned-ok)" "${KP[@]}"
check 1 .error_code APIGW.0301 --content-sha256 UNSIGNED-PAYLOAD --data "$(kpbody evil-e)" "${KP[@]}"
check 0 '[.keypairs[].keypair.name] | join(",")' sha-ok,unsigned-ok \
	--content-sha256 UNSIGNED-PAYLOAD huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"

# The log names requests but never carries a signature or a secret.
log=$(cat "$CLOUDSIM_LOG")
assert_contains "$log" "DescribeRegions" "request log"
assert_not_contains "$log" "$CLOUDSIM_ALIYUN_SECRET" "secret in log"
assert_not_contains "$log" "$CLOUDSIM_HUAWEI_SK" "Huawei SK in log"
assert_not_contains "$log" "Signature=" "signature in log"

# SIGINT stops it cleanly: exit 0, pid file removed, port closed.
assert_eq "$CLOUDSIM_PID" "$(cat "$CLOUDSIM_DIR/pid")" "pid file"
kill -INT "$CLOUDSIM_PID"
rc=0
wait "$CLOUDSIM_PID" || rc=$?
CLOUDSIM_PID=
assert_eq 0 "$rc" "exit status after SIGINT"
[ ! -e "$CLOUDSIM_DIR/pid" ] || fail "pid file left behind"
pass
if curl -fsS --max-time 5 "$CLOUDSIM_URL/cloudsim/health" >/dev/null 2>&1; then
	fail "still answering after SIGINT"
fi
pass
hk_done
