# ssh-agent signs with sk keys through libhwkey-sk.so: an agent allowing
# only the build tree (-P), `ssh-add -S libhwkey-sk.so KEY`, then ssh with no
# -i logs in to a real sshd through the agent, for both sk types and for a
# resident key recovered with ssh-keygen -K. The agent refuses a provider
# outside its allowlist, and a denied touch fails the login.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/sk.sh"
. "$HK_TESTLIB/sshd.sh"

P=$HK_SK_PROVIDER
hk_sk_setup
hk_sk_sim_start dev
for t in ecdsa-sk ed25519-sk; do
	expect_exit 0 hk_sk_run ssh-keygen -w "$P" -t "$t" -N '' -C "agent-$t" -f "id_$t"
done
cat id_ecdsa-sk.pub id_ed25519-sk.pub >authorized_keys
hk_sshd_start "$HK_TMP/sshd" "$HK_TMP/authorized_keys"

# The agent's sk helper inherits the agent's environment: HWKEY_SK_DEVICE
# is the sim's.
hk_sk_agent_start
expect_exit 1 ssh-add -l
assert_contains "$(cat out)" "The agent has no identities" "a fresh agent"

# A provider outside the allowlist is refused (a copy of the same library).
mkdir -p "$HK_TMP/elsewhere"
cp "$P" "$HK_TMP/elsewhere/libhwkey-sk.so"
expect_exit 1 hk_sk_run ssh-add -S "$HK_TMP/elsewhere/libhwkey-sk.so" id_ecdsa-sk
assert_contains "$(cat "$HK_TMP/agent.log")" "provider $(realpath "$HK_TMP")/elsewhere/libhwkey-sk.so not allowed" \
	"the agent's allowlist"
expect_exit 1 ssh-add -l

for t in ecdsa-sk ed25519-sk; do
	expect_exit 0 hk_sk_run ssh-add -S "$P" "id_$t"
	assert_contains "$(cat err)" "Identity added: id_$t" "ssh-add -S $t"
done
expect_exit 0 ssh-add -l
assert_contains "$(cat out)" "$(hk_sk_fp id_ecdsa-sk.pub) agent-ecdsa-sk (ECDSA-SK)" "agent lists the ecdsa-sk key"
assert_contains "$(cat out)" "$(hk_sk_fp id_ed25519-sk.pub) agent-ed25519-sk (ED25519-SK)" "agent lists the ed25519-sk key"

# ssh without -i: the agent offers the keys, its sk helper signs.
before=$(grep -c 'getAssertion status=0x00' "$HK_SK_SIM_LOG" || true)
expect_exit 0 hk_sk_ssh - echo through-the-agent
assert_eq through-the-agent "$(cat out)" "login through the agent"
assert_contains "$(grep -F 'Accepted publickey' "$HK_SSHD_LOG")" "ECDSA-SK $(hk_sk_fp id_ecdsa-sk.pub)" \
	"sshd accepted the agent's first key"
after=$(grep -c 'getAssertion status=0x00' "$HK_SK_SIM_LOG")
[ "$after" -gt "$before" ] || fail "the sim signed nothing for the agent login"
pass
# Only the ed25519-sk key authorised: the agent's second key logs in.
cp id_ed25519-sk.pub authorized_keys
expect_exit 0 hk_sk_ssh - echo second
assert_eq second "$(cat out)" "login with the agent's ed25519-sk key"
assert_contains "$(grep -F 'Accepted publickey' "$HK_SSHD_LOG" | tail -1)" "ED25519-SK $(hk_sk_fp id_ed25519-sk.pub)" \
	"sshd accepted the agent's ed25519-sk key"

# A denied touch: the agent cannot sign, no login.
hk_fido2sim_restart --touch deny
expect_exit 255 hk_sk_ssh - echo should-not-run
assert_not_contains "$(cat out)" "should-not-run" "command after a denied touch"
assert_contains "$(cat "$HK_SK_SIM_LOG")" "getAssertion status=0x27" "the sim denied the agent's request"
hk_fido2sim_restart --touch approve

# A resident key, recovered with ssh-keygen -K into a new directory, added
# to the agent and logging in.
(umask 077 && echo 9753-hwkey >pin.txt)
hk_sk_agent_stop
hk_sk_sim_stop
hk_sk_sim_start rk --pin-file pin.txt
hk_sk_agent_start
hk_sk_pin 9753-hwkey
expect_exit 0 hk_sk_run ssh-keygen -w "$P" -t ed25519-sk -O resident -O user=carol -N '' -f id_rk
mkdir recover
(cd recover && hk_sk_run ssh-keygen -K -w "$P" -N '') >out 2>err || fail "ssh-keygen -K: $(cat err)"
pass
assert_eq "$(hk_sk_blob id_rk.pub)" "$(hk_sk_blob recover/id_ed25519_sk_rk_carol.pub)" "the recovered key"
cat id_rk.pub >authorized_keys
expect_exit 0 hk_sk_run ssh-add -S "$P" recover/id_ed25519_sk_rk_carol
expect_exit 0 hk_sk_ssh - echo resident
assert_eq resident "$(cat out)" "login with the recovered resident key through the agent"
assert_not_contains "$(cat "$HK_SK_ASKPASS_LOG") $(cat "$HK_TMP/agent.log") $(cat "$HK_SSHD_LOG")" "9753-hwkey" \
	"the PIN in prompts or logs"
hk_sk_agent_stop
hk_done
