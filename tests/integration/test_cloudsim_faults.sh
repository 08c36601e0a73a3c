#!/bin/bash
# hwkey-cloudsim fault injection: throttling and 5xx answered before any work
# (nothing imported), dropped connections after the work (the import is
# committed), the same faults for the same --seed, --bad-fingerprint, --latency.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
: "${HK_SIMCLIENT:?}"
S=$HK_SIMCLIENT
P=$CLOUDSIM_HUAWEI_PROJECT
md5hex() { ssh-keygen -E md5 -lf "$1" | awk '{print $2}' | sed 's/^MD5://'; }
body() { jq -cn --arg n "$1" --arg k "$(cat "$2")" '{keypair: {name: $n, public_key: $k}}'; }
ssh-keygen -q -t ecdsa -N '' -f ec

# Throttling: Alibaba 400 Throttling, Huawei 429 APIGW.0308; nothing imported.
hk_cloudsim_start --quiet --throttle-rate 1 --seed 7
U=$CLOUDSIM_URL/
expect_exit 1 "$S" aliyun POST "$U" ImportKeyPair RegionId=cn-hangzhou KeyPairName=t1 PublicKeyBody=@ec.pub
assert_eq Throttling "$(jq -r .Code "$HK_TMP/out")" "Alibaba throttling code"
assert_contains "$(cat "$HK_TMP/err")" "HTTP 400" "Alibaba throttling status"
expect_exit 1 "$S" --data "$(body t1 ec.pub)" huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs"
assert_eq APIGW.0308 "$(jq -r .error_code "$HK_TMP/out")" "Huawei throttling code"
assert_contains "$(cat "$HK_TMP/err")" "HTTP 429" "Huawei throttling status"
# Before doing anything: even a bad signature is answered with Throttling.
expect_exit 1 "$S" --corrupt aliyun GET "$U" DescribeRegions
assert_eq Throttling "$(jq -r .Code "$HK_TMP/out")" "throttled before authentication"

# 5xx: InternalError (500) or ServiceUnavailable (503); nothing imported.
hk_cloudsim_restart --quiet --error-rate 1 --seed 7
for i in 1 2 3 4 5 6; do
	expect_exit 1 "$S" aliyun POST "$U" ImportKeyPair RegionId=cn-hangzhou KeyPairName=e1 PublicKeyBody=@ec.pub
	st=$(grep -o 'HTTP [0-9]*' "$HK_TMP/err")
	code=$(jq -r .Code "$HK_TMP/out")
	case "$st $code" in
	"HTTP 500 InternalError" | "HTTP 503 ServiceUnavailable") pass ;;
	*) fail "injected error gave $st $code" ;;
	esac
done
expect_exit 1 "$S" huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"
case $(jq -r .error_code "$HK_TMP/out") in KPS.0003 | KPS.5001) pass ;; *) fail "Huawei 5xx code" ;; esac

# Dropped: no answer at all, but the import happened.
hk_cloudsim_restart --quiet --drop-rate 1 --seed 7
expect_exit 3 "$S" aliyun POST "$U" ImportKeyPair RegionId=cn-hangzhou KeyPairName=d1 PublicKeyBody=@ec.pub
assert_contains "$(cat "$HK_TMP/err")" "curl: (52)" "connection closed without a response"
expect_exit 3 "$S" --data "$(body d1 ec.pub)" huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs"

hk_cloudsim_restart --quiet
expect_exit 0 "$S" aliyun GET "$U" DescribeKeyPairs RegionId=cn-hangzhou
assert_eq d1 "$(jq -r '[.KeyPairs.KeyPair[].KeyPairName] | join(",")' "$HK_TMP/out")" \
	"only the dropped import was committed (not the throttled or failed ones)"
expect_exit 0 "$S" huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"
assert_eq d1 "$(jq -r '[.keypairs[].keypair.name] | join(",")' "$HK_TMP/out")" "Huawei dropped import committed"

# --seed: the same seed gives the same faults for the same requests.
outcomes() {
	local i out=""
	for i in $(seq 24); do
		"$S" aliyun GET "$U" DescribeRegions >"$HK_TMP/o" 2>/dev/null || true
		out+="$(jq -r '.Code // "ok"' "$HK_TMP/o" 2>/dev/null || echo dropped),"
	done
	echo "$out"
}
hk_cloudsim_restart --quiet --seed 42 --throttle-rate 0.3 --error-rate 0.3
first=$(outcomes)
hk_cloudsim_restart --quiet --seed 42 --throttle-rate 0.3 --error-rate 0.3
second=$(outcomes)
assert_eq "$first" "$second" "same seed, same faults"
assert_contains "$first" "ok," "some requests pass"
assert_contains "$first" "Throttling," "some are throttled"
hk_cloudsim_restart --quiet --seed 43 --throttle-rate 0.3 --error-rate 0.3
[ "$(outcomes)" != "$first" ] || fail "another seed gave the same 24 outcomes"
pass

# --bad-fingerprint: the import answer is wrong, the stored pair is right.
hk_cloudsim_restart --quiet --bad-fingerprint
good=$(md5hex ec.pub)
expect_exit 0 "$S" aliyun POST "$U" ImportKeyPair RegionId=cn-hangzhou KeyPairName=bf PublicKeyBody=@ec.pub
fp=$(jq -r .KeyPairFingerPrint "$HK_TMP/out")
[ "$fp" != "${good//:/}" ] && [ ${#fp} = 32 ] || fail "bad fingerprint not injected: $fp"
pass
expect_exit 0 "$S" aliyun GET "$U" DescribeKeyPairs RegionId=cn-hangzhou KeyPairName=bf
assert_eq "${good//:/}" "$(jq -r '.KeyPairs.KeyPair[0].KeyPairFingerPrint' "$HK_TMP/out")" "describe is right"
expect_exit 0 "$S" --data "$(body bf ec.pub)" huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs"
fp=$(jq -r .keypair.fingerprint "$HK_TMP/out")
[ "$fp" != "$good" ] || fail "Huawei bad fingerprint not injected"
pass

# --latency: every answer waits at least that long (a lower bound only).
hk_cloudsim_restart --quiet --latency 400
t0=$(date +%s%N)
expect_exit 0 "$S" aliyun GET "$U" DescribeRegions
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -ge 400 ] || fail "answered in less than 400 ms"
pass
hk_done
