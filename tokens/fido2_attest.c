/* Verifying a new credential's attestation (reference tokens.md §12.2): the
 * statement (signature over authData || clientDataHash, rp id hash, flags,
 * credential key equal to the exported one) with our own parsing, and with
 * trusted roots the certificate chain and the FIDO leaf requirements. */
#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fido2_int.h"
#include "skfile.h"

#define AD_FLAG_UP	0x01
#define AD_FLAG_UV	0x04
#define AD_FLAG_AT	0x40
#define AD_FIXED_LEN	37	/* rpIdHash 32, flags 1, signCount 4 */
#define AD_ATTESTED_MIN	(AD_FIXED_LEN + 16 + 2)
#define CBOR_DEPTH_MAX	8
#define ATTEST_OU	"Authenticator Attestation"
#define OID_FIDO_AAGUID	"1.3.6.1.4.1.45724.1.1.4"
#define ROOTS_MAX_FILES	1000

/* A CBOR data item's head: major type and argument (RFC 8949 3). */
static int
cbor_head(const uint8_t *p, size_t len, size_t *offp, int *majorp, uint64_t *valp)
{
	size_t off = *offp, n, i;
	uint8_t ai;
	uint64_t v;

	if (off >= len)
		return -1;
	*majorp = p[off] >> 5;
	ai = p[off] & 0x1f;
	off++;
	if (ai < 24) {
		*valp = ai;
		*offp = off;
		return 0;
	}
	if (ai > 27)
		return -1;	/* indefinite lengths: not in authData */
	n = (size_t)1 << (ai - 24);
	if (len - off < n)
		return -1;
	for (i = 0, v = 0; i < n; i++)
		v = (v << 8) | p[off + i];
	*valp = v;
	*offp = off + n;
	return 0;
}

static int
cbor_skip(const uint8_t *p, size_t len, size_t *offp, int depth)
{
	uint64_t v, i;
	int major;

	if (depth > CBOR_DEPTH_MAX || cbor_head(p, len, offp, &major, &v) != 0)
		return -1;
	switch (major) {
	case 2:
	case 3:
		if (v > len - *offp)
			return -1;
		*offp += (size_t)v;
		return 0;
	case 4:
	case 5:
		if (v > len)
			return -1;
		for (i = 0; i < (major == 5 ? 2 * v : v); i++)
			if (cbor_skip(p, len, offp, depth + 1) != 0)
				return -1;
		return 0;
	case 6:
		return cbor_skip(p, len, offp, depth + 1);
	default:
		return 0;
	}
}

/* The COSE_Key fields hwkey compares (RFC 8152 13): kty, alg, crv, x, y. */
struct cose_key {
	int64_t kty, alg, crv;
	const uint8_t *x, *y;
	size_t xlen, ylen;
};

static int
cose_parse(const uint8_t *p, size_t len, struct cose_key *ck)
{
	size_t off = 0;
	uint64_t n, i, v;
	int64_t label, ival;
	size_t voff;
	int major;

	memset(ck, 0, sizeof(*ck));
	if (cbor_head(p, len, &off, &major, &n) != 0 || major != 5 || n > 32)
		return -1;
	for (i = 0; i < n; i++) {
		if (cbor_head(p, len, &off, &major, &v) != 0 ||
		    (major != 0 && major != 1) || v > INT32_MAX)
			return -1;
		label = major == 0 ? (int64_t)v : -1 - (int64_t)v;
		voff = off;
		if (cbor_head(p, len, &voff, &major, &v) != 0)
			return -1;
		if (major == 0 || major == 1) {
			if (v > INT32_MAX)
				return -1;
			ival = major == 0 ? (int64_t)v : -1 - (int64_t)v;
			if (label == 1)
				ck->kty = ival;
			else if (label == 3)
				ck->alg = ival;
			else if (label == -1)
				ck->crv = ival;
			off = voff;
			continue;
		}
		if (major == 2 && (label == -2 || label == -3)) {
			if (v > len - voff)
				return -1;
			if (label == -2) {
				ck->x = p + voff;
				ck->xlen = (size_t)v;
			} else {
				ck->y = p + voff;
				ck->ylen = (size_t)v;
			}
			off = voff + (size_t)v;
			continue;
		}
		if (cbor_skip(p, len, &off, 1) != 0)
			return -1;
	}
	return 0;
}

static int
attest_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
attest_fail(const char *name, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return hk_errf(HK_ERR_ATTESTATION, "%s: attestation of the new key: %s; "
	    "nothing was written", name, what);
}

/* The raw authData inside the CBOR byte string libfido2 and OpenSSH keep. */
static int
authdata_raw(const struct hk_fido2_cred_out *out, const uint8_t **adp, size_t *lenp)
{
	size_t off = 0;
	uint64_t v;
	int major;

	if (out->authdata == NULL || cbor_head(out->authdata, out->authdata_len,
	    &off, &major, &v) != 0 || major != 2 || v != out->authdata_len - off)
		return -1;
	*adp = out->authdata + off;
	*lenp = (size_t)v;
	return 0;
}

/* The credential key in authData, as the SSH public key bytes (04||x||y or 32). */
static int
authdata_key_check(const char *name, const struct hk_fido2_cred_out *out,
    const uint8_t *ad, size_t adlen, size_t *endp)
{
	struct cose_key ck;
	size_t off = AD_ATTESTED_MIN, idlen, klen;

	idlen = ((size_t)ad[AD_FIXED_LEN + 16] << 8) | ad[AD_FIXED_LEN + 17];
	if (idlen > adlen - off)
		return attest_fail(name, "authData is truncated in the credential id");
	if (idlen != out->key_handle_len ||
	    memcmp(ad + off, out->key_handle, idlen) != 0)
		return attest_fail(name, "the credential id in authData is not the "
		    "key handle the device returned");
	off += idlen;
	klen = off;
	if (cbor_skip(ad, adlen, &klen, 0) != 0 ||
	    cose_parse(ad + off, klen - off, &ck) != 0)
		return attest_fail(name, "the credential public key in authData "
		    "is not a valid COSE key");
	*endp = klen;
	if (out->cose_alg == COSE_ES256) {
		if (ck.kty != 2 || ck.crv != 1 || ck.alg != COSE_ES256 ||
		    ck.xlen != 32 || ck.ylen != 32)
			return attest_fail(name, "the credential key in authData is "
			    "not an ES256 P-256 key (kty %lld alg %lld crv %lld)",
			    (long long)ck.kty, (long long)ck.alg, (long long)ck.crv);
		if (out->pubkey_len != 65 || memcmp(out->pubkey + 1, ck.x, 32) != 0 ||
		    memcmp(out->pubkey + 33, ck.y, 32) != 0)
			return attest_fail(name, "the credential key in authData "
			    "differs from the public key exported");
	} else {
		if (ck.kty != 1 || ck.crv != 6 || ck.alg != COSE_EDDSA || ck.xlen != 32)
			return attest_fail(name, "the credential key in authData is "
			    "not an EdDSA Ed25519 key (kty %lld alg %lld crv %lld)",
			    (long long)ck.kty, (long long)ck.alg, (long long)ck.crv);
		if (out->pubkey_len != 32 || memcmp(out->pubkey, ck.x, 32) != 0)
			return attest_fail(name, "the credential key in authData "
			    "differs from the public key exported");
	}
	return 0;
}

/* An OpenSSL key from the credential's public key (self attestation). */
static EVP_PKEY *
cred_pkey(const struct hk_fido2_cred_out *out)
{
	EVP_PKEY *pk = NULL;
	EC_KEY *ec = NULL;
	EC_POINT *pt = NULL;
	const EC_GROUP *g;

	if (out->cose_alg == COSE_EDDSA)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
		    out->pubkey, out->pubkey_len);
	/* The EC_KEY API: OpenSSL 1.1 and 3 alike (deprecated, not removed). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	if ((ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1)) == NULL ||
	    (g = EC_KEY_get0_group(ec)) == NULL || (pt = EC_POINT_new(g)) == NULL ||
	    EC_POINT_oct2point(g, pt, out->pubkey, out->pubkey_len, NULL) != 1 ||
	    EC_KEY_set_public_key(ec, pt) != 1 || (pk = EVP_PKEY_new()) == NULL ||
	    EVP_PKEY_assign_EC_KEY(pk, ec) != 1) {
		EVP_PKEY_free(pk);
		pk = NULL;
	} else
		ec = NULL;
	EC_POINT_free(pt);
	EC_KEY_free(ec);
#pragma GCC diagnostic pop
	return pk;
}

/* 1: sig verifies over the two parts with pk (SHA-256; Ed25519 pure). */
static int
sig_ok(EVP_PKEY *pk, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md;
	uint8_t *msg;
	int ok = 0, ed = EVP_PKEY_id(pk) == EVP_PKEY_ED25519;

	if ((msg = malloc(alen + blen)) == NULL)
		return 0;
	memcpy(msg, a, alen);
	if (blen > 0)
		memcpy(msg + alen, b, blen);
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, ed ? NULL : EVP_sha256(), NULL, pk) == 1)
		ok = EVP_DigestVerify(md, sig, siglen, msg, alen + blen) == 1;
	EVP_MD_CTX_free(md);
	free(msg);
	return ok;
}

static char *
name_text(const X509_NAME *n)
{
	BIO *b;
	char *s = NULL, *p;
	long len;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_get_mem_data(b, &p)) >= 0 && (s = malloc((size_t)len + 1)) != NULL) {
		memcpy(s, p, (size_t)len);
		s[len] = '\0';
	}
	BIO_free(b);
	return s;
}

/* Every PEM certificate in every regular file of dir, into store. */
static int
roots_load(const char *name, const char *dir, X509_STORE *store)
{
	DIR *d;
	struct dirent *de;
	char path[4096];
	FILE *f;
	X509 *x;
	size_t nfiles = 0, ncerts = 0;

	if ((d = opendir(dir)) == NULL)
		return hk_errf(HK_ERR_IO, "%s: --attestation-roots %s: cannot open "
		    "the directory", name, dir);
	while ((de = readdir(d)) != NULL && nfiles < ROOTS_MAX_FILES) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    sizeof(path) || (f = fopen(path, "re")) == NULL)
			continue;
		nfiles++;
		while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
			if (X509_STORE_add_cert(store, x) == 1)
				ncerts++;
			X509_free(x);
		}
		fclose(f);
	}
	closedir(d);
	ERR_clear_error();
	if (ncerts == 0)
		return hk_errf(HK_ERR_ATTESTATION, "%s: --attestation-roots %s holds "
		    "no PEM certificate", name, dir);
	return 0;
}

/* The FIDO requirements of the leaf (WebAuthn 8.2.1) and its chain to a root. */
static int
chain_check(const char *name, X509 *leaf, const uint8_t aaguid[16], const char *dir)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	ASN1_OBJECT *obj = NULL;
	ASN1_OCTET_STRING *os = NULL;
	const ASN1_OCTET_STRING *ed;
	const unsigned char *q;
	X509_NAME *subj;
	X509_NAME_ENTRY *ne;
	ASN1_STRING *ou;
	int r, i, vr, found = 0;

	if (X509_get_version(leaf) != 2) {
		r = attest_fail(name, "the attestation certificate is not X.509 v3");
		goto out;
	}
	subj = X509_get_subject_name(leaf);
	for (i = -1; (i = X509_NAME_get_index_by_NID(subj, NID_organizationalUnitName,
	    i)) >= 0;) {
		ne = X509_NAME_get_entry(subj, i);
		ou = X509_NAME_ENTRY_get_data(ne);
		if (ASN1_STRING_length(ou) == (int)strlen(ATTEST_OU) &&
		    memcmp(ASN1_STRING_get0_data(ou), ATTEST_OU, strlen(ATTEST_OU)) == 0)
			found = 1;
	}
	if (!found) {
		r = attest_fail(name, "the attestation certificate's subject has no "
		    "OU \"%s\"", ATTEST_OU);
		goto out;
	}
	if (X509_check_ca(leaf) != 0) {
		r = attest_fail(name, "the attestation certificate is a CA "
		    "certificate (basic constraints CA must be false)");
		goto out;
	}
	if ((obj = OBJ_txt2obj(OID_FIDO_AAGUID, 1)) == NULL) {
		r = HK_ERR_CRYPTO;
		goto out;
	}
	if ((i = X509_get_ext_by_OBJ(leaf, obj, -1)) >= 0) {
		ed = X509_EXTENSION_get_data(X509_get_ext(leaf, i));
		q = ASN1_STRING_get0_data(ed);
		if ((os = d2i_ASN1_OCTET_STRING(NULL, &q, ASN1_STRING_length(ed))) == NULL ||
		    ASN1_STRING_length(os) != 16) {
			r = attest_fail(name, "the certificate's AAGUID extension (%s) "
			    "is malformed", OID_FIDO_AAGUID);
			goto out;
		}
		if (memcmp(ASN1_STRING_get0_data(os), aaguid, 16) != 0) {
			r = attest_fail(name, "the certificate's AAGUID extension "
			    "differs from the AAGUID in authData");
			goto out;
		}
	}
	if ((store = X509_STORE_new()) == NULL || (ctx = X509_STORE_CTX_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = roots_load(name, dir, store)) != 0)
		goto out;
	if (X509_STORE_CTX_init(ctx, store, leaf, NULL) != 1) {
		r = HK_ERR_CRYPTO;
		goto out;
	}
	/* Attestation certificates are not TLS certificates: any purpose. */
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	if (X509_verify_cert(ctx) != 1) {
		vr = X509_STORE_CTX_get_error(ctx);
		r = attest_fail(name, "the attestation certificate does not chain to "
		    "a root in %s (%s)", dir, X509_verify_cert_error_string(vr));
		goto out;
	}
	r = 0;
 out:
	ERR_clear_error();
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

static int
blob_dup(struct hk_proof_blob *b, const uint8_t *p, size_t len)
{
	b->ptr = NULL;
	b->len = 0;
	if (p == NULL || len == 0)
		return 0;
	if ((b->ptr = malloc(len)) == NULL)
		return HK_ERR_ALLOC;
	memcpy(b->ptr, p, len);
	b->len = len;
	return 0;
}

/* What the device returned, kept in the proof (verified or not). */
static int
proof_fill(const struct hk_fido2_cred_out *out, struct hk_token_proof *proof)
{
	uint8_t *at;
	size_t atlen;
	int r;

	hk_token_proof_clear(proof);
	proof->kind = HK_PROOF_FIDO2_ATTESTATION;
	if ((proof->u.fido2.format = strdup(out->fmt != NULL ? out->fmt : "none")) == NULL)
		return HK_ERR_ALLOC;
	memcpy(proof->u.fido2.aaguid, out->aaguid, sizeof(out->aaguid));
	if ((r = blob_dup(&proof->u.fido2.authdata, out->authdata, out->authdata_len)) != 0 ||
	    (r = blob_dup(&proof->u.fido2.signature, out->signature,
	    out->signature_len)) != 0)
		return r;
	if (out->x5c != NULL) {
		if ((proof->u.fido2.certs = calloc(1, sizeof(*proof->u.fido2.certs))) == NULL)
			return HK_ERR_ALLOC;
		proof->u.fido2.ncerts = 1;
		if ((r = blob_dup(&proof->u.fido2.certs[0], out->x5c, out->x5c_len)) != 0)
			return r;
	}
	/* The attestation as ssh-keygen -O write-attestation saves it. */
	if ((r = hk_sk_attest_write(out->x5c, out->x5c_len, out->signature,
	    out->signature_len, out->authdata, out->authdata_len, &at, &atlen)) != 0)
		return r;
	proof->u.fido2.attestation.ptr = at;
	proof->u.fido2.attestation.len = atlen;
	return 0;
}

int
hk_fido2_attest_verify(const char *name, const struct hk_fido2_cred_out *out,
    const struct hk_fido2_attest_req *req, struct hk_token_proof *proof)
{
	const uint8_t *ad, *cred_id;
	const unsigned char *q;
	uint8_t rpid[SHA256_DIGEST_LENGTH], cdh[SHA256_DIGEST_LENGTH], *u2f = NULL;
	const char *fmt = out->fmt != NULL ? out->fmt : "none";
	EVP_PKEY *pk = NULL;
	X509 *leaf = NULL;
	size_t adlen, end = 0, u2flen;
	int r, self = 0;

	if ((r = proof_fill(out, proof)) != 0)
		return r;
	if (authdata_raw(out, &ad, &adlen) != 0)
		return attest_fail(name, "authData is not a CBOR byte string");
	if (adlen < AD_FIXED_LEN)
		return attest_fail(name, "authData is %zu bytes, shorter than %d",
		    adlen, AD_FIXED_LEN);
	SHA256((const unsigned char *)req->application, strlen(req->application), rpid);
	if (memcmp(ad, rpid, sizeof(rpid)) != 0)
		return attest_fail(name, "the rp id hash in authData is not "
		    "SHA-256(\"%s\")", req->application);
	if (req->touch_required && (ad[32] & AD_FLAG_UP) == 0)
		return attest_fail(name, "authData's user-present flag is not set");
	if (req->verify_required && (ad[32] & AD_FLAG_UV) == 0)
		return attest_fail(name, "authData's user-verified flag is not set, "
		    "but the key is verify-required");
	if ((ad[32] & AD_FLAG_AT) == 0 || adlen < AD_ATTESTED_MIN)
		return attest_fail(name, "authData has no attested credential data");
	if ((r = authdata_key_check(name, out, ad, adlen, &end)) != 0)
		return r;
	if (end != adlen && (ad[32] & 0x80) == 0)
		return attest_fail(name, "authData has %zu trailing bytes",
		    adlen - end);
	memcpy(proof->u.fido2.aaguid, ad + AD_FIXED_LEN, 16);
	if (out->challenge == NULL || out->challenge_len == 0)
		return attest_fail(name, "no client data to verify against");
	SHA256(out->challenge, out->challenge_len, cdh);

	if (strcmp(fmt, "none") == 0) {
		if (!req->allow_self)
			return attest_fail(name, "the device gave no attestation "
			    "(format \"none\"), so nothing proves the key was made in "
			    "hardware; --allow-self-attestation accepts such keys");
		return hk_token_proof_reason(proof, "no attestation (format \"none\")");
	}
	if (strcmp(fmt, "packed") != 0 && strcmp(fmt, "fido-u2f") != 0)
		return attest_fail(name, "attestation format \"%s\" is not one hwkey "
		    "verifies (packed, fido-u2f)", fmt);
	if (out->signature == NULL || out->signature_len == 0)
		return attest_fail(name, "the attestation has no signature");
	if (out->x5c != NULL) {
		q = out->x5c;
		if ((leaf = d2i_X509(NULL, &q, (long)out->x5c_len)) == NULL ||
		    q != out->x5c + out->x5c_len) {
			r = attest_fail(name, "the attestation certificate does not "
			    "parse as X.509 DER");
			goto out;
		}
		if ((proof->u.fido2.subject = name_text(X509_get_subject_name(leaf))) == NULL ||
		    (proof->u.fido2.issuer = name_text(X509_get_issuer_name(leaf))) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		if ((pk = X509_get_pubkey(leaf)) == NULL) {
			r = attest_fail(name, "the attestation certificate's public "
			    "key is invalid (not a point on its curve, or damaged)");
			goto out;
		}
	} else if (strcmp(fmt, "packed") == 0) {
		self = 1;
		if ((pk = cred_pkey(out)) == NULL) {
			r = attest_fail(name, "the credential key is not a valid "
			    "public key");
			goto out;
		}
	} else {
		r = attest_fail(name, "a fido-u2f attestation without a certificate");
		goto out;
	}
	if (strcmp(fmt, "packed") == 0) {
		if (!sig_ok(pk, ad, adlen, cdh, sizeof(cdh), out->signature,
		    out->signature_len)) {
			r = attest_fail(name, "the attestation signature over authData "
			    "and the client data hash does not verify with the %s",
			    self ? "credential key (self attestation)" :
			    "attestation certificate's key");
			goto out;
		}
	} else {
		/* fido-u2f: 00 || rpIdHash || cdh || credId || 04||x||y. */
		if (out->cose_alg != COSE_ES256) {
			r = attest_fail(name, "a fido-u2f attestation of a non-ES256 key");
			goto out;
		}
		cred_id = out->key_handle;
		u2flen = 1 + 32 + 32 + out->key_handle_len + 65;
		if ((u2f = malloc(u2flen)) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		u2f[0] = 0x00;
		memcpy(u2f + 1, rpid, 32);
		memcpy(u2f + 33, cdh, 32);
		memcpy(u2f + 65, cred_id, out->key_handle_len);
		memcpy(u2f + 65 + out->key_handle_len, out->pubkey, 65);
		if (!sig_ok(pk, u2f, u2flen, NULL, 0, out->signature, out->signature_len)) {
			r = attest_fail(name, "the fido-u2f attestation signature does "
			    "not verify with the attestation certificate's key");
			goto out;
		}
	}
	if (self) {
		if (!req->allow_self) {
			r = attest_fail(name, "self attestation (no certificate): it "
			    "proves possession of the key, not that it was made in "
			    "hardware; --allow-self-attestation accepts such keys");
			goto out;
		}
		r = hk_token_proof_reason(proof, "self attestation proves possession "
		    "only, not that the key was made in hardware");
		goto out;
	}
	if (req->roots != NULL) {
		if ((r = chain_check(name, leaf, proof->u.fido2.aaguid, req->roots)) != 0)
			goto out;
		proof->u.fido2.chain_verified = 1;
	}
	proof->verified = 1;
	r = 0;
 out:
	ERR_clear_error();
	free(u2f);
	EVP_PKEY_free(pk);
	X509_free(leaf);
	return r;
}
