#!/bin/bash
# hwkey-cloudsim key pairs: Alibaba and Huawei imports with the vendors' name
# rules, key types and fingerprints (ssh-keygen is the oracle), duplicates
# (also under concurrent imports), describe/list paging and filters, delete,
# attach/detach with replacement, and state that survives a restart.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
: "${HK_SIMCLIENT:?}"
S=$HK_SIMCLIENT

hk_cloudsim_start --quiet
U=$CLOUDSIM_URL/

check() {
	local want_exit=$1 filter=$2 want=$3
	shift 3
	expect_exit "$want_exit" "$S" "$@"
	assert_eq "$want" "$(jq -r "$filter" "$HK_TMP/out")" "$*"
}
ali() { "$S" aliyun POST "$U" "$@"; }
md5hex() { ssh-keygen -E md5 -lf "$1" | awk '{print $2}' | sed 's/^MD5://'; }

ssh-keygen -q -t rsa -b 2048 -N '' -C rsa-key -f rsa
ssh-keygen -q -t rsa -b 1024 -N '' -f rsa1024
ssh-keygen -q -t ecdsa -b 384 -N '' -f ec
ssh-keygen -q -t ed25519 -N '' -f ed
# An sk-ssh-ed25519 public key built from the Ed25519 key (no authenticator needed).
{
	printf '\0\0\0\x1ask-ssh-ed25519@openssh.com\0\0\0\x20'
	awk '{print $2}' ed.pub | base64 -d | tail -c 32
	printf '\0\0\0\x04ssh:'
} >sk.blob
echo "sk-ssh-ed25519@openssh.com $(base64 -w0 sk.blob) sk" >sk.pub
ssh-keygen -lf sk.pub >/dev/null || fail "the constructed sk key is not valid for ssh-keygen"
pass

# --- Alibaba import: fingerprint is MD5(blob) hex without colons.
R=RegionId=cn-hangzhou
check 0 .KeyPairFingerPrint "$(md5hex rsa.pub | tr -d :)" \
	aliyun POST "$U" ImportKeyPair "$R" KeyPairName=test-key_1.a:b PublicKeyBody=@rsa.pub \
	Tag.1.Key=owner "Tag.1.Value=sec team"
check 1 .Code KeyPair.AlreadyExist aliyun GET "$U" ImportKeyPair "$R" \
	KeyPairName=test-key_1.a:b PublicKeyBody=@ec.pub
assert_contains "$(cat "$HK_TMP/err")" "HTTP 400" "duplicate status"
for bad in 1abc a "bad name" bad/name "http://x.example" ".dot" \
	"$(printf 'n%.0s' $(seq 129))"; do
	check 1 .Code InvalidKeyPairName.Malformed aliyun POST "$U" ImportKeyPair "$R" \
		"KeyPairName=$bad" PublicKeyBody=@ec.pub
done
long=$(printf 'n%.0s' $(seq 128))
check 0 .KeyPairName "$long" aliyun POST "$U" ImportKeyPair "$R" "KeyPairName=$long" \
	PublicKeyBody=@ec.pub
check 0 .KeyPairFingerPrint "$(md5hex ec.pub | tr -d :)" \
	aliyun POST "$U" ImportKeyPair "$R" KeyPairName=Ec:1 PublicKeyBody=@ec.pub
# Types the vendor does not document are refused: Ed25519 and sk-*.
check 1 .Code InvalidPublicKeyBody.Malformed aliyun POST "$U" ImportKeyPair "$R" \
	KeyPairName=ed PublicKeyBody=@ed.pub
assert_contains "$(jq -r .Message "$HK_TMP/out")" "ssh-ed25519" "ed25519 refusal says why"
check 1 .Code InvalidPublicKeyBody.Malformed aliyun POST "$U" ImportKeyPair "$R" \
	KeyPairName=sk PublicKeyBody=@sk.pub
check 1 .Code InvalidPublicKeyBody.Malformed aliyun POST "$U" ImportKeyPair "$R" \
	KeyPairName=junk "PublicKeyBody=ssh-rsa AAAAB3NzaC1yc2E= junk"
check 1 .Code MissingParameter aliyun POST "$U" ImportKeyPair "$R" KeyPairName=nokey
check 1 .Code InvalidRegionId.NotFound aliyun POST "$U" ImportKeyPair RegionId=xx-nowhere-1 \
	KeyPairName=k PublicKeyBody=@ec.pub
assert_contains "$(cat "$HK_TMP/err")" "HTTP 404" "unknown region status"
check 1 .Code InvalidTagKey.Malformed aliyun POST "$U" ImportKeyPair "$R" KeyPairName=tagged \
	PublicKeyBody=@ec.pub Tag.1.Key=aliyun-reserved

# --- DescribeKeyPairs: exact name, tags, public key, fingerprint filter.
check 0 '.KeyPairs.KeyPair[0].Tags.Tag[0].TagValue' "sec team" \
	aliyun GET "$U" DescribeKeyPairs "$R" KeyPairName=test-key_1.a:b
check 0 '.KeyPairs.KeyPair[0].PublicKey' "$(cat rsa.pub)" \
	aliyun GET "$U" DescribeKeyPairs "$R" KeyPairName=test-key_1.a:b IncludePublicKey=true
check 0 '.KeyPairs.KeyPair[0] | has("PublicKey")' false \
	aliyun GET "$U" DescribeKeyPairs "$R" KeyPairName=test-key_1.a:b
check 0 '[.TotalCount, .KeyPairs.KeyPair[0].KeyPairName] | join(" ")' "1 test-key_1.a:b" \
	aliyun GET "$U" DescribeKeyPairs "$R" "KeyPairFingerPrint=$(md5hex rsa.pub)"
# Paging over 12 pairs, wildcards on both sides.
for i in $(seq -w 1 12); do
	ali ImportKeyPair "$R" "KeyPairName=page-$i" PublicKeyBody=@ec.pub >/dev/null 2>&1 ||
		fail "import page-$i"
done
check 0 '[.TotalCount, (.KeyPairs.KeyPair | length)] | join(" ")' "12 2" \
	aliyun GET "$U" DescribeKeyPairs "$R" 'KeyPairName=page-*' PageSize=5 PageNumber=3
check 0 '.KeyPairs.KeyPair | map(.KeyPairName) | join(",")' "page-06,page-07,page-08,page-09,page-10" \
	aliyun GET "$U" DescribeKeyPairs "$R" 'KeyPairName=page-*' PageSize=5 PageNumber=2
check 0 '.TotalCount' 3 aliyun GET "$U" DescribeKeyPairs "$R" 'KeyPairName=*ge-1*'
check 0 '.TotalCount' 0 aliyun GET "$U" DescribeKeyPairs "$R" 'KeyPairName=page-1'
check 0 '.PageSize' 10 aliyun GET "$U" DescribeKeyPairs "$R"
check 0 '.TotalCount' 15 aliyun GET "$U" DescribeKeyPairs "$R" PageSize=50
check 1 .Code InvalidParameter aliyun GET "$U" DescribeKeyPairs "$R" PageSize=51
# Regions and accounts are separate.
check 0 '.TotalCount' 0 aliyun GET "$U" DescribeKeyPairs RegionId=cn-shanghai
check 0 '.TotalCount' 0 --ak "$CLOUDSIM_ALIYUN_AK2" aliyun GET "$U" DescribeKeyPairs "$R"

# --- Attach / detach: per-instance results, replacement, delete refused while attached.
K=test-key_1.a:b
check 0 '[.TotalCount, .FailCount, (.Results.Result | map(.Code) | join(","))] | join(" ")' \
	"4 2 200,200,InvalidInstanceId.NotFound,DependencyViolation.WindowsInstance" \
	aliyun POST "$U" AttachKeyPair "$R" "KeyPairName=$K" \
	'InstanceIds=["i-sim0001","i-sim0002","i-nope","i-simwin0001"]'
check 0 '.Instances.Instance | map(.InstanceId) | join(",")' "i-sim0001,i-sim0002" \
	aliyun GET "$U" DescribeInstances "$R" "KeyPairName=$K"
check 0 '.FailCount' 0 aliyun POST "$U" AttachKeyPair "$R" KeyPairName=page-01 \
	'InstanceIds=["i-sim0001"]'
check 0 '.Instances.Instance[0].KeyPairName' page-01 \
	aliyun GET "$U" DescribeInstances "$R" 'InstanceIds=["i-sim0001"]'
check 1 .Code InvalidKeyPairName.NotFound aliyun POST "$U" AttachKeyPair "$R" KeyPairName=ghost \
	'InstanceIds=["i-sim0003"]'
ids=$(seq -f '"i-x%03g"' 1 51 | paste -sd, -)
check 1 .Code InvalidInstanceIds.ValueNotSupported aliyun POST "$U" AttachKeyPair "$R" \
	"KeyPairName=$K" "InstanceIds=[$ids]"
check 1 .Code InvalidParameter.KeypairAlreadyAttachedInstance \
	aliyun POST "$U" DeleteKeyPairs "$R" "KeyPairNames=[\"$K\"]"
# Detaching a pair from an instance that holds another one fails for that instance.
check 0 '[.FailCount, .Results.Result[0].Success] | join(" ")' "1 false" \
	aliyun POST "$U" DetachKeyPair "$R" "KeyPairName=$K" 'InstanceIds=["i-sim0001"]'
check 0 '.FailCount' 0 aliyun POST "$U" DetachKeyPair "$R" "KeyPairName=$K" 'InstanceIds=["i-sim0002"]'
# DeleteKeyPairs is all or nothing: page-01 is still attached, so page-02 stays too.
check 1 .Code InvalidParameter.KeypairAlreadyAttachedInstance aliyun POST "$U" DeleteKeyPairs "$R" \
	'KeyPairNames=["page-02","page-01"]'
check 0 '.TotalCount' 1 aliyun GET "$U" DescribeKeyPairs "$R" KeyPairName=page-02
check 1 .Code InvalidKeyPairNames.ValueNotSupported aliyun POST "$U" DeleteKeyPairs "$R" \
	'KeyPairNames=page-02'
check 1 .Code MissingParameter aliyun POST "$U" DeleteKeyPairs "$R"
expect_exit 0 "$S" aliyun GET "$U" DeleteKeyPairs "$R" "KeyPairNames=[\"$K\",\"page-02\",\"never-existed\"]"
assert_eq 1 "$(jq 'keys | length' "$HK_TMP/out")" "DeleteKeyPairs answers only RequestId"
check 0 '.TotalCount' 13 aliyun GET "$U" DescribeKeyPairs "$R" PageSize=50

# --- Concurrent imports of one name: exactly one wins.
racers=()
for i in $(seq 8); do
	"$S" aliyun POST "$U" ImportKeyPair "$R" KeyPairName=race PublicKeyBody=@ec.pub \
		>"race.$i" 2>/dev/null &
	racers+=($!)
done
# Only the clients: a bare wait would also wait for the server.
wait "${racers[@]}" || true
ok=0 dup=0
for i in $(seq 8); do
	c=$(jq -r '.Code // "ok"' "race.$i")
	case $c in ok) ok=$((ok + 1)) ;; KeyPair.AlreadyExist) dup=$((dup + 1)) ;; *) fail "race: $c" ;; esac
done
assert_eq "1 7" "$ok $dup" "concurrent same-name imports"
check 0 '.TotalCount' 1 aliyun GET "$U" DescribeKeyPairs "$R" KeyPairName=race

# --- Huawei KPS.
P=$CLOUDSIM_HUAWEI_PROJECT
hw() { "$S" --project-header "$P" "$@"; }
body() { jq -cn --arg n "$1" --arg k "$(cat "$2")" '{keypair: {name: $n, public_key: $k}}'; }
check 0 .keypair.fingerprint "$(md5hex ed.pub)" --project-header "$P" --data "$(body demo ed.pub)" \
	huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs"
check 1 .error_code KPS.2001 --data "$(body demo rsa.pub)" huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs"
assert_contains "$(cat "$HK_TMP/err")" "HTTP 409" "Huawei duplicate status"
for bad in bad.name "bad name" "" "$(printf 'n%.0s' $(seq 65))"; do
	check 1 .error_code KPS.0002 --data "$(body "$bad" ec.pub)" huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs"
done
check 0 .keypair.name "$(printf 'n%.0s' $(seq 64))" --data "$(body "$(printf 'n%.0s' $(seq 64))" ec.pub)" \
	huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs"
check 1 .error_code KPS.0002 --data "$(body rsa1k rsa1024.pub)" huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs"
assert_contains "$(jq -r .error_msg "$HK_TMP/out")" "2048, 3072 or 4096" "RSA size refusal"
check 1 .error_code KPS.0002 --data "$(body sk sk.pub)" huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs"
check 0 .keypair.fingerprint "$(md5hex rsa.pub)" --data "$(body rsa_2048 rsa.pub)" \
	huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs"
for i in 1 2 3 4 5; do
	hw --data "$(body "hw-$i" ec.pub)" huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs" \
		>/dev/null 2>&1 || fail "import hw-$i"
done
# Follow next_marker two at a time: every name once, sorted, then no marker.
names=() marker=
for _ in $(seq 10); do
	if [ -n "$marker" ]; then
		expect_exit 0 hw huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs" limit=2 "marker=$marker"
	else
		expect_exit 0 hw huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs" limit=2
	fi
	mapfile -t -O "${#names[@]}" names < <(jq -r '.keypairs[].keypair.name' "$HK_TMP/out")
	[ "$(jq '.keypairs | length' "$HK_TMP/out")" -le 2 ] || fail "page larger than limit"
	marker=$(jq -r '.page_info.next_marker // empty' "$HK_TMP/out")
	[ -n "$marker" ] || break
done
expect_exit 0 hw huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"
assert_eq "$(jq -r '.keypairs[].keypair.name' "$HK_TMP/out" | sort | paste -sd,)" \
	"$(printf '%s\n' "${names[@]}" | paste -sd,)" "paged names equal the sorted full list"
assert_eq 8 "${#names[@]}" "Huawei pair count"
check 0 .keypair.public_key "$(cat ed.pub)" huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs/demo"
expect_exit 0 "$S" huawei DELETE "$CLOUDSIM_URL" "/v3/$P/keypairs/demo"
assert_contains "$(cat "$HK_TMP/err")" "HTTP 204" "delete status"
check 1 .error_code KPS.6004 huawei DELETE "$CLOUDSIM_URL" "/v3/$P/keypairs/demo"
check 1 .error_code KPS.6004 huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs/demo"
check 0 '.keypairs | length' 0 huawei GET "$CLOUDSIM_URL" "/v3/$CLOUDSIM_HUAWEI_PROJECT2/keypairs"

# --- A restart keeps every pair and attachment.
before_ali=$("$S" aliyun GET "$U" DescribeKeyPairs "$R" PageSize=50 2>/dev/null | jq -c '[.KeyPairs.KeyPair[] | [.KeyPairName, .KeyPairFingerPrint]]')
before_hw=$("$S" huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs" 2>/dev/null | jq -c '[.keypairs[].keypair | [.name, .fingerprint]]')
hk_cloudsim_restart
check 0 '[.KeyPairs.KeyPair[] | [.KeyPairName, .KeyPairFingerPrint]] | tojson' "$before_ali" \
	aliyun GET "$U" DescribeKeyPairs "$R" PageSize=50
check 0 '[.keypairs[].keypair | [.name, .fingerprint]] | tojson' "$before_hw" \
	huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"
check 0 '.Instances.Instance[0].KeyPairName' page-01 \
	aliyun GET "$U" DescribeInstances "$R" 'InstanceIds=["i-sim0001"]'
hk_done
