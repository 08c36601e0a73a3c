# hwkey import under faults injected by hwkey-cloudsim: a wrong fingerprint is
# caught (exit 14); a throttling storm and dropped connections still land every
# key exactly once; a simulator restarted mid-run loses nothing and a re-run
# imports nothing twice; quota exhaustion is reported per key.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_creds_aliyun
hk_creds_huawei
for i in $(seq 12); do hk_keygen k$i ecdsa 256; cat k$i.pub; done >keys.pub
REGIONS=cn-hangzhou,cn-shanghai,cn-beijing

# pairs_in REGIONS PREFIX: how many pairs named PREFIX* the cloud lists.
pairs_in() {
	"$HWKEY" cloud list --cloud aliyun --endpoint "$CLOUDSIM_URL" --retries 50 --region "$1" \
		--json | jq --arg p "$2" '[.regions[].keypairs[] | select(.name | startswith($p))] | length'
}

# 1. The cloud reports another fingerprint than the key's: exit 14, both shown.
hk_cloudsim_start --bad-fingerprint
expect_exit 14 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou \
	--name fp-check --json k1.pub
assert_eq HK_ERR_FINGERPRINT_MISMATCH "$(jq -r '.results[0].error.code' out)" "mismatch code"
assert_contains "$(jq -r '.results[0].error.message' out)" "$(fp_aliyun k1.pub)" "hwkey's fingerprint shown"
assert_eq 14 "$(jq -r '.results[0].error.exit' out)" "exit 14 in JSON"
# The simulator lies only in the import answer: a second look finds the pair by
# its key and checks the fingerprint DescribeKeyPairs reports, which is right.
expect_exit 0 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou \
	--name fp-check --json k1.pub
assert_eq "already_present $(fp_aliyun k1.pub)" "$(jq -r '.results[0] | .status + " " + .cloud_fingerprint' out)" \
	"second look verified against the listing"
hk_keygen hed ed25519
expect_exit 14 "$HWKEY" import --cloud huawei --endpoint "$CLOUDSIM_URL" --region cn-north-4 \
	--name fp_check hed.pub
assert_contains "$(cat out err)" "$(fp_huawei hed.pub)" "Huawei mismatch shown"
hk_cloudsim_stop

# 2. Throttling storm: half of all requests throttled; every key lands once.
rm -f "$CLOUDSIM_STATE" "$CLOUDSIM_LOG"
hk_cloudsim_start --throttle-rate 0.5 --seed 11
expect_exit 0 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region $REGIONS \
	--name storm-%n --jobs 8 --retries 50 --json keys.pub
assert_eq 36 "$(jq '.summary.imported + .summary.already_present' out)" "36 imports succeeded"
assert_contains "$(cat "$CLOUDSIM_LOG")" "Throttling" "the storm happened"
assert_eq 36 "$(pairs_in $REGIONS storm-)" "36 pairs listed"
assert_eq 36 "$(sim_applied_imports)" "each pair imported exactly once"
hk_cloudsim_stop

# 3. Dropped connections (answer lost after the work was done) and 5xx answers:
# no double import (a 5xx or lost import is checked with a describe call).
rm -f "$CLOUDSIM_STATE" "$CLOUDSIM_LOG"
hk_cloudsim_start --drop-rate 0.3 --error-rate 0.2 --seed 5
expect_exit 0 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region $REGIONS \
	--name drop-%n --jobs 8 --retries 50 --json keys.pub
assert_contains "$(cat "$CLOUDSIM_LOG")" "dropped" "connections were dropped"
grep -qE "fault 50[03]" "$CLOUDSIM_LOG" || fail "no 5xx was injected"
pass
assert_eq 0 "$(jq '.summary.failed' out)" "nothing failed"
assert_eq 36 "$(pairs_in $REGIONS drop-)" "36 pairs listed"
assert_eq 36 "$(sim_applied_imports)" "each pair imported exactly once"
# Huawei too (no nonce there: a replayed import meets 409 and is checked).
expect_exit 0 "$HWKEY" import --cloud huawei --endpoint "$CLOUDSIM_URL" --region cn-north-4,cn-east-3 \
	--name drop_%n --jobs 8 --retries 50 --json keys.pub
assert_eq 0 "$(jq '.summary.failed' out)" "Huawei: nothing failed"
assert_eq $((36 + 24)) "$(sim_applied_imports)" "Huawei: each pair imported exactly once"
hk_cloudsim_stop

# 4. The simulator is restarted (same state, same port) while a batch runs.
rm -f "$CLOUDSIM_STATE" "$CLOUDSIM_LOG"
for i in $(seq 40); do ssh-keygen -q -t ecdsa -N '' -C r$i -f r$i; cat r$i.pub; done >restart.pub
hk_cloudsim_start --latency 50
R5=cn-hangzhou,cn-shanghai,cn-beijing,cn-qingdao,cn-shenzhen
rc=0
"$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region $R5 --name rs-%n --jobs 4 \
	--retries 50 --json restart.pub >run1.json 2>run1.err &
pid=$!
hk_on_exit "kill $pid"
# Restart once part of the batch has landed.
for _ in $(seq 200); do
	[ "$(sim_applied_imports)" -ge 20 ] && break
	sleep 0.05
done
# 200 calls at 50 ms, 4 at a time, last 2.5 s or more: the batch is still running.
kill -0 $pid 2>/dev/null || fail "the batch ended before the restart"
hk_cloudsim_restart --latency 50
wait $pid || rc=$?
echo "restart run: exit $rc, $(jq -c .summary run1.json)" >&2
[ "$rc" = 0 ] || [ "$rc" = 10 ] || [ "$rc" = 15 ] || fail "run across a restart exited $rc"
pass
if [ "$rc" != 0 ]; then
	assert_contains "$(cat run1.err)" "failed" "an incomplete run says so"
fi
# The exit status the batch rule gives for this JSON: 0 when nothing failed,
# the failure's own status when everything failed, 15 when some did.
failed=$(jq '.summary.failed' run1.json)
total=$(jq '.results | length' run1.json)
if [ "$failed" = 0 ]; then
	want=0
elif [ "$failed" = "$total" ]; then
	want=$(jq '[.results[] | select(.status == "failed")][0].error.exit' run1.json)
else
	want=15
fi
assert_eq "$want" "$rc" "exit status agrees with the JSON summary"
# A re-run completes and imports nothing that is already there.
applied=$(sim_applied_imports)
expect_exit 0 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region $R5 --name rs-%n \
	--jobs 8 --retries 50 --json restart.pub
assert_eq $((200 - applied)) "$(jq '.summary.imported' out)" "re-run imports exactly what was missing"
assert_eq 200 "$(pairs_in $R5 rs-)" "all 200 pairs present"
assert_eq 200 "$(sim_applied_imports)" "each pair imported exactly once across the restart"
hk_cloudsim_stop

# 5. A timed-out import (applied by the server, answer too late) is never sent
# twice: the run reports the timeout; a re-run finds the pair by a describe call.
rm -f "$CLOUDSIM_STATE" "$CLOUDSIM_LOG"
hk_cloudsim_start --latency 1500
expect_exit 10 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou \
	--name slow --timeout 1 --retries 2 --json k1.pub
assert_eq HK_ERR_TIMEOUT "$(jq -r '.results[0].error.code' out)" "timeout reported"
assert_eq 1 "$(sim_applied_imports)" "the late import was applied once"
expect_exit 0 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou \
	--name slow --timeout 10 --json k1.pub
assert_eq already_present "$(jq -r '.results[0].status' out)" "re-run finds it"
assert_eq 1 "$(sim_applied_imports)" "still applied once"
hk_cloudsim_stop

# 6. Quota: the region holds 3; the rest fail with the provider's code, per key.
rm -f "$CLOUDSIM_STATE"
hk_cloudsim_start --quota 3
expect_exit 15 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou \
	--name q-%n --json keys.pub
assert_eq 3 "$(jq '.summary.imported' out)" "quota: 3 imported"
assert_eq 9 "$(jq '[.results[] | select(.error.provider_code=="QuotaExceed.KeyPair")] | length' out)" \
	"quota: 9 refused with QuotaExceed.KeyPair"
assert_eq HK_ERR_CLOUD_QUOTA "$(jq -r '[.results[] | select(.status=="failed")][0].error.code' out)" \
	"quota error code"
expect_exit 10 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou \
	--name q-extra k1.pub
assert_contains "$(cat out)" "QuotaExceed.KeyPair" "quota shown"
assert_contains "$(cat out)" "RequestId" "request id shown"
hk_done
