#!/usr/bin/env bash
# The main job end to end, on throwaway parts: install what is missing, build,
# then hwkey provision a small plan (two fresh SoftHSM tokens) into three
# regions of hwkey-cloudsim over HTTPS, run it again (nothing is repeated),
# fingerprint a key three ways (ssh-keygen must agree), show the cloud's
# fingerprints match hwkey's, then hwkey inventory and hwkey audit, and log
# in with alice's key to a throwaway sshd on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
hk_install_deps

cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
hwkey=$PWD/build/hwkey
cloudsim=$PWD/build/hwkey-cloudsim
softhsm=/usr/lib/softhsm/libsofthsm2.so

work=$(mktemp -d)
sim_pid=
on_exit=()
cleanup() {
	local i
	for ((i = ${#on_exit[@]} - 1; i >= 0; i--)); do eval "${on_exit[i]}" 2>/dev/null || true; done
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# Throwaway secrets for a throwaway token. hwkey reads them from the
# environment (env:VAR), never from its command line.
export DEMO_SO_PIN=$(od -An -N6 -tu2 /dev/urandom | tr -d ' \n' | cut -c1-12)
export DEMO_PIN=$(od -An -N6 -tu2 /dev/urandom | tr -d ' \n' | cut -c1-8)

say "Two throwaway SoftHSM tokens ($work)"
export SOFTHSM2_CONF=$work/softhsm2.conf
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$work" >"$SOFTHSM2_CONF"
for who in alice bob; do
	softhsm2-util --init-token --free --label "demo-$who" --so-pin "$DEMO_SO_PIN" \
		--pin "$DEMO_PIN" >/dev/null
done
run "$hwkey" tokens --module "$softhsm"

say "hwkey-cloudsim: a local Alibaba ECS over HTTPS"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
	-keyout sim.key -out sim.crt 2>/dev/null
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIdemo0000000000000000
export ALIBABA_CLOUD_ACCESS_KEY_SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
(umask 077; echo "aliyun $ALIBABA_CLOUD_ACCESS_KEY_ID $ALIBABA_CLOUD_ACCESS_KEY_SECRET" >accounts)
"$cloudsim" --accounts accounts --state sim.db --port 0 --port-file sim.port \
	--tls-cert sim.crt --tls-key sim.key --quiet &
sim_pid=$!
for _ in $(seq 100); do [ -s sim.port ] && break; sleep 0.1; done
[ -s sim.port ] || { echo "demo: hwkey-cloudsim did not start" >&2; exit 1; }
endpoint=https://127.0.0.1:$(cat sim.port)/
echo "listening on $endpoint"
cloud=(--cloud aliyun --endpoint "$endpoint" --cacert sim.crt)
regions=cn-hangzhou,cn-shanghai,eu-central-1

say "A provisioning plan: one entry per token, the PIN by reference only"
cat >plan.json <<PLAN
{"plan": "demo",
 "defaults": {"type": "ecdsa-p256", "label": "ssh", "cloud": "aliyun",
              "regions": ["cn-hangzhou", "cn-shanghai", "eu-central-1"], "pin": "env:DEMO_PIN"},
 "entries": [
   {"token": "pkcs11:token=demo-alice", "name": "alice-ssh", "person": "alice"},
   {"token": "pkcs11:token=demo-bob", "name": "bob-ssh", "person": "bob"}
 ]}
PLAN
cat plan.json
inv=(--inventory "$work/inventory.db")

say "Provision: keygen on each token (proven on-token), export, import into 3 regions, verify"
run "$hwkey" provision --plan plan.json --module "$softhsm" --endpoint "$endpoint" \
	--cacert sim.crt "${inv[@]}"
say "Again: every entry is done, nothing is repeated"
run "$hwkey" provision --plan plan.json --module "$softhsm" --endpoint "$endpoint" \
	--cacert sim.crt "${inv[@]}"
run "$hwkey" provision --status --plan plan.json "${inv[@]}"

say "Fingerprints three ways, and ssh-keygen's own (they must agree)"
printf '$ %s\n' "$hwkey export --module $softhsm pkcs11:token=demo-alice --key ssh > alice.pub"
"$hwkey" export --module "$softhsm" 'pkcs11:token=demo-alice' --key ssh >alice.pub
cat alice.pub
run "$hwkey" fingerprint alice.pub
run "$hwkey" fingerprint -E md5 alice.pub
run "$hwkey" fingerprint -E aliyun alice.pub
run ssh-keygen -l -f alice.pub
[ "$("$hwkey" fingerprint alice.pub | cut -d' ' -f2)" == "$(ssh-keygen -l -f alice.pub | cut -d' ' -f2)" ] ||
	{ echo "demo: hwkey and ssh-keygen disagree" >&2; exit 1; }

say "What the cloud holds, and its fingerprints against hwkey's"
run "$hwkey" cloud list "${cloud[@]}" --region "$regions"
ours=$("$hwkey" fingerprint -E aliyun alice.pub | cut -d' ' -f2)
theirs=$("$hwkey" cloud list "${cloud[@]}" --region "$regions" --json |
	jq -r '.. | objects | select(.name? == "alice-ssh") | .fingerprints.aliyun' | sort -u)
echo "hwkey (Alibaba formula): $ours"
echo "cloud:                   $theirs"
[ "$ours" == "$theirs" ] || { echo "demo: fingerprints differ" >&2; exit 1; }

say "The inventory: what was provisioned, and the cloud audited against it"
run "$hwkey" inventory list "${inv[@]}"
run "$hwkey" audit "${cloud[@]}" --region "$regions" "${inv[@]}"
say "Log in with the token's key to a throwaway sshd on 127.0.0.1"
# The tests' sshd fixture (tests/lib/sshd.sh) with the few helpers it expects.
fail() { echo "demo: $*" >&2; exit 1; }
hk_on_exit() { on_exit+=("$*"); }
. "$src/tests/lib/port.sh"
. "$src/tests/lib/sshd.sh"
cp alice.pub authorized_keys
hk_sshd_start "$work/sshd" "$work/authorized_keys"
echo "sshd listening on 127.0.0.1:$HK_SSHD_PORT"
# A private ssh config: the demo never touches ~/.ssh.
printf 'Host *\n\tUserKnownHostsFile %s\n\tGlobalKnownHostsFile none\n' "$HK_SSHD_KNOWN_HOSTS" >ssh_config
run "$hwkey" ssh-config demo --config "$work/ssh_config" --module "$softhsm" 'pkcs11:token=demo-alice' \
	--key ssh --hostname 127.0.0.1 --port "$HK_SSHD_PORT" --user "$HK_SSHD_USER"
sed -n '/^# hwkey:begin demo/,/^# hwkey:end demo/p' ssh_config
run "$hwkey" login demo --config "$work/ssh_config" --pin env:DEMO_PIN -- \
	echo "logged in to \$(hostname) as \$(id -un) with the token key" | tee login.out
grep -q "logged in to" login.out || fail "the login did not run the command"
grep "Accepted publickey" "$HK_SSHD_LOG" | tail -1
grep -q "Accepted publickey.*$(ssh-keygen -l -f alice.pub | awk '{print $2}')" "$HK_SSHD_LOG" ||
	fail "sshd did not accept the token's key"
say "Done: the private keys never left their tokens; each cloud region holds their public halves, recorded and audited, and ssh logged in with alice's."
