# The attestation of a FIDO2 keygen is verified and kept: the saved
# ssh-sk-attest-v01 blob verifies here with openssl alone (signature over
# authData || SHA-256(challenge), rp id hash); --attestation-roots checks the
# chain to the sim's CA; a tampered statement (signature, authData,
# certificate) or a wrong or empty roots directory fails with its own
# message, exit 14, and no file left behind.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/json.sh"
. "$HK_TESTLIB/fido2sim.sh"

export HOME=$HK_TMP/home
mkdir -p "$HOME"

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
hk_done
