# hwkey fingerprint prints byte for byte what ssh-keygen -l [-E md5] [-v]
# prints, for fresh keys of every type, comments, authorized_keys options,
# CRLF/BOM files and a multi-key file with a bad line in the middle.
. "$HK_TESTLIB/common.sh"

command -v ssh-keygen >/dev/null || fail "ssh-keygen is required (scripts/deps.sh)"
export LC_ALL=C.UTF-8

# A wire string: 4-byte big-endian length, then the bytes.
sstr() { printf '%08x' "${#1}" | xxd -r -p; printf '%s' "$1"; }
# sk public key line from a plain ECDSA P-256 or Ed25519 .pub (same point).
mksk() {
	local hex
	hex=$(cut -d' ' -f2 "$1" | base64 -d | xxd -p | tr -d '\n')
	case $(cut -d' ' -f1 "$1") in
	ecdsa-sha2-nistp256)
		# string type(19) | string "nistp256" | string Q: Q at byte 39.
		printf 'sk-ecdsa-sha2-nistp256@openssh.com %s %s\n' "$({
			sstr sk-ecdsa-sha2-nistp256@openssh.com; sstr nistp256
			printf '%s' "${hex:70:138}" | xxd -r -p; sstr ssh:; } | base64 -w0)" "$2" ;;
	ssh-ed25519)
		# string type(11) | string pk: pk at byte 19.
		printf 'sk-ssh-ed25519@openssh.com %s %s\n' "$({
			sstr sk-ssh-ed25519@openssh.com
			printf '%s' "${hex:30:72}" | xxd -r -p; sstr ssh:; } | base64 -w0)" "$2" ;;
	esac
}

# compare FILE [REFERENCE]: hwkey on FILE against ssh-keygen on REFERENCE
# (default FILE) for both hashes, with and without randomart.
compare() {
	local f=$1 ref=${2:-$1} e v
	for e in sha256 md5; do
		for v in "" -v; do
			ssh-keygen -l -E "$e" $v -f "$ref" >want || fail "ssh-keygen -l -E $e $v -f $ref failed"
			"$HWKEY" fingerprint -E "$e" $v "$f" >got || fail "hwkey fingerprint -E $e $v $f failed"
			[ -s want ] || fail "ssh-keygen printed nothing for $ref"
			assert_files_equal want got "fingerprint -E $e $v $(basename "$f")"
		done
	done
}

keys=()
gen() {	# gen NAME ssh-keygen-args... (comment is set per key)
	local name=$1
	shift
	ssh-keygen -q -N '' -f "$name" "$@" || fail "ssh-keygen $* failed"
	keys+=("$name.pub")
}
gen rsa1024 -t rsa -b 1024 -C "rsa 1024 key"
gen rsa2048 -t rsa -b 2048 -C "alice@example.com"
gen rsa3072 -t rsa -b 3072 -C "tabs	and  double  spaces"
gen rsa4096 -t rsa -b 4096 -C ""
gen ec256 -t ecdsa -b 256 -C "ec 256"
gen ec384 -t ecdsa -b 384 -C "ec 384"
gen ec521 -t ecdsa -b 521 -C "café ☕ utf-8"
gen ed -t ed25519 -C "ed"
# Debian 12's ssh-keygen 9.2 still generates DSA.
gen dsa -t dsa -C "old dsa"
mksk ec256.pub "sk ecdsa" >skec.pub
mksk ed.pub "" >sked.pub
keys+=(skec.pub sked.pub)

# One key per file.
for k in "${keys[@]}"; do
	compare "$k"
done

# All keys in one file, plus authorized_keys options. ssh-keygen 9.2 does not
# reset its comment pointer between lines, so a comment-less line after a
# commented one prints stale bytes: comment-less lines come first here.
{
	cat rsa4096.pub sked.pub
	printf '\t%s\n' "$(cut -d' ' -f1,2 ec384.pub)"
	for k in "${keys[@]}"; do
		case $k in rsa4096.pub | sked.pub) ;; *) cat "$k" ;; esac
	done
	printf 'no-pty,from="10.0.0.1,10.0.0.2",command="echo \\"a b\\"" %s\n' "$(cut -d' ' -f1,2 ed.pub)"
	printf 'environment="X=y z" %s  trailing comment  \n' "$(cut -d' ' -f1,2 rsa2048.pub)"
	printf '# a comment line\n\n   \n'
	printf '%s ctl\001char\n' "$(cut -d' ' -f1,2 ec521.pub)"
} >all.pub
compare all.pub

# known_hosts: host names (plain, bracketed, hashed) stand in for the comment.
{
	printf 'host1,10.0.0.1 %s\n' "$(cut -d' ' -f1,2 ed.pub)"
	printf '[host2]:2222 %s\n' "$(cut -d' ' -f1,2 ec521.pub)"
	printf '|1|JfKTdBh7rNbXkVAQCRp4OQoPfmI=|USECr3SWf1JUPsms5AqfD5QfxkM= %s\n' "$(cut -d' ' -f1,2 rsa1024.pub)"
} >known_hosts
compare known_hosts

# An mpint with a needless zero byte (e = 00 01 00 01): OpenSSH accepts it and
# fingerprints the minimal re-encoding; so must hwkey.
hex=$(cut -d' ' -f2 rsa2048.pub | base64 -d | xxd -p | tr -d '\n')
[ "${hex:22:14}" = 00000003010001 ] || fail "unexpected RSA blob layout"
printf 'ssh-rsa %s padded e\n' "$(printf '%s' "${hex:0:22}0000000400010001${hex:36}" |
	xxd -r -p | base64 -w0)" >padded.pub
compare padded.pub

# Outside a UTF-8 locale ssh-keygen escapes non-ASCII bytes; so must hwkey.
LC_ALL=C ssh-keygen -lf all.pub >want
LC_ALL=C "$HWKEY" fingerprint all.pub >got
assert_files_equal want got "fingerprint in the C locale"
assert_contains "$(cat got)" 'caf\303\251' "C locale escapes UTF-8"

# CRLF: same output as ssh-keygen on the LF file (ssh-keygen itself prints the
# CR into the comment). BOM: same as ssh-keygen without it (it skips the line).
sed 's/$/\r/' all.pub >crlf.pub
compare crlf.pub all.pub
{ printf '\xef\xbb\xbf'; cat all.pub; } >bom.pub
compare bom.pub all.pub
{ printf '\xef\xbb\xbf'; sed 's/$/\r/' all.pub; } >bomcrlf.pub
compare bomcrlf.pub all.pub

# Standard input, with no FILE and with "-".
ssh-keygen -lf all.pub >want
"$HWKEY" fingerprint <all.pub >got
assert_files_equal want got "fingerprint from stdin"
"$HWKEY" fingerprint - <all.pub >got
assert_files_equal want got "fingerprint -"

# A bad line in the middle: good lines as ssh-keygen prints them, the bad one
# named on stderr, exit 3.
{
	cat rsa2048.pub ec256.pub
	printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEws bad truncated\n'
	cat ed.pub skec.pub
} >mixed.pub
ssh-keygen -lf mixed.pub >want
expect_exit 3 "$HWKEY" fingerprint mixed.pub
assert_files_equal want "$HK_TMP/out" "good lines of mixed.pub"
assert_contains "$(cat "$HK_TMP/err")" "mixed.pub:3:" "bad line named with its number"
assert_eq 1 "$(wc -l <"$HK_TMP/err")" "one error line"

# Validation the oracle also enforces: a 768-bit RSA key is refused.
{
	sstr ssh-rsa; printf '\0\0\0\3\1\0\1\0\0\0\x61\0'; head -c 96 /dev/urandom
} | base64 -w0 | sed 's/^/ssh-rsa /' >small.pub
echo >>small.pub
expect_exit 3 "$HWKEY" fingerprint small.pub
assert_contains "$(cat "$HK_TMP/err")" "small.pub:1:" "small RSA key refused"
if ssh-keygen -lf small.pub >/dev/null 2>&1; then
	fail "ssh-keygen accepted a 768-bit RSA key: oracle changed"
fi

# Cloud forms: derived from the same digests, checked with openssl.
want=$(cut -d' ' -f2 rsa2048.pub | base64 -d | openssl md5 -r | cut -d' ' -f1)
assert_eq "2048 $want alice@example.com (RSA)" "$("$HWKEY" fingerprint -E aliyun rsa2048.pub)" "aliyun"
want=$(ssh-keygen -e -m PKCS8 -f rsa2048.pub | openssl pkey -pubin -outform DER | openssl md5 -c | sed 's/.*= //')
assert_eq "2048 $want alice@example.com (RSA)" "$("$HWKEY" fingerprint -E aws rsa2048.pub)" "aws rsa"
want=$(ssh-keygen -lf ed.pub | cut -d' ' -f2)
assert_eq "256 ${want#SHA256:} ed (ED25519)" "$("$HWKEY" fingerprint -E aws ed.pub)" "aws ed25519"
expect_exit 12 "$HWKEY" fingerprint -E aws ec256.pub
# A bad entry makes the status 3 with --json too; the JSON still holds every entry.
expect_exit 3 "$HWKEY" fingerprint --json mixed.pub
mv out j.json
assert_eq 5 "$(jq length j.json)" "json entries"
assert_eq HK_ERR_BUF_TOO_SHORT "$(jq -r '.[2].error.code' j.json)" "json error entry"
assert_eq "$(ssh-keygen -E md5 -lf ec256.pub | cut -d' ' -f2)" "$(jq -r '.[1].fingerprints.md5' j.json)" "json md5"
assert_eq null "$(jq -r '.[1].fingerprints.aws' j.json)" "json aws null for ecdsa"
# Comments need not be UTF-8; JSON output must still be valid.
printf '%s caf\351\n' "$(cut -d' ' -f1,2 ed.pub)" >latin1.pub
"$HWKEY" fingerprint --json latin1.pub >j.json || fail "--json on a Latin-1 comment"
assert_eq 'caf\351' "$(jq -r '.[0].comment' j.json)" "Latin-1 comment escaped in JSON"
hk_done
