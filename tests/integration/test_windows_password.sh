# hwkey windows-password: a SoftHSM RSA key made with --usage
# ssh,windows-password is imported into hwkey-cloudsim's Huawei KPS, a Windows
# instance is created with that key pair (cloudsim encrypts a fresh password
# to it, RSA PKCS#1 v1.5, and tells this test the plaintext), and hwkey prints
# exactly that password after C_Decrypt on the token: from the cloud
# (ShowServerPassword over signed HTTP) and from a blob saved earlier. Then
# every refusal: a key without decrypt usage, the wrong key, a wrong PIN,
# unknown and Linux instances, Alibaba, a terminal without --show; and the
# password never in stderr or the simulator's log.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"
. "$HK_TESTLIB/json.sh"

PTY="/usr/bin/python3 $HK_TESTLIB/pty_answer.py"
hk_softhsm_init alice 123456 12345678 >/dev/null
M=(--module "$HK_SOFTHSM_MODULE")
T='pkcs11:token=alice'
export PIN=123456 BADPIN=000000

# Keys: one for Windows passwords, one SSH-only (the default), a second
# decrypting key the blobs were not encrypted to.
expect_exit 0 "$HWKEY" keygen "${M[@]}" "$T" --type rsa2048 --label win \
	--usage ssh,windows-password --pin env:PIN -o win.pub
expect_exit 0 "$HWKEY" keygen "${M[@]}" "$T" --type rsa2048 --label sshonly --pin env:PIN -o ssh.pub
expect_exit 0 "$HWKEY" keygen "${M[@]}" "$T" --type rsa3072 --label other \
	--usage windows-password --pin env:PIN -o other.pub
expect_exit 0 "$HWKEY" keygen "${M[@]}" "$T" --type rsa2048 --label other2k \
	--usage ssh,windows-password --pin env:PIN
expect_exit 19 "$HWKEY" keygen "${M[@]}" "$T" --type ecdsa-p256 --label ec \
	--usage ssh,windows-password --pin env:PIN
assert_contains "$(cat err)" "needs an RSA key" "non-RSA windows-password key refused"
expect_exit 2 "$HWKEY" keygen "${M[@]}" "$T" --type rsa2048 --label x --usage rdp --pin env:PIN
assert_contains "$(cat err)" '"rdp" is not a key usage' "unknown usage named"

# hwkey keys shows the usage: the decrypt flag, in text and JSON.
expect_exit 0 "$HWKEY" keys "${M[@]}" "$T" --pin env:PIN
assert_eq "decrypt" "$(awk '$2 == "win" { print $NF }' out | tr , '\n' | grep -x decrypt)" \
	"text listing: win may decrypt"
assert_eq "" "$(awk '$2 == "sshonly" { print $NF }' out | tr , '\n' | grep -x decrypt || true)" \
	"text listing: sshonly may not"
expect_exit 0 "$HWKEY" keys "${M[@]}" "$T" --pin env:PIN --json
hk_json_valid keys out
for l in win:true sshonly:false other:true; do
	assert_eq "${l#*:}" "$(jq -r --arg l "${l%%:*}" '.keys[] | select(.label == $l)
		| .flags | index("decrypt") != null' out)" "JSON flags of ${l%%:*}"
done
# What the token itself says (pkcs11-tool reads CKA_DECRYPT of the private keys).
p11=$(pkcs11-tool --module "$HK_SOFTHSM_MODULE" --token-label alice --login --pin "$PIN" \
	--list-objects --type privkey 2>/dev/null)
assert_contains "$(echo "$p11" | grep -A2 'label: *win$' | grep -i usage)" "decrypt" \
	"CKA_DECRYPT set on the token for win"
assert_not_contains "$(echo "$p11" | grep -A2 'label: *sshonly$' | grep -i usage)" "decrypt" \
	"CKA_DECRYPT clear for sshonly"

# The cloud: key pairs imported, instances created through cloudsim's test door.
hk_cloudsim_start
hk_creds_huawei
H=(--cloud huawei --endpoint "$CLOUDSIM_URL" --region cn-north-4)
expect_exit 0 "$HWKEY" import "${H[@]}" --name win-kp win.pub
expect_exit 0 "$HWKEY" import "${H[@]}" --name ssh-kp ssh.pub
mkinst() {	# ID OS [KEY_NAME]: the door's JSON answer in $1.json
	local key=null
	[ -n "${3:-}" ] && key="\"$3\""
	curl -fsS -o "$1.json" -X POST "$CLOUDSIM_URL/cloudsim/instances" -d \
		"{\"provider\":\"huawei\",\"account\":\"$CLOUDSIM_HUAWEI_AK\",\"region\":\"cn-north-4\",\"id\":\"$1\",\"os\":\"$2\",\"key_name\":$key}" ||
		fail "cloudsim would not create instance $1"
}
mkinst ecs-win-1 windows win-kp
mkinst ecs-win-ssh windows ssh-kp
mkinst ecs-linux-1 linux win-kp
mkinst ecs-win-nokey windows
# The door's refusals: an unknown key pair, a non-RSA one for Windows, a taken id.
hk_keygen edkey ed25519
expect_exit 0 "$HWKEY" import "${H[@]}" --name ed-kp edkey.pub
door() {	# BODY: the HTTP status of a door request
	curl -sS -o door.json -w '%{http_code}' -X POST "$CLOUDSIM_URL/cloudsim/instances" -d "$1"
}
base="\"provider\":\"huawei\",\"account\":\"$CLOUDSIM_HUAWEI_AK\",\"region\":\"cn-north-4\",\"os\":\"windows\""
assert_eq 404 "$(door "{$base,\"id\":\"e1\",\"key_name\":\"nosuch\"}")" "door: unknown key pair"
assert_eq 400 "$(door "{$base,\"id\":\"e2\",\"key_name\":\"ed-kp\"}")" "door: ed25519 key pair"
assert_contains "$(jq -r .error door.json)" "not RSA" "door says why"
assert_eq 409 "$(door "{$base,\"id\":\"ecs-win-1\",\"key_name\":\"win-kp\"}")" "door: taken id"
assert_eq 400 "$(door "{$base,\"id\":\"e3\",\"region\":\"cn-south-1\"}")" "door: region without a project"
pw=$(jq -r .password ecs-win-1.json)
pw_ssh=$(jq -r .password ecs-win-ssh.json)
[ ${#pw} -ge 12 ] || fail "cloudsim made no password"
assert_eq null "$(jq -r .password ecs-linux-1.json)" "a Linux instance gets no password"
# Only the ciphertext is kept: the state never holds the plaintext.
assert_eq "" "$(grep -l -a -F -- "$pw" "$CLOUDSIM_STATE"* || true)" "plaintext not in cloudsim's state"

# The round trip: exactly the password cloudsim made, on stdout only.
HW=(windows-password "${M[@]}" "${H[@]}" "$T" --pin env:PIN)
n0=$(grep -c ' ShowServerPassword 200' "$CLOUDSIM_LOG" || true)
expect_exit 0 "$HWKEY" "${HW[@]}" --instance ecs-win-1 --key win
assert_eq "$pw" "$(cat out)" "decrypted password"
assert_eq "$pw" "$(head -1 out)" "one line"
assert_eq 1 "$(wc -l <out)" "nothing else on stdout"
assert_eq "" "$(cat err)" "nothing on stderr"
assert_eq $((n0 + 1)) "$(grep -c ' ShowServerPassword 200' "$CLOUDSIM_LOG")" \
	"one signed ShowServerPassword call"
# --json: the documented document, password included (stdout is a file).
expect_exit 0 "$HWKEY" "${HW[@]}" --instance ecs-win-1 --key win --json
hk_json_valid windows-password out
assert_eq "$pw" "$(jq -r .password out)" "JSON password"
assert_eq "huawei cn-north-4 ecs-win-1 cloud win" \
	"$(jq -r '[.cloud, .region, .instance, .source, .key.label] | join(" ")' out)" "JSON fields"

# --from-file: the encrypted blob saved earlier (base64, wrapped, or the API's JSON).
jq -r .encrypted ecs-win-1.json >blob.b64
jq -r .encrypted ecs-win-1.json | fold -w 64 >blob.wrapped
jq '{password: .encrypted}' ecs-win-1.json >blob.json
for f in blob.b64 blob.wrapped blob.json; do
	expect_exit 0 "$HWKEY" windows-password "${M[@]}" "$T" --pin env:PIN --key win --from-file $f
	assert_eq "$pw" "$(cat out)" "--from-file $f"
done
expect_exit 0 "$HWKEY" windows-password "${M[@]}" "$T" --pin env:PIN --key win \
	--from-file blob.b64 --instance ecs-win-1 --json
hk_json_valid windows-password out
assert_eq "file null blob.b64 $pw" "$(jq -r '[.source, .cloud, .file, .password] | map(tostring) | join(" ")' out)" \
	"JSON of --from-file"
expect_exit 2 "$HWKEY" windows-password "${M[@]}" "$T" --pin env:PIN --key win \
	--from-file blob.b64 --cloud huawei
echo 'not base64 !!' >bad.b64
expect_exit 3 "$HWKEY" windows-password "${M[@]}" "$T" --pin env:PIN --key win --from-file bad.b64
assert_contains "$(cat err)" "bad.b64" "bad blob file named"

# A key made without --usage windows-password: refused with how to make one.
expect_exit 19 "$HWKEY" "${HW[@]}" --instance ecs-win-ssh --key sshonly
assert_contains "$(cat err)" "CKA_DECRYPT is false" "why"
assert_contains "$(cat err)" "--usage ssh,windows-password" "how to make one"
assert_not_contains "$(cat out err)" "$pw_ssh" "nothing decrypted"
expect_exit 19 "$HWKEY" "${HW[@]}" --instance ecs-win-ssh --key sshonly --json
hk_json_valid windows-password out
assert_eq "HK_ERR_KEY_USAGE 19" "$(jq -r '[.error.code, .error.exit] | join(" ")' out)" "JSON refusal"
# The wrong key pair (decrypting, but not the instance's): another size, the same size.
expect_exit 3 "$HWKEY" "${HW[@]}" --instance ecs-win-1 --key other
assert_contains "$(cat err)" "where a ciphertext of this 3072-bit key has 384" "length explained"
expect_exit 3 "$HWKEY" "${HW[@]}" --instance ecs-win-1 --key other2k
assert_contains "$(cat err)" "encrypted to another key pair" "wrong key explained"
assert_not_contains "$(cat out)" "$pw" "nothing printed"
expect_exit 3 "$HWKEY" "${HW[@]}" --instance ecs-win-1 --key other2k --json
hk_json_valid windows-password out
assert_eq HK_ERR_ENCRYPTED_DATA "$(jq -r .error.code out)" "JSON: wrong key"

# A wrong PIN: the token's answer, its own status; nothing printed.
expect_exit 7 "$HWKEY" windows-password "${M[@]}" "${H[@]}" "$T" --pin env:BADPIN \
	--instance ecs-win-1 --key win
assert_contains "$(cat err)" "CKR_PIN_INCORRECT" "wrong PIN"
assert_eq "" "$(cat out)" "no output after a wrong PIN"

# Instances without a password, and one that does not exist (no PIN asked).
expect_exit 10 "$HWKEY" "${HW[@]}" --instance ecs-nosuch --key win
assert_contains "$(cat err)" "Ecs.0114" "Huawei's code for an unknown server"
assert_contains "$(cat err)" "could not be found" "its message"
expect_exit 10 "$HWKEY" "${HW[@]}" --instance ecs-nosuch --key win --json
hk_json_valid windows-password out
assert_eq "HK_ERR_CLOUD_NOT_FOUND cn-north-4 Ecs.0114 404" \
	"$(jq -r '[.error.code, .error.region, .error.provider_code, .error.http_status] | map(tostring) | join(" ")' out)" \
	"JSON of the unknown instance"
for id in ecs-linux-1 ecs-win-nokey; do
	expect_exit 10 "$HWKEY" "${HW[@]}" --instance $id --key win
	assert_contains "$(cat err)" "has no encrypted password" "$id: no password"
done
expect_exit 2 "$HWKEY" "${HW[@]}" --instance 'bad/id' --key win
# Alibaba has no such call: refused from the capability table, nothing sent.
hk_creds_aliyun
n0=$(sim_requests)
expect_exit 12 "$HWKEY" windows-password "${M[@]}" --cloud aliyun --endpoint "$CLOUDSIM_URL" \
	--region cn-hangzhou "$T" --pin env:PIN --instance i-simwin0001 --key win
assert_contains "$(cat err)" "Linux instances only" "Alibaba's reason"
assert_eq "$n0" "$(sim_requests)" "nothing sent to Alibaba"

# A terminal: refused without --show (before any request); printed with it.
n0=$(sim_requests)
: >answers
rc=0
$PTY answers "$HWKEY" "${HW[@]}" --instance ecs-win-1 --key win >tty.out || rc=$?
assert_eq 2 "$rc" "terminal without --show refused"
assert_contains "$(cat tty.out)" "--show" "refusal says how"
assert_not_contains "$(cat tty.out)" "$pw" "no password on the terminal"
assert_eq "$n0" "$(sim_requests)" "refused before any request"
rc=0
$PTY answers "$HWKEY" "${HW[@]}" --instance ecs-win-1 --key win --show >tty.out || rc=$?
assert_eq 0 "$rc" "--show on a terminal"
assert_eq "$pw" "$(tr -d '\r' <tty.out)" "--show prints it"

# The token's own answers, through the fault-injecting module (it forwards to
# SoftHSM): each CKR_* of C_DecryptInit / C_Decrypt gets its status, and the
# two-call size pattern survives a CKR_BUFFER_TOO_SMALL.
: "${HK_P11FAULT:?HK_P11FAULT must point at libp11fault.so (ctest sets it)}"
export HK_P11FAULT_MODULE=$HK_SOFTHSM_MODULE
F=(windows-password --module "$HK_P11FAULT" "$T" --pin env:PIN --from-file blob.b64)
fault() {	# STATUS SPEC KEY: one injected failure, the outcome checked
	HK_P11FAULT_FAIL=$2 HK_P11FAULT_LOG=$PWD/fault.calls expect_exit "$1" "$HWKEY" "${F[@]}" --key "$3"
	grep -q "${2%%:*} .* injected" fault.calls || fail "$2 was not injected"
	rm -f fault.calls
}
fault 19 C_DecryptInit:1:CKR_KEY_FUNCTION_NOT_PERMITTED win
assert_contains "$(cat err)" "may not decrypt" "token refusing the key's use"
fault 19 C_DecryptInit:1:CKR_KEY_TYPE_INCONSISTENT win
fault 3 C_Decrypt:2:CKR_ENCRYPTED_DATA_INVALID win
fault 6 C_Decrypt:2:CKR_DEVICE_REMOVED win
fault 4 C_Decrypt:1:CKR_SESSION_HANDLE_INVALID win
HK_P11FAULT_FAIL=C_Decrypt:2:CKR_BUFFER_TOO_SMALL HK_P11FAULT_LOG=$PWD/fault.calls \
	expect_exit 0 "$HWKEY" "${F[@]}" --key win
assert_eq "$pw" "$(cat out)" "decrypted after CKR_BUFFER_TOO_SMALL"
assert_eq 3 "$(grep -c ' C_Decrypt ' fault.calls)" "size query, too small, decrypt"
rm -f fault.calls
# CKA_DECRYPT is read before anything is decrypted; an SSH-only key never gets there.
HK_P11FAULT_LOG=$PWD/ok.calls expect_exit 0 "$HWKEY" "${F[@]}" --key win
first=$(grep -n -m1 ' C_DecryptInit ' ok.calls | cut -d: -f1)
attr=$(head -n "$first" ok.calls | grep -c ' C_GetAttributeValue ' || true)
[ "$attr" -gt 0 ] || fail "no attribute read before C_DecryptInit"
pass
HK_P11FAULT_LOG=$PWD/ssh.calls expect_exit 19 "$HWKEY" "${F[@]}" --key sshonly
assert_eq 0 "$(grep -c -E ' C_Decrypt(Init)? ' ssh.calls || true)" "no C_Decrypt for an SSH-only key"

# Throttling and 5xx: the GET is retried (same state, same port, a fixed seed).
hk_cloudsim_restart --throttle-rate 0.5 --error-rate 0.2 --seed 11
expect_exit 0 "$HWKEY" "${HW[@]}" --instance ecs-win-1 --key win --retries 30
assert_eq "$pw" "$(cat out)" "decrypted after retries"
faults=$(grep -c 'os-server-password fault' "$CLOUDSIM_LOG" || true)
[ "$faults" -ge 1 ] || fail "no ShowServerPassword was throttled or failed: the retry path did not run"
pass
hk_cloudsim_restart --seed 1	# no faults from here on

# The password never in hwkey's stderr, nor in the simulator's log.
assert_eq 0 "$(grep -c -F -- "$pw" "$CLOUDSIM_LOG" || true)" "not in cloudsim's log"
expect_exit 0 "$HWKEY" "${HW[@]}" --instance ecs-win-1 --key win
assert_not_contains "$(cat err)" "$pw" "not in stderr"
hk_done
