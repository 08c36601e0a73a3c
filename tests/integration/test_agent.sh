# hwkey agent add/remove with a private ssh-agent (its -P allowing the
# SoftHSM module's real path): the token's keys are in the agent (ssh-add -L
# equals the token's public keys), a login through the agent works against a
# real sshd, remove takes them out; an agent whose allowlist does not admit
# the module refuses, and hwkey prints the exact ssh-agent -P line; a wrong
# PIN never reaches the agent.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"
. "$HK_TESTLIB/sshd.sh"
. "$HK_TESTLIB/json.sh"

export AG_PIN=55667788
tok=agent-tok
uri="pkcs11:token=$tok"
hk_softhsm_init "$tok" "$AG_PIN" 99887766 >/dev/null
hk_softhsm_keygen "$uri" AG_PIN rsa2048:rsa ecdsa-p256:ec
module=$(realpath "$HK_SOFTHSM_MODULE")

# No agent: a clear error.
(unset SSH_AUTH_SOCK; expect_exit 1 "$HWKEY" agent add "$uri" --pin env:AG_PIN)
assert_contains "$(cat err)" "SSH_AUTH_SOCK is not set" "no agent named"

# A private agent that admits exactly the module.
start_agent() {
	export SSH_AUTH_SOCK=$HK_TMP/agent.$1.sock
	ssh-agent -D -a "$SSH_AUTH_SOCK" -P "$2" >"$HK_TMP/agent.$1.log" 2>&1 &
	AGENT_PID=$!
	hk_on_exit "kill $AGENT_PID"
	for _ in $(seq 100); do [ -S "$SSH_AUTH_SOCK" ] && return 0; sleep 0.05; done
	fail "ssh-agent did not start"
}
start_agent ok "$module"
expect_exit 0 "$HWKEY" agent add "$uri" --pin env:AG_PIN --json
export AG_PIN=55667788
hk_json_valid agent out
pass
assert_eq add "$(jq -r .action out)" "json action"
assert_eq "$module" "$(jq -r .module out)" "json module is the real path"
# The agent holds the token's keys: ssh-add -L lists exactly them.
ssh-add -L | cut -d' ' -f1,2 | sort >agent.keys
cat rsa.pub ec.pub | cut -d' ' -f1,2 | sort >token.keys
assert_files_equal token.keys agent.keys "the agent holds the token's two keys"

# Login through the agent alone (no provider in the client).
cat rsa.pub >authorized_keys
hk_sshd_start "$HK_TMP/sshd" "$HK_TMP/authorized_keys"
# shellcheck disable=SC2046
out=$(ssh -F none $(hk_sshd_ssh_opts) -o IdentityAgent="$SSH_AUTH_SOCK" \
	-p "$HK_SSHD_PORT" "$HK_SSHD_USER@127.0.0.1" echo via-agent 2>ssh.err) ||
	fail "login through the agent failed: $(cat ssh.err)"
assert_eq via-agent "$out" "login through ssh-agent"
assert_contains "$(grep "Accepted publickey" "$HK_SSHD_LOG" | tail -1)" \
	"$(ssh-keygen -l -f rsa.pub | awk '{print $2}')" "sshd accepted the token's RSA key"

expect_exit 0 "$HWKEY" agent remove "$uri"
expect_exit 1 ssh-add -l
assert_eq "The agent has no identities." "$(cat out)" "remove empties the agent"

# A wrong PIN: hwkey's error, the agent is not asked.
export BAD=12121212
expect_exit 7 "$HWKEY" agent add "$uri" --pin env:BAD
assert_contains "$(cat err)" "PIN incorrect" "wrong PIN named"
expect_exit 1 ssh-add -l
assert_eq "The agent has no identities." "$(cat out)" "nothing added with a wrong PIN"

# An agent whose allowlist leaves the module out: refused, and the hint
# is the exact -P line for the resolved path.
kill "$AGENT_PID"
start_agent narrow "/opt/nothing/*"
expect_exit 12 "$HWKEY" agent add "$uri" --pin env:AG_PIN
export AG_PIN=55667788
assert_contains "$(cat err)" "agent refused operation" "ssh-add's refusal shown"
assert_contains "$(cat err)" "ssh-agent refused $module" "hwkey names the refused module"
assert_contains "$(cat err)" "ssh-agent -P '$module'" "the exact allowlist line"
# A symlink to the module: hwkey still hands ssh-add the real path.
ln -s "$HK_SOFTHSM_MODULE" "$HK_TMP/softhsm-link.so"
expect_exit 12 "$HWKEY" agent add "$uri" --module "$HK_TMP/softhsm-link.so" --pin env:AG_PIN
assert_contains "$(cat err)" "ssh-agent -P '$module'" "the link is resolved in the hint"

# --sk: a key-handle file that is a software key is refused before ssh-add runs.
ssh-keygen -q -t ed25519 -N '' -f soft
expect_exit 12 "$HWKEY" agent add --sk soft
assert_contains "$(cat err)" "not a security key (sk) key" "software key refused"
hk_done
