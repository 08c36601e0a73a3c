# hwkey import TOKEN --key K: the public key of a key generated on a SoftHSM2
# token is imported (Alibaba and Huawei, hwkey-cloudsim), and the fingerprint
# the cloud returns equals ssh-keygen's for the key ssh-keygen -D reads from
# the same token; options may follow the token operand.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"
. "$HK_TESTLIB/softhsm.sh"

export TK_PIN=2468
hk_softhsm_init imp "$TK_PIN" 86420864 >/dev/null
uri="pkcs11:token=imp"
expect_exit 0 "$HWKEY" keygen "$uri" --module "$HK_SOFTHSM_MODULE" --type ecdsa-p256 \
	--label imp-ec --pin env:TK_PIN
export TK_PIN=2468
expect_exit 0 "$HWKEY" keygen "$uri" --module "$HK_SOFTHSM_MODULE" --type ed25519 \
	--label imp-ed --pin env:TK_PIN
export TK_PIN=2468

# The oracle: ssh-keygen reads the ECDSA key through the module itself.
ssh-keygen -D "$HK_SOFTHSM_MODULE" 2>/dev/null | grep ecdsa-sha2-nistp256 | head -1 >oracle-ec.pub
[ -s oracle-ec.pub ] || fail "ssh-keygen -D found no ECDSA key"
pass

hk_cloudsim_start
hk_creds_aliyun
hk_creds_huawei
expect_exit 0 "$HWKEY" import "$uri" --key imp-ec --module "$HK_SOFTHSM_MODULE" --cloud aliyun \
	--endpoint "$CLOUDSIM_URL" --region cn-hangzhou,cn-shanghai --name token-ec --json
assert_eq '["imported","imported"]' "$(jq -c '[.results[].status]' out)" "token key imported"
assert_eq "$(fp_aliyun oracle-ec.pub)" "$(jq -r '.results[0].cloud_fingerprint' out)" \
	"cloud fingerprint equals ssh-keygen's for the token key"
"$HWKEY" cloud list --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou \
	--name token-ec --json >l.json
assert_eq "$(awk '{print $2}' oracle-ec.pub)" \
	"$(jq -r '.regions[0].keypairs[0].public_key' l.json | awk '{print $2}')" \
	"the cloud holds exactly the token's public key"

# Ed25519 on the token: Alibaba refuses before any request, Huawei takes it.
expect_exit 0 "$HWKEY" export "$uri" --module "$HK_SOFTHSM_MODULE" --key imp-ed
cp out token-ed.pub
n0=$(sim_requests)
expect_exit 12 "$HWKEY" import "$uri" --key imp-ed --module "$HK_SOFTHSM_MODULE" --cloud aliyun \
	--endpoint "$CLOUDSIM_URL" --region cn-hangzhou --name token-ed
assert_contains "$(cat err)" "ecdsa-p256" "suggestion for the token's ed25519 key"
assert_eq "$n0" "$(sim_requests)" "nothing sent for a refused token key"
expect_exit 0 "$HWKEY" import "$uri" --key imp-ed --module "$HK_SOFTHSM_MODULE" --cloud huawei \
	--endpoint "$CLOUDSIM_URL" --region cn-north-4 --name token_ed --json
assert_eq "$(fp_huawei token-ed.pub)" "$(jq -r '.results[0].cloud_fingerprint' out)" \
	"Huawei fingerprint of the token's ed25519 key"

# A key that is not on the token: the token error, nothing sent.
n0=$(sim_requests)
expect_exit 4 "$HWKEY" import "$uri" --key no-such-key --module "$HK_SOFTHSM_MODULE" \
	--cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou --name x1
assert_eq "$n0" "$(sim_requests)" "nothing sent without a key"
hk_done
