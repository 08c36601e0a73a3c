# Sourced by login tests (after common.sh): a real OpenSSH sshd on a free
# 127.0.0.1 port, with its own config, host key and authorized_keys in a
# directory the test owns. Nothing of the machine's sshd is read or changed.
#
#   hk_sshd_start DIR AUTHORIZED_KEYS_FILE [KEYWORD VALUE]...
#        writes DIR/sshd_config (extra "KEYWORD VALUE" lines appended, e.g.
#        PubkeyAcceptedAlgorithms rsa-sha2-512) and DIR/host_ed25519, starts
#        sshd -D -e and waits until it answers. Sets:
#          HK_SSHD_PORT         the port
#          HK_SSHD_PID          sshd's pid
#          HK_SSHD_USER         the account to log in as (the test's own user)
#          HK_SSHD_LOG          sshd's log (-e: everything it says)
#          HK_SSHD_KNOWN_HOSTS  a known_hosts file holding the host key, for
#                               ssh -o UserKnownHostsFile=$HK_SSHD_KNOWN_HOSTS
#        The stop is registered with hk_on_exit, so a failing test stops it too.
#   hk_sshd_stop          SIGTERM and wait (safe to call twice)
#   hk_sshd_ssh_opts      prints the ssh options every test client needs: the
#                         known_hosts above and no other, strict host key
#                         checking (ssh keeps the first value of an option:
#                         agent use is SSH_AUTH_SOCK's, or -o IdentityAgent given
#                         before these). Always give ssh -F too: without it
#                         ssh reads the passwd entry's ~/.ssh, not $HOME's.
#
# As root, sshd wants its privilege-separation directory /run/sshd; when the
# machine has none, sshd runs in a private mount namespace with a private
# tmpfs on /run (unshare -m), so the machine's /run is not touched. As
# another user no such directory is needed and the login is as that user.
# StrictModes is off: the temporary directory lives under the world-writable
# /tmp, which StrictModes refuses for authorized_keys.

HK_SSHD_BIN=${HK_SSHD_BIN:-/usr/sbin/sshd}
[ -x "$HK_SSHD_BIN" ] || fail "sshd ($HK_SSHD_BIN) missing (scripts/deps.sh installs openssh-server)"
HK_SSHD_PID=
HK_SSHD_PORT=
HK_SSHD_USER=$(id -un)

# sshd with the given arguments; as root without /run/sshd in its own mount
# namespace. It execs (unshare execs sh, sh execs sshd): run it in a subshell
# or in the background, where $! is then sshd itself.
_hk_sshd_exec() {
	if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
		exec unshare -m sh -c 'mount -t tmpfs -o mode=755 hk-run /run && mkdir -m 755 /run/sshd &&
			exec "$@"' sh "$HK_SSHD_BIN" "$@"
	else
		exec "$HK_SSHD_BIN" "$@"
	fi
}

hk_sshd_start() {
	local dir=$1 authkeys=$2 try i
	shift 2
	[ -s "$authkeys" ] || [ -e "$authkeys" ] || fail "hk_sshd_start: $authkeys does not exist"
	mkdir -p "$dir"
	chmod 700 "$dir"
	HK_SSHD_LOG=$dir/sshd.log
	[ -s "$dir/host_ed25519" ] ||
		ssh-keygen -q -t ed25519 -N '' -C hk-sshd-host -f "$dir/host_ed25519" ||
		fail "ssh-keygen could not make the sshd host key"
	for try in 1 2 3; do
		HK_SSHD_PORT=$(hk_free_port)
		{
			echo "Port $HK_SSHD_PORT"
			echo "ListenAddress 127.0.0.1"
			echo "HostKey $dir/host_ed25519"
			echo "AuthorizedKeysFile $authkeys"
			echo "AuthorizedPrincipalsFile none"
			echo "PidFile none"
			echo "StrictModes no"
			echo "UsePAM no"
			echo "PubkeyAuthentication yes"
			echo "PasswordAuthentication no"
			echo "KbdInteractiveAuthentication no"
			echo "HostbasedAuthentication no"
			echo "GSSAPIAuthentication no"
			echo "PermitRootLogin prohibit-password"
			echo "AllowUsers $HK_SSHD_USER"
			echo "PrintMotd no"
			echo "PrintLastLog no"
			echo "UseDNS no"
			echo "MaxAuthTries 10"
			echo "LogLevel VERBOSE"
			while [ $# -ge 2 ]; do
				echo "$1 $2"
				shift 2
			done
		} >"$dir/sshd_config"
		(_hk_sshd_exec -t -f "$dir/sshd_config") 2>"$HK_SSHD_LOG" </dev/null ||
			fail "sshd refuses its test config: $(head -3 "$HK_SSHD_LOG")"
		_hk_sshd_exec -D -e -f "$dir/sshd_config" 2>>"$HK_SSHD_LOG" </dev/null &
		HK_SSHD_PID=$!
		for i in $(seq 200); do
			grep -q "Server listening on 127.0.0.1 port $HK_SSHD_PORT" "$HK_SSHD_LOG" && break
			kill -0 "$HK_SSHD_PID" 2>/dev/null || break
			sleep 0.05
		done
		if grep -q "Server listening on 127.0.0.1 port $HK_SSHD_PORT" "$HK_SSHD_LOG"; then
			break
		fi
		kill -TERM "$HK_SSHD_PID" 2>/dev/null || true
		wait "$HK_SSHD_PID" 2>/dev/null || true
		HK_SSHD_PID=
		# Another process took the port between the probe and the bind: retry.
		grep -q "Address already in use" "$HK_SSHD_LOG" ||
			fail "sshd did not start: $(tail -3 "$HK_SSHD_LOG")"
	done
	[ -n "$HK_SSHD_PID" ] || fail "sshd found no free port in 3 tries"
	hk_on_exit hk_sshd_stop
	HK_SSHD_KNOWN_HOSTS=$dir/known_hosts
	echo "[127.0.0.1]:$HK_SSHD_PORT $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$HK_SSHD_KNOWN_HOSTS"
	export HK_SSHD_PORT HK_SSHD_PID HK_SSHD_USER HK_SSHD_LOG HK_SSHD_KNOWN_HOSTS
}

hk_sshd_stop() {
	[ -n "${HK_SSHD_PID:-}" ] || return 0
	kill -TERM "$HK_SSHD_PID" 2>/dev/null || true
	wait "$HK_SSHD_PID" 2>/dev/null || true
	HK_SSHD_PID=
}

hk_sshd_ssh_opts() {
	echo "-o UserKnownHostsFile=$HK_SSHD_KNOWN_HOSTS -o GlobalKnownHostsFile=none" \
		"-o StrictHostKeyChecking=yes -o BatchMode=no" \
		"-o ConnectTimeout=30"
}
