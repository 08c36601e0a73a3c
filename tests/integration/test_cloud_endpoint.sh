# Plain http:// endpoints only for loopback addresses (127.0.0.0/8, ::1,
# localhost): any other host is refused before any request. A 200 answer
# carrying the provider's error envelope is reported as that error (not as
# "imported but is not listed").
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_creds_aliyun
hk_creds_huawei
hk_keygen ec ecdsa 256

# 1. http:// to a host that is not loopback: refused, exit 2, no connection tried.
# Run in a network namespace of its own with no interface up (as root), so that
# even a regression cannot send anything off this machine; names are under
# .invalid, which never resolves.
nonet=()
if unshare -n true 2>/dev/null; then nonet=(unshare -n --); fi
for url in http://hwkey-test.invalid:8080 http://127.0.0.1.hwkey-test.invalid \
	"http://user@hwkey-test.invalid"; do
	expect_exit 2 "${nonet[@]}" "$HWKEY" import --cloud aliyun --endpoint "$url" \
		--region cn-hangzhou --name e1 --timeout 1 --retries 1 ec.pub
	assert_contains "$(cat err)" "TLS is always verified" "$url refused"
done
if [ ${#nonet[@]} -gt 0 ]; then
	# Address literals only where nothing can leave the namespace.
	for url in http://192.0.2.1:8080 http://[2001:db8::1]:80; do
		expect_exit 2 "${nonet[@]}" "$HWKEY" import --cloud aliyun --endpoint "$url" \
			--region cn-hangzhou --name e1 --timeout 1 --retries 1 ec.pub
		assert_contains "$(cat err)" "TLS is always verified" "$url refused"
	done
fi
expect_exit 2 "${nonet[@]}" "$HWKEY" cloud list --cloud huawei \
	--endpoint http://hwkey-test.invalid --region cn-north-4
assert_contains "$(cat err)" "loopback" "cloud list refused too"

# 2. Loopback in every spelling is taken (here: nothing listens, so a network error).
port=$(hk_free_port)
for url in "http://127.0.0.1:$port" "http://127.1.2.3:$port" "http://localhost:$port" \
	"http://[::1]:$port"; do
	expect_exit 10 "$HWKEY" cloud list --cloud aliyun --endpoint "$url" --region cn-hangzhou \
		--retries 1
	assert_not_contains "$(cat err)" "TLS is always verified" "$url allowed"
done

# 3. 200 with an error envelope: the provider's error. A tiny server answers
# every request so; Alibaba's and Huawei's envelopes.
. "$HK_TESTLIB/canned.sh"
hk_canned_server 200 \
	'{"Code": "InvalidParameter", "Message": "The specified parameter is invalid.", "RequestId": "rid-ali"}' \
	'{"error_code": "KPS.0001", "error_msg": "Internal error, with\nmore lines", "request_id": "rid-hw"}'
U=$HK_CANNED_URL
expect_exit 10 "$HWKEY" import --cloud aliyun --endpoint "$U" --region cn-hangzhou --name e3 \
	--json ec.pub
assert_eq InvalidParameter "$(jq -r '.results[0].error.provider_code' out)" "Alibaba envelope in a 200"
assert_not_contains "$(cat out err)" "not listed" "not 'imported but is not listed'"
hk_keygen ed ed25519
HUAWEICLOUD_SDK_PROJECT_ID=$CLOUDSIM_HUAWEI_PROJECT expect_exit 10 "$HWKEY" import --cloud huawei \
	--endpoint "$U" --region cn-north-4 --name e3 --json ed.pub
assert_eq KPS.0001 "$(jq -r '.results[0].error.provider_code' out)" "Huawei envelope in a 200"
hk_done
