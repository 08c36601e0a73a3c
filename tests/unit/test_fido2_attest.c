/* Unit tests for the FIDO2 attestation checks (tokens/fido2_attest.c): a
 * credential and its attestation built here with OpenSSL (CA, leaf with the
 * FIDO OU and AAGUID extension, authData with a COSE key, packed, self,
 * fido-u2f and none), then each rule broken on its own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "fido2_int.h"

#define APP	"ssh:"

static const uint8_t AAGUID[16] = "hwkey-unit-test!";
static const uint8_t OTHER_AAGUID[16] = "another-aaguid!!";

struct leaf_spec {
	int no_ou, ca, no_aaguid;
	const uint8_t *aaguid;
};

/* What one test case changes from a valid packed x5c attestation. */
struct spec {
	int eddsa;
	const char *fmt;	/* NULL: "packed" */
	int self;		/* packed without x5c, signed by the credential */
	uint8_t flags;		/* 0: UP|AT */
	int bad_rpid, bad_sig, bad_key, bad_id, bad_cose;
	struct leaf_spec leaf;
	int wrong_root;
};

struct fixture {
	EVP_PKEY *ca_key, *other_ca_key;
	X509 *ca, *other_ca;
	char dir[64], other_dir[64];
};

static struct fixture fx;

static X509 *
cert_make(EVP_PKEY *key, EVP_PKEY *issuer_key, X509 *issuer, const char *cn,
    const struct leaf_spec *ls, int is_ca)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	ASN1_OBJECT *obj;
	ASN1_OCTET_STRING *os;
	uint8_t der[18] = { 0x04, 0x10 };

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"hwkey unit", -1, -1, 0);
	if (!is_ca && (ls == NULL || !ls->no_ou))
		X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC,
		    (const unsigned char *)"Authenticator Attestation", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n);
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    is_ca || (ls != NULL && ls->ca) ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (is_ca) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (!is_ca && (ls == NULL || !ls->no_aaguid)) {
		memcpy(der + 2, ls != NULL && ls->aaguid != NULL ? ls->aaguid : AAGUID, 16);
		obj = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
		os = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(os, der, sizeof(der));
		ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
	}
	assert_true(X509_sign(x, issuer_key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

static void
dir_with_ca(char *dir, size_t size, X509 *ca)
{
	char path[128];
	FILE *f;

	snprintf(dir, size, "/tmp/hk-attest-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_X509(f, ca), 1);
	fclose(f);
}

static int
setup(void **state)
{
	(void)state;
	fx.ca_key = EVP_EC_gen("P-256");
	fx.other_ca_key = EVP_EC_gen("P-256");
	fx.ca = cert_make(fx.ca_key, fx.ca_key, NULL, "unit root", NULL, 1);
	fx.other_ca = cert_make(fx.other_ca_key, fx.other_ca_key, NULL, "unit root", NULL, 1);
	dir_with_ca(fx.dir, sizeof(fx.dir), fx.ca);
	dir_with_ca(fx.other_dir, sizeof(fx.other_dir), fx.other_ca);
	return 0;
}

static int
teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/root.pem", fx.dir);
	unlink(path);
	rmdir(fx.dir);
	snprintf(path, sizeof(path), "%s/root.pem", fx.other_dir);
	unlink(path);
	rmdir(fx.other_dir);
	X509_free(fx.ca);
	X509_free(fx.other_ca);
	EVP_PKEY_free(fx.ca_key);
	EVP_PKEY_free(fx.other_ca_key);
	return 0;
}

static void
sign(EVP_PKEY *k, const uint8_t *m, size_t mlen, uint8_t **sigp, size_t *lenp)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ed = EVP_PKEY_id(k) == EVP_PKEY_ED25519;

	assert_int_equal(EVP_DigestSignInit(md, NULL, ed ? NULL : EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, NULL, lenp, m, mlen), 1);
	*sigp = malloc(*lenp);
	assert_int_equal(EVP_DigestSign(md, *sigp, lenp, m, mlen), 1);
	EVP_MD_CTX_free(md);
}

/* A credential per spec into out (freed with hk_fido2_cred_out_clear). */
static void
build(const struct spec *sp, struct hk_fido2_cred_out *out)
{
	EVP_PKEY *cred = sp->eddsa ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_EC_gen("P-256");
	EVP_PKEY *att = EVP_EC_gen("P-256");
	X509 *leaf = NULL;
	uint8_t ad[512], msg[1024], pub[65], cdh[32], *sig = NULL, *p;
	size_t adlen = 0, publen = sizeof(pub), siglen, i, mlen;
	const char *fmt = sp->fmt != NULL ? sp->fmt : "packed";
	unsigned char *der = NULL;
	int derlen;

	memset(out, 0, sizeof(*out));
	out->cose_alg = sp->eddsa ? COSE_EDDSA : COSE_ES256;
	if (sp->eddsa)
		assert_int_equal(EVP_PKEY_get_raw_public_key(cred, pub, &publen), 1);
	else
		assert_int_equal(EVP_PKEY_get_octet_string_param(cred, "encoded-pub-key",
		    pub, sizeof(pub), &publen), 1);
	out->pubkey = malloc(publen);
	memcpy(out->pubkey, pub, publen);
	out->pubkey_len = publen;
	if (sp->bad_key)
		out->pubkey[publen - 1] ^= 1;
	out->key_handle_len = 20;
	out->key_handle = malloc(20);
	for (i = 0; i < 20; i++)
		out->key_handle[i] = (uint8_t)(0x30 + i);
	out->challenge_len = 32;
	out->challenge = malloc(32);
	memset(out->challenge, 0x5a, 32);
	SHA256(out->challenge, 32, cdh);
	memcpy(out->aaguid, AAGUID, 16);

	SHA256((const unsigned char *)(sp->bad_rpid ? "ssh:other" : APP),
	    strlen(sp->bad_rpid ? "ssh:other" : APP), ad);
	adlen = 32;
	ad[adlen++] = sp->flags != 0 ? sp->flags : 0x41;
	memcpy(ad + adlen, "\0\0\0\1", 4);
	adlen += 4;
	memcpy(ad + adlen, AAGUID, 16);
	adlen += 16;
	ad[adlen++] = 0;
	ad[adlen++] = 20;
	memcpy(ad + adlen, out->key_handle, 20);
	if (sp->bad_id)
		ad[adlen] ^= 1;
	adlen += 20;
	if (sp->eddsa) {
		/* {1: 1 (OKP), 3: -8, -1: 6 (Ed25519), -2: x} */
		static const uint8_t h[] = { 0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06,
		    0x21, 0x58, 0x20 };
		memcpy(ad + adlen, h, sizeof(h));
		adlen += sizeof(h);
		memcpy(ad + adlen, pub, 32);
		adlen += 32;
	} else {
		/* {1: 2 (EC2), 3: -7, -1: 1 (P-256), -2: x, -3: y} */
		static const uint8_t h[] = { 0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01,
		    0x21, 0x58, 0x20 };
		memcpy(ad + adlen, h, sizeof(h));
		if (sp->bad_cose)
			ad[adlen + 2] = 0x03;	/* kty 3: RSA */
		adlen += sizeof(h);
		memcpy(ad + adlen, pub + 1, 32);
		adlen += 32;
		ad[adlen++] = 0x22;
		ad[adlen++] = 0x58;
		ad[adlen++] = 0x20;
		memcpy(ad + adlen, pub + 33, 32);
		adlen += 32;
	}
	/* The CBOR byte string OpenSSH keeps. */
	out->authdata = malloc(adlen + 2);
	out->authdata[0] = 0x58;
	out->authdata[1] = (uint8_t)adlen;
	memcpy(out->authdata + 2, ad, adlen);
	out->authdata_len = adlen + 2;
	out->fmt = strdup(fmt);

	if (strcmp(fmt, "fido-u2f") == 0) {
		msg[0] = 0;
		memcpy(msg + 1, ad, 32);
		memcpy(msg + 33, cdh, 32);
		memcpy(msg + 65, out->key_handle, 20);
		memcpy(msg + 85, pub, 65);
		mlen = 150;
	} else {
		memcpy(msg, ad, adlen);
		memcpy(msg + adlen, cdh, 32);
		mlen = adlen + 32;
	}
	if (strcmp(fmt, "none") != 0) {
		sign(sp->self ? cred : att, msg, mlen, &sig, &siglen);
		if (sp->bad_sig)
			sig[siglen / 2] ^= 1;
		out->signature = sig;
		out->signature_len = siglen;
	}
	if (!sp->self && strcmp(fmt, "none") != 0) {
		leaf = cert_make(att, fx.ca_key, fx.ca, "unit attestation", &sp->leaf, 0);
		der = NULL;
		derlen = i2d_X509(leaf, &der);
		assert_true(derlen > 0);
		p = malloc((size_t)derlen);
		memcpy(p, der, (size_t)derlen);
		out->x5c = p;
		out->x5c_len = (size_t)derlen;
		OPENSSL_free(der);
	}
	X509_free(leaf);
	EVP_PKEY_free(cred);
	EVP_PKEY_free(att);
}

/* Verify a credential made per spec; the detail must hold want (NULL: success). */
static void
check(const struct spec *sp, int verify_required, int allow_self, int roots,
    const char *want, struct hk_token_proof *proof)
{
	struct hk_fido2_cred_out out;
	struct hk_fido2_attest_req ar = { APP, verify_required, 1, NULL, allow_self };
	int r;

	ar.roots = roots ? (sp->wrong_root ? fx.other_dir : fx.dir) : NULL;
	build(sp, &out);
	memset(proof, 0, sizeof(*proof));
	hk_err_clear();
	r = hk_fido2_attest_verify("unit", &out, &ar, proof);
	if (want == NULL) {
		if (r != 0)
			fail_msg("unexpected failure: %s", hk_err_detail());
	} else {
		assert_int_equal(r, HK_ERR_ATTESTATION);
		if (strstr(hk_err_detail(), want) == NULL)
			fail_msg("detail [%s] lacks [%s]", hk_err_detail(), want);
		assert_int_equal(proof->verified, 0);
	}
	/* The proof keeps what the device returned either way. */
	assert_int_equal(proof->kind, HK_PROOF_FIDO2_ATTESTATION);
	assert_int_equal(proof->u.fido2.authdata.len, out.authdata_len);
	assert_non_null(proof->u.fido2.attestation.ptr);
	hk_fido2_cred_out_clear(&out);
}

static void
test_packed_x5c(void **state)
{
	struct spec sp = { 0 };
	struct hk_token_proof p;

	(void)state;
	check(&sp, 0, 0, 1, NULL, &p);
	assert_int_equal(p.verified, 1);
	assert_int_equal(p.u.fido2.chain_verified, 1);
	assert_int_equal(p.u.fido2.ncerts, 1);
	assert_memory_equal(p.u.fido2.aaguid, AAGUID, 16);
	assert_non_null(strstr(p.u.fido2.subject, "OU=Authenticator Attestation"));
	assert_non_null(strstr(p.u.fido2.issuer, "CN=unit root"));
	hk_token_proof_clear(&p);
	check(&sp, 0, 0, 0, NULL, &p);
	assert_int_equal(p.verified, 1);
	assert_int_equal(p.u.fido2.chain_verified, 0);
	hk_token_proof_clear(&p);
	sp.eddsa = 1;
	check(&sp, 0, 0, 1, NULL, &p);
	assert_int_equal(p.verified, 1);
	hk_token_proof_clear(&p);
	sp.eddsa = 0;
	sp.flags = 0x45;	/* UP UV AT */
	check(&sp, 1, 0, 1, NULL, &p);
	hk_token_proof_clear(&p);
}

static void
test_statement_rules(void **state)
{
	static const struct {
		struct spec sp;
		int verify_required;
		const char *want;
	} c[] = {
		{ { .bad_rpid = 1 }, 0, "rp id hash in authData is not SHA-256(\"ssh:\")" },
		{ { .flags = 0x40 }, 0, "user-present flag is not set" },
		{ { .flags = 0x41 }, 1, "user-verified flag is not set" },
		{ { .flags = 0x01 }, 0, "no attested credential data" },
		{ { .bad_key = 1 }, 0, "differs from the public key exported" },
		{ { .bad_key = 1, .eddsa = 1 }, 0, "differs from the public key exported" },
		{ { .bad_id = 1 }, 0, "credential id in authData is not the key handle" },
		{ { .bad_cose = 1 }, 0, "not an ES256 P-256 key" },
		{ { .bad_sig = 1 }, 0, "signature over authData and the client data hash does not verify" },
		{ { .bad_sig = 1, .eddsa = 1 }, 0, "does not verify" },
		{ { .fmt = "tpm" }, 0, "\"tpm\" is not one hwkey verifies" },
	};
	struct hk_token_proof p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		check(&c[i].sp, c[i].verify_required, 0, 0, c[i].want, &p);
		hk_token_proof_clear(&p);
	}
}

static void
test_chain_rules(void **state)
{
	static const struct {
		struct spec sp;
		const char *want;
	} c[] = {
		{ { .leaf = { .no_ou = 1 } }, "has no OU \"Authenticator Attestation\"" },
		{ { .leaf = { .ca = 1 } }, "is a CA certificate" },
		{ { .leaf = { .aaguid = OTHER_AAGUID } }, "AAGUID extension differs" },
		{ { .wrong_root = 1 }, "does not chain to a root" },
	};
	struct spec ok = { .leaf = { .no_aaguid = 1 } };
	struct hk_token_proof p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		check(&c[i].sp, 0, 0, 1, c[i].want, &p);
		hk_token_proof_clear(&p);
		/* Without roots the leaf rules are not applied: verified. */
		check(&c[i].sp, 0, 0, 0, NULL, &p);
		hk_token_proof_clear(&p);
	}
	/* The AAGUID extension is optional. */
	check(&ok, 0, 0, 1, NULL, &p);
	assert_int_equal(p.u.fido2.chain_verified, 1);
	hk_token_proof_clear(&p);
}

static void
test_self_none_u2f(void **state)
{
	struct spec self = { .self = 1 }, none = { .fmt = "none" }, u2f = { .fmt = "fido-u2f" },
	    badself = { .self = 1, .bad_sig = 1 }, badu2f = { .fmt = "fido-u2f", .bad_sig = 1 };
	struct hk_token_proof p;

	(void)state;
	check(&self, 0, 0, 1, "self attestation (no certificate)", &p);
	hk_token_proof_clear(&p);
	check(&self, 0, 1, 1, NULL, &p);
	assert_int_equal(p.verified, 0);
	assert_non_null(strstr(p.reason, "proves possession only"));
	hk_token_proof_clear(&p);
	check(&badself, 0, 1, 0, "with the credential key (self attestation)", &p);
	hk_token_proof_clear(&p);
	check(&none, 0, 0, 0, "format \"none\"", &p);
	hk_token_proof_clear(&p);
	check(&none, 0, 1, 0, NULL, &p);
	assert_int_equal(p.verified, 0);
	hk_token_proof_clear(&p);
	check(&u2f, 0, 0, 1, NULL, &p);
	assert_int_equal(p.verified, 1);
	hk_token_proof_clear(&p);
	check(&badu2f, 0, 0, 0, "fido-u2f attestation signature does not verify", &p);
	hk_token_proof_clear(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packed_x5c),
		cmocka_unit_test(test_statement_rules),
		cmocka_unit_test(test_chain_rules),
		cmocka_unit_test(test_self_none_u2f),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
