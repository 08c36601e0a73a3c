# Malformed public keys get a clear error naming FILE:LINE and exit status 3
# from hwkey fingerprint and hwkey convert, never a crash; good keys in the
# same file are still converted.
. "$HK_TESTLIB/common.sh"

# Wire-format pieces, written to stdout (bash variables cannot hold NUL bytes).
u32() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }
sstr() { u32 ${#1}; printf '%s' "$1"; }			# ASCII string
hex() { printf "$(sed 's/../\\x&/g' <<<"$1")"; }	# raw bytes from hex
hstr() { u32 $((${#1} / 2)); hex "$1"; }		# string from hex
rep() { local i; for ((i = 0; i < $2; i++)); do printf %s "$1"; done; }	# hex repeated
b64() { base64 -w0; }

ED_PK=$(rep 5a 32)
ed_blob() { sstr ssh-ed25519; hstr "$ED_PK"; }
# A real P-256 point, so that only the curve name is wrong below.
ssh-keygen -q -t ecdsa -b 256 -N '' -f ec256
P256_POINT=$(cut -d' ' -f2 ec256.pub | base64 -d | tail -c 65 | od -An -tx1 -v | tr -d ' \n')
ssh-keygen -q -t ed25519 -N '' -C good -f good
ssh-keygen -e -m RFC4716 -f good.pub >good.rfc
ssh-keygen -q -t rsa -b 2048 -N '' -f rsa
ssh-keygen -e -m PKCS8 -f rsa.pub >good.pem
puttygen good -O private -o good.ppk

# name | expected stderr fragment (after FILE:LINE:) | line the error is on
cases=()
add() { cases+=("$1|$2|$3"); }

echo "ssh-ed25519 $( { sstr ssh-ed25519; u32 32; hex "$(rep 5a 16)"; } | b64) cut" >truncated.pub
add truncated.pub "truncated data" 1
echo "ssh-ed25519 $(ed_blob | b64 | cut -c1-30)" >shortb64.pub
add shortb64.pub "base64" 1
echo "ssh-rsa $(ed_blob | b64) wrong-type" >wrongtype.pub
add wrongtype.pub "but the key is ssh-ed25519" 1
echo "ssh-foo $( { sstr ssh-foo; hstr "$ED_PK"; } | b64)" >unknowntype.pub
add unknowntype.pub "unknown key type" 1
echo "ssh-ed25519 $( { ed_blob; hex 0001; } | b64)" >trailing.pub
add trailing.pub "bytes after the key" 1
echo "ssh-ed25519 $( { u32 4294967280; printf ssh-ed25519; } | b64)" >hugelen.pub
add hugelen.pub "too large" 1
echo "ecdsa-sha2-nistp256 $( { sstr ecdsa-sha2-nistp256; sstr nistp384; hstr "$P256_POINT"; } | b64)" >curve.pub
add curve.pub "nistp384" 1
echo "ecdsa-sha2-nistp256 $( { sstr ecdsa-sha2-nistp256; sstr nistp256; hstr "04$(rep 11 64)"; } | b64)" >offcurve.pub
add offcurve.pub "EC point" 1
echo "ssh-rsa $( { sstr ssh-rsa; hstr 010001; hstr "00$(rep c3 64)"; } | b64)" >rsa512.pub
add rsa512.pub "512 bits" 1
: >empty.pub
add empty.pub "no key found" ""
printf '\x00\x01\x02\xff\xfe\xfd\x7f\x80garbage\x00\n\x13\x37' >junk.bin
add junk.bin "" 1
# RFC 4716 without END, after a good key (the error is on line 2).
{ cat good.pub; head -n -1 good.rfc; } >noend.rfc
add noend.rfc "END SSH2 PUBLIC KEY" 2
sed '2s/^M/M!/' good.pem >badb64.pem
add badb64.pem "base64" 1
sed 's/^Public-Lines: 2$/Public-Lines: 3/' good.ppk >publines.ppk
add publines.ppk "Public-Lines" 1
sed '1s/ssh-ed25519/ecdsa-sha2-nistp256/' good.ppk >ppktype.ppk
add ppktype.ppk "but the key is ssh-ed25519" 1
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:brainpoolP256r1 2>/dev/null |
	openssl pkey -pubout >brainpool.pem
add brainpool.pem "brainpoolP256r1" 1
openssl genpkey -algorithm X25519 | openssl pkey -pubout >x25519.pem
add x25519.pem "X25519" 1
# Third entry bad, first two good.
{ cat good.pub rsa.pub; echo "ssh-ed25519 AAAA@@@@"; } >third.pub
add third.pub "base64" 3

cmds=(fingerprint "convert --to openssh")
for c in "${cases[@]}"; do
	IFS='|' read -r f frag line <<<"$c"
	for cmd in "${cmds[@]}"; do
		# shellcheck disable=SC2086
		expect_exit 3 "$HWKEY" $cmd "$f"
		err=$(cat "$HK_TMP/err")
		assert_contains "$err" "$f${line:+:$line}:" "$f ($cmd): names FILE:LINE"
		[ -z "$frag" ] || assert_contains "$err" "$frag" "$f ($cmd): reason"
		assert_not_contains "$err" "AddressSanitizer" "$f ($cmd)"
	done
done

# Good entries beside bad ones are still converted, in order.
expect_exit 3 "$HWKEY" convert --to openssh third.pub
assert_eq "$(cat good.pub rsa.pub)" "$(cat "$HK_TMP/out")" "good keys of a bad file"
expect_exit 3 "$HWKEY" convert --to openssh noend.rfc
assert_eq "$(cat good.pub)" "$(cat "$HK_TMP/out")" "key before a broken block"

# Usage errors are not input errors.
expect_exit 2 "$HWKEY" convert good.pub
expect_exit 2 "$HWKEY" convert --to ppk good.pub
expect_exit 3 "$HWKEY" convert --to openssh does-not-exist.pub
assert_contains "$(cat "$HK_TMP/err")" "does-not-exist.pub" "missing file named"

hk_done
