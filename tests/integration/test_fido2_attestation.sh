# The attestation of a FIDO2 keygen is verified and kept: the saved
# ssh-sk-attest-v01 blob verifies here with openssl alone (signature over
# authData || SHA-256(challenge), rp id hash); --attestation-roots checks the
# chain to the sim's CA; a tampered statement (signature, authData,
# certificate) or a wrong or empty roots directory fails with its own
# message, exit 14, and no file left behind.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/json.sh"
. "$HK_TESTLIB/fido2sim.sh"

hk_home

# Split an ssh-sk-attest-v01 blob into cert.der, sig.der and authdata.raw
# (the CBOR byte string unwrapped); prints the version string.
attsplit() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read(); d = sys.argv[2]; o = 0
def s():
    global o
    n = struct.unpack(">I", b[o:o + 4])[0]; o += 4
    v = b[o:o + n]; o += n
    return v
ver, cert, sig, ad = s(), s(), s(), s()
flags = struct.unpack(">I", b[o:o + 4])[0]; o += 4
res = s()
assert o == len(b) and flags == 0 and res == b""
h = ad[0]; ai = h & 0x1f
assert h >> 5 == 2
off, n = (1, ai) if ai < 24 else (2, ad[1]) if ai == 24 else (3, struct.unpack(">H", ad[1:3])[0])
raw = ad[off:off + n]
assert off + n == len(ad)
open(d + "/cert.der", "wb").write(cert)
open(d + "/sig.der", "wb").write(sig)
open(d + "/authdata.raw", "wb").write(raw)
print(ver.decode())
PY
}

hk_fido2sim_start
DEV=fido:unix:$FIDO2SIM_SOCKET
SIMCA=$FIDO2SIM_CA

# --- Verified with the sim's roots; the saved blob verifies independently.
head -c 48 /dev/urandom >challenge
for t in ecdsa-sk ed25519-sk; do
	expect_exit 0 "$HWKEY" keygen "$DEV" --type "$t" -o "$t" --challenge challenge \
		--attestation "$t.att" --attestation-roots "$SIMCA" --application ssh:att --json
	cp out "$t.json"
	hk_json_valid keygen "$t.json"
	assert_eq "true true packed" \
		"$(jq -r '.keys[0].proof | "\(.verified) \(.chain_verified) \(.format)"' "$t.json")" \
		"$t: attestation and chain verified"
	assert_contains "$(jq -r '.keys[0].proof.certificate.subject' "$t.json")" \
		"OU=Authenticator Attestation" "$t: leaf subject"
	assert_eq "$(openssl x509 -in "$SIMCA/ca.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')" \
		"$(jq -r '.keys[0].proof.certificate.issuer' "$t.json")" "$t: issuer is the sim's CA"
	assert_eq 68776b65792d6669646f3273696d0001 "$(jq -r '.keys[0].proof.aaguid' "$t.json")" \
		"$t: the sim's AAGUID"
	mkdir "$t.parts"
	assert_eq ssh-sk-attest-v01 "$(attsplit "$t.att" "$t.parts")" "$t: blob version"
	( cd "$t.parts"
	  cat authdata.raw >signed
	  openssl dgst -sha256 -binary ../challenge >>signed
	  openssl x509 -inform der -in cert.der -pubkey -noout >pub.pem
	  openssl dgst -sha256 -verify pub.pem -signature sig.der signed >verify.out ) ||
		fail "$t: openssl does not verify the saved attestation"
	assert_eq "Verified OK" "$(cat "$t.parts/verify.out")" "$t: openssl verifies the signature"
	assert_eq "$(printf %s ssh:att | openssl dgst -sha256 -binary | od -An -tx1 | tr -d ' \n')" \
		"$(head -c 32 "$t.parts/authdata.raw" | od -An -tx1 | tr -d ' \n')" \
		"$t: rp id hash is SHA-256 of the application"
	openssl verify -CAfile "$SIMCA/ca.pem" <(openssl x509 -inform der -in "$t.parts/cert.der") \
		>/dev/null || fail "$t: openssl verifies the chain too"
	pass
done
# Without roots: the statement is verified, the chain says it was not checked.
expect_exit 0 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o noroots --json
assert_eq "true false" "$(jq -r '.keys[0].proof | "\(.verified) \(.chain_verified)"' out)" \
	"no roots: verified, chain not checked"
expect_exit 0 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o noroots2
assert_contains "$(cat err)" "certificate chain not checked (no --attestation-roots)" \
	"text says the chain was not checked"

# no_files NAME WHAT: nothing of NAME left behind.
no_files() {
	local f
	for f in "$1" "$1.pub" "$1.att"; do
		[ ! -e "$f" ] || fail "$2: $f was left behind"
	done
	ls "$1".* "$1".tmp.* >/dev/null 2>&1 && fail "$2: temporary files left behind"
	pass
}

# --- A roots directory that is not the sim's: exit 14, nothing written.
mkdir other empty
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other/ca.key \
	-out other/ca.pem -subj "/CN=not the vendor" -days 2 2>/dev/null
expect_exit 14 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o wrong --attestation wrong.att \
	--attestation-roots other
assert_contains "$(cat err)" "does not chain to a root in other" "wrong roots"
no_files wrong "wrong roots"
expect_exit 14 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o emptyroots --attestation-roots empty
assert_contains "$(cat err)" "holds no PEM certificate" "empty roots dir"
no_files emptyroots "empty roots"
expect_exit 14 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o wrongjson --attestation-roots other --json
hk_json_valid keygen out
assert_eq "14 HK_ERR_ATTESTATION" "$(jq -r '"\(.error.exit) \(.error.code)"' out)" \
	"the JSON error carries exit 14"
no_files wrongjson "wrong roots --json"

# --- Tampered statements from the sim: each its message.
declare -A MSG=(
	[sig]="the attestation signature over authData and the client data hash does not verify with the attestation certificate's key"
	[authdata]="the attestation signature over authData and the client data hash does not verify"
	[cert]="the attestation certificate's public key is invalid")
for w in sig authdata cert; do
	hk_fido2sim_restart --corrupt-attestation "$w"
	for t in ecdsa-sk ed25519-sk; do
		expect_exit 14 "$HWKEY" keygen "$DEV" --type "$t" -o "bad-$w-$t" \
			--attestation "bad-$w-$t.att"
		assert_contains "$(cat err)" "${MSG[$w]}" "$w/$t: message"
		assert_contains "$(cat err)" "nothing was written" "$w/$t: says nothing was written"
		no_files "bad-$w-$t" "$w/$t"
		expect_exit 14 "$HWKEY" keygen "$DEV" --type "$t" -o "bad-$w-$t" \
			--attestation-roots "$SIMCA"
		no_files "bad-$w-$t" "$w/$t with roots"
	done
	expect_exit 14 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o "bad-$w-rk" --resident
	no_files "bad-$w-rk" "$w resident"
done
# --- The other attestation formats, end to end.
# Self attestation and "none" prove no hardware: refused, or with
# --allow-self-attestation kept as an unverified proof with the reason.
for f in self none; do
	hk_fido2sim_restart --attestation-format "$f"
	expect_exit 14 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o "$f" --attestation-roots "$SIMCA"
	assert_contains "$(cat err)" "--allow-self-attestation accepts such keys" "$f: refused"
	no_files "$f" "$f refused"
	for t in ecdsa-sk ed25519-sk; do
		expect_exit 0 "$HWKEY" keygen "$DEV" --type "$t" -o "$f-$t" --allow-self-attestation --json
		cp out "$f-$t.json"
		hk_json_valid keygen "$f-$t.json"
		assert_eq "false false" "$(jq -r '.keys[0] | "\(.proof.verified) \(.proven_on_token)"' "$f-$t.json")" \
			"$f/$t: accepted, not proven"
		[ -f "$f-$t" ] && [ -f "$f-$t.pub" ] || fail "$f/$t: files written when accepted"
		pass
	done
	expect_exit 0 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o "$f-text" --allow-self-attestation
	assert_contains "$(cat err)" "attestation-unverified; attestation $( [ "$f" = self ] && echo packed || echo none) NOT verified" \
		"$f: the text says not verified"
done
assert_contains "$(jq -r '.keys[0].proof.reason' self-ecdsa-sk.json)" \
	"self attestation proves possession only" "self: the reason"
assert_eq null "$(jq -r '.keys[0].proof.certificate' self-ecdsa-sk.json)" "self: no certificate"
assert_contains "$(jq -r '.keys[0].proof.reason' none-ecdsa-sk.json)" 'format "none"' "none: the reason"
# A bad self-attestation signature is refused even when self attestation is allowed.
hk_fido2sim_restart --attestation-format self --corrupt-attestation sig
expect_exit 14 "$HWKEY" keygen "$DEV" --type ed25519-sk -o selfbad --allow-self-attestation
assert_contains "$(cat err)" "does not verify with the credential key (self attestation)" "self: bad signature"
no_files selfbad "bad self attestation"

# fido-u2f: verified with the chain for ES256; EdDSA is not a U2F algorithm.
hk_fido2sim_restart --attestation-format fido-u2f
expect_exit 0 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o u2f --attestation-roots "$SIMCA" --json
assert_eq "fido-u2f true true" \
	"$(jq -r '.keys[0].proof | "\(.format) \(.verified) \(.chain_verified)"' out)" "fido-u2f verified"
expect_exit 12 "$HWKEY" keygen "$DEV" --type ed25519-sk -o u2f-ed
assert_contains "$(cat err)" "does not support this key type" "fido-u2f: EdDSA refused by the device"
no_files u2f-ed "fido-u2f EdDSA"
hk_fido2sim_restart --attestation-format fido-u2f --corrupt-attestation sig
expect_exit 14 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o u2fbad
assert_contains "$(cat err)" "fido-u2f attestation signature does not verify" "fido-u2f: bad signature"
no_files u2fbad "bad fido-u2f"

# A validly signed leaf that breaks the FIDO rules: refused with the roots,
# accepted without them (the chain and the leaf rules were not asked for).
declare -A LEAF=(
	[leaf-ou]='has no OU "Authenticator Attestation"'
	[leaf-ca]="is a CA certificate"
	[aaguid]="AAGUID extension differs from the AAGUID in authData")
for w in leaf-ou leaf-ca aaguid; do
	hk_fido2sim_restart --corrupt-attestation "$w"
	expect_exit 14 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o "$w" --attestation-roots "$SIMCA"
	assert_contains "$(cat err)" "${LEAF[$w]}" "$w: refused with the roots"
	no_files "$w" "$w"
	expect_exit 0 "$HWKEY" keygen "$DEV" --type ecdsa-sk -o "$w-noroots" --json
	assert_eq "true false" "$(jq -r '.keys[0].proof | "\(.verified) \(.chain_verified)"' out)" \
		"$w: without roots only the statement is verified"
done

# A resident credential whose attestation failed is deleted from the device
# again when the PIN was given (credentialManagement deleteCredential).
hk_fido2sim_stop
printf '%s\n' 135790 >sim-pin
chmod 600 sim-pin
FIDO2SIM_DIR=$HK_TMP/pinsim hk_fido2sim_start --pin-file "$HK_TMP/sim-pin" --corrupt-attestation sig
expect_exit 14 "$HWKEY" keygen "fido:unix:$FIDO2SIM_SOCKET" --type ecdsa-sk -o rkbad --resident \
	--pin file:sim-pin
no_files rkbad "resident with a PIN"
assert_contains "$(grep makeCredential "$FIDO2SIM_LOG")" "status=0x00 alg=-7 rk=1" "the resident credential was made"
assert_contains "$(tail -1 "$FIDO2SIM_LOG")" "status=0x00 sub=0x06" "and then deleted (deleteCredential)"
hk_done
