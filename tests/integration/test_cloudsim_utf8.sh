#!/bin/bash
# hwkey-cloudsim refuses key pair names, public key comments and tags that are
# not UTF-8 text before anything is stored (Alibaba InvalidKeyPairName.Malformed,
# InvalidPublicKeyBody.Malformed, InvalidTag*.Malformed; Huawei KPS.0002), so
# nothing unlistable, undeletable or quota-eating is ever kept; real non-ASCII
# names and comments round-trip; every answer, also an error quoting bad
# bytes, is valid JSON.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
: "${HK_SIMCLIENT:?}"
S=$HK_SIMCLIENT

hk_cloudsim_start --quiet --quota 4
U=$CLOUDSIM_URL/
R=RegionId=cn-hangzhou
ssh-keygen -q -t ecdsa -N '' -C plain -f ec
key=$(cut -d' ' -f1-2 ec.pub)

# check EXIT FILTER WANT simclient-args...: the answer must be JSON.
check() {
	local want_exit=$1 filter=$2 want=$3
	shift 3
	expect_exit "$want_exit" "$S" "$@"
	jq -e . "$HK_TMP/out" >/dev/null || fail "not JSON: $(head -c 300 "$HK_TMP/out" | od -c | head -5)"
	assert_eq "$want" "$(jq -r "$filter" "$HK_TMP/out")" "$*"
}
imp() { check "$1" "$2" "$3" aliyun POST "$U" ImportKeyPair "$R" "${@:4}"; }

# --- Alibaba names: malformed UTF-8 in every way, over v1 GET/POST and ACS3.
for bad in $'ab\xff\xfe' $'a\xc0\xafb' $'a\xed\xa0\x80b' $'ab\xe4\xb8' $'\xe4\xb8ab' \
	$'ab\xf4\x90\x80\x80' $'a\xc2\x85b'; do
	imp 1 .Code InvalidKeyPairName.Malformed "KeyPairName=$bad" PublicKeyBody=@ec.pub
	assert_contains "$(cat "$HK_TMP/err")" "HTTP 400" "bad name status"
done
check 1 .Code InvalidKeyPairName.Malformed aliyun GET "$U" ImportKeyPair "$R" \
	$'KeyPairName=ab\xff\xfe' PublicKeyBody=@ec.pub
check 1 .Code InvalidKeyPairName.Malformed --acs3 aliyun POST "$U" ImportKeyPair "$R" \
	$'KeyPairName=ab\xff\xfe' PublicKeyBody=@ec.pub
check 1 .Code InvalidKeyPairName.Malformed --acs3 --form aliyun POST "$U" ImportKeyPair "$R" \
	$'KeyPairName=ab\xff\xfe' PublicKeyBody=@ec.pub
# Characters, not bytes: one CJK character is too short, 128 fit, 129 do not.
imp 1 .Code InvalidKeyPairName.Malformed "KeyPairName=密" PublicKeyBody=@ec.pub
imp 1 .Code InvalidKeyPairName.Malformed "KeyPairName=$(printf '密%.0s' $(seq 129))" \
	PublicKeyBody=@ec.pub

# --- Alibaba public key comments and tags.
for bad in $'bad\xff' $'caf\xc3' $'ctl\x01x' $'del\x7fx' $'c1\xc2\x9bx'; do
	imp 1 .Code InvalidPublicKeyBody.Malformed KeyPairName=badcomment "PublicKeyBody=$key $bad"
	assert_contains "$(jq -r .Message "$HK_TMP/out")" "UTF-8" "comment refusal says why"
done
imp 1 .Code InvalidTagKey.Malformed KeyPairName=badtag PublicKeyBody=@ec.pub \
	$'Tag.1.Key=k\xff' Tag.1.Value=v
imp 1 .Code InvalidTagValue.Malformed KeyPairName=badtag PublicKeyBody=@ec.pub \
	Tag.1.Key=k $'Tag.1.Value=v\xfe'
# An error that quotes the client's bad bytes is still JSON (scrubbed).
check 1 .Code InvalidTagKey.Malformed aliyun POST "$U" ImportKeyPair "$R" KeyPairName=badtag \
	PublicKeyBody=@ec.pub $'Tag.0\xff.Key=k'

# Nothing above was stored: no pair, no quota slot.
check 0 '[.TotalCount, (.KeyPairs.KeyPair | length)] | join(" ")' "0 0" \
	aliyun GET "$U" DescribeKeyPairs "$R" PageSize=50

# --- Real non-ASCII names and comments round-trip, within the quota of 4.
long=$(printf '密%.0s' $(seq 128))
imp 0 .KeyPairName "Schlüssel-1" "KeyPairName=Schlüssel-1" "PublicKeyBody=$key clé für Jürgen"
imp 0 .KeyPairName "密钥对" "KeyPairName=密钥对" PublicKeyBody=@ec.pub "Tag.1.Key=所有者" \
	"Tag.1.Value=安全团队"
imp 0 .KeyPairName "$long" "KeyPairName=$long" PublicKeyBody=@ec.pub
imp 0 .KeyPairName "a😀" "KeyPairName=a😀" "PublicKeyBody=$key	tab and 😀"
imp 1 .Code QuotaExceed.KeyPair KeyPairName=fifth PublicKeyBody=@ec.pub
check 0 '[.TotalCount, (.KeyPairs.KeyPair | length)] | join(" ")' "4 4" \
	aliyun GET "$U" DescribeKeyPairs "$R" PageSize=50
check 0 '.KeyPairs.KeyPair[0].PublicKey' "$key clé für Jürgen" \
	aliyun GET "$U" DescribeKeyPairs "$R" KeyPairName=Schlüssel-1 IncludePublicKey=true
check 0 '.KeyPairs.KeyPair[0].Tags.Tag[0].TagValue' "安全团队" \
	aliyun GET "$U" DescribeKeyPairs "$R" "KeyPairName=密钥对"
expect_exit 0 "$S" aliyun GET "$U" DescribeKeyPairs "$R" Format=XML KeyPairName=a😀 IncludePublicKey=true
assert_contains "$(cat "$HK_TMP/out")" "<PublicKey>$key	tab and 😀</PublicKey>" "XML carries UTF-8"
# Every stored pair can be deleted again.
check 0 'keys | join(",")' RequestId aliyun POST "$U" DeleteKeyPairs "$R" \
	"KeyPairNames=[\"Schlüssel-1\",\"密钥对\",\"$long\",\"a😀\"]"
check 0 '.TotalCount' 0 aliyun GET "$U" DescribeKeyPairs "$R"

# --- Huawei: the name is ASCII by rule; the key comment must be UTF-8 text.
P=$CLOUDSIM_HUAWEI_PROJECT
hwpost() { check "$1" "$2" "$3" --data "$4" huawei POST "$CLOUDSIM_URL" "/v3/$P/keypairs"; }
hwpost 1 .error_code KPS.0002 "$(printf '{"keypair":{"name":"hw1","public_key":"%s bad\xff"}}' "$key")"
hwpost 1 .error_code KPS.0002 "$(jq -cn --arg k "$key ctl$(printf '\001')x" '{keypair: {name: "hw1", public_key: $k}}')"
assert_contains "$(jq -r .error_msg "$HK_TMP/out")" "UTF-8" "Huawei comment refusal says why"
hwpost 1 .error_code KPS.0002 "$(printf '{"keypair":{"name":"hw\xc3\xa9","public_key":"%s x"}}' "$key")"
hwpost 0 .keypair.public_key "$key clé" "$(jq -cn --arg k "$key clé" '{keypair: {name: "hw1", public_key: $k}}')"
check 0 '.keypair.public_key' "$key clé" huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs/hw1"
# A name in the path that is not UTF-8: not found, in valid JSON.
check 1 .error_code KPS.6004 huawei GET "$CLOUDSIM_URL" $'/v3/'"$P"$'/keypairs/ab\xff\xfe'
check 1 .error_code KPS.6004 huawei DELETE "$CLOUDSIM_URL" $'/v3/'"$P"$'/keypairs/ab\xff\xfe'
check 0 '[.keypairs[].keypair.name] | join(",")' hw1 huawei GET "$CLOUDSIM_URL" "/v3/$P/keypairs"
hk_done
