# hwkey ssh-config, hwkey login and hwkey agent with security keys, end to
# end: keys made by `hwkey keygen fido:unix:...` on hwkey-fido2sim (an
# ecdsa-sk and an ed25519-sk key on a device without a PIN, a verify-required
# ecdsa-sk key on a device with one), a real sshd on loopback.
#  (1) ssh-config --sk --device writes IdentityFile, SecurityKeyProvider and
#      the device; plain `ssh -F CFG HOST` logs in (the device from
#      HWKEY_SK_DEVICE, or the first one found through HWKEY_FIDO_SOCKETS);
#  (2) hwkey login logs in with no HWKEY_SK_DEVICE set (the block's device
#      reaches the provider), the verify-required key's PIN from --pin
#      file:/env: checked on the device, then through hwkey's askpass (never
#      ssh's argv); without a recorded device ssh's own sk PIN prompt is
#      answered from --pin; ssh's status;
#  (3) hwkey agent add --sk into a private ssh-agent (-P admits the
#      provider), ssh without -i logs in through it, remove empties it;
#  (4) an unknown key, a denied touch and a wrong PIN fail clearly.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/sk.sh"
. "$HK_TESTLIB/sshd.sh"
. "$HK_TESTLIB/json.sh"

P=$HK_SK_PROVIDER
export HWKEY_SK_PROVIDER=$P
hk_sk_setup

# Two devices at once: "dev" (no PIN) and "pin" (PIN 2468-hwkey).
hk_sk_sim_start dev
DEV_SOCK=$HK_SK_SIM_SOCK DEV_PID=$FIDO2SIM_PID
(umask 077 && echo 2468-hwkey >pin.txt)
hk_sk_sim_start pin --pin-file pin.txt
PIN_SOCK=$HK_SK_SIM_SOCK
unset HWKEY_SK_DEVICE
DEV=fido:unix:$DEV_SOCK
PDEV=fido:unix:$PIN_SOCK

for t in ecdsa-sk:ec ed25519-sk:ed ecdsa-sk:stranger; do
	expect_exit 0 "$HWKEY" keygen "$DEV" --type "${t%%:*}" -o "hk_${t##*:}"
done
expect_exit 0 "$HWKEY" keygen "$PDEV" --type ecdsa-sk --verify-required --pin file:pin.txt -o hk_uv
assert_eq 600 "$(stat -c %a hk_uv)" "key-handle file mode"
# The server knows ec, ed and uv (verify-required: sshd insists on UV), not stranger.
{ cat hk_ec.pub hk_ed.pub; echo "verify-required $(cat hk_uv.pub)"; } >authorized_keys
hk_sshd_start "$HK_TMP/sshd" "$HK_TMP/authorized_keys"

# hwkey with no terminal (every prompt goes to the askpass). For an ASan
# provider the sanitizer runtime is preloaded into the ssh hwkey starts,
# never into hwkey or its askpass (ASan builds of their own): HWKEY_SSH is
# a wrapper, and ssh's askpass a wrapper that drops the preload again.
if [ -n "$HK_SK_PRELOAD" ]; then
	cat >ssh-preload <<-EOF
		#!/bin/sh
		export HK_REAL_ASKPASS="\$SSH_ASKPASS" SSH_ASKPASS=$HK_TMP/askpass-plain
		LD_PRELOAD=$HK_SK_PRELOAD ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 exec ssh "\$@"
	EOF
	cat >askpass-plain <<-'EOF'
		#!/bin/sh
		unset LD_PRELOAD
		exec "$HK_REAL_ASKPASS" "$@"
	EOF
	chmod 755 ssh-preload askpass-plain
	export HWKEY_SSH=$HK_TMP/ssh-preload
fi
SSH_REAL=${HWKEY_SSH:-ssh}
hk_login() { setsid -w "$HWKEY" login "$@" </dev/null; }

accepted_last() { grep -F "Accepted publickey for $HK_SSHD_USER" "$HK_SSHD_LOG" | tail -1; }
nconn() { grep -c "Connection from" "$HK_SSHD_LOG" || true; }

# (1) The config: the fixture's known_hosts for every host, hwkey's blocks first.
CFG=$HK_TMP/home/.ssh/hk_config
cat >"$CFG" <<EOF
Host *
	UserKnownHostsFile $HK_SSHD_KNOWN_HOSTS
	GlobalKnownHostsFile none
	StrictHostKeyChecking yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
EOF
for k in ec:$DEV ed:$DEV stranger:$DEV uv:$PDEV; do
	name=${k%%:*} dev=${k#*:}
	expect_exit 0 "$HWKEY" ssh-config "$name-host" --sk "hk_$name" --device "$dev" \
		--hostname 127.0.0.1 --port "$HK_SSHD_PORT" --user "$HK_SSHD_USER" --config "$CFG"
	assert_contains "$(cat out)" "added Host $name-host in $CFG" "$name: ssh-config says where"
done
block=$(sed -n '/^# hwkey:begin ec-host/,/^# hwkey:end ec-host/p' "$CFG")
assert_contains "$block" "IdentityFile $HK_TMP/hk_ec" "IdentityFile is the key-handle file"
assert_contains "$block" "SecurityKeyProvider $P" "SecurityKeyProvider is the middleware"
assert_contains "$block" "IdentitiesOnly yes" "only that key is offered"
assert_contains "$block" "# hwkey-sk-device $DEV" "the device is recorded for hwkey login"
# --json says the same.
expect_exit 0 "$HWKEY" ssh-config ed-host --sk hk_ed --device "$DEV" --hostname 127.0.0.1 \
	--port "$HK_SSHD_PORT" --user "$HK_SSHD_USER" --config "$CFG" --json
assert_eq "$P" "$(jq -r .security_key_provider out)" "json security_key_provider"
assert_eq "$DEV" "$(jq -r .sk_device out)" "json sk_device"
assert_eq false "$(jq -r .changed out)" "same block: unchanged"

# Plain ssh -F: ssh_config cannot name the device, HWKEY_SK_DEVICE does.
for k in ec:ECDSA-SK ed:ED25519-SK; do
	name=${k%%:*}
	HWKEY_SK_DEVICE=$DEV expect_exit 0 hk_sk_run ssh -F "$CFG" "$name-host" echo "plain $name"
	assert_eq "plain $name" "$(cat out)" "$name: ssh -F CFG ran the command"
	assert_contains "$(accepted_last)" "${k#*:} $(hk_sk_fp "hk_$name.pub")" \
		"$name: sshd accepted the sk key"
done
# Without it the provider takes the first device found (HWKEY_FIDO_SOCKETS lists sockets).
HWKEY_FIDO_SOCKETS=$DEV_SOCK expect_exit 0 hk_sk_run ssh -F "$CFG" ec-host echo first-device
assert_eq first-device "$(cat out)" "ssh -F with the first device found"

# (2) hwkey login: no HWKEY_SK_DEVICE in the environment; the block's device is used.
before=$(grep -c "Accepted publickey" "$HK_SSHD_LOG")
expect_exit 0 hk_login ec-host --config "$CFG" -- echo "login ec"
assert_eq "login ec" "$(cat out)" "hwkey login ran the remote command"
assert_eq $((before + 1)) "$(grep -c "Accepted publickey" "$HK_SSHD_LOG")" "one login"
assert_contains "$(accepted_last)" "ECDSA-SK $(hk_sk_fp hk_ec.pub)" "sshd accepted the ecdsa-sk key"
expect_exit 0 hk_login ed-host --config "$CFG" -- id -un
assert_eq "$HK_SSHD_USER" "$(cat out)" "hwkey login with the ed25519-sk key"
assert_contains "$(accepted_last)" "ED25519-SK $(hk_sk_fp hk_ed.pub)" "sshd accepted the ed25519-sk key"
expect_exit 3 hk_login ec-host --config "$CFG" -- exit 3
expect_exit 42 hk_login ed-host --config "$CFG" -- exit 42

# The verify-required key: the PIN from file: and env:, checked, then handed to ssh.
printf '%s\n' 2468-hwkey >pin.file
chmod 600 pin.file
cat >fake-ssh <<EOF
#!/bin/sh
printf '%s\n' "\$SSH_ASKPASS|\$SSH_ASKPASS_REQUIRE|\$HWKEY_SK_DEVICE|\$*" >"$HK_TMP/ssh-env"
cat /proc/\$\$/cmdline | tr '\0' ' ' >"$HK_TMP/ssh-cmdline"
exec "$SSH_REAL" "\$@"
EOF
chmod 755 fake-ssh
HWKEY_SSH=$HK_TMP/fake-ssh expect_exit 0 hk_login uv-host --config "$CFG" \
	--pin "file:$HK_TMP/pin.file" -- echo verified
assert_eq verified "$(cat out)" "login with the verify-required key (PIN from file:)"
assert_contains "$(accepted_last)" "ECDSA-SK $(hk_sk_fp hk_uv.pub)" "sshd accepted the verify-required key"
IFS='|' read -r askpass require skdev sshargs <ssh-env
assert_eq hwkey-askpass "$(basename "$askpass")" "SSH_ASKPASS is hwkey's askpass"
assert_eq force "$require" "SSH_ASKPASS_REQUIRE=force"
assert_eq "$PDEV" "$skdev" "HWKEY_SK_DEVICE is the block's device"
assert_eq "-F $CFG uv-host echo verified" "$sshargs" "ssh's argv"
assert_not_contains "$sshargs $(cat ssh-cmdline)" 2468-hwkey "the PIN is not in ssh's argv"
assert_not_contains "$(cat out) $(cat err) $(cat "$HK_SSHD_LOG")" 2468-hwkey "the PIN is not printed"
export SK_PIN=2468-hwkey
expect_exit 0 hk_login uv-host --config "$CFG" --pin env:SK_PIN -- echo env-pin
assert_eq env-pin "$(cat out)" "login with the verify-required key (PIN from env:)"
# A block without a device (no precheck): ssh's own "Enter PIN for
# ECDSA-SK key" prompt reaches hwkey's askpass and gets the --pin source's PIN.
expect_exit 0 "$HWKEY" ssh-config uv-nodev --sk hk_uv --hostname 127.0.0.1 \
	--port "$HK_SSHD_PORT" --user "$HK_SSHD_USER" --config "$CFG"
assert_not_contains "$(sed -n '/^# hwkey:begin uv-nodev/,/^# hwkey:end uv-nodev/p' "$CFG")" \
	"hwkey-sk-device" "no device recorded without --device"
HWKEY_SK_DEVICE=$PDEV expect_exit 0 hk_login uv-nodev --config "$CFG" --pin env:SK_PIN -- \
	-o SecurityKeyProvider="$P" echo asked-by-ssh
assert_eq asked-by-ssh "$(cat out)" "ssh's sk PIN prompt answered by hwkey's askpass"
assert_contains "$(accepted_last)" "ECDSA-SK $(hk_sk_fp hk_uv.pub)" "sshd accepted the key (PIN through ssh)"
# ... and a wrong one there: ssh's failure, and hwkey says the key did not sign.
export BAD_PIN=1357-wrong
HWKEY_SK_DEVICE=$PDEV expect_exit 255 hk_login uv-nodev --config "$CFG" --pin env:BAD_PIN -- \
	-o SecurityKeyProvider="$P" echo no
assert_contains "$(cat err)" "did not sign with $HK_TMP/hk_uv" "a PIN ssh's device refused is explained"
assert_contains "$(cat err)" "the PIN was refused" "the PIN is named as a cause"
assert_not_contains "$(cat err)" "$BAD_PIN" "the wrong PIN is not printed"

# (3) hwkey agent: a private agent admitting only the build tree; its
# helper finds the device through the agent's own environment.
HWKEY_SK_DEVICE=$DEV hk_sk_agent_start
expect_exit 0 "$HWKEY" agent add --sk hk_ec --device "$DEV"
assert_contains "$(cat err)" "Identity added: hk_ec" "ssh-add added the key"
assert_contains "$(cat err)" "runs with HWKEY_SK_DEVICE=$DEV" "the agent's device is explained"
expect_exit 0 "$HWKEY" agent add --sk hk_ed --device "$DEV" --json
hk_json_valid agent out
pass
assert_eq "hk_ed" "$(jq -r .sk_file out)" "json sk_file"
expect_exit 0 ssh-add -l
assert_contains "$(cat out)" "$(hk_sk_fp hk_ec.pub)" "the agent holds the ecdsa-sk key"
assert_contains "$(cat out)" "$(hk_sk_fp hk_ed.pub)" "the agent holds the ed25519-sk key"
before=$(grep -c 'getAssertion status=0x00' "$HK_TMP/dev/log")
# shellcheck disable=SC2046
expect_exit 0 hk_sk_run ssh -F "$HK_SK_SSH_CONFIG" $(hk_sshd_ssh_opts) -o PasswordAuthentication=no \
	-p "$HK_SSHD_PORT" "$HK_SSHD_USER@127.0.0.1" echo through-the-agent
assert_eq through-the-agent "$(cat out)" "login through the agent, no -i"
assert_contains "$(accepted_last)" "ECDSA-SK $(hk_sk_fp hk_ec.pub)" "sshd accepted the agent's key"
after=$(grep -c 'getAssertion status=0x00' "$HK_TMP/dev/log")
[ "$after" -gt "$before" ] || fail "the device signed nothing for the agent login"
pass
expect_exit 0 "$HWKEY" agent remove --sk hk_ec
expect_exit 0 "$HWKEY" agent remove --sk hk_ed
expect_exit 1 ssh-add -l
assert_eq "The agent has no identities." "$(cat out)" "remove empties the agent"
# An agent whose allowlist leaves the provider out: refused, with the -P line.
hk_sk_agent_stop
export SSH_AUTH_SOCK=$HK_TMP/narrow.sock
ssh-agent -D -a "$SSH_AUTH_SOCK" -P "/opt/nothing/*" >"$HK_TMP/narrow.log" 2>&1 &
NARROW_PID=$!
hk_on_exit "kill $NARROW_PID"
for _ in $(seq 100); do [ -S "$SSH_AUTH_SOCK" ] && break; sleep 0.05; done
expect_exit 12 "$HWKEY" agent add --sk hk_ec --device "$DEV"
assert_contains "$(cat err)" "ssh-agent refused hk_ec" "the refusal names the key"
assert_contains "$(cat err)" "ssh-agent -P '$(realpath "$P")'" "the exact allowlist line"
kill "$NARROW_PID"
unset SSH_AUTH_SOCK

# (4) Failures. A key the server does not know: ssh's 255 and hwkey's hint.
expect_exit 255 hk_login stranger-host --config "$CFG" -- echo no
assert_contains "$(cat err)" "Permission denied" "ssh's refusal is shown"
assert_contains "$(cat err)" "the security key of $HK_TMP/hk_stranger" "hwkey names the key file"
assert_contains "$(cat err)" "authorized_keys" "and where it must go"

# A wrong PIN: hwkey's own error before ssh starts, no connection.
conns=$(nconn)
export BAD_PIN=1357-wrong
expect_exit 7 hk_login uv-host --config "$CFG" --pin env:BAD_PIN -- echo no
assert_contains "$(cat err)" "PIN incorrect" "wrong PIN named"
assert_contains "$(cat err)" "$PDEV" "wrong PIN names the device"
assert_not_contains "$(cat err)" "$BAD_PIN" "the wrong PIN is not printed"
assert_eq "$conns" "$(nconn)" "no connection with a wrong PIN"
# The right PIN afterwards still works (one wrong try is not a block).
expect_exit 0 hk_login uv-host --config "$CFG" --pin env:SK_PIN -- echo again
assert_eq again "$(cat out)" "the right PIN after a wrong one"

# A denied touch: the device refuses, ssh fails, hwkey says what it means.
FIDO2SIM_PID=$DEV_PID FIDO2SIM_SOCKET=$DEV_SOCK hk_fido2sim_restart --touch deny
expect_exit 255 hk_login ec-host --config "$CFG" -- echo should-not-run
assert_not_contains "$(cat out)" should-not-run "no command after a denied touch"
assert_contains "$(cat err)" "did not sign with $HK_TMP/hk_ec" "hwkey says the key did not sign"
assert_contains "$(cat err)" "touch was refused" "and names the touch"
assert_contains "$(cat "$HK_TMP/dev/log")" "getAssertion status=0x27" "the sim denied the touch"
hk_done
