# The dispatcher and the option tables: help and version, usage errors with
# their exit status, options after operands (git style), and "--".
. "$HK_TESTLIB/common.sh"

expect_exit 0 "$HWKEY" --version
assert_contains "$(cat out)" "hwkey " "--version"
# ... with what it is built on: the backends and the libraries' own versions.
assert_contains "$(cat out)" "token backends: pkcs11 (p11-kit $(pkg-config --modversion p11-kit-1))" "--version backends"
assert_contains "$(cat out)" "http: libcurl/$(pkg-config --modversion libcurl)" "--version libcurl"
assert_contains "$(cat out)" "fido2 (libfido2 $(pkg-config --modversion libfido2))" "--version names the FIDO2 backend and its libfido2"
assert_contains "$(cat out)" "crypto: OpenSSL $(openssl version | awk '{print $2}')" "--version OpenSSL"
expect_exit 0 "$HWKEY" --help
for c in convert fingerprint import keygen keys tokens; do
	assert_contains "$(cat out)" "  $c " "--help lists $c"
done
expect_exit 2 "$HWKEY"
expect_exit 2 "$HWKEY" no-such-command
assert_contains "$(cat err)" "'no-such-command' is not a command" "unknown command"
expect_exit 0 "$HWKEY" help fingerprint
assert_contains "$(cat out)" "usage: hwkey fingerprint" "help CMD"
expect_exit 0 "$HWKEY" help key delete
assert_contains "$(cat out)" "usage: hwkey key delete" "help GROUP VERB"
expect_exit 2 "$HWKEY" help nope
expect_exit 0 "$HWKEY" fingerprint --help
assert_contains "$(cat out)" "-E, --hash ALG" "fingerprint --help shows its table"

# Unknown options, missing arguments: usage errors (2) that name the option.
expect_exit 2 "$HWKEY" fingerprint --no-such-option
assert_contains "$(cat err)" "unknown option --no-such-option" "unknown long option"
expect_exit 2 "$HWKEY" fingerprint -Q
assert_contains "$(cat err)" "unknown option -Q" "unknown short option"
expect_exit 2 "$HWKEY" convert --to
assert_contains "$(cat err)" "needs an argument" "missing argument"
expect_exit 2 "$HWKEY" key
expect_exit 2 "$HWKEY" key frobnicate
assert_contains "$(cat err)" "unknown verb 'frobnicate'" "unknown verb"

# Options may follow operands, and "--" ends them.
ssh-keygen -q -t ed25519 -N '' -C demo -f k
"$HWKEY" fingerprint -E md5 k.pub >a
"$HWKEY" fingerprint k.pub -E md5 >b
assert_files_equal a b "option after operand"
ssh-keygen -l -E md5 -f k.pub >c
assert_files_equal a c "same as ssh-keygen"
cp k.pub ./-E
"$HWKEY" fingerprint -- -E >d
ssh-keygen -l -f ./-E >e
assert_files_equal d e "-- ends options"
# A command line that asked for --json gets its parse error as the error
# document on stdout too (docs/hwkey-json.7), the text on stderr.
. "$HK_TESTLIB/json.sh"
expect_exit 2 "$HWKEY" keys --json --bogus
hk_json_valid keys "$HK_TMP/out"
assert_eq "HK_ERR_USAGE" "$(jq -r .error.code "$HK_TMP/out")" "--json parse error code"
assert_contains "$(cat "$HK_TMP/err")" "unknown option --bogus" "parse error text on stderr"
expect_exit 2 "$HWKEY" keys --bogus
assert_eq "" "$(cat "$HK_TMP/out")" "no JSON without --json"
# ... and so does a bad option value, whichever side of --json it stands.
expect_exit 2 "$HWKEY" import --jobs 0 --json --cloud aliyun --region cn-hangzhou --name n k.pub
hk_json_valid import "$HK_TMP/out"
assert_contains "$(jq -r .error.message "$HK_TMP/out")" "--jobs 0" "--json bad option value"
expect_exit 2 "$HWKEY" fingerprint -E foo --json k.pub
hk_json_valid fingerprint "$HK_TMP/out"
assert_contains "$(jq -r .error.message "$HK_TMP/out")" "unknown hash 'foo'" "--json bad -E"
hk_done
