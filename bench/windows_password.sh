#!/bin/bash
# Benchmark: hwkey windows-password on a SoftHSM token, per run: from
# hwkey-cloudsim (IAM project lookup + signed ShowServerPassword + login +
# C_Decrypt) and from a saved blob, against the peer that does the same token
# step, pkcs11-tool --decrypt -m RSA-PKCS. Checks that all three give the
# password cloudsim made. Not a test: figures depend on the machine.
#
#   bench/windows_password.sh [BUILD_DIR] [RUNS]     (defaults: build, 20)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
runs=${2:-20}
export HK_SRCDIR=$here HK_BUILDDIR=$build
export HWKEY=${HWKEY:-$build/hwkey} HWKEY_CLOUDSIM=${HWKEY_CLOUDSIM:-$build/hwkey-cloudsim}
export HK_TESTLIB=${HK_TESTLIB:-$here/tests/lib}
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_softhsm_init bench 123456 12345678 >/dev/null
export PIN=123456
M=(--module "$HK_SOFTHSM_MODULE")
T='pkcs11:token=bench'
"$HWKEY" keygen "${M[@]}" "$T" --type rsa2048 --label win --usage ssh,windows-password \
	--pin env:PIN -o win.pub >/dev/null 2>&1
id=$("$HWKEY" keys "${M[@]}" "$T" --pin env:PIN --json | jq -r '.keys[0].id')
hk_cloudsim_start --quiet
hk_creds_huawei
"$HWKEY" import --cloud huawei --endpoint "$CLOUDSIM_URL" --region cn-north-4 --name win-kp \
	win.pub >/dev/null
curl -fsS -o inst.json -X POST "$CLOUDSIM_URL/cloudsim/instances" -d \
	"{\"provider\":\"huawei\",\"account\":\"$CLOUDSIM_HUAWEI_AK\",\"region\":\"cn-north-4\",\"id\":\"w1\",\"os\":\"windows\",\"key_name\":\"win-kp\"}"
want=$(jq -r .password inst.json)
jq -r .encrypted inst.json >blob.b64
base64 -d blob.b64 >blob.bin

now() { date +%s%N; }
per_run() { echo "scale=1; ($2 - $1) / $runs / 1000000" | bc; }
t0=$(now)
for _ in $(seq "$runs"); do
	"$HWKEY" windows-password "${M[@]}" --cloud huawei --endpoint "$CLOUDSIM_URL" \
		--region cn-north-4 "$T" --pin env:PIN --instance w1 --key win >a.out
done
t1=$(now)
for _ in $(seq "$runs"); do
	"$HWKEY" windows-password "${M[@]}" "$T" --pin env:PIN --from-file blob.b64 --key win >b.out
done
t2=$(now)
for _ in $(seq "$runs"); do
	pkcs11-tool --module "$HK_SOFTHSM_MODULE" --token-label bench --login --pin "$PIN" \
		--decrypt -m RSA-PKCS --id "$id" -i blob.bin -o c.out >/dev/null 2>&1
done
t3=$(now)
[ "$(cat a.out)" = "$want" ] && [ "$(cat b.out)" = "$want" ] && [ "$(cat c.out)" = "$want" ] ||
	fail "the three disagree"
echo "runs: $runs (each a new process: module load, login, one RSA-2048 decryption)"
echo "hwkey windows-password (cloudsim):   $(per_run "$t0" "$t1") ms/run"
echo "hwkey windows-password --from-file:  $(per_run "$t1" "$t2") ms/run"
echo "pkcs11-tool --decrypt -m RSA-PKCS:   $(per_run "$t2" "$t3") ms/run"
