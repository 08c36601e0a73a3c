# Sourced by the libhwkey-sk.so tests (after common.sh): the OpenSSH client
# side of a security-key test. A private $HOME and ssh_config, an askpass
# that answers PIN prompts from a 0600 file (never argv) and records every
# prompt, ssh-agent with an allowlist for the build tree, and the sanitizer
# runtime when the provider is an ASan build.
#
#   hk_sk_setup            HOME=$HK_TMP/home, $HK_SK_SSH_CONFIG; no tty
#   hk_sk_pin PIN          the askpass answers PIN prompts with PIN (0600 file)
#   hk_sk_run CMD...       CMD with the askpass, no controlling terminal and,
#                          for an ASan provider, its runtime preloaded
#   hk_sk_agent_start      ssh-agent -D allowing only the build tree (-P);
#                          exports SSH_AUTH_SOCK; stopped on exit
#   hk_sk_agent_stop
#   hk_sk_ssh KEY|- CMD... ssh to the test sshd through the provider (-i KEY,
#                          or "-" for the agent's keys only)
#   hk_sk_fp FILE          the SHA256 fingerprint ssh-keygen -l prints
#   hk_sk_blob FILE        "type base64" of a .pub file
#   hk_sk_sim_start NAME [OPTION]...  hwkey-fido2sim (tests/lib/fido2sim.sh) in
#                          $HK_TMP/NAME; HWKEY_SK_DEVICE names it
#   hk_sk_sim_stop
#
# $HK_SK_ASKPASS_LOG holds one line per prompt the tools showed.

: "${HK_SK_PROVIDER:?HK_SK_PROVIDER must point at libhwkey-sk.so (ctest sets it)}"
[ -f "$HK_SK_PROVIDER" ] || fail "no $HK_SK_PROVIDER"

HK_SK_AGENT_PID=
HK_SK_PRELOAD=
. "$HK_TESTLIB/fido2sim.sh"

hk_sk_setup() {
	export HOME=$HK_TMP/home
	mkdir -p "$HOME/.ssh"
	chmod 700 "$HOME" "$HOME/.ssh"
	HK_SK_SSH_CONFIG=$HK_TMP/ssh_config
	# No default identities (ssh would look in the passwd entry's ~/.ssh).
	echo "IdentityFile $HOME/.ssh/hk_no_default_key" >"$HK_SK_SSH_CONFIG"
	HK_SK_PINFILE=$HK_TMP/askpass.pin
	HK_SK_ASKPASS_LOG=$HK_TMP/askpass.log
	: >"$HK_SK_ASKPASS_LOG"
	(umask 077 && : >"$HK_SK_PINFILE")
	# The askpass program: the PIN for PIN prompts, "no" to an overwrite
	# question, nothing for ssh's touch notices (SSH_ASKPASS_PROMPT=none).
	cat >"$HK_TMP/askpass" <<-EOF
		#!/bin/sh
		printf '%s|%s\n' "\${SSH_ASKPASS_PROMPT:-}" "\$1" >>"$HK_SK_ASKPASS_LOG"
		case "\${SSH_ASKPASS_PROMPT:-}" in none) exit 0 ;; esac
		case "\$1" in
		*PIN*) exec cat "$HK_SK_PINFILE" ;;
		*Overwrite*) echo n ;;
		*) exit 1 ;;
		esac
	EOF
	chmod 700 "$HK_TMP/askpass"
	export SSH_ASKPASS=$HK_TMP/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=hk:0
	unset SSH_AUTH_SOCK SSH_AGENT_PID SSH_SK_PROVIDER HWKEY_SK_DEVICE HWKEY_SK_DEBUG HWKEY_FIDO_SOCKETS
	# A sanitized provider needs the sanitizer runtime in the (plain) ssh
	# tools that load it; OpenSSH's own leaks at exit are not ours.
	if [ "$(nm -D --undefined-only "$HK_SK_PROVIDER" | grep -c '__asan_init')" != 0 ]; then
		HK_SK_PRELOAD=$(clang -print-file-name=libclang_rt.asan-x86_64.so)
		[ -f "$HK_SK_PRELOAD" ] || fail "the ASan provider needs $HK_SK_PRELOAD"
	fi
}

hk_sk_pin() {
	printf '%s\n' "$1" >"$HK_SK_PINFILE"
}

# setsid: no controlling terminal, so every prompt goes to the askpass.
hk_sk_run() {
	if [ -n "$HK_SK_PRELOAD" ]; then
		LD_PRELOAD=$HK_SK_PRELOAD ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
			setsid -w "$@" </dev/null
	else
		setsid -w "$@" </dev/null
	fi
}

hk_sk_agent_start() {
	local dir
	dir=$(realpath "$(dirname "$HK_SK_PROVIDER")")
	export SSH_AUTH_SOCK=$HK_TMP/agent.sock
	rm -f "$SSH_AUTH_SOCK"
	local pre=() agent
	agent=$(command -v ssh-agent)
	if [ -n "$HK_SK_PRELOAD" ]; then
		# Debian's ssh-agent is setgid: the loader drops LD_PRELOAD for it
		# and its ssh-sk-helper. An unprivileged copy takes the runtime.
		cp "$agent" "$HK_TMP/ssh-agent"
		agent=$HK_TMP/ssh-agent
		pre=("LD_PRELOAD=$HK_SK_PRELOAD" "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1")
	fi
	# env execs ssh-agent: $! is the agent itself.
	env "${pre[@]}" "$agent" -D -a "$SSH_AUTH_SOCK" -P "$dir/*" \
		</dev/null >"$HK_TMP/agent.out" 2>"$HK_TMP/agent.log" &
	HK_SK_AGENT_PID=$!
	hk_on_exit hk_sk_agent_stop
	# Ready when it answers (the socket file exists before it listens):
	# ssh-add -l exits 0 or 1 then, 2 while nothing answers.
	local st=2
	for _ in $(seq 200); do
		st=0
		ssh-add -l >"$HK_TMP/agent.probe" 2>&1 || st=$?
		[ "$st" != 2 ] && break
		kill -0 "$HK_SK_AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ "$st" != 2 ] || fail "ssh-agent did not start: $(cat "$HK_TMP/agent.log")"
}

hk_sk_agent_stop() {
	[ -n "${HK_SK_AGENT_PID:-}" ] || return 0
	kill -TERM "$HK_SK_AGENT_PID" 2>/dev/null || true
	wait "$HK_SK_AGENT_PID" 2>/dev/null || true
	HK_SK_AGENT_PID=
}

hk_sk_ssh() {
	local key=$1 id
	shift
	id=()
	if [ "$key" != - ]; then
		id=(-o IdentityAgent=none -o IdentitiesOnly=yes -i "$key")
	fi
	# shellcheck disable=SC2046
	hk_sk_run ssh -F "$HK_SK_SSH_CONFIG" "${id[@]}" $(hk_sshd_ssh_opts) \
		-o SecurityKeyProvider="$HK_SK_PROVIDER" -o PasswordAuthentication=no \
		-o KbdInteractiveAuthentication=no -p "$HK_SSHD_PORT" \
		"$HK_SSHD_USER@127.0.0.1" "$@"
}

# hk_sk_sim_start NAME [SIM OPTION]...: tests/lib/fido2sim.sh's sim in
# $HK_TMP/NAME (state and CA kept across restarts of the same NAME), named
# by HWKEY_SK_DEVICE for the middleware. HK_SK_SIM_SOCK, HK_SK_SIM_LOG.
hk_sk_sim_start() {
	local name=$1
	shift
	FIDO2SIM_DIR=$HK_TMP/$name hk_fido2sim_start "$@"
	# The socket file appears at bind(), a moment before listen(): wait
	# until a connection is taken, so no test sees a "dead" device by luck.
	python3 - "$FIDO2SIM_SOCKET" <<-'PY' || fail "hwkey-fido2sim takes no connection"
		import socket, sys, time
		for _ in range(400):
		    s = socket.socket(socket.AF_UNIX)
		    try:
		        s.connect(sys.argv[1]); sys.exit(0)
		    except OSError:
		        time.sleep(0.05)
		    finally:
		        s.close()
		sys.exit(1)
	PY
	HK_SK_SIM_SOCK=$FIDO2SIM_SOCKET
	HK_SK_SIM_LOG=$FIDO2SIM_LOG
	export HWKEY_SK_DEVICE=fido:unix:$HK_SK_SIM_SOCK
}

hk_sk_sim_stop() {
	hk_fido2sim_stop
}

# The base64 blob of a .pub line (what ssh compares; comments differ).
hk_sk_blob() {
	awk '{ print $1, $2 }' "$1"
}

hk_sk_fp() {
	ssh-keygen -l -f "$1" | awk '{ print $2 }'
}
