/* PEM public keys through OpenSSL: SubjectPublicKeyInfo ("PUBLIC KEY"),
 * PKCS#1 ("RSA PUBLIC KEY") and X.509 certificates (their public key). */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "err.h"
#include "fmt.h"
#include "fmt_text.h"
#include "key.h"
#include "key_evp.h"

#define PEM_DASHES	"-----"
#define PEM_LABEL_MAX	64

static const struct {
	const char *label;
	enum hk_fmt fmt;
} labels[] = {
	{ "PUBLIC KEY", HK_FMT_PEM },
	{ "RSA PUBLIC KEY", HK_FMT_PKCS1 },
	{ "CERTIFICATE", HK_FMT_X509 },
	{ "X509 CERTIFICATE", HK_FMT_X509 },
};

/* "-----BEGIN label-----" (or END): 1 with the label copied out, else 0. */
static int
pem_label(const char *line, size_t len, const char *what, char *label, size_t size)
{
	size_t wlen = strlen(what), llen;

	if (len < 5 + wlen + 1 + 5 || memcmp(line, PEM_DASHES, 5) != 0 ||
	    memcmp(line + 5, what, wlen) != 0 || line[5 + wlen] != ' ' ||
	    memcmp(line + len - 5, PEM_DASHES, 5) != 0)
		return 0;
	llen = len - 5 - wlen - 1 - 5;
	if (llen == 0 || llen >= size)
		return 0;
	memcpy(label, line + 5 + wlen + 1, llen);
	label[llen] = '\0';
	return 1;
}

/*
 * A SubjectPublicKeyInfo OpenSSL could not turn into a key: name its
 * algorithm so the user learns why (an unknown EC curve, a post-quantum key).
 */
static int
spki_unknown(const X509_PUBKEY *xpk)
{
	ASN1_OBJECT *alg = NULL;
	char oid[80];

	if (xpk == NULL || !X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, xpk) ||
	    alg == NULL)
		return hk_errf(HK_ERR_PEM, "not a SubjectPublicKeyInfo");
	if (OBJ_obj2nid(alg) == NID_X9_62_id_ecPublicKey)
		return hk_errf(HK_ERR_EC_CURVE_UNKNOWN,
		    "EC key on a curve OpenSSL does not know (SSH knows only P-256, P-384 and P-521)");
	OBJ_obj2txt(oid, sizeof(oid), alg, 0);
	return hk_errf(HK_ERR_KEY_TYPE_UNKNOWN, "public key algorithm %s has no SSH form",
	    oid);
}

static int
der_to_evp(enum hk_fmt fmt, const uint8_t *der, size_t len, EVP_PKEY **pkeyp)
{
	const unsigned char *p = der;
	X509_PUBKEY *xpk = NULL;
	X509 *x509 = NULL;
	EVP_PKEY *pkey = NULL;
	int r;

	*pkeyp = NULL;
	if (len > 0x7fffffff)
		return hk_errf(HK_ERR_PEM, "DER data too large");
	switch (fmt) {
	case HK_FMT_PEM:
		/* X509_PUBKEY survives an algorithm OpenSSL cannot decode. */
		if ((xpk = d2i_X509_PUBKEY(NULL, &p, (long)len)) == NULL) {
			r = hk_errf(HK_ERR_PEM, "not a DER SubjectPublicKeyInfo");
			goto out;
		}
		if ((pkey = X509_PUBKEY_get(xpk)) == NULL) {
			r = spki_unknown(xpk);
			goto out;
		}
		break;
	case HK_FMT_PKCS1:
		if ((pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len)) == NULL) {
			r = hk_errf(HK_ERR_PEM, "not a DER PKCS#1 RSAPublicKey");
			goto out;
		}
		break;
	case HK_FMT_X509:
		if ((x509 = d2i_X509(NULL, &p, (long)len)) == NULL) {
			r = hk_errf(HK_ERR_PEM, "not a DER X.509 certificate");
			goto out;
		}
		if ((pkey = X509_get_pubkey(x509)) == NULL) {
			r = spki_unknown(X509_get_X509_PUBKEY(x509));
			goto out;
		}
		break;
	default:
		r = HK_ERR_INTERNAL;
		goto out;
	}
	if (p != der + len) {
		r = hk_errf(HK_ERR_PEM, "%zu bytes after the DER structure",
		    (size_t)(der + len - p));
		goto out;
	}
	*pkeyp = pkey;
	pkey = NULL;
	r = 0;
out:
	EVP_PKEY_free(pkey);
	X509_PUBKEY_free(xpk);
	X509_free(x509);
	return r;
}

int
hk_fmt_pem_parse(const char *block, size_t len, enum hk_fmt *fmtp,
    struct hk_key **keyp)
{
	struct hk_fmt_lines ls;
	struct hk_buf *body = NULL, *der = NULL;
	EVP_PKEY *pkey = NULL;
	enum hk_fmt fmt = HK_FMT_AUTO;
	const char *line;
	char label[PEM_LABEL_MAX], endlabel[PEM_LABEL_MAX];
	size_t i, llen;
	int r, ended = 0;

	*keyp = NULL;
	if (fmtp != NULL)
		*fmtp = HK_FMT_AUTO;
	hk_fmt_lines_init(&ls, block, len);
	do {
		if (!hk_fmt_lines_next_trimmed(&ls, &line, &llen))
			return hk_errf(HK_ERR_PEM, "empty input");
	} while (llen == 0);
	if (!pem_label(line, llen, "BEGIN", label, sizeof(label)))
		return hk_errf(HK_ERR_PEM, "first line is not '-----BEGIN ...-----'");
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(label, labels[i].label) == 0)
			fmt = labels[i].fmt;
	if (fmt == HK_FMT_AUTO) {
		if (strstr(label, "PRIVATE KEY") != NULL)
			return hk_errf(HK_ERR_FORMAT_UNKNOWN,
			    "'%s' is a private key; give its public key", label);
		return hk_errf(HK_ERR_FORMAT_UNKNOWN, "PEM '%s' holds no public key", label);
	}
	if ((body = hk_buf_new()) == NULL || (der = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	while (hk_fmt_lines_next_trimmed(&ls, &line, &llen)) {
		if (ended) {
			if (llen != 0) {
				r = hk_errf(HK_ERR_PEM, "block line %zu: text after the END line",
				    ls.n);
				goto out;
			}
			continue;
		}
		if (pem_label(line, llen, "END", endlabel, sizeof(endlabel))) {
			if (strcmp(label, endlabel) != 0) {
				r = hk_errf(HK_ERR_PEM, "block line %zu: END %s does not match BEGIN %s",
				    ls.n, endlabel, label);
				goto out;
			}
			ended = 1;
			continue;
		}
		/* RFC 1421 headers only come with encryption, meaningless here. */
		if (memchr(line, ':', llen) != NULL || memchr(line, '-', llen) != NULL) {
			r = hk_errf(HK_ERR_PEM, "block line %zu: not base64 data", ls.n);
			goto out;
		}
		if ((r = hk_buf_put(body, line, llen)) != 0)
			goto out;
	}
	if (!ended) {
		r = hk_errf(HK_ERR_PEM, "no '-----END %s-----' line", label);
		goto out;
	}
	if ((r = hk_b64_decode(der, (const char *)hk_buf_ptr(body), hk_buf_len(body),
	    HK_B64_SKIP_SPACE)) != 0) {
		r = hk_errf(r == HK_ERR_BASE64 ? HK_ERR_PEM : r, "body is not valid base64");
		goto out;
	}
	if ((r = der_to_evp(fmt, hk_buf_ptr(der), hk_buf_len(der), &pkey)) != 0 ||
	    (r = hk_key_from_evp(pkey, keyp)) != 0)
		goto out;
	if (fmtp != NULL)
		*fmtp = fmt;
	r = 0;
out:
	/* Our error says what went wrong; leave no stale OpenSSL queue behind. */
	if (r != 0)
		ERR_clear_error();
	EVP_PKEY_free(pkey);
	hk_buf_free(body);
	hk_buf_free(der);
	return r;
}

/* Append everything written to the memory BIO. */
static int
bio_to_buf(BIO *bio, struct hk_buf *out)
{
	char *p;
	long n;

	if ((n = BIO_get_mem_data(bio, &p)) <= 0)
		return hk_errf(HK_ERR_CRYPTO, "OpenSSL wrote no PEM");
	return hk_buf_put(out, p, (size_t)n);
}

int
hk_fmt_pem_write(const struct hk_key *key, enum hk_fmt fmt, struct hk_buf *out)
{
	OSSL_ENCODER_CTX *ectx = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int r;

	if (fmt != HK_FMT_PEM && fmt != HK_FMT_PKCS1)
		return hk_errf(HK_ERR_FORMAT_UNSUPPORTED, "not a PEM format");
	if (fmt == HK_FMT_PKCS1 && hk_key_type(key) != HK_KEY_RSA)
		return hk_errf(HK_ERR_FORMAT_UNSUPPORTED,
		    "PKCS#1 holds only RSA keys, not %s", hk_key_type_name(key));
	/* SPKI has no room for the application: the key would come back as another type. */
	if (hk_key_type(key) == HK_KEY_ECDSA_SK || hk_key_type(key) == HK_KEY_ED25519_SK)
		return hk_errf(HK_ERR_FORMAT_UNSUPPORTED,
		    "PEM cannot hold a security key (%s)", hk_key_type_name(key));
	if ((r = hk_key_to_evp(key, &pkey)) != 0)
		return r;
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if (fmt == HK_FMT_PEM) {
		if (!PEM_write_bio_PUBKEY(bio, pkey)) {
			r = hk_errf(HK_ERR_CRYPTO, "OpenSSL cannot write the SPKI");
			goto out;
		}
	} else {
		/* "type-specific" is RSAPublicKey, what ssh-keygen -m PEM writes. */
		if ((ectx = OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_PUBLIC_KEY,
		    "PEM", "type-specific", NULL)) == NULL ||
		    OSSL_ENCODER_CTX_get_num_encoders(ectx) == 0 ||
		    !OSSL_ENCODER_to_bio(ectx, bio)) {
			r = hk_errf(HK_ERR_CRYPTO, "OpenSSL cannot write PKCS#1");
			goto out;
		}
	}
	r = bio_to_buf(bio, out);
out:
	OSSL_ENCODER_CTX_free(ectx);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return r;
}
