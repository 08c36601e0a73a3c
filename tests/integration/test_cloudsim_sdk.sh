#!/bin/bash
# hwkey-cloudsim driven by clients nobody here wrote: the cloud vendors' own
# Node.js SDKs, pinned in tests/sdk (package.json, package-lock.json) and
# installed into the build by scripts/sdk.sh. Over HTTPS with the test CA
# trusted through NODE_EXTRA_CA_CERTS (without it every SDK must refuse the
# certificate): Alibaba @alicloud/ecs20140526 4.3.0 and 7.11.6 (ACS3 and v1),
# @alicloud/openapi-client, @alicloud/pop-core; Huawei
# @huaweicloud/huaweicloud-sdk-iam and -core. Import, describe and list with
# paging, delete, attach/detach, regions, IAM projects, signature failures,
# replayed nonces, stale timestamps, unknown keys, name rules and the quota.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_SRCDIR/scripts/sdk.sh"

SDK_DIR=$HK_BUILDDIR/sdk-node
t0=$SECONDS
hk_sdk_install "$SDK_DIR" || fail "cannot install the SDK packages (npm ci into $SDK_DIR)"
echo "SDK packages ready in $((SECONDS - t0)) s: $(cd "$SDK_DIR" && node -e '
	const l = require("./package-lock.json").packages;
	console.log(Object.keys(require("./package.json").dependencies)
		.map((n) => n + "@" + l["node_modules/" + n].version).join(" "))')"

mkdir -p keys
ssh-keygen -q -t rsa -b 2048 -N '' -C sdk-rsa -f keys/rsa
ssh-keygen -q -t rsa -b 1024 -N '' -f keys/rsa1024
ssh-keygen -q -t ecdsa -b 384 -N '' -C sdk-ec -f keys/ec
ssh-keygen -q -t ed25519 -N '' -C sdk-ed -f keys/ed
{
	printf '\0\0\0\x1ask-ssh-ed25519@openssh.com\0\0\0\x20'
	awk '{print $2}' keys/ed.pub | base64 -d | tail -c 32
	printf '\0\0\0\x04ssh:'
} >keys/sk.blob
echo "sk-ssh-ed25519@openssh.com $(base64 -w0 keys/sk.blob) sk" >keys/sk.pub

QUOTA=16
CLOUDSIM_TLS=1
hk_cloudsim_start --quiet --quota "$QUOTA"

# node with only what the drivers need: no proxy (loopback), no switch that
# would turn certificate checks off, the modules from the build.
sdk_node() {
	local ca=$1
	shift
	timeout 120 env -u NODE_TLS_REJECT_UNAUTHORIZED -u NODE_OPTIONS -u NODE_EXTRA_CA_CERTS \
		-u HTTPS_PROXY -u https_proxy -u HTTP_PROXY -u http_proxy -u ALL_PROXY -u all_proxy \
		NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
		${ca:+NODE_EXTRA_CA_CERTS="$ca"} NODE_PATH="$SDK_DIR/node_modules" \
		CLOUDSIM_URL="$CLOUDSIM_URL" SDK_KEYS="$HK_TMP/keys" SDK_QUOTA="$QUOTA" \
		SDK_ALIYUN_AK="$CLOUDSIM_ALIYUN_AK" SDK_ALIYUN_SECRET="$CLOUDSIM_ALIYUN_SECRET" \
		SDK_ALIYUN_AK2="$CLOUDSIM_ALIYUN_AK2" SDK_ALIYUN_SECRET2="$CLOUDSIM_ALIYUN_SECRET2" \
		SDK_HUAWEI_AK="$CLOUDSIM_HUAWEI_AK" SDK_HUAWEI_SK="$CLOUDSIM_HUAWEI_SK" \
		SDK_HUAWEI_PROJECT="$CLOUDSIM_HUAWEI_PROJECT" \
		SDK_HUAWEI_PROJECT2="$CLOUDSIM_HUAWEI_PROJECT2" \
		node "$HK_SRCDIR/tests/sdk/$1.js"
}

# driver NAME [CA]: run one driver; its FAIL lines and totals go to the log
# (all it printed, the SDKs' own error logs too, when it fails).
calls=0 failed=()
driver() {
	local rc=0 summary='^(FAIL|[0-9]+ passed, [0-9]+ failed$|[a-z]+: [0-9]+ SDK calls$)'
	sdk_node "${2-}" "$1" >"$1.out" 2>&1 || rc=$?
	grep -E "$summary" "$1.out" || true
	calls=$((calls + $(sed -n 's/^[a-z]*: \([0-9]*\) SDK calls$/\1/p' "$1.out")))
	if [ "$rc" != 0 ] || ! grep -q '^[0-9]* passed, 0 failed$' "$1.out"; then
		{ grep -vE "$summary" "$1.out" || true; } | tail -40 >&2
		failed+=("$1 (exit $rc)")
	fi
}

driver untrusted
driver aliyun "$CLOUDSIM_CERT"
driver huawei "$CLOUDSIM_CERT"
echo "$calls SDK calls in $((SECONDS - t0)) s"
[ ${#failed[@]} = 0 ] || fail "the SDKs did not get what they expect: ${failed[*]}"
pass
hk_done
