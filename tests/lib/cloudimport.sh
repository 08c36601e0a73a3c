# Sourced by the cloud-import integration tests (after common.sh and
# cloudsim.sh): credentials for the simulator's test accounts, keys made by
# ssh-keygen, the clouds' fingerprints computed with ssh-keygen as the oracle,
# and counters over the simulator's request log.

# A private HOME so no real ~/.aliyun/config.json is read.
export HOME="$HK_TMP/home"
mkdir -p "$HOME"
unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET \
	ALIBABA_CLOUD_SECURITY_TOKEN HUAWEICLOUD_SDK_AK HUAWEICLOUD_SDK_SK \
	HUAWEICLOUD_SDK_PROJECT_ID HUAWEICLOUD_SDK_SECURITY_TOKEN

hk_creds_aliyun() {
	export ALIBABA_CLOUD_ACCESS_KEY_ID=$CLOUDSIM_ALIYUN_AK
	export ALIBABA_CLOUD_ACCESS_KEY_SECRET=$CLOUDSIM_ALIYUN_SECRET
}
hk_creds_huawei() {
	export HUAWEICLOUD_SDK_AK=$CLOUDSIM_HUAWEI_AK
	export HUAWEICLOUD_SDK_SK=$CLOUDSIM_HUAWEI_SK
}

# hk_keygen NAME TYPE [BITS]: NAME and NAME.pub in $HK_TMP.
hk_keygen() {
	local b=()
	[ -n "${3:-}" ] && b=(-b "$3")
	ssh-keygen -q -t "$2" "${b[@]}" -N '' -C "$1@test" -f "$HK_TMP/$1" >/dev/null ||
		fail "ssh-keygen -t $2 failed"
}

# The clouds' fingerprints from ssh-keygen's MD5 (cloud-apis.md §4, §5).
fp_huawei() { ssh-keygen -l -E md5 -f "$1" | awk '{print $2}' | sed 's/^MD5://'; }
fp_aliyun() { fp_huawei "$1" | tr -d :; }

# An sk-ssh-ed25519@openssh.com line (no device needed to write one down).
hk_sk_line() {
	{
		printf '\x00\x00\x00\x1a%s' sk-ssh-ed25519@openssh.com
		printf '\x00\x00\x00\x20'
		head -c 32 /dev/urandom
		printf '\x00\x00\x00\x04%s' ssh:
	} | base64 -w0 | sed 's/^/sk-ssh-ed25519@openssh.com /; s/$/ sk@test\n/'
}

# Requests the simulator has logged so far (one line per request).
sim_requests() { wc -l <"$CLOUDSIM_LOG"; }
# ImportKeyPair / KPS POST calls that were applied (answered 200, or dropped after the work).
sim_applied_imports() {
	grep -cE ' (ImportKeyPair|CreateKeypair) 200' "$CLOUDSIM_LOG" || true
}
