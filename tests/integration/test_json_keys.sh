# fingerprint --json and convert --json are valid under their schemas in
# docs/json/ for keys, for a bad entry and an unreadable file (the error
# object inside the item), and convert's failure of the whole command (the
# {"error"} document); the same key names as every command (fingerprints).
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/json.sh"

ssh-keygen -q -t ecdsa -N '' -C a -f a >/dev/null
ssh-keygen -q -t ed25519 -N '' -C b -f b >/dev/null
{ cat a.pub; echo "ssh-foo AAAA bad"; cat b.pub; } >mixed.pub

# fingerprint
expect_exit 0 "$HWKEY" fingerprint --json a.pub b.pub
hk_json_valid fingerprint out
assert_eq "$(ssh-keygen -l -f a.pub | awk '{print $2}')" "$(jq -r '.[0].fingerprints.sha256' out)" "sha256"
expect_exit 3 "$HWKEY" fingerprint --json mixed.pub nothere
hk_json_valid fingerprint out
assert_eq HK_ERR_KEY_TYPE_UNKNOWN "$(jq -r '.[1].error.code' out)" "bad entry: error object"
assert_eq 3 "$(jq -r '.[1].error.exit' out)" "bad entry: exit"
assert_eq nothere "$(jq -r '.[3].error.file' out)" "unreadable file: error object"

# convert
expect_exit 0 "$HWKEY" convert -t pem --json a.pub
hk_json_valid convert out
assert_eq "$(ssh-keygen -l -f a.pub | awk '{print $2}')" "$(jq -r '.[0].fingerprints.sha256' out)" \
	"convert: fingerprints.sha256"
expect_exit 3 "$HWKEY" convert -t pem --json mixed.pub
hk_json_valid convert out
assert_eq HK_ERR_KEY_TYPE_UNKNOWN "$(jq -r '.[1].error.code' out)" "convert: per-entry error object"
expect_exit 3 "$HWKEY" convert -t pem --json nothere
hk_json_valid convert out
assert_eq HK_ERR_NOT_FOUND "$(jq -r '.error.code' out)" "convert: whole-command error document"
jq -e 'keys == ["error"]' out >/dev/null || fail "convert: only the error document: $(cat out)"
pass
hk_done
