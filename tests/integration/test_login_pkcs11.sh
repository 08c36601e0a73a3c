# hwkey ssh-config and hwkey login against a real sshd on loopback, with a
# SoftHSM RSA key and a SoftHSM ECDSA key: login through hwkey (the PIN from
# hwkey's askpass, never argv), through the written config with plain ssh,
# ssh's exit status passed on; the wrong PIN, a token that is gone and a key
# the server does not know each fail clearly before or after ssh.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"
. "$HK_TESTLIB/sshd.sh"

export LG_PIN=31415926
tok=login-tok
hk_softhsm_init "$tok" "$LG_PIN" 27182818 >/dev/null
uri="pkcs11:token=$tok"
hk_softhsm_keygen "$uri" LG_PIN rsa2048:rsa ecdsa-p256:ec ecdsa-p256:stranger
# The server knows rsa and ec, not stranger.
cat rsa.pub ec.pub >authorized_keys
hk_sshd_start "$HK_TMP/sshd" "$HK_TMP/authorized_keys"

mkdir -m 700 "$HOME/.ssh"
cat >"$HOME/.ssh/config" <<EOF
# the user's own settings
ServerAliveInterval 30

Host other
	HostName 192.0.2.1
	User someone

Host *
	UserKnownHostsFile $HK_SSHD_KNOWN_HOSTS
	GlobalKnownHostsFile none
	StrictHostKeyChecking yes
EOF
cp "$HOME/.ssh/config" config.orig

for k in rsa ec stranger; do
	expect_exit 0 "$HWKEY" ssh-config "$k-host" "$uri" --key "$k" --hostname 127.0.0.1 \
		--port "$HK_SSHD_PORT" --user "$HK_SSHD_USER"
	assert_contains "$(cat out)" "Host $k-host in $HOME/.ssh/config" "$k: ssh-config says where"
	# The .pub IdentityFile is the token's key, as keygen printed it.
	assert_eq "$(cut -d' ' -f1,2 "$k.pub")" "$(cut -d' ' -f1,2 "$HOME/.ssh/hwkey-$k-host.pub")" \
		"$k: exported .pub"
done
# The module as PKCS11Provider: the real file p11-kit resolved.
assert_contains "$(cat "$HOME/.ssh/config")" \
	"PKCS11Provider $(realpath "$HK_SOFTHSM_MODULE")" "PKCS11Provider is the module's real path"
assert_eq 600 "$(stat -c %a "$HOME/.ssh/config")" "config mode"
# Everything of the user's is kept byte for byte: drop hwkey's blocks (and the
# blank line each insertion adds) and the original is left.
awk '/^# hwkey:begin /{skip=1} !skip{print} /^# hwkey:end /{skip=0; getline; if ($0 != "") print}' \
	"$HOME/.ssh/config" >config.rest
assert_files_equal config.orig config.rest "the user's lines are kept"
# hwkey's blocks come before "Host *" so their values win.
assert_eq 1 "$(awk '/^Host \*/{print (seen ? 1 : 0)} /^Host rsa-host/{seen=1}' "$HOME/.ssh/config")" \
	"hwkey's block precedes Host *"
# Again: nothing changes.
cp "$HOME/.ssh/config" config.1
expect_exit 0 "$HWKEY" ssh-config ec-host "$uri" --key ec --hostname 127.0.0.1 \
	--port "$HK_SSHD_PORT" --user "$HK_SSHD_USER"
assert_contains "$(cat out)" "unchanged" "second run reports unchanged"
assert_files_equal config.1 "$HOME/.ssh/config" "second run leaves the file as it was"

fp() { ssh-keygen -l -f "$1" | awk '{print $2}'; }
for k in rsa ec; do
	before=$(grep -c "Accepted publickey" "$HK_SSHD_LOG" || true)
	expect_exit 0 "$HWKEY" login "$k-host" --pin env:LG_PIN -- echo "hello from $k"
	export LG_PIN=31415926
	assert_eq "hello from $k" "$(cat out)" "$k: hwkey login ran the remote command"
	assert_not_contains "$(cat err)" "$LG_PIN" "$k: the PIN is not printed"
	# sshd says which key it accepted: the token's.
	assert_eq $((before + 1)) "$(grep -c "Accepted publickey" "$HK_SSHD_LOG")" "$k: one login"
	assert_contains "$(grep "Accepted publickey" "$HK_SSHD_LOG" | tail -1)" "$(fp "$k.pub")" \
		"$k: sshd accepted the token's key"
	# ssh's exit status is hwkey login's.
	expect_exit 7 "$HWKEY" login "$k-host" --pin env:LG_PIN -- exit 7
	export LG_PIN=31415926
done

# The PIN from a file source, and hwkey's askpass is what ssh ran: a wrapper
# ssh records SSH_ASKPASS and its argv.
printf '%s\n' "$LG_PIN" >pin.file
chmod 600 pin.file
cat >fake-ssh <<EOF
#!/bin/sh
printf '%s\n' "\$SSH_ASKPASS|\$SSH_ASKPASS_REQUIRE|\$*" >"$HK_TMP/ssh-env"
exec ssh "\$@"
EOF
chmod 755 fake-ssh
HWKEY_SSH=$HK_TMP/fake-ssh expect_exit 0 "$HWKEY" login ec-host --pin "file:$HK_TMP/pin.file" -- true
IFS='|' read -r askpass require sshargs <ssh-env
assert_eq hwkey-askpass "$(basename "$askpass")" "SSH_ASKPASS is hwkey's askpass"
assert_eq force "$require" "SSH_ASKPASS_REQUIRE=force"
assert_not_contains "$sshargs" "$LG_PIN" "the PIN is not in ssh's argv"
assert_eq "-F $HOME/.ssh/config ec-host true" "$sshargs" "ssh's argv"
[ ! -e "$askpass" ] || fail "the askpass directory is removed after ssh"
pass

# hwkey's askpass channel itself, driven by a stand-in ssh: the first PIN
# request gets the PIN, a second is refused (a refused PIN is never retried),
# another uid cannot reach the socket, and the askpass outside hwkey answers nothing.
cat >probe-ssh <<EOF
#!/bin/sh
"\$SSH_ASKPASS" "Enter PIN for 'login-tok': " >"$HK_TMP/answer1"; echo "\$?" >"$HK_TMP/rc1"
"\$SSH_ASKPASS" "Enter PIN for 'login-tok': " >"$HK_TMP/answer2"; echo "\$?" >"$HK_TMP/rc2"
SSH_ASKPASS_PROMPT=none "\$SSH_ASKPASS" "Confirm user presence for key X" >"$HK_TMP/answer3"
if [ "\$(id -u)" = 0 ]; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "\$SSH_ASKPASS" "Enter PIN" \\
		>"$HK_TMP/answer4" 2>"$HK_TMP/err4"; echo "\$?" >"$HK_TMP/rc4"
fi
stat -c %a "\$(dirname "\$SSH_ASKPASS")" >"$HK_TMP/dirmode"
exit 3
EOF
chmod 755 probe-ssh
HWKEY_SSH=$HK_TMP/probe-ssh expect_exit 3 "$HWKEY" login ec-host --pin env:LG_PIN -- true
export LG_PIN=31415926
assert_eq "$LG_PIN" "$(cat answer1)" "the first PIN request is answered with the PIN"
assert_eq 0 "$(cat rc1)" "askpass exits 0 with an answer"
assert_eq "" "$(cat answer2)" "a second PIN request gets nothing"
assert_eq 1 "$(cat rc2)" "askpass exits 1 when refused"
assert_contains "$(cat err)" "ssh asked for the PIN again; not answered" "the refusal is said"
assert_contains "$(cat err)" "Confirm user presence for key X" "a notification is shown on stderr"
assert_eq "" "$(cat answer3)" "a notification gets no secret"
assert_eq 700 "$(cat dirmode)" "the askpass directory is private"
if [ "$(id -u)" = 0 ]; then
	assert_eq 1 "$(cat rc4)" "another uid gets no answer"
	assert_eq "" "$(cat answer4)" "another uid gets no PIN"
fi
ln -s "$HWKEY" hwkey-askpass
got=0
./hwkey-askpass "Enter PIN" >answer5 2>err5 || got=$?
assert_eq 1 "$got" "askpass outside hwkey login exits 1"
assert_contains "$(cat err5)" "answers only ssh started by hwkey login" "and says why"

# The PIN from fd:N, and typed at the terminal (no echo; the prompt names the token).
expect_exit 0 "$HWKEY" login ec-host --pin fd:3 -- echo fd-ok 3<pin.file
assert_eq fd-ok "$(cat out)" "--pin fd:3"
printf '%s\n' "$LG_PIN" >answers
got=0
/usr/bin/python3 "$HK_TESTLIB/pty_answer.py" answers "$HWKEY" login ec-host -- echo tty-ok \
	>transcript 2>&1 || got=$?
assert_eq 0 "$got" "terminal PIN: login succeeds"
assert_contains "$(cat transcript)" "PIN for token $tok: " "terminal PIN: hwkey's prompt"
assert_contains "$(cat transcript)" "tty-ok" "terminal PIN: the remote command ran"
assert_not_contains "$(cat transcript)" "$LG_PIN" "terminal PIN: not echoed"

# Plain ssh through the written config (its own askpass gives the PIN).
cat >askpass.sh <<EOF
#!/bin/sh
cat "$HK_TMP/pin.file"
EOF
chmod 700 askpass.sh
for k in rsa ec; do
	out=$(SSH_ASKPASS=$HK_TMP/askpass.sh SSH_ASKPASS_REQUIRE=force DISPLAY= \
		ssh -F "$HOME/.ssh/config" "$k-host" echo "plain $k" 2>ssh.err) ||
		fail "$k: plain ssh -F failed: $(cat ssh.err)"
	assert_eq "plain $k" "$out" "$k: plain ssh with the written config"
	assert_contains "$(grep "Accepted publickey" "$HK_SSHD_LOG" | tail -1)" "$(fp "$k.pub")" \
		"$k: plain ssh used the token's key"
done

# Wrong PIN: hwkey's own error (exit 7), and ssh is never started.
conns=$(grep -c "Connection from" "$HK_SSHD_LOG" || true)
export BAD_PIN=11111111
expect_exit 7 "$HWKEY" login ec-host --pin env:BAD_PIN -- true
assert_contains "$(cat err)" "PIN incorrect" "wrong PIN named"
assert_contains "$(cat err)" "$tok" "wrong PIN names the token"
assert_eq "$conns" "$(grep -c "Connection from" "$HK_SSHD_LOG" || true)" "no connection with a wrong PIN"

# A key the server does not know: ssh's 255, and hwkey says which key.
expect_exit 255 "$HWKEY" login stranger-host --pin env:LG_PIN -- true
export LG_PIN=31415926
assert_contains "$(cat err)" "Permission denied" "ssh's refusal is shown"
assert_contains "$(cat err)" "$(fp stranger.pub)" "hwkey names the key the server refused"
assert_contains "$(cat err)" "authorized_keys" "hwkey says where it must go"

# The wrong token: ssh-config refuses a token that is not there, and login
# refuses a block whose token is gone.
expect_exit 4 "$HWKEY" ssh-config nope-host "pkcs11:token=no-such-token" --key rsa \
	--hostname 127.0.0.1
assert_contains "$(cat err)" "no token matches" "ssh-config: unknown token named"
[ -z "$(grep -F nope-host "$HOME/.ssh/config")" ] || fail "no block for a refused token"
pass
hk_softhsm_init gone-tok "$LG_PIN" 27182818 >/dev/null
expect_exit 0 "$HWKEY" keygen pkcs11:token=gone-tok --type ecdsa-p256 --label g --pin env:LG_PIN
export LG_PIN=31415926
expect_exit 0 "$HWKEY" ssh-config gone-host pkcs11:token=gone-tok --key g --hostname 127.0.0.1 \
	--port "$HK_SSHD_PORT"
softhsm2-util --delete-token --token gone-tok >/dev/null
expect_exit 4 "$HWKEY" login gone-host --pin env:LG_PIN -- true
export LG_PIN=31415926
assert_contains "$(cat err)" "no token matches" "login: the missing token is named"
assert_contains "$(cat err)" "gone-tok" "login: the token's URI is in the error"
# A host hwkey did not configure.
expect_exit 3 "$HWKEY" login other -- true
assert_contains "$(cat err)" "no hwkey block for host 'other'" "unconfigured host refused"
hk_done
