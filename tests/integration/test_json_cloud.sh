# Every cloud command's --json document (import, cloud list/delete/attach/
# detach) is valid under its schema in docs/json/ for a success, a per-item
# failure and a failure of the whole command (a check before any request,
# refused credentials); statuses are identifiers, errors the one error object.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"
. "$HK_TESTLIB/json.sh"

hk_creds_aliyun
hk_keygen ec ecdsa 256
hk_keygen other ecdsa 256
hk_keygen ed ed25519
hk_cloudsim_start
A=(--cloud aliyun --endpoint "$CLOUDSIM_URL" --json)

# valid SCHEMA WHAT: out is one document valid under SCHEMA.
valid() { hk_json_valid "$1" out; jq -e . out >/dev/null || fail "$2: not one JSON document"; pass; }
# whole WHAT CODE: out is the {"error": {...}} document with this code.
whole() { assert_eq "$2" "$(jq -r '.error.code' out)" "$1: error document"; }

# import
expect_exit 0 "$HWKEY" import "${A[@]}" --region cn-hangzhou,cn-shanghai --name j1 ec.pub
valid import "import success"
assert_eq "$(fp_aliyun ec.pub)" "$(jq -r '.results[0].fingerprints.aliyun' out)" "fingerprints.aliyun"
expect_exit 0 "$HWKEY" import "${A[@]}" --region cn-hangzhou --name j1 ec.pub
valid import "import again"
assert_eq already_present "$(jq -r '.results[0].status' out)" "status is an identifier"
expect_exit 13 "$HWKEY" import "${A[@]}" --region cn-hangzhou --name j1 other.pub
valid import "import per-item failure"
assert_eq HK_ERR_CLOUD_EXISTS "$(jq -r '.results[0].error.code' out)" "per-item error object"
expect_exit 12 "$HWKEY" import "${A[@]}" --region cn-hangzhou --name j2 ed.pub
valid import "import refused before any request"
whole "import capability" HK_ERR_CLOUD_UNSUPPORTED
expect_exit 2 "$HWKEY" import "${A[@]}" --region cn-hangzou --name j2 ec.pub
valid import "import region typo"
whole "import region typo" HK_ERR_CLOUD_REGION

# A usage check after the options were read: the error document, too.
expect_exit 2 "$HWKEY" import "${A[@]}" --region cn-hangzhou ec.pub
valid import "import without --name"
whole "import usage" HK_ERR_USAGE
expect_exit 2 "$HWKEY" cloud delete "${A[@]}" --region cn-hangzhou --yes
valid cloud-delete "delete without names"
whole "delete usage" HK_ERR_USAGE

# cloud list
expect_exit 0 "$HWKEY" cloud list "${A[@]}" --region cn-hangzhou
valid cloud-list "list success"
assert_eq "$(fp_aliyun ec.pub)" "$(jq -r '.regions[0].keypairs[0].fingerprints.aliyun' out)" \
	"list fingerprints.aliyun"
expect_exit 15 "$HWKEY" cloud list "${A[@]}" --region cn-hangzhou,xx-nowhere-9
valid cloud-list "list per-region failure"
assert_eq HK_ERR_CLOUD_REGION "$(jq -r '.regions[1].error.code' out)" "region error object"
ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIwrong ALIBABA_CLOUD_ACCESS_KEY_SECRET=nope \
	expect_exit 11 "$HWKEY" cloud list "${A[@]}" --region cn-hangzhou
valid cloud-list "list refused credentials"
# Refused per region (the request was made): still the per-region object.
assert_eq HK_ERR_CLOUD_AUTH "$(jq -r '.regions[0].error.code' out)" "auth error"
(unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET
 expect_exit 11 "$HWKEY" cloud list "${A[@]}" --region cn-hangzhou)
valid cloud-list "list without credentials"
whole "no credentials" HK_ERR_CREDENTIALS

# cloud attach / detach
expect_exit 0 "$HWKEY" cloud attach "${A[@]}" --region cn-hangzhou --name j1 i-sim0001
valid cloud-attach "attach success"
assert_eq "j1 i-sim0001 attached" "$(jq -r '.results[0] | "\(.name) \(.instance) \(.status)"' out)" \
	"attach keys"
expect_exit 15 "$HWKEY" cloud attach "${A[@]}" --region cn-hangzhou --name j1 i-sim0002 i-simwin0001
valid cloud-attach "attach per-item failure"
hk_creds_huawei
expect_exit 12 "$HWKEY" cloud attach --cloud huawei --endpoint "$CLOUDSIM_URL" --json \
	--region cn-north-4 --name j1 i-1
valid cloud-attach "attach not supported"
whole "attach huawei" HK_ERR_NOT_SUPPORTED
expect_exit 0 "$HWKEY" cloud detach "${A[@]}" --region cn-hangzhou --name j1 i-sim0001 i-sim0003
valid cloud-detach "detach success"
assert_eq '["detached","not_attached"]' "$(jq -c '[.results[].status]' out)" "detach statuses"
expect_exit 15 "$HWKEY" cloud detach "${A[@]}" --region cn-hangzhou --name j1 i-sim0002 i-nothere
valid cloud-detach "detach per-item failure"
expect_exit 2 "$HWKEY" cloud detach "${A[@]}" --region cn-hangzou --name j1 i-sim0002
valid cloud-detach "detach region typo"
whole "detach typo" HK_ERR_CLOUD_REGION

# cloud delete
expect_exit 0 "$HWKEY" cloud attach "${A[@]}" --region cn-hangzhou --name j1 i-sim0002
expect_exit 10 "$HWKEY" cloud delete "${A[@]}" --region cn-hangzhou --yes j1
valid cloud-delete "delete per-item failure (still attached)"
expect_exit 0 "$HWKEY" cloud detach "${A[@]}" --region cn-hangzhou --name j1 i-sim0002
expect_exit 0 "$HWKEY" cloud delete "${A[@]}" --region cn-hangzhou,cn-beijing --yes j1
valid cloud-delete "delete success"
assert_eq '["deleted","absent"]' "$(jq -c '[.results[].status]' out)" "delete statuses"
expect_exit 2 "$HWKEY" cloud delete "${A[@]}" --region cn-hangzou --yes j1
valid cloud-delete "delete region typo"
whole "delete typo" HK_ERR_CLOUD_REGION
hk_done
