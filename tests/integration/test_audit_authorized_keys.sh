# hwkey audit --authorized-keys FILE...: each key of fleet authorized_keys
# dumps (options, comments, several files) is matched to the inventory by
# fingerprint, with the token and person it belongs to; unknown keys make
# the audit exit 14, an unreadable entry exit 3 (named FILE:LINE), and a dump
# of inventory keys only exits 0. Text and --json (schema).
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/json.sh"

: "${HK_STOREFILL:?HK_STOREFILL must point at tests/storefill (ctest sets it)}"
SF=$HK_STOREFILL
INV=$HK_TMP/inventory.db

for k in alice bob stranger; do
	ssh-keygen -q -t ed25519 -N '' -C "$k@laptop" -f $k
done
ssh-keygen -q -t rsa -b 2048 -N '' -C ops -f ops
t1=$("$SF" "$INV" token pkcs11 serial-alice person=alice uri='pkcs11:token=alice')
t2=$("$SF" "$INV" token pkcs11 serial-ops person=ops-team)
ka=$("$SF" "$INV" key "$t1" 01 alice.pub proof=verified)
kb=$("$SF" "$INV" key "$t1" 02 bob.pub proof=verified person=bob)
ko=$("$SF" "$INV" key "$t2" 01 ops.pub proof=verified)

# host1: alice with options, a stranger, comments and blank lines.
{
	echo "# fleet dump host1"
	echo
	echo "from=\"10.0.0.0/8\",no-pty $(cat alice.pub)"
	cat stranger.pub
} >host1
# host2: bob and the ops RSA key, no comment on one line.
{
	awk '{print $1" "$2}' bob.pub
	cat ops.pub
} >host2

expect_exit 14 "$HWKEY" audit --authorized-keys host1 host2 --inventory "$INV"
cp out audit.txt
assert_eq hardware "$(awk '$1 == "host1:3" {print $2}' audit.txt)" "alice (with options) known"
assert_eq unknown "$(awk '$1 == "host1:4" {print $2}' audit.txt)" "stranger unknown"
assert_eq hardware "$(awk '$1 == "host2:1" {print $2}' audit.txt)" "bob known without a comment"
assert_eq hardware "$(awk '$1 == "host2:2" {print $2}' audit.txt)" "ops known"
assert_contains "$(grep '^host1:3 ' audit.txt)" "serial-alice" "alice's token"
assert_contains "$(grep '^host1:3 ' audit.txt)" "alice" "alice's person"
assert_contains "$(grep '^host2:1 ' audit.txt)" " bob " "the key's own person"
assert_contains "$(grep '^host2:2 ' audit.txt)" "ops-team" "the token's person"
assert_contains "$(grep '^host1:4 ' audit.txt)" "$(ssh-keygen -l -f stranger.pub | awk '{print $2}')" \
	"the unknown key's fingerprint as ssh-keygen"
assert_eq 5 "$(wc -l <audit.txt)" "header and four keys"

expect_exit 14 "$HWKEY" audit --authorized-keys host1 host2 --inventory "$INV" --json
hk_json_valid audit out
assert_eq authorized_keys "$(jq -r .mode out)" "mode"
assert_eq '{"differs":0,"hardware":3,"missing":0,"unknown":1,"unproven":0}' \
	"$(jq -cS .summary out)" "summary"
assert_eq "$ka" "$(jq -r '.items[] | select(.file == "host1" and .line == 3) | .key_id' out)" "key id"
assert_eq "$kb" "$(jq -r '.items[] | select(.file == "host2" and .line == 1) | .key_id' out)" \
	"bob's key id"
assert_eq "pkcs11:token=alice" "$(jq -r '.items[0].token' out)" "token uri"
assert_eq "stranger@laptop" "$(jq -r '.items[] | select(.status == "unknown") | .comment' out)" "comment"
assert_eq "rsa2048" "$(jq -r '.items[] | select(.key_id == '"$ko"') | .type' out)" "type"

# Only inventory keys: exit 0.
expect_exit 0 "$HWKEY" audit --authorized-keys host2 --inventory "$INV"
assert_contains "$(cat err)" "2 hardware" "summary on stderr"

# A malformed line: reported as FILE:LINE, exit 3 (the audit saw less than the file).
{ cat alice.pub; echo "ssh-ed25519 AAAAnotbase64!!"; } >host3
expect_exit 3 "$HWKEY" audit --authorized-keys host3 --inventory "$INV"
assert_contains "$(cat err)" "host3:2" "bad entry named"
assert_eq hardware "$(awk '$1 == "host3:1" {print $2}' out)" "good entry still audited"
expect_exit 3 "$HWKEY" audit --authorized-keys host3 --inventory "$INV" --json
hk_json_valid audit out
assert_eq 2 "$(jq -r '.errors[0].line' out)" "error line in JSON"
# An unreadable file: exit 3, naming it.
expect_exit 3 "$HWKEY" audit --authorized-keys nothere --inventory "$INV"
assert_contains "$(cat err)" "nothere" "missing file named"
expect_exit 2 "$HWKEY" audit --authorized-keys --inventory "$INV"
hk_done
