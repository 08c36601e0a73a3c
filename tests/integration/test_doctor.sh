# hwkey doctor's findings on a machine made to be wrong in each way it
# checks, each with its fix and the documented exit status: a p11-kit module
# config (in a private HOME's ~/.config/pkcs11/modules) naming a missing .so,
# a module outside ssh-agent's default allowlist (with the exact -P line), a
# hidraw node the user cannot open (fake nodes in $HWKEY_DEV_DIR), and a
# host whose ssh config will not offer the hwkey key. --json follows its schema.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"
. "$HK_TESTLIB/json.sh"

export DR_PIN=86753090
tok=doctor-tok
hk_softhsm_init "$tok" "$DR_PIN" 13572468 >/dev/null
hk_softhsm_keygen "pkcs11:token=$tok" DR_PIN ecdsa-p256:ec
# Fake hidraw nodes live where another user (nobody) can reach them.
devdir=$(mktemp -d /tmp/hwkey-doctor-dev.XXXXXX)
hk_on_exit "rm -rf '$devdir'"
chmod 755 "$devdir"
export HWKEY_DEV_DIR=$devdir

# A clean machine: the registered modules load, the token is seen, no device.
expect_exit 0 "$HWKEY" doctor --json
hk_json_valid doctor out
assert_eq true "$(jq .ok out)" "clean: ok"
assert_eq fail-free "$(jq -r 'if any(.findings[]; .status == "fail") then "failed" else "fail-free" end' out)" \
	"clean: no failure"
assert_eq 1 "$(jq --arg t "$tok" '[.findings[] | select(.check == "tokens" and (.subject | contains($t)))] | length' out)" \
	"clean: the SoftHSM token is found"
assert_eq warn "$(jq -r '.findings[] | select(.check == "devices") | .status' out)" "clean: no device is a warning"
assert_eq 3 "$(jq '[.findings[] | select(.check == "openssh" and .status == "ok")] | length' out)" \
	"OpenSSH version, sk and PKCS#11 support found"
assert_contains "$(jq -r '.findings[] | select(.check == "openssh") | .message' out | head -1)" \
	"$(ssh -V 2>&1 | cut -d, -f1)" "the version is ssh -V's"
expect_exit 0 "$HWKEY" doctor
assert_contains "$(cat out)" "doctor: nothing wrong" "clean: human summary"

# A module whose file is missing, and one outside the agent's allowlist.
mods=$HOME/.config/pkcs11/modules
mkdir -p "$mods" "$HK_TMP/lib"
echo "module: $HK_TMP/nowhere/libgone.so" >"$mods/gone.module"
cp "$HK_SOFTHSM_MODULE" "$HK_TMP/lib/libsofthsm-copy.so"
echo "module: $HK_TMP/lib/libsofthsm-copy.so" >"$mods/copy.module"
expect_exit 14 "$HWKEY" doctor --json
hk_json_valid doctor out
assert_eq false "$(jq .ok out)" "broken: not ok"
gone=$(jq -c '.findings[] | select(.check == "module" and (.subject | startswith("gone ")))' out)
assert_eq fail "$(jq -r .status <<<"$gone")" "missing module fails"
assert_contains "$(jq -r .message <<<"$gone")" "$mods/gone.module" "the config that names it"
assert_contains "$(jq -r .fix <<<"$gone")" "remove $mods/gone.module" "fix: remove the config"
agent=$(jq -c '.findings[] | select(.check == "agent" and (.subject | startswith("copy ")))' out)
assert_eq warn "$(jq -r .status <<<"$agent")" "module outside the allowlist warned"
assert_eq "ssh-agent -P '$HK_TMP/lib/libsofthsm-copy.so'" "$(jq -r .fix <<<"$agent")" \
	"the exact -P line for the module's real path"
assert_eq ok "$(jq -r '.findings[] | select(.check == "agent" and (.subject | startswith("softhsm2 "))) | .status' out)" \
	"the packaged module is inside /usr/lib*/*"
expect_exit 14 "$HWKEY" doctor
assert_contains "$(cat out)" "FAIL  module   gone" "human: FAIL line"
assert_contains "$(cat out)" "fix: ssh-agent -P '$HK_TMP/lib/libsofthsm-copy.so'" "human: fix line"
rm "$mods/gone.module" "$mods/copy.module"

# Device nodes: one only root may open, one anyone may. doctor runs as
# nobody (root opens anything), so the private one is refused.
: >"$devdir/hidraw0"
chmod 600 "$devdir/hidraw0"
: >"$devdir/hidraw1"
chmod 666 "$devdir/hidraw1"
: >"$devdir/null"
as_user=()
if [ "$(id -u)" = 0 ]; then
	as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi
got=0
HOME=$devdir "${as_user[@]}" "$HWKEY" doctor --json >dev.json 2>dev.err || got=$?
assert_eq 14 "$got" "an unopenable device fails"
hk_json_valid doctor dev.json
assert_eq fail "$(jq -r --arg p "$devdir/hidraw0" '.findings[] | select(.subject == $p) | .status' dev.json)" \
	"hidraw0 cannot be opened"
assert_contains "$(jq -r --arg p "$devdir/hidraw0" '.findings[] | select(.subject == $p) | .fix' dev.json)" \
	"udev/70-hwkey.rules" "the fix is the udev rule"
assert_eq ok "$(jq -r --arg p "$devdir/hidraw1" '.findings[] | select(.subject == $p) | .status' dev.json)" \
	"hidraw1 is usable"
assert_eq 2 "$(jq '[.findings[] | select(.check == "devices")] | length' dev.json)" "only hidraw* nodes"

# --host: what ssh will offer. An ECDSA hwkey key, and a Host * that allows RSA only.
rm "$devdir"/hidraw*
mkdir -m 700 "$HOME/.ssh"
expect_exit 0 "$HWKEY" ssh-config lab "pkcs11:token=$tok" --key ec --hostname 127.0.0.1
expect_exit 0 "$HWKEY" doctor --host lab --json
hk_json_valid doctor out
assert_contains "$(jq -r '.findings[] | select(.check == "host") | .message' out)" \
	"the hwkey key (ecdsa-sha2-nistp256) is among them" "ECDSA is offered by default"
printf 'Host *\n\tPubkeyAcceptedAlgorithms rsa-sha2-512\n' >>"$HOME/.ssh/config"
expect_exit 14 "$HWKEY" doctor --host lab --json
host=$(jq -c '.findings[] | select(.check == "host" and .status == "fail")' out)
assert_contains "$(jq -r .message <<<"$host")" "will not offer to lab" "a restricted host fails"
assert_contains "$(jq -r .fix <<<"$host")" "PubkeyAcceptedAlgorithms +ecdsa-sha2-nistp256" \
	"the fix names the algorithm"
assert_contains "$(jq -r '.findings[] | select(.check == "host" and .status == "ok") | .message' out)" \
	"PubkeyAcceptedAlgorithms rsa-sha2-512" "ssh -G's list is reported"
# A host hwkey did not configure is a warning, not a failure.
expect_exit 0 "$HWKEY" doctor --host elsewhere --json
assert_eq warn "$(jq -r '[.findings[] | select(.check == "host")][0].status' out)" "unknown host warns"
expect_exit 2 "$HWKEY" doctor stray-operand
hk_done
