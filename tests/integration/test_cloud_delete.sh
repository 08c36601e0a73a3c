# hwkey cloud delete tells the truth: a name a region does not hold is
# "absent" (not "deleted"), and a batch says how many were; a pair still bound
# to instances gets the exact detach command; detaching an instance the pair
# is not bound to succeeds ("not attached"); declining the confirmation is
# "cancelled", exit 16.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_creds_aliyun
hk_creds_huawei
hk_keygen ec ecdsa 256
hk_cloudsim_start
A=(--cloud aliyun --endpoint "$CLOUDSIM_URL")
H=(--cloud huawei --endpoint "$CLOUDSIM_URL")

# 1. Alibaba's DeleteKeyPairs ignores unknown names: the describe first tells.
expect_exit 0 "$HWKEY" import "${A[@]}" --region cn-hangzhou --name alice ec.pub
expect_exit 0 "$HWKEY" cloud delete "${A[@]}" --region cn-hangzhou,cn-shanghai --yes alice ghost
assert_eq "deleted" "$(awk '$1=="cn-hangzhou" && $2=="alice" {print $3}' out)" "alice deleted"
assert_eq "absent" "$(awk '$1=="cn-hangzhou" && $2=="ghost" {print $3}' out)" "ghost absent"
assert_eq "absent" "$(awk '$1=="cn-shanghai" && $2=="alice" {print $3}' out)" "not in that region"
assert_contains "$(cat out)" "1 deleted, 3 absent" "the batch says so"
# Repeating the delete: success, every name absent.
expect_exit 0 "$HWKEY" cloud delete "${A[@]}" --region cn-hangzhou --yes alice --json
assert_eq absent "$(jq -r '.results[0].status' out)" "repeat: absent in JSON"

# 2. Huawei answers 404 for an absent pair: absent, too.
hk_keygen ed ed25519
expect_exit 0 "$HWKEY" import "${H[@]}" --region cn-north-4 --name bob ed.pub
expect_exit 0 "$HWKEY" cloud delete "${H[@]}" --region cn-north-4 --yes bob gone
assert_eq "deleted" "$(awk '$2=="bob" {print $3}' out)" "Huawei: bob deleted"
assert_eq "absent" "$(awk '$2=="gone" {print $3}' out)" "Huawei: gone absent"

# 3. A bound pair: the refusal names the command that unbinds it.
expect_exit 0 "$HWKEY" import "${A[@]}" --region cn-hangzhou --name carol ec.pub
expect_exit 0 "$HWKEY" cloud attach "${A[@]}" --region cn-hangzhou --name carol i-sim0001
expect_exit 10 "$HWKEY" cloud delete "${A[@]}" --region cn-hangzhou --yes carol
assert_contains "$(cat err)" "hwkey cloud detach --cloud aliyun --region cn-hangzhou --name carol" \
	"suggests the detach"
# Detach: the bound instance is detached, one it is not bound to is "not attached".
expect_exit 0 "$HWKEY" cloud detach "${A[@]}" --region cn-hangzhou --name carol i-sim0001 i-sim0002
assert_eq "detached" "$(awk '$2=="i-sim0001" {print $3}' out)" "detached"
assert_eq "not attached" "$(awk '$2=="i-sim0002" {print $3, $4}' out)" "not attached"
expect_exit 0 "$HWKEY" cloud detach "${A[@]}" --region cn-hangzhou --name carol i-sim0001 --json
assert_eq not_attached "$(jq -r '.results[0].status' out)" "repeated detach: not_attached"

# 4. Declining the confirmation is a cancel: exit 16, nothing sent.
n0=$(sim_requests)
rc=0
printf 'n\n' | script -qec "$HWKEY cloud delete ${A[*]} --region cn-hangzhou carol; echo rc=\$?" \
	/dev/null >tty.out 2>&1 || true
assert_contains "$(cat tty.out)" "rc=16" "declined: exit 16"
assert_contains "$(cat tty.out)" "cancelled" "declined: cancelled"
assert_eq "$n0" "$(sim_requests)" "declined: no delete sent"
# No terminal and no --yes: a usage error.
expect_exit 2 "$HWKEY" cloud delete "${A[@]}" --region cn-hangzhou carol </dev/null
assert_contains "$(cat err)" "--yes" "asks for --yes"

hk_done
