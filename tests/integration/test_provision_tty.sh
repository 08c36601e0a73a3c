# hwkey provision on a terminal: entries without a PIN source get one PIN
# prompt per token (before any work starts, never echoed), and standard error
# is the live view (a line per token in flight, the overall bar) with the
# summary table after it. tests/lib/pty_answer.py is the terminal.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"
. "$HK_TESTLIB/softhsm.sh"
. "$HK_TESTLIB/provision.sh"

PV_INVENTORY=$HK_TMP/inventory.db
pv_tokens 2 ty
# No "pin" anywhere: each token's PIN is asked.
cat >plan.json <<PLAN
{"plan": "tty", "defaults": {"type": "ecdsa-p256", "label": "ssh", "cloud": "aliyun",
  "regions": ["cn-hangzhou", "cn-shanghai"]},
 "entries": [{"token": "pkcs11:token=ty1", "name": "ty1-ssh"},
             {"token": "pkcs11:token=ty2", "name": "ty2-ssh"}]}
PLAN
hk_cloudsim_start
hk_creds_aliyun
printf '%s\n%s\n' "$PV_PIN" "$PV_PIN" >answers
expect_exit 0 /usr/bin/python3 "$HK_TESTLIB/pty_answer.py" answers "$HWKEY" provision \
	--plan plan.json --module "$HK_SOFTHSM_MODULE" --endpoint "$CLOUDSIM_URL" \
	--inventory "$PV_INVENTORY"
tr -d '\r' <out >transcript
assert_eq 1 "$(grep -c 'PIN for token ty1 (ty1-ssh): ' transcript)" "one prompt for ty1"
assert_eq 1 "$(grep -c 'PIN for token ty2 (ty2-ssh): ' transcript)" "one prompt for ty2"
assert_not_contains "$(cat transcript)" "$PV_PIN" "the PIN is not echoed"
assert_contains "$(cat transcript)" $'\033[' "the live view redraws with terminal controls"
assert_contains "$(cat transcript)" "] 2 done, 0 failed, 0 remaining" "the overall bar at the end"
assert_contains "$(cat transcript)" "ty1-ssh: done" "finished entries scroll above the view"
assert_contains "$(cat transcript)" "2 of 2 done" "summary table"
pv_check plan.json 2 ty cn-hangzhou cn-shanghai
hk_done
