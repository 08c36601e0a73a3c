#!/usr/bin/env bash
# The main job end to end, on throwaway parts: install what is missing, build,
# then provision a hardware-backed SSH key on a fresh SoftHSM token, fingerprint
# it three ways (and check ssh-keygen agrees), import it into three regions of
# hwkey-cloudsim over HTTPS, list it there, show the cloud's fingerprints
# match hwkey's own, and log in with the key to a throwaway sshd on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
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

say "A throwaway SoftHSM token ($work)"
export SOFTHSM2_CONF=$work/softhsm2.conf
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$work" >"$SOFTHSM2_CONF"
run "$hwkey" token init --module "$softhsm" --label demo --so-pin env:DEMO_SO_PIN --yes 'pkcs11:slot-id=0'
run "$hwkey" pin set --module "$softhsm" --so-pin env:DEMO_SO_PIN --new-pin env:DEMO_PIN 'pkcs11:token=demo'
run "$hwkey" tokens --module "$softhsm"

say "Generate an ECDSA P-256 key on the token; hwkey proves it cannot leave"
run "$hwkey" keygen --module "$softhsm" --pin env:DEMO_PIN --type ecdsa-p256 \
	--label demo-key -o demo-key.pub 'pkcs11:token=demo'
run "$hwkey" keys --module "$softhsm" --pin env:DEMO_PIN 'pkcs11:token=demo'

say "Fingerprints three ways, and ssh-keygen's own (they must agree)"
run "$hwkey" fingerprint demo-key.pub
run "$hwkey" fingerprint -E md5 demo-key.pub
run "$hwkey" fingerprint -E aliyun demo-key.pub
run ssh-keygen -l -f demo-key.pub
[ "$("$hwkey" fingerprint demo-key.pub)" == "$(ssh-keygen -l -f demo-key.pub)" ] ||
	{ echo "demo: hwkey and ssh-keygen disagree" >&2; exit 1; }
run ssh-keygen -D "$softhsm"

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

say "Import the token's key into three regions (concurrently, verified)"
cloud=(--cloud aliyun --endpoint "$endpoint" --cacert sim.crt)
run "$hwkey" import "${cloud[@]}" --region cn-hangzhou,cn-shanghai,eu-central-1 \
	--name demo-key --module "$softhsm" 'pkcs11:token=demo' --key demo-key
say "Again: idempotent, nothing imported twice"
run "$hwkey" import "${cloud[@]}" --region cn-hangzhou,cn-shanghai,eu-central-1 \
	--name demo-key demo-key.pub

say "What the cloud holds, and its fingerprints against hwkey's"
run "$hwkey" cloud list "${cloud[@]}" --region cn-hangzhou,cn-shanghai,eu-central-1
ours=$("$hwkey" fingerprint -E aliyun demo-key.pub | cut -d' ' -f2)
theirs=$("$hwkey" cloud list "${cloud[@]}" --region cn-hangzhou,cn-shanghai,eu-central-1 --json |
	jq -r '.regions[].keypairs[] | select(.name == "demo-key") | .fingerprints.aliyun' | sort -u)
echo "hwkey (Alibaba formula): $ours"
echo "cloud:                   $theirs"
[ "$ours" == "$theirs" ] || { echo "demo: fingerprints differ" >&2; exit 1; }
say "Log in with the token's key to a throwaway sshd on 127.0.0.1"
# The tests' sshd fixture (tests/lib/sshd.sh) with the few helpers it expects.
fail() { echo "demo: $*" >&2; exit 1; }
hk_on_exit() { on_exit+=("$*"); }
. "$src/tests/lib/port.sh"
. "$src/tests/lib/sshd.sh"
cp demo-key.pub authorized_keys
hk_sshd_start "$work/sshd" "$work/authorized_keys"
echo "sshd listening on 127.0.0.1:$HK_SSHD_PORT"
# A private ssh config: the demo never touches ~/.ssh.
printf 'Host *\n\tUserKnownHostsFile %s\n\tGlobalKnownHostsFile none\n' "$HK_SSHD_KNOWN_HOSTS" >ssh_config
run "$hwkey" ssh-config demo --config "$work/ssh_config" --module "$softhsm" 'pkcs11:token=demo' \
	--key demo-key --hostname 127.0.0.1 --port "$HK_SSHD_PORT" --user "$HK_SSHD_USER"
sed -n '/^# hwkey:begin demo/,/^# hwkey:end demo/p' ssh_config
run "$hwkey" login demo --config "$work/ssh_config" --pin env:DEMO_PIN -- \
	echo "logged in to \$(hostname) as \$(id -un) with the token key" | tee login.out
grep -q "logged in to" login.out || fail "the login did not run the command"
grep "Accepted publickey" "$HK_SSHD_LOG" | tail -1
grep -q "Accepted publickey.*$(ssh-keygen -l -f demo-key.pub | awk '{print $2}')" "$HK_SSHD_LOG" ||
	fail "sshd did not accept the token's key"
say "Done: the private key never left the token; the cloud holds its public half in three regions, and ssh logged in with it."
