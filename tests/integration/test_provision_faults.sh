# hwkey provision when things break mid-plan, and the resume afterwards:
# a token pulled before its keygen, and pulled after the keygen did its work
# but before it answered; hwkey-cloudsim restarted while
# imports are in flight; the cloud down for a whole run; Ctrl-C. Each ends,
# after a resume, with exactly one key per token and one pair per region
# (tests/lib/provision.sh checks tokens and cloud directly).
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"
. "$HK_TESTLIB/softhsm.sh"
. "$HK_TESTLIB/json.sh"
. "$HK_TESTLIB/provision.sh"

: "${HK_P11FAULT:?HK_P11FAULT must point at libp11fault.so (ctest sets it)}"
PV_MODULE=$HK_P11FAULT
PV_INVENTORY=$HK_TMP/inventory.db
export HK_P11FAULT_REMOVED=$HK_TMP/pulled
REGIONS='["cn-hangzhou", "cn-shanghai"]'
hk_cloudsim_start
hk_creds_aliyun

entry() { jq -r --arg e "$1" ".entries[] | select(.entry == \$e) | $2" "${3:-summary.json}"; }
privkeys() {
	pkcs11-tool --module "$HK_SOFTHSM_MODULE" --token-label "$1" --login --pin "$PV_PIN" \
		--list-objects --type privkey 2>/dev/null | grep -c '^Private Key Object' || true
}

# ---- a token pulled at its keygen: that entry fails, the others go on ----
pv_tokens 4 pf
pv_plan pf.json 4 pf "$REGIONS"
HK_P11FAULT_PULL=pf2:C_GenerateKeyPair expect_exit 15 pv_provision --plan pf.json --json
tail -1 out >summary.json
hk_json_valid provision summary.json
assert_eq failed "$(entry pf2-ssh .state)" "pulled token's entry failed"
assert_eq keygen "$(entry pf2-ssh .step)" "... at keygen"
assert_contains "HK_ERR_DEVICE_REMOVED HK_ERR_TOKEN_ABSENT" "$(entry pf2-ssh .error.code)" \
	"... because the device was removed"
assert_eq 3 "$(jq .counts.done summary.json)" "the other three are done"
assert_eq 0 "$(privkeys pf2)" "no key on the pulled token"
assert_contains "$(cat err)" "1 of 4 failed" "partial outcome named"
# Reinserted: the same plan finishes it, the others are not repeated.
rm -f "$HK_P11FAULT_REMOVED"
expect_exit 0 pv_provision --plan pf.json --json
tail -1 out >summary.json
assert_eq 3 "$(jq .counts.already_done summary.json)" "three were done already"
assert_eq true "$(entry pf2-ssh .key_made)" "pf2's key made on the resume"
pv_check pf.json 4 pf cn-hangzhou cn-shanghai

# ---- pulled after the keygen did its work (the answer lost) ----
pv_tokens 3 pg
pv_plan pg.json 3 pg "$REGIONS"
HK_P11FAULT_PULL=pg2:C_GenerateKeyPair:after expect_exit 15 pv_provision --plan pg.json --json
tail -1 out >summary.json
assert_eq failed "$(entry pg2-ssh .state)" "answer lost: entry failed"
assert_eq 1 "$(privkeys pg2)" "... but the key was made on the token"
rm -f "$HK_P11FAULT_REMOVED"
expect_exit 0 pv_provision --plan pg.json --json
tail -1 out >summary.json
assert_eq true "$(entry pg2-ssh .key_found)" "pg2: the journaled key id found the key again"
assert_eq false "$(entry pg2-ssh .key_made)" "pg2: no second key made"
pv_check pg.json 3 pg cn-hangzhou cn-shanghai

# ---- hwkey-cloudsim restarted while imports are in flight ----
hk_cloudsim_restart --latency 400
pv_tokens 3 pr
pv_plan pr.json 3 pr "$REGIONS"
imports0=$(sim_applied_imports)
PV_PIN_VAR=$PV_PIN "$HWKEY" provision --module "$PV_MODULE" --endpoint "$CLOUDSIM_URL" \
	--inventory "$PV_INVENTORY" --plan pr.json --json >pr.jsonl 2>pr.err &
pid=$!
hk_on_exit "kill $pid"
# Restart once the first import is on its way (the run is waited for, not timed).
for _ in $(seq 600); do
	grep -q '"event":"step","entry":"pr[0-9]-ssh","index":[0-9]*,"step":"import"' pr.jsonl && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
grep -q '"step":"import"' pr.jsonl || fail "no import started before the run ended"
pass
sleep 0.1
hk_cloudsim_restart --latency 0
rc=0
wait "$pid" || rc=$?
if [ "$rc" != 0 ]; then
	# Retries may run out while the simulator is down: the resume settles the rest.
	echo "run across the restart exited $rc; resuming"
	expect_exit 0 pv_provision --plan pr.json
fi
pv_check pr.json 3 pr cn-hangzhou cn-shanghai
# Never a second pair: each (name, region) was applied once.
assert_eq $((imports0 + 6)) "$(sim_applied_imports)" "6 imports applied, none twice"

# ---- the cloud down for a whole run: keys made and kept, imports on the resume ----
hk_cloudsim_stop
pv_tokens 2 pd
pv_plan pd.json 2 pd "$REGIONS"
expect_exit 10 pv_provision --plan pd.json --json --retries 2 --timeout 2
tail -1 out >summary.json
assert_eq import "$(entry pd1-ssh .step)" "cloud down: stopped at import"
assert_eq 1 "$(privkeys pd1)" "the key was made and kept"
hk_cloudsim_restart
expect_exit 0 pv_provision --plan pd.json --json
tail -1 out >summary.json
assert_eq "true true" "$(jq -r '[.entries[].key_found] | map(tostring) | join(" ")' summary.json)" \
	"resume found both keys"
pv_check pd.json 2 pd cn-hangzhou cn-shanghai

# ---- Ctrl-C: what is in flight settles, exit 16, the resume finishes ----
pv_tokens 3 pc
pv_plan pc.json 3 pc "$REGIONS"
# A script's background job ignores SIGINT (and hwkey keeps it ignored)
# unless it has a process group of its own: job control on for the launch.
set -m
HK_P11FAULT_DELAY=C_GenerateKeyPair:1500 PV_PIN_VAR=$PV_PIN "$HWKEY" provision \
	--module "$PV_MODULE" --endpoint "$CLOUDSIM_URL" --inventory "$PV_INVENTORY" \
	--plan pc.json --json >pc.jsonl 2>pc.err &
pid=$!
set +m
for _ in $(seq 600); do
	grep -q '"step":"keygen"' pc.jsonl && break
	sleep 0.05
done
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq 16 "$rc" "Ctrl-C: exit 16"
tail -1 pc.jsonl >summary.json
assert_eq 0 "$(jq .counts.done summary.json)" "nothing reported done after Ctrl-C"
assert_eq 3 "$(jq .counts.cancelled summary.json)" "all three cancelled"
expect_exit 0 pv_provision --plan pc.json
pv_check pc.json 3 pc cn-hangzhou cn-shanghai
hk_done
