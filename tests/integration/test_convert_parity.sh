# hwkey convert reads what ssh-keygen, PuTTYgen and OpenSSL write, and writes
# RFC 4716, PEM and PKCS#1 byte for byte as they do, for keys made fresh here.
. "$HK_TESTLIB/common.sh"

echo secret-passphrase >pass

# type+base64 of an OpenSSH public key line.
tb() { cut -d' ' -f1,2 "$1"; }
# The comment ssh-keygen or PuTTYgen put in an RFC 4716 file.
rfc_comment() { sed -n 's/^Comment: "\(.*\)"\r\{0,1\}$/\1/p' "$1" | sed 's/\\\(["\\]\)/\1/g'; }
conv() { "$HWKEY" convert --to "$@"; }

check_key() {	# NAME: NAME (private, OpenSSH format) and NAME.pub exist
	local n=$1 line type tool comment
	line=$(tb "$n.pub")
	type=${line%% *}
	comment=$(cut -d' ' -f3- "$n.pub")

	# ssh-keygen -e in all its modes, read back by hwkey.
	ssh-keygen -e -m RFC4716 -f "$n.pub" >"$n.sk.rfc"
	assert_eq "$line $(rfc_comment "$n.sk.rfc")" "$(conv openssh "$n.sk.rfc")" \
		"$n: ssh-keygen -e -m RFC4716 read by hwkey"
	if [ "$type" != ssh-ed25519 ]; then
		ssh-keygen -e -m PKCS8 -f "$n.pub" >"$n.sk.pkcs8"
		ssh-keygen -e -m PEM -f "$n.pub" >"$n.sk.pem"
		assert_eq "$line" "$(conv openssh "$n.sk.pkcs8")" "$n: ssh-keygen -m PKCS8 read"
		assert_eq "$line" "$(conv openssh "$n.sk.pem")" "$n: ssh-keygen -m PEM read"
	fi

	# PuTTYgen's public formats and PPK v2, v3 and encrypted v3.
	puttygen "$n" -O public-openssh -o "$n.pt.line"
	puttygen "$n" -O public -o "$n.pt.rfc"
	puttygen "$n" -O private --ppk-param version=2 -o "$n.v2.ppk"
	puttygen "$n" -O private -o "$n.v3.ppk"
	puttygen "$n" -O private --new-passphrase pass -o "$n.enc.ppk"
	grep -q '^Encryption: aes256-cbc' "$n.enc.ppk" || fail "$n: puttygen did not encrypt"
	for f in pt.rfc v2.ppk v3.ppk enc.ppk; do
		assert_eq "$(cat "$n.pt.line")" "$(conv openssh "$n.$f" </dev/null)" \
			"$n: PuTTYgen $f read by hwkey"
	done
	# hwkey fingerprint of each of PuTTYgen's files is ssh-keygen -l of its line.
	for f in pt.rfc v2.ppk enc.ppk; do
		assert_eq "$(ssh-keygen -lf "$n.pt.line")" "$("$HWKEY" fingerprint "$n.$f")" \
			"$n: fingerprint of $f"
	done
	assert_eq "$(ssh-keygen -E md5 -lf "$n.pt.line")" \
		"$("$HWKEY" fingerprint -E md5 "$n.v3.ppk")" "$n: md5 fingerprint of v3.ppk"
	# The seed's failure: "Save public key" with Windows line ends and a BOM.
	{ printf '\xef\xbb\xbf'; sed 's/$/\r/' "$n.pt.rfc"; } >"$n.pt.crlf"
	assert_eq "$(cat "$n.pt.line")" "$(conv openssh "$n.pt.crlf")" "$n: CRLF+BOM"

	# hwkey's writers against the tools'.
	conv rfc4716 "$n.pub" >"$n.hk.rfc"
	puttygen "$n.pub" -O public -o "$n.ptpub.rfc"
	assert_files_equal "$n.ptpub.rfc" "$n.hk.rfc" "$n: --to rfc4716 vs puttygen -O public"
	assert_eq "$line" "$(ssh-keygen -i -m RFC4716 -f "$n.hk.rfc")" \
		"$n: ssh-keygen -i reads hwkey's RFC 4716"
	conv pem "$n.pub" >"$n.hk.pem"
	if [ "$type" != ssh-ed25519 ]; then
		assert_files_equal "$n.sk.pkcs8" "$n.hk.pem" "$n: --to pem vs ssh-keygen -m PKCS8"
		assert_eq "$line" "$(ssh-keygen -i -m PKCS8 -f "$n.hk.pem")" \
			"$n: ssh-keygen -i -m PKCS8 reads hwkey's PEM"
	fi
	# OpenSSL reads it and writes the same bytes back (canonical DER, 64 columns).
	openssl pkey -pubin -in "$n.hk.pem" -out "$n.ossl.pem"
	assert_files_equal "$n.ossl.pem" "$n.hk.pem" "$n: openssl re-encodes hwkey's PEM"
	if [ "$type" = ssh-rsa ]; then
		conv pkcs1 "$n.pub" >"$n.hk.pkcs1"
		assert_files_equal "$n.sk.pem" "$n.hk.pkcs1" "$n: --to pkcs1 vs ssh-keygen -m PEM"
		assert_eq "$line" "$(ssh-keygen -i -m PEM -f "$n.hk.pkcs1")" \
			"$n: ssh-keygen -i -m PEM reads hwkey's PKCS#1"
	else
		expect_exit 12 conv pkcs1 "$n.pub"
		assert_contains "$(cat "$HK_TMP/err")" "$n.pub:1:" "$n: pkcs1 refusal names file:line"
	fi

	# Lossless round trips openssh -> X -> openssh (comments where X has them).
	assert_eq "$line $comment" "$(conv rfc4716 "$n.pub" | conv openssh -)" "$n: via rfc4716"
	assert_eq "$line" "$(conv pem "$n.pub" | conv openssh -)" "$n: via pem"
	[ "$type" != ssh-rsa ] ||
		assert_eq "$line" "$(conv pkcs1 "$n.pub" | conv openssh -)" "$n: via pkcs1"
	assert_eq "$line $comment" "$(conv openssh "$n.pub")" "$n: openssh to openssh"
}

# Keys from ssh-keygen.
for spec in rsa:1024 rsa:2048 rsa:3072 rsa:4096 ecdsa:256 ecdsa:384 ecdsa:521 \
    ed25519: dsa:1024; do
	t=${spec%%:*} b=${spec#*:}
	n=sk-$t$b
	ssh-keygen -q -t "$t" ${b:+-b "$b"} -N '' -C "$n@hwkey \"test\" \\x" -f "$n"
	check_key "$n"
done

# Keys from PuTTYgen: what its "Save public key" writes becomes PuTTYgen's own
# OpenSSH line.
for spec in rsa:2048 ecdsa:256 ecdsa:521 ed25519: dsa:1024; do
	t=${spec%%:*} b=${spec#*:}
	n=pt-$t$b
	puttygen -q -t "$t" ${b:+-b "$b"} -C "$n comment" --new-passphrase /dev/null -o "$n.ppk"
	puttygen "$n.ppk" -O public-openssh -o "$n.line"
	puttygen "$n.ppk" -O public -o "$n.rfc"
	assert_eq "$(cat "$n.line")" "$(conv openssh "$n.rfc")" "$n: Save public key"
	assert_eq "$(cat "$n.line")" "$(conv openssh "$n.ppk")" "$n: .ppk"
	puttygen "$n.ppk" -O private-openssh-new -o "$n"
	cp "$n.line" "$n.pub"
	check_key "$n"
done

# Many keys in one file, formats mixed: every one converted, in order.
cat sk-rsa2048.pt.rfc sk-ed25519.pub sk-ecdsa384.sk.pkcs8 pt-dsa1024.ppk \
	sk-rsa3072.sk.pem >mixed.txt
conv openssh mixed.txt >mixed.out
{ cat sk-rsa2048.pt.line; echo; cat sk-ed25519.pub; tb sk-ecdsa384.pub; cat pt-dsa1024.line
  echo; tb sk-rsa3072.pub; } | sed '/^$/d' >mixed.want
assert_files_equal mixed.want mixed.out "mixed file, in order"

# No comment, and a comment longer than a 72-column header line: as PuTTYgen.
tb sk-rsa2048.pub >nc.pub
{ tb sk-ed25519.pub | tr -d '\n'; printf ' %s\n' "$(printf 'long-comment-%.0s' {1..9}) \\ \"q\""; } >long.pub
for f in nc long; do
	puttygen "$f.pub" -O public -o "$f.pt.rfc"
	conv rfc4716 "$f.pub" >"$f.hk.rfc"
	assert_files_equal "$f.pt.rfc" "$f.hk.rfc" "$f: --to rfc4716 vs puttygen"
	assert_eq "$(cat "$f.pub")" "$(conv openssh "$f.pt.rfc")" "$f: back from puttygen's"
done

# A PPK comment keeps its trailing blanks, as PuTTYgen does.
puttygen sk-ed25519 -C 'trailing blanks  ' -O private -o trail.ppk
assert_eq "$(puttygen trail.ppk -O public-openssh)" "$(conv openssh trail.ppk)" "ppk comment blanks"

# authorized_keys: options stay in front of each OpenSSH line, lines unchanged.
{ echo "# a comment line"; printf 'from="10.0.0.1,10.0.0.2",no-pty,command="echo \\"hi there\\"" '
  cat sk-ed25519.pub; echo; printf 'restrict '; cat sk-rsa2048.pub; cat pt-ecdsa256.line; } >ak
grep -v '^#\|^$' ak >ak.want
conv openssh ak >ak.out
assert_files_equal ak.want ak.out "authorized_keys options kept"
assert_eq restrict "$(conv openssh --json ak | jq -r '.[1].options')" "json options"

# -o writes the file; a failing entry leaves an existing file untouched.
conv openssh -o out.pub sk-ed25519.pt.rfc
assert_files_equal sk-ed25519.pt.line out.pub "-o output"
cp out.pub out.before
printf 'ssh-ed25519 AAAA\n' >>mixed.txt
expect_exit 3 conv openssh -o out.pub mixed.txt
assert_files_equal out.before out.pub "-o untouched on failure"
assert_contains "$(cat "$HK_TMP/err")" "mixed.txt:" "failure names the file"

# --json carries the SHA256 fingerprint ssh-keygen prints.
conv openssh --json sk-ecdsa521.pt.rfc sk-rsa4096.v3.ppk >j.json
assert_eq 2 "$(jq length j.json)" "json entries"
assert_eq "$(ssh-keygen -lf sk-ecdsa521.pub | cut -d' ' -f2)" \
	"$(jq -r '.[0].fingerprints.sha256' j.json)" "json fingerprint"
assert_eq "521 ECDSA rfc4716" "$(jq -r '.[0] | "\(.bits) \(.type_label) \(.format)"' j.json)" "json fields"
assert_eq "4096 ppk" "$(jq -r '.[1] | "\(.bits) \(.format)"' j.json)" "json ppk"
assert_eq "$(cat sk-rsa4096.pt.line)" "$(jq -r '.[1].output' j.json)" "json output"

# X.509 certificates: the certificate's key, as ssh-keygen sees it.
for alg in "rsa:2048" "ec -pkeyopt ec_paramgen_curve:P-384" "ed25519"; do
	# shellcheck disable=SC2086
	openssl req -x509 -newkey $alg -nodes -keyout /dev/null -subj /CN=hwkey-test \
		-days 1 -out cert.pem 2>/dev/null
	openssl x509 -pubkey -noout -in cert.pem >cert.spki
	got=$(conv openssh cert.pem)
	if [ "$alg" != ed25519 ]; then
		assert_eq "$(ssh-keygen -i -m PKCS8 -f cert.spki)" "$got" "x509 $alg: key"
	else
		# ssh-keygen 9.2 cannot import Ed25519 SPKI: build the blob from the raw key.
		b64=$( { printf "\0\0\0\013ssh-ed25519\0\0\0\040"
			openssl pkey -pubin -in cert.spki -outform DER | tail -c 32; } | base64 -w0)
		assert_eq "ssh-ed25519 $b64" "$got" "x509 ed25519: key"
	fi
	echo "$got" >cert.pub
	assert_eq "$(ssh-keygen -lf cert.pub)" "$("$HWKEY" fingerprint cert.pem)" \
		"x509 $alg: hwkey fingerprint"
	assert_eq "$(ssh-keygen -lf cert.pub | cut -d' ' -f2)" \
		"$(conv openssh --json cert.pem | jq -r '.[0].fingerprints.sha256')" "x509 $alg: fingerprint"
	assert_eq x509 "$(conv openssh --json cert.pem | jq -r '.[0].format')" "x509 format"
done

hk_done
