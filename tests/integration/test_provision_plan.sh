# hwkey provision --plan: 20 SoftHSM2 tokens into 3 regions of hwkey-cloudsim
# end to end: exactly one key per token, one pair per region holding it, the
# inventory agreeing with both; the --json event stream and summary valid
# under the schema; a second run repeats nothing (no cloud request, no key);
# --status before and after; plan errors name the entry and field before
# anything runs; the one-token form; plain progress lines off a terminal.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"
. "$HK_TESTLIB/softhsm.sh"
. "$HK_TESTLIB/json.sh"
. "$HK_TESTLIB/provision.sh"

PV_INVENTORY=$HK_TMP/inventory.db
REGIONS='["cn-hangzhou", "cn-shanghai", "cn-beijing"]'
pv_tokens 20 pa
pv_plan plan.json 20 pa "$REGIONS" twenty
hk_cloudsim_start
hk_creds_aliyun

# Before anything ran: every entry pending, and --status created nothing.
expect_exit 0 "$HWKEY" provision --status --plan plan.json --inventory "$PV_INVENTORY" --json
hk_json_valid provision-status out
assert_eq 20 "$(jq '[.entries[] | select(.state == "pending")] | length' out)" "all pending before"
[ ! -e "$PV_INVENTORY" ] || fail "--status created the inventory"
pass

# The run, as a stream of JSON events.
expect_exit 0 pv_provision --plan plan.json --json
cp out run1.jsonl
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s\n' "$line" >"ev-$n.json"
done <run1.jsonl
# Every line is a document of the schema (a sample of events, and the summary).
for i in 1 2 3 $((n / 2)) $((n - 1)) "$n"; do
	hk_json_valid provision "ev-$i.json"
done
tail -1 run1.jsonl >summary.json
assert_eq summary "$(jq -r .event summary.json)" "the last line is the summary"
assert_eq 20 "$(jq .counts.done summary.json)" "20 entries done"
assert_eq 20 "$(jq '[.entries[] | select(.key_made)] | length' summary.json)" "20 keys made"
assert_eq 60 "$(jq -s '[.[] | select(.event == "import" and .import.status == "imported")] | length' \
	run1.jsonl)" "60 imports settled as imported"
# Each step of each entry was announced, in order, before it ended.
assert_eq "intent keygen proof export import import import verify verify verify done" \
	"$(jq -rs '[.[] | select(.entry == "pa7-ssh" and .event == "step") | .step] | join(" ")' \
	run1.jsonl | sed 's/  */ /g')" "pa7's steps in order"
assert_eq 0 "$(jq -s '[.[] | select(.event == "step_end" and .outcome != "ok")] | length' \
	run1.jsonl)" "no step failed"
# The PIN is nowhere in the output.
assert_not_contains "$(cat run1.jsonl err)" "$PV_PIN" "no PIN in the output"
pv_check plan.json 20 pa cn-hangzhou cn-shanghai cn-beijing
# ... nor in the inventory.
if strings "$PV_INVENTORY" | grep -q "$PV_PIN"; then fail "the PIN is in the inventory"; fi
pass

# Again: everything was done, nothing is repeated.
n0=$(sim_requests)
expect_exit 0 pv_provision --plan plan.json --json
assert_eq 20 "$(tail -1 out | jq .counts.already_done)" "second run: all done earlier"
assert_eq "$n0" "$(sim_requests)" "second run sent no request"
pv_check plan.json 20 pa cn-hangzhou cn-shanghai cn-beijing
rows0=$(sqlite3 "$PV_INVENTORY" 'select count(*) from journal')
sum0=$(sqlite3 "$PV_INVENTORY" .dump | sha256sum)
expect_exit 0 "$HWKEY" provision --status --plan plan.json --inventory "$PV_INVENTORY"
assert_contains "$(cat out)" "20 of 20 done" "--status table"
assert_eq "$sum0" "$(sqlite3 "$PV_INVENTORY" .dump | sha256sum)" "--status changed nothing"
assert_eq "$rows0" "$(sqlite3 "$PV_INVENTORY" 'select count(*) from journal')" "no journal row from --status"

# Plan errors: named entry and field, exit 3, nothing touched.
bad() {
	printf '%s\n' "$1" >bad.json
	n0=$(sim_requests)
	expect_exit "${3:-3}" pv_provision --plan bad.json --inventory "$HK_TMP/bad.db"
	assert_contains "$(cat err)" "$2" "plan error names where"
	[ ! -e "$HK_TMP/bad.db" ] || fail "a bad plan created the inventory"
	assert_eq "$n0" "$(sim_requests)" "a bad plan sent nothing"
}
bad '{"entries": [{"token": "pkcs11:token=pa1", "name": "xx", "type": "ecdsa-p256", "label": "l", "cloud": "aliyun", "regions": ["cn-hangzhou"], "pni": "env:X"}]}' \
	'entries[0] (xx): field "pni": unknown field'
bad '{"defaults": {"type": "ecdsa-p256", "label": "l", "cloud": "aliyun", "regions": ["cn-hangzhou"]}, "entries": [{"token": "pkcs11:token=pa1", "name": "aa"}, {"token": "pkcs11:token=pa2", "name": "bb", "pin": "1234"}]}' \
	'entries[1] (bb): field "pin": a PIN source is env:VAR, file:PATH or fd:N'
bad '{"defaults": {"label": "l", "cloud": "aliyun", "regions": ["cn-hangzhou"]}, "entries": [{"token": "pkcs11:token=pa1", "name": "aa"}]}' \
	'entries[0] (aa): field "type": missing'
bad '{"defaults": {"type": "ecdsa-p256", "label": "l", "cloud": "aliyun", "regions": "cn-hangzhou"}, "entries": [{"token": "pkcs11:token=pa1", "name": "aa"}, {"token": "pkcs11:token=pa1", "name": "bb"}]}' \
	'entries[1] (bb): field "token": "pkcs11:token=pa1" is also entries[0]'
bad '{"entries": [{"serial": "abc", "name": "aa", "type": "ed25519", "label": "l", "cloud": "aliyun", "regions": ["cn-hangzhou"]}]}' \
	'entries[0] (aa): field "type"' 12
bad '{"entries": [' 'not JSON'

# One token on the command line; plain progress lines (stderr is not a terminal).
pv_tokens 1 solo
expect_exit 0 pv_provision "pkcs11:token=solo1" --type ecdsa-p384 --label solo --name solo1-ssh \
	--cloud aliyun --region cn-hangzhou --pin env:PV_PIN_VAR
assert_contains "$(cat err)" "solo1-ssh: keygen ok: id=" "plain keygen line"
assert_contains "$(cat err)" "solo1-ssh: import cn-hangzhou: imported" "plain import line"
assert_contains "$(cat err)" "solo1-ssh: done" "plain done line"
assert_contains "$(cat out)" "1 of 1 done" "summary table"
assert_not_contains "$(cat err)" $'\033[' "no terminal control codes off a terminal"
"$HWKEY" cloud list --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou \
	--name solo1-ssh --json >l.json
assert_eq ecdsa-sha2-nistp384 "$(jq -r '.regions[0].keypairs[0].public_key' l.json | awk '{print $1}')" \
	"the one-token key pair is the P-384 key"
# Attach: the pair is bound to the instance afterwards (the cloud says so:
# detaching it finds it bound), and the run ends done.
pv_tokens 1 att
expect_exit 0 pv_provision "pkcs11:token=att1" --type ecdsa-p256 --label att --name att1-ssh \
	--cloud aliyun --region cn-hangzhou --pin env:PV_PIN_VAR --attach i-sim0001 --json
assert_eq "attach ok" "$(jq -r 'select(.event == "step_end" and .step == "attach") |
	.step + " " + .outcome' out)" "attach step ended ok"
expect_exit 0 "$HWKEY" cloud detach --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou \
	--name att1-ssh i-sim0001 --json
assert_eq detached "$(jq -r '.results[0].status' out)" "the instance was bound to att1-ssh"
expect_exit 2 pv_provision "pkcs11:token=solo1" --type ecdsa-p384 --label solo --cloud aliyun \
	--region cn-hangzhou
assert_contains "$(cat err)" "--name" "usage names what is missing"
hk_done
