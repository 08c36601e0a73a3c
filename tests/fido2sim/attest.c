/* hwkey-fido2sim: the test attestation CA and the attestation certificate
 * (packed attestation, x5c). Kept in --ca-dir so roots stay stable across
 * restarts; the attestation certificate is reissued when the AAGUID changes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sim.h"

#define AAGUID_OID "1.3.6.1.4.1.45724.1.1.4"

static char *
path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static EVP_PKEY *
read_key(const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (f == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

static X509 *
read_cert(const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *x;

	if (f == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

/* Writes key (if any) and cert to their files via tmp + rename. */
static int
write_pem(const char *path, EVP_PKEY *key, X509 *cert)
{
	size_t n = strlen(path) + 5;
	char *tmp = malloc(n);
	FILE *f;
	int ok;

	if (tmp == NULL)
		return -1;
	snprintf(tmp, n, "%s.tmp", path);
	if ((f = fopen(tmp, "we")) == NULL) {
		free(tmp);
		return -1;
	}
	if (key != NULL)
		chmod(tmp, 0600);
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1 :
	    PEM_write_X509(f, cert) == 1;
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	ok = fclose(f) == 0 && ok;
	ok = ok && rename(tmp, path) == 0;
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok ? 0 : -1;
}

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

static int
add_aaguid_ext(X509 *x, const uint8_t aaguid[16])
{
	uint8_t der[18] = { 0x04, 0x10 };	/* OCTET STRING holding the AAGUID */
	ASN1_OBJECT *obj = OBJ_txt2obj(AAGUID_OID, 1);
	ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;
	int rc = -1;

	memcpy(der + 2, aaguid, 16);
	if (obj && val && ASN1_OCTET_STRING_set(val, der, sizeof(der)) &&
	    (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, val)) != NULL &&
	    X509_add_ext(x, e, -1))
		rc = 0;
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(val);
	ASN1_OBJECT_free(obj);
	return rc;
}

/* The AAGUID in an attestation certificate, or -1 when it has none. */
static int
cert_aaguid(X509 *x, uint8_t out[16])
{
	ASN1_OBJECT *obj = OBJ_txt2obj(AAGUID_OID, 1);
	int i = obj ? X509_get_ext_by_OBJ(x, obj, -1) : -1;
	ASN1_OCTET_STRING *v;

	ASN1_OBJECT_free(obj);
	if (i < 0 || (v = X509_EXTENSION_get_data(X509_get_ext(x, i))) == NULL ||
	    ASN1_STRING_length(v) != 18)
		return -1;
	memcpy(out, ASN1_STRING_get0_data(v) + 2, 16);
	return 0;
}

/* make_cert flags: a leaf that breaks a FIDO attestation requirement */
#define LEAF_NO_OU	0x01	/* no OU "Authenticator Attestation" */
#define LEAF_CA_TRUE	0x02	/* basicConstraints CA:TRUE */

static X509 *
make_cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const uint8_t *aaguid,
	unsigned flags)
{
	X509 *x = X509_new();
	X509_NAME *n;
	uint8_t serial[8];
	BIGNUM *bn = NULL;
	bool ca = issuer == NULL;

	if (x == NULL || sim_random(serial, sizeof(serial)) != 0)
		goto fail;
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    !X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -86400) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365 * 20) ||
	    !X509_set_pubkey(x, key))
		goto fail;
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"hwkey test equipment", -1, -1, 0);
	if (ca) {
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
		    (const unsigned char *)"hwkey-fido2sim test attestation root", -1, -1, 0);
	} else {
		if (!(flags & LEAF_NO_OU))
			X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC,
			    (const unsigned char *)"Authenticator Attestation", -1, -1, 0);
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
		    (const unsigned char *)"hwkey-fido2sim attestation", -1, -1, 0);
	}
	if (!X509_set_issuer_name(x, ca ? n : X509_get_subject_name(issuer)))
		goto fail;
	if (add_ext(x, ca ? x : issuer, NID_basic_constraints,
	    ca || (flags & LEAF_CA_TRUE) ? "critical,CA:TRUE" : "critical,CA:FALSE") != 0 ||
	    add_ext(x, ca ? x : issuer, NID_subject_key_identifier, "hash") != 0 ||
	    (ca && add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") != 0) ||
	    (!ca && add_ext(x, issuer, NID_authority_key_identifier, "keyid") != 0) ||
	    (!ca && add_aaguid_ext(x, aaguid) != 0))
		goto fail;
	if (X509_sign(x, ca ? key : issuer_key, EVP_sha256()) <= 0)
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

int
sim_attest_load(struct sim *s)
{
	const char *dir = s->opt.ca_dir;
	char *ca_pem = path_in(dir, "ca.pem"), *ca_key = path_in(dir, "ca.key");
	char *at_pem = path_in(dir, "attestation.pem"), *at_key = path_in(dir, "attestation.key");
	EVP_PKEY *cak = NULL, *atk = NULL;
	X509 *cac = NULL, *atc = NULL;
	uint8_t have[16];
	unsigned char *der = NULL;
	int len, rc = -1;

	if (!ca_pem || !ca_key || !at_pem || !at_key)
		goto out;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		goto out;
	cak = read_key(ca_key);
	cac = read_cert(ca_pem);
	if (cak == NULL || cac == NULL) {
		EVP_PKEY_free(cak);
		X509_free(cac);
		if ((cak = sim_key_new(COSE_ES256)) == NULL ||
		    (cac = make_cert(cak, NULL, NULL, NULL, 0)) == NULL ||
		    write_pem(ca_key, cak, NULL) != 0 || write_pem(ca_pem, NULL, cac) != 0)
			goto out;
		unlink(at_pem);	/* a new root needs a new leaf */
	}
	atk = read_key(at_key);
	atc = read_cert(at_pem);
	if (atk == NULL || atc == NULL || cert_aaguid(atc, have) != 0 ||
	    memcmp(have, s->opt.aaguid, 16) != 0 || X509_verify(atc, cak) != 1) {
		EVP_PKEY_free(atk);
		X509_free(atc);
		if ((atk = sim_key_new(COSE_ES256)) == NULL ||
		    (atc = make_cert(atk, cac, cak, s->opt.aaguid, 0)) == NULL ||
		    write_pem(at_key, atk, NULL) != 0 || write_pem(at_pem, NULL, atc) != 0)
			goto out;
	}
	if (s->opt.corrupt == SIM_CORRUPT_LEAF_OU || s->opt.corrupt == SIM_CORRUPT_LEAF_CA ||
	    s->opt.corrupt == SIM_CORRUPT_LEAF_AAGUID) {
		/* A leaf for this run only (attestation.pem stays sound, so a
		 * later start without the option attests as before). */
		uint8_t other[16];
		unsigned flags = s->opt.corrupt == SIM_CORRUPT_LEAF_OU ? LEAF_NO_OU :
		    s->opt.corrupt == SIM_CORRUPT_LEAF_CA ? LEAF_CA_TRUE : 0;

		memcpy(other, s->opt.aaguid, 16);
		if (s->opt.corrupt == SIM_CORRUPT_LEAF_AAGUID)
			other[15] ^= 0xff;
		EVP_PKEY_free(atk);
		X509_free(atc);
		if ((atk = sim_key_new(COSE_ES256)) == NULL ||
		    (atc = make_cert(atk, cac, cak, other, flags)) == NULL)
			goto out;
	}
	if ((len = i2d_X509(atc, &der)) <= 0)
		goto out;
	s->att_cert = malloc((size_t)len);
	if (s->att_cert == NULL)
		goto out;
	memcpy(s->att_cert, der, (size_t)len);
	s->att_cert_len = (size_t)len;
	s->att_key = atk;
	atk = NULL;
	rc = 0;
out:
	OPENSSL_free(der);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(atk);
	X509_free(cac);
	X509_free(atc);
	free(ca_pem);
	free(ca_key);
	free(at_pem);
	free(at_key);
	return rc;
}
