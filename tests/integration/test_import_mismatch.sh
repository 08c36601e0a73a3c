# After a fingerprint mismatch (exit 14) hwkey says the pair is still in the
# cloud and prints the exact command that deletes it; that command works.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_creds_aliyun
hk_keygen k1 ecdsa 256
hk_cloudsim_start --bad-fingerprint
expect_exit 14 "$HWKEY" import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou \
	--name fp-check k1.pub
assert_contains "$(cat err)" "fp-check is still in cn-hangzhou" "says the pair is still there"
want="hwkey cloud delete --cloud aliyun --endpoint $CLOUDSIM_URL --region cn-hangzhou --yes fp-check"
assert_contains "$(cat err)" "$want" "the exact delete command"
# The command as printed deletes it.
cmd=$(grep -o 'hwkey cloud delete .*' err)
expect_exit 0 "$HWKEY" ${cmd#hwkey }
assert_contains "$(cat out)" "deleted" "the printed command deleted the pair"
"$HWKEY" cloud list --cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou --json >l.json
assert_eq 0 "$(jq '[.regions[].keypairs[]] | length' l.json)" "gone from the cloud"
hk_done
