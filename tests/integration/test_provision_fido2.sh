# hwkey provision with fido: entries: one plan mixing a SoftHSM2 token
# (imported into hwkey-cloudsim) and two hwkey-fido2sim devices (ecdsa-sk
# resident with a PIN, ed25519-sk non-resident on a device without one).
# Checked without hwkey where possible: ssh-keygen loads the key-handle
# files and fingerprints the .pub files, the sims' logs and hwkey keys count
# the credentials; the inventory (export --json) holds both sk keys with
# their attestation and each device's AAGUID. A plan error names the entry
# and field before anything runs; a kill -9 while the device waits for the
# touch, then a resume, ends with exactly one resident credential; a second
# run makes nothing; a missing key file is written again from the inventory,
# a file holding another key is never replaced.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"
. "$HK_TESTLIB/softhsm.sh"
. "$HK_TESTLIB/json.sh"
. "$HK_TESTLIB/fido2sim.sh"
. "$HK_TESTLIB/provision.sh"

export HOME=$HK_TMP/home
mkdir -p "$HOME" keys
PV_INVENTORY=$HK_TMP/inventory.db
AAGUID_A=68776b65792d6669646f3273696d0001
AAGUID_B=68776b65792d6669646f3273696d00b2

pv_tokens 1 pf
hk_cloudsim_start
hk_creds_aliyun
printf '%s\n' 975312 >"$HK_TMP/sim-pin"
printf '%s' 975312 >skpin && chmod 600 skpin
FIDO2SIM_DIR=$HK_TMP/simA hk_fido2sim_start --pin-file "$HK_TMP/sim-pin" --touch-delay 60000
SIM_A_PID=$FIDO2SIM_PID
DEV_A=fido:unix:$FIDO2SIM_SOCKET
LOG_A=$FIDO2SIM_LOG
CA_A=$FIDO2SIM_CA
SOCK_A=$FIDO2SIM_SOCKET
FIDO2SIM_DIR=$HK_TMP/simB hk_fido2sim_start --aaguid "$AAGUID_B"
DEV_B=fido:unix:$FIDO2SIM_SOCKET
LOG_B=$FIDO2SIM_LOG

made() { grep -c 'makeCredential status=0x00' "$1" || true; }

# The key handle (hex) and flags of a key-handle file, read without hwkey.
kh() {
	/usr/bin/python3 - "$1" <<'PY'
import base64, struct, sys
t = open(sys.argv[1]).read().strip().splitlines()
b = base64.b64decode("".join(t[1:-1]))
assert b.startswith(b"openssh-key-v1\0")
o = 15
def s():
    global o
    n = struct.unpack(">I", b[o:o + 4])[0]; o += 4
    v = b[o:o + n]; o += n
    return v
s(); s(); s(); o += 4; s(); b = s(); o = 8
typ = s()
if typ == b"sk-ecdsa-sha2-nistp256@openssh.com":
    s(); s()
else:
    s()
app = s(); flags = b[o]; o += 1
print(app.decode(), "%02x" % flags, s().hex())
PY
}

# plan FILE [EXTRA_ALICE_FIELDS]: the mixed plan.
plan() {
	cat >"$1" <<EOF
{"plan": "fido-mix",
 "defaults": {"output": "keys"},
 "entries": [
  {"token": "pkcs11:token=pf1", "name": "pf1-ssh", "type": "ecdsa-p256", "label": "ssh",
   "cloud": "aliyun", "regions": ["cn-hangzhou"], "pin": "env:PV_PIN_VAR"},
  {"token": "$DEV_A", "name": "alice-sk", "type": "ecdsa-sk", "resident": true,
   "user": "alice", "application": "ssh:hwkey", "pin": "file:skpin",
   "attestation_roots": "$CA_A"${2:-}},
  {"token": "$DEV_B", "name": "bob-sk", "type": "ed25519-sk"}
 ]}
EOF
}
plan plan.json

# --- Refused before anything runs: the entry and the field named.
bad() {
	printf '%s\n' "$1" >bad.json
	expect_exit "$3" pv_provision --plan bad.json --inventory "$HK_TMP/bad.db"
	assert_contains "$(cat err)" "$2" "plan error names where"
	[ ! -e "$HK_TMP/bad.db" ] || fail "a bad plan created the inventory"
}
n_sim0=$(sim_requests)
bad "{\"entries\": [{\"token\": \"$DEV_A\", \"name\": \"x\", \"type\": \"ecdsa-sk\", \"cloud\": \"aliyun\", \"regions\": [\"cn-hangzhou\"]}]}" \
	'entries[0] (x): field "type"' 12
assert_contains "$(cat err)" "authorized_keys" "the capability's reason for sk keys"
plan bad.json
sed -i 's/"resident": true/"resident": "yes"/' bad.json
bad "$(cat bad.json)" 'entries[1] (alice-sk): field "resident": expected true or false' 3
plan bad.json ', "applicaton": "ssh:x"'
bad "$(cat bad.json)" 'entries[1] (alice-sk): field "applicaton": unknown field' 3
plan bad.json ', "application": "web:x"'
sed -i 's/"application": "ssh:hwkey", //' bad.json
bad "$(cat bad.json)" 'entries[1] (alice-sk): field "application": "web:x" must start with "ssh:"' 3
plan bad.json ', "output": "no-such-dir"'
bad "$(cat bad.json)" 'entries[1] (alice-sk): field "output": "no-such-dir" is not a directory' 3
bad "{\"entries\": [{\"token\": \"$DEV_B\", \"name\": \"y\", \"type\": \"ed25519\", \"label\": \"l\"}]}" \
	'entries[0] (y): field "type": a fido: device makes ecdsa-sk and ed25519-sk keys' 3
bad '{"entries": [{"token": "pkcs11:token=pf1", "name": "z", "type": "ecdsa-sk"}]}' \
	'entries[0] (z): field "type": ecdsa-sk keys are made on a fido: device' 3
assert_eq "0 0" "$(made "$LOG_A") $(made "$LOG_B")" "no device was asked to make anything"
assert_eq "$n_sim0" "$(sim_requests)" "no cloud request for a bad plan"
assert_eq "" "$(ls keys)" "no file written for a bad plan"

# --- kill -9 while device A waits for the touch (it keeps sending keepalives).
PV_PIN_VAR=$PV_PIN "$HWKEY" provision --module "$PV_MODULE" --endpoint "$CLOUDSIM_URL" \
	--inventory "$PV_INVENTORY" --plan plan.json >kill.out 2>kill.err &
pid=$!
for _ in $(seq 400); do
	grep -q "alice-sk: keygen: touch the security key" kill.err 2>/dev/null && break
	sleep 0.05
done
assert_contains "$(cat kill.err)" "alice-sk: keygen: touch the security key $DEV_A" \
	"the plain line asks for the touch for that entry"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
assert_eq 0 "$(made "$LOG_A")" "nothing made on A before the touch"
expect_exit 0 "$HWKEY" provision --status --plan plan.json --inventory "$PV_INVENTORY" --json
hk_json_valid provision-status out
assert_eq "running keygen begin" "$(jq -r '.entries[] | select(.entry == "alice-sk") |
	"\(.state) \(.step) \(.last_phase)"' out)" "--status: alice-sk cut inside keygen"
assert_not_contains "$(cat kill.out kill.err)" 975312 "no PIN in the output"

# --- Resume, the device answering at once: every entry done, one credential on A.
FIDO2SIM_PID=$SIM_A_PID
FIDO2SIM_SOCKET=$SOCK_A
hk_fido2sim_restart --pin-file "$HK_TMP/sim-pin"
expect_exit 0 pv_provision --plan plan.json --json
cp out run2.jsonl
tail -1 run2.jsonl >summary.json
while IFS= read -r line; do
	printf '%s\n' "$line" >ev.json
	hk_json_valid provision ev.json
done <run2.jsonl
assert_eq 3 "$(jq '.counts.done' summary.json)" "resume: all three done"
assert_eq 1 "$(jq -s '[.[] | select(.event == "touch" and .entry == "alice-sk")] | length' run2.jsonl)" \
	"one touch event for alice-sk"
assert_eq 1 "$(made "$LOG_A")" "exactly one credential made on A"
expect_exit 0 "$HWKEY" keys "$DEV_A" --pin file:skpin --json
assert_eq 1 "$(jq '.keys | length' out)" "exactly one resident credential on A"
rk_id=$(jq -r '.keys[0].id' out)
assert_eq "ssh:hwkey alice" "$(jq -r '.keys[0].label' out)" "the credential's application and user"
assert_eq "$rk_id" "$(jq -r '.entries[] | select(.entry == "alice-sk") | .key_id' summary.json)" \
	"the inventory's credential id is the device's"
bob_made=$(made "$LOG_B")
[ "$bob_made" -ge 1 ] || fail "bob-sk made on B"
pass

# The files: ssh-keygen loads them; fingerprints as ssh-keygen -l says.
for e in alice-sk bob-sk; do
	f=keys/$e
	assert_eq 600 "$(stat -c %a "$f")" "$f mode"
	assert_eq "$(awk '{print $1" "$2}' "$f.pub")" "$(ssh-keygen -y -f "$f" | awk '{print $1" "$2}')" \
		"$f: ssh-keygen -y loads the key-handle file"
	assert_eq "$(ssh-keygen -l -f "$f.pub" | awk '{print $2}')" \
		"$(jq -r --arg e "$e" '.entries[] | select(.entry == $e) | .fingerprint' summary.json)" \
		"$e: fingerprint = ssh-keygen -l"
	assert_eq "$(awk '{print $1" "$2}' "$f.pub")" "$(jq -r --arg e "$e" '.entries[] |
		select(.entry == $e) | .public_key' summary.json | awk '{print $1" "$2}')" \
		"$e: the .pub is the recorded public key"
	assert_eq "$e" "$(awk '{print $3}' "$f.pub")" "$e: the .pub's comment is the entry's name"
done
assert_eq sk-ecdsa-sha2-nistp256@openssh.com "$(awk '{print $1}' keys/alice-sk.pub)" "alice: ecdsa-sk"
assert_eq sk-ssh-ed25519@openssh.com "$(awk '{print $1}' keys/bob-sk.pub)" "bob: ed25519-sk"
# The SoftHSM entry went to the cloud as before.
pv_check plan.json 1 pf cn-hangzhou

# The inventory: both sk keys with their attestation, the devices' AAGUIDs.
expect_exit 0 "$HWKEY" inventory export --json --inventory "$PV_INVENTORY"
cp out inv.json
hk_json_valid inventory-export inv.json
for e in alice-sk:$AAGUID_A:$DEV_A bob-sk:$AAGUID_B:$DEV_B; do
	name=${e%%:*}
	rest=${e#*:}
	aaguid=${rest%%:*}
	dev=${rest#*:}
	fp=$(ssh-keygen -l -f "keys/$name.pub" | awk '{print $2}')
	assert_eq "fido2 packed true true" "$(jq -r --arg fp "$fp" '.keys[] |
		select(.fingerprints.sha256 == $fp) |
		"\(.backend) \(.attestation_format) \(.attestation_size > 0) \(.proof.verified)"' inv.json)" \
		"$name: recorded with its verified attestation"
	assert_eq "$aaguid" "$(jq -r --arg d "$dev" '.tokens[] | select(.token == $d) | .aaguid' inv.json)" \
		"$name: the device's AAGUID"
done
assert_eq "$rk_id" "$(jq -r --arg fp "$(ssh-keygen -l -f keys/alice-sk.pub | awk '{print $2}')" \
	'.keys[] | select(.fingerprints.sha256 == $fp) | .ref' inv.json)" "credential id in the inventory"

# --status shows the fido: entries done, with their files.
expect_exit 0 "$HWKEY" provision --status --plan plan.json --inventory "$PV_INVENTORY" --json
hk_json_valid provision-status out
assert_eq "done keys/alice-sk done keys/bob-sk" "$(jq -r '[.entries[] | select(.cloud == null) |
	"\(.state) \(.key_file)"] | join(" ")' out)" "--status: both sk entries done"
expect_exit 0 "$HWKEY" provision --status --plan plan.json --inventory "$PV_INVENTORY"
assert_contains "$(cat out)" "3 of 3 done" "--status table"

assert_eq "ssh:hwkey 21 $rk_id" "$(kh keys/alice-sk)" "alice: application, resident flags, the device's credential id"
assert_eq "ssh: 01 $(jq -r '.entries[] | select(.entry == "bob-sk") | .key_id' summary.json)" \
	"$(kh keys/bob-sk)" "bob: application, flags, the recorded credential id"

# --- Again: nothing made, nothing written, no cloud request.
sums=$(sha256sum keys/alice-sk keys/alice-sk.pub keys/bob-sk keys/bob-sk.pub)
bob_kh=$(kh keys/bob-sk)
n_sim=$(sim_requests)
expect_exit 0 pv_provision --plan plan.json --json
assert_eq 3 "$(tail -1 out | jq .counts.already_done)" "second run: all done earlier"
assert_eq "1 $bob_made" "$(made "$LOG_A") $(made "$LOG_B")" "second run made no credential"
assert_eq "$sums" "$(sha256sum keys/alice-sk keys/alice-sk.pub keys/bob-sk keys/bob-sk.pub)" "second run rewrote no file"
assert_eq "$n_sim" "$(sim_requests)" "second run sent no cloud request"
expect_exit 0 "$HWKEY" keys "$DEV_A" --pin file:skpin --json
assert_eq 1 "$(jq '.keys | length' out)" "still one resident credential on A"

# --- A key file gone: written again from the inventory (B is not asked).
rm keys/bob-sk
expect_exit 0 pv_provision --plan plan.json
assert_contains "$(cat err)" "bob-sk: keygen ok: credential" "bob-sk: the recorded credential used"
assert_contains "$(cat err)" "bob-sk: export ok: keys/bob-sk and .pub written again from the inventory" \
	"bob-sk: the file written again"
assert_eq "$bob_kh" "$(kh keys/bob-sk)" "the same key handle and flags again"
sums=$(sha256sum keys/alice-sk keys/alice-sk.pub keys/bob-sk.pub)
assert_eq "$(awk '{print $1" "$2}' keys/bob-sk.pub)" "$(ssh-keygen -y -f keys/bob-sk | awk '{print $1" "$2}')" \
	"the file written again loads in ssh-keygen"
assert_eq 600 "$(stat -c %a keys/bob-sk)" "written again with mode 600"
assert_eq "$bob_made" "$(made "$LOG_B")" "no credential made for it"
# A file holding another key is never replaced: the entry fails, the file stays.
rm keys/bob-sk
cp keys/bob-sk.pub bob.pub.saved
cp keys/alice-sk.pub keys/bob-sk.pub
expect_exit 15 pv_provision --plan plan.json
assert_contains "$(cat err)" "keys/bob-sk.pub holds another key; not overwritten" "another key refused (exit 15: one entry of three failed)"
assert_eq "$(cat keys/alice-sk.pub)" "$(cat keys/bob-sk.pub)" "the other key's file untouched"
[ ! -e keys/bob-sk ] || fail "nothing written beside a file holding another key"
pass
cp bob.pub.saved keys/bob-sk.pub
expect_exit 0 pv_provision --plan plan.json
assert_eq "$bob_kh" "$(kh keys/bob-sk)" "put right, the same key handle"
assert_eq "$sums" "$(sha256sum keys/alice-sk keys/alice-sk.pub keys/bob-sk.pub)" \
	"put right, the other files unchanged"
assert_eq "1 $bob_made" "$(made "$LOG_A") $(made "$LOG_B")" "and still no new credential"
# The one-token form: a fido: TOKEN needs only --type and --name (file in the cwd).
mkdir solo && cd solo
expect_exit 0 "$HWKEY" provision "$DEV_B" --type ed25519-sk --name solo-sk \
	--inventory "$PV_INVENTORY"
assert_contains "$(cat "$HK_TMP/err")" "solo-sk: keygen: touch the security key $DEV_B now" \
	"one-token form: the touch line"
assert_eq "$(awk '{print $1" "$2}' solo-sk.pub)" "$(ssh-keygen -y -f solo-sk | awk '{print $1" "$2}')" \
	"one-token form: the key file loads in ssh-keygen"
assert_eq $((bob_made + 1)) "$(made "$LOG_B")" "one-token form: one credential made"
cd "$HK_TMP"
expect_exit 2 "$HWKEY" provision "$DEV_B" --type ed25519-sk --inventory "$PV_INVENTORY"
assert_contains "$(cat err)" "needs --type and --name" "one-token form: --name required"
grep -rq 975312 out err kill.out kill.err run2.jsonl "$LOG_A" && fail "the PIN appeared in output or log"
pass
hk_done
