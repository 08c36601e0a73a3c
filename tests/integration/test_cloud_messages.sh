# Messages of the cloud commands: a private key given to import gets
# fingerprint's words once (no doubled prefix) and the file to give instead; a
# multi-line provider message is one line in a table; columns fit long names.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_creds_aliyun
hk_creds_huawei
hk_keygen k ecdsa 256

# 1. A private key file.
expect_exit 3 "$HWKEY" fingerprint k
fp_words=$(sed 's/: not a public key.*//; s/; give its public key//' err)
expect_exit 3 "$HWKEY" import --cloud aliyun --region cn-hangzhou --name x k
assert_contains "$(cat err)" "$fp_words" "fingerprint's words"
assert_contains "$(cat err)" "give k.pub instead" "names the .pub file"
assert_eq 1 "$(grep -o 'k:1:' err | wc -l)" "file:line once"
rm k.pub
expect_exit 3 "$HWKEY" import --cloud aliyun --region cn-hangzhou --name x k
assert_contains "$(cat err)" "ssh-keygen -y -f k > k.pub" "how to make the .pub"
ssh-keygen -y -f k >k.pub

# 2. Columns fit long names; every row's STATUS starts in the same column.
hk_cloudsim_start
long=a-rather-long-key-pair-name-for-the-fleet-0001
expect_exit 0 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" \
	--region cn-hangzhou,ap-southeast-1 --name "$long" k.pub
cols=$(awk 'NR>1 && $3=="imported" {print index($0, "imported")}' out | sort -u)
hcol=$(awk 'NR==1 {print index($0, "STATUS")}' out)
assert_eq "$hcol" "$cols" "STATUS column aligned under long names"
expect_exit 0 "$HWKEY" cloud list --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou
n1=$(awk 'NR==1 {print index($0, "FINGERPRINT")}' out)
n2=$(awk 'NR==2 {print index($0, "'"$(fp_aliyun k.pub)"'")}' out)
assert_eq "$n1" "$n2" "list columns aligned"
hk_cloudsim_stop

# 3. A provider message of several lines (Huawei quotes its canonical request).
. "$HK_TESTLIB/canned.sh"
hk_canned_server 401 '{"error_code": "APIGW.0301", "request_id": "rid-1", "error_msg": "Incorrect IAM authentication information: verify aksk signature fail\nPOST\n/v3/p/keypairs\n\ncontent-type:application/json\nhost:x"}'
hk_keygen ed ed25519
HUAWEICLOUD_SDK_PROJECT_ID=$CLOUDSIM_HUAWEI_PROJECT expect_exit 11 "$HWKEY" import --cloud huawei \
	--endpoint "$HK_CANNED_URL" --region cn-north-4 --name m1 ed.pub
assert_eq 3 "$(wc -l <out)" "header, one row, summary: $(cat out)"
assert_contains "$(cat out)" "verify aksk signature fail ..." "first line kept, cut marked"
HUAWEICLOUD_SDK_PROJECT_ID=$CLOUDSIM_HUAWEI_PROJECT expect_exit 11 "$HWKEY" import --cloud huawei \
	--endpoint "$HK_CANNED_URL" --region cn-north-4 --name m1 --json ed.pub
assert_contains "$(jq -r '.results[0].error.message' out)" "content-type:application/json" \
	"--json keeps the whole message"
hk_done
