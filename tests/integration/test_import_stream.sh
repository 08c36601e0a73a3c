# hwkey import prints each region's row when it is known, not after the last
# one; on a terminal, retries are shown on stderr as they happen (throttling,
# a refused connection), and not when stderr is a file. --json stays one
# document at the end.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_creds_aliyun
hk_keygen k1 ecdsa 256

# 1. One call at a time, 1 s each: the first row is out while the rest run.
hk_cloudsim_start --latency 1000
"$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou,cn-beijing,cn-shanghai \
	--name st-1 --jobs 1 k1.pub >out 2>err &
pid=$!
hk_on_exit "kill -9 $pid"
sleep 1.8
kill -0 $pid 2>/dev/null || fail "import finished too early to prove anything"
pass
assert_contains "$(cat out)" "cn-hangzhou      st-1" "first row printed while the others run"
assert_not_contains "$(cat out)" "cn-shanghai" "last row not yet known"
rc=0
wait $pid || rc=$?
assert_eq 0 "$rc" "import succeeded"
assert_eq 3 "$(grep -c ' imported ' out)" "three rows in the end"
assert_contains "$(tail -1 out)" "3 imported" "summary last"
# --json: one document, nothing before it.
expect_exit 0 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou,cn-beijing \
	--name st-1 --json k1.pub
jq -e '.results | length == 2' out >/dev/null || fail "one JSON document: $(cat out)"
pass
hk_cloudsim_stop

# 2. Throttling on a terminal: each retry is said as it happens.
rm -f "$CLOUDSIM_STATE" "$CLOUDSIM_LOG"
hk_cloudsim_start --throttle-rate 0.6 --seed 3
rc=0
script -qec "$HWKEY import --cloud aliyun --endpoint $CLOUDSIM_URL --region cn-hangzhou,cn-beijing \
	--name st-2 --retries 30 k1.pub" /dev/null >tty.out 2>&1 || rc=$?
assert_eq 0 "$rc" "import through throttling on a terminal (script -e passes the status)"
assert_contains "$(cat tty.out)" ": throttled, retry 1/29 in " "throttling retry shown on a terminal"
assert_contains "$(cat tty.out)" "2 imported" "and the import finished"
# Not a terminal: the table and the summary only.
expect_exit 0 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou,cn-beijing \
	--name st-3 --retries 30 k1.pub
assert_not_contains "$(cat err)" "retry" "no retry lines into a file"

# 3. A refused connection is retried visibly, not silently.
port=$(hk_free_port)
rc=0
script -qec "$HWKEY import --cloud aliyun --endpoint http://127.0.0.1:$port --region cn-hangzhou \
	--name st-4 --retries 3 k1.pub" /dev/null >tty.out 2>&1 || rc=$?
assert_eq 10 "$rc" "import to a refused port on a terminal: a network failure"
assert_contains "$(cat tty.out)" "cn-hangzhou: network error, retry 1/2 in " "refused connection retry shown"
assert_contains "$(cat tty.out)" "failed: network error" "then the row says it failed"

hk_done
