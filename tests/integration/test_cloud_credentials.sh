# Cloud credentials: the environment, the aliyun CLI's config.json (current
# profile and --profile), a config file readable by others refused (exit 11),
# a wrong secret rejected by the cloud (exit 11), and no secret ever printed.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_cloudsim_start
hk_keygen ec ecdsa 256
hk_keygen ed ed25519
A=(--cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou)
: >all-output
keep() { cat out err >>all-output; }

# Nothing configured: exit 11 naming where credentials are looked for.
expect_exit 11 "$HWKEY" import "${A[@]}" --name k-env ec.pub; keep
assert_contains "$(cat err)" "ALIBABA_CLOUD_ACCESS_KEY_ID" "missing credentials explained"

# Environment.
hk_creds_aliyun
expect_exit 0 "$HWKEY" import "${A[@]}" --name k-env --json ec.pub; keep
assert_eq imported "$(jq -r '.results[0].status' out)" "env credentials"
unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET

# The aliyun CLI's config.json: current profile is the second account, --profile the first.
mkdir -p "$HOME/.aliyun"
cat >"$HOME/.aliyun/config.json" <<JSON
{"current":"second","profiles":[
 {"name":"default","mode":"AK","access_key_id":"$CLOUDSIM_ALIYUN_AK","access_key_secret":"$CLOUDSIM_ALIYUN_SECRET","region_id":"cn-hangzhou"},
 {"name":"second","mode":"AK","access_key_id":"$CLOUDSIM_ALIYUN_AK2","access_key_secret":"$CLOUDSIM_ALIYUN_SECRET2","region_id":"cn-hangzhou"},
 {"name":"broken","mode":"AK","access_key_id":"$CLOUDSIM_ALIYUN_AK","access_key_secret":"not-the-secret"}],
 "meta_path":""}
JSON
chmod 600 "$HOME/.aliyun/config.json"
expect_exit 0 "$HWKEY" import "${A[@]}" --name k-second ec.pub; keep
expect_exit 0 "$HWKEY" import "${A[@]}" --profile default --name k-default ec.pub; keep
# Each account sees only its own pairs: the profiles really were different accounts.
"$HWKEY" cloud list "${A[@]}" --json >second.json
"$HWKEY" cloud list "${A[@]}" --profile default --json >default.json
assert_eq "k-second" "$(jq -r '[.regions[0].keypairs[].name] | join(",")' second.json)" "current profile's account"
assert_eq "k-default,k-env" "$(jq -r '[.regions[0].keypairs[].name] | sort | join(",")' default.json)" \
	"--profile default's account"
expect_exit 11 "$HWKEY" cloud list "${A[@]}" --profile nosuch; keep
assert_contains "$(cat err)" "nosuch" "unknown profile named"

# A wrong secret: the cloud refuses the signature, exit 11, and the secret is not echoed.
expect_exit 11 "$HWKEY" import "${A[@]}" --profile broken --name k-broken ec.pub; keep
assert_contains "$(cat out err)" "SignatureDoesNotMatch" "provider code shown"
assert_not_contains "$(cat out err)" "not-the-secret" "wrong secret not echoed"

# A config file readable by group or others is refused before any request.
n0=$(sim_requests)
for mode in 644 640 604; do
	chmod $mode "$HOME/.aliyun/config.json"
	expect_exit 11 "$HWKEY" import "${A[@]}" --name k-unsafe ec.pub; keep
	assert_contains "$(cat err)" "chmod 600" "unsafe mode $mode explained"
done
assert_eq "$n0" "$(sim_requests)" "no request with unsafe credentials"
chmod 600 "$HOME/.aliyun/config.json"

# Huawei: environment only; a wrong SK is refused (exit 11).
export HUAWEICLOUD_SDK_AK=$CLOUDSIM_HUAWEI_AK HUAWEICLOUD_SDK_SK=wrong-sk-value
expect_exit 11 "$HWKEY" import --cloud huawei --endpoint "$CLOUDSIM_URL" --region cn-north-4 \
	--name k_ed ed.pub; keep
assert_not_contains "$(cat out err)" "wrong-sk-value" "wrong SK not echoed"
hk_creds_huawei
expect_exit 0 "$HWKEY" import --cloud huawei --endpoint "$CLOUDSIM_URL" --region cn-north-4 \
	--name k_ed --json ed.pub; keep
expect_exit 2 "$HWKEY" cloud list --cloud huawei --endpoint "$CLOUDSIM_URL" --region cn-north-4 \
	--profile default; keep
assert_contains "$(cat err)" "aliyun CLI's config.json" "--profile refused for Huawei, saying why"
# Provider settings are checked by the provider's own registry row.
n0=$(sim_requests)
expect_exit 2 "$HWKEY" import --cloud huawei --endpoint "$CLOUDSIM_URL" --region cn-north-4 \
	--signature v3 --name k_sig ed.pub; keep
assert_contains "$(cat err)" "--signature is a setting of Alibaba Cloud ECS, not of Huawei Cloud KPS" \
	"--signature refused for Huawei"
expect_exit 2 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou \
	--signature v2 --name k-sig ec.pub; keep
assert_contains "$(cat err)" "--signature v2: v1 or v3" "bad --signature value"
assert_eq "$n0" "$(sim_requests)" "no request for a refused setting"

# No secret in anything hwkey printed, human or JSON, success or failure.
for s in "$CLOUDSIM_ALIYUN_SECRET" "$CLOUDSIM_ALIYUN_SECRET2" "$CLOUDSIM_HUAWEI_SK"; do
	assert_not_contains "$(cat all-output second.json default.json)" "$s" "a secret in the output"
done
# The simulator's log never saw a secret either (it is sent only as an HMAC key).
assert_not_contains "$(cat "$CLOUDSIM_LOG")" "$CLOUDSIM_ALIYUN_SECRET" "secret in server log"
hk_done
