# Credentials and regions as the aliyun CLI takes them: the region from
# ALIBABA_CLOUD_REGION_ID or the profile's region_id when --region is absent;
# ALIBABA_CLOUD_PROFILE picks the profile; a refusal says which source the
# credentials came from (never the secret); a mistyped region gets "did you
# mean" before any request; fingerprint -f FILE works as in ssh-keygen.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_keygen ec ecdsa 256
hk_cloudsim_start
A=(--cloud aliyun --endpoint "$CLOUDSIM_URL")
mkdir -p "$HOME/.aliyun"
cat >"$HOME/.aliyun/config.json" <<JSON
{"current": "default", "profiles": [
 {"name": "default", "mode": "AK", "access_key_id": "$CLOUDSIM_ALIYUN_AK",
  "access_key_secret": "$CLOUDSIM_ALIYUN_SECRET", "region_id": "cn-shanghai"},
 {"name": "work", "mode": "AK", "access_key_id": "$CLOUDSIM_ALIYUN_AK2",
  "access_key_secret": "$CLOUDSIM_ALIYUN_SECRET2", "region_id": "cn-beijing"},
 {"name": "broken", "mode": "AK", "access_key_id": "LTAIwrong",
  "access_key_secret": "wrong-secret", "region_id": "cn-beijing"}]}
JSON
chmod 600 "$HOME/.aliyun/config.json"

# 1. No --region: the profile's region_id.
expect_exit 0 "$HWKEY" import "${A[@]}" --name r1 ec.pub
assert_contains "$(cat out)" "cn-shanghai      r1" "profile region_id used"
# ALIBABA_CLOUD_PROFILE picks the profile (and its region).
ALIBABA_CLOUD_PROFILE=work expect_exit 0 "$HWKEY" cloud list "${A[@]}" --json
assert_eq cn-beijing "$(jq -r '.regions[0].region' out)" "ALIBABA_CLOUD_PROFILE's region"
# ALIBABA_CLOUD_REGION_ID comes first.
ALIBABA_CLOUD_REGION_ID=cn-qingdao expect_exit 0 "$HWKEY" import "${A[@]}" --name r1 ec.pub
assert_contains "$(cat out)" "cn-qingdao       r1" "ALIBABA_CLOUD_REGION_ID used"

# 2. Refused credentials say where they came from, never the secret.
ALIBABA_CLOUD_PROFILE=broken expect_exit 11 "$HWKEY" import "${A[@]}" --name r2 ec.pub
assert_contains "$(cat out err)" "credentials from $HOME/.aliyun/config.json profile broken" \
	"profile source named"
assert_not_contains "$(cat out err)" "wrong-secret" "no secret"
ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIwrong ALIBABA_CLOUD_ACCESS_KEY_SECRET=nope \
	expect_exit 11 "$HWKEY" import "${A[@]}" --region cn-hangzhou --name r2 ec.pub
assert_contains "$(cat out err)" "credentials from the environment (ALIBABA_CLOUD_ACCESS_KEY_ID)" \
	"environment source named"

# 3. A mistyped region: did you mean, and no request at all.
n0=$(sim_requests)
expect_exit 2 "$HWKEY" import "${A[@]}" --region cn-hangzou --name r3 ec.pub
assert_contains "$(cat err)" "did you mean cn-hangzhou?" "suggestion"
expect_exit 2 "$HWKEY" cloud list "${A[@]}" --region cn-hangzhou,cn-shangai
assert_contains "$(cat err)" "did you mean cn-shanghai?" "suggestion in a list"
assert_eq "$n0" "$(sim_requests)" "no request for a mistyped region"
# No --region and no default anywhere: a usage error.
rm "$HOME/.aliyun/config.json"
hk_creds_aliyun
expect_exit 2 "$HWKEY" import "${A[@]}" --name r4 ec.pub
assert_contains "$(cat err)" "--region is required" "asks for --region"

# 4. fingerprint -f FILE, as ssh-keygen -l -f FILE.
expect_exit 0 "$HWKEY" fingerprint -f ec.pub
assert_eq "$(ssh-keygen -l -f ec.pub)" "$(cat out)" "-f as ssh-keygen"
expect_exit 0 "$HWKEY" fingerprint -E md5 -f ec.pub
assert_eq "$(ssh-keygen -l -E md5 -f ec.pub)" "$(cat out)" "-E md5 -f"

hk_done
