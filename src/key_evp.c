/* Bridges between hk_key and OpenSSL 3 EVP_PKEY, for the PEM/X.509 codecs, the
 * PKCS#11 export and the AWS fingerprint. Uses only hk_key's public API. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "buf.h"
#include "err.h"
#include "key.h"
#include "key_evp.h"

/* OpenSSL's names for the three curves SSH defines. */
static const struct {
	enum hk_curve curve;
	const char *ossl;
	const char *alias;	/* the NIST name OpenSSL may report instead */
	size_t coord;		/* bytes per coordinate */
} curves[] = {
	{ HK_CURVE_P256, "prime256v1", "P-256", 32 },
	{ HK_CURVE_P384, "secp384r1", "P-384", 48 },
	{ HK_CURVE_P521, "secp521r1", "P-521", 66 },
};

/* Big-endian magnitude of a BIGNUM parameter, malloc'd. */
static int
get_bn_bytes(const EVP_PKEY *pkey, const char *name, uint8_t **bp, size_t *lenp)
{
	BIGNUM *bn = NULL;
	uint8_t *b = NULL;
	int n, r;

	*bp = NULL;
	*lenp = 0;
	if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
		return hk_errf(HK_ERR_CRYPTO, "OpenSSL key has no parameter '%s'", name);
	n = BN_num_bytes(bn);
	if ((b = malloc(n > 0 ? (size_t)n : 1)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if (BN_bn2binpad(bn, b, n) != n) {
		r = HK_ERR_CRYPTO;
		goto out;
	}
	*bp = b;
	*lenp = (size_t)n;
	b = NULL;
	r = 0;
out:
	free(b);
	BN_free(bn);
	return r;
}

static int
rsa_from_evp(const EVP_PKEY *pkey, struct hk_key **keyp)
{
	uint8_t *n = NULL, *e = NULL;
	size_t nlen, elen;
	int r;

	if ((r = get_bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_N, &n, &nlen)) != 0 ||
	    (r = get_bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_E, &e, &elen)) != 0)
		goto out;
	r = hk_key_from_rsa(n, nlen, e, elen, keyp);
out:
	free(n);
	free(e);
	return r;
}

/* DSA has no constructor of its own: build the ssh-dss blob (RFC 4253 6.6). */
static int
dsa_from_evp(const EVP_PKEY *pkey, struct hk_key **keyp)
{
	static const char *const names[] = {
		OSSL_PKEY_PARAM_FFC_P, OSSL_PKEY_PARAM_FFC_Q,
		OSSL_PKEY_PARAM_FFC_G, OSSL_PKEY_PARAM_PUB_KEY,
	};
	struct hk_buf *blob = NULL;
	uint8_t *v = NULL;
	size_t i, len;
	int r;

	if ((blob = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_buf_put_cstring(blob, "ssh-dss")) != 0)
		goto out;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((r = get_bn_bytes(pkey, names[i], &v, &len)) != 0 ||
		    (r = hk_buf_put_bignum2_bytes(blob, v, len)) != 0)
			goto out;
		free(v);
		v = NULL;
	}
	r = hk_key_from_blob(hk_buf_ptr(blob), hk_buf_len(blob), keyp);
out:
	free(v);
	hk_buf_free(blob);
	return r;
}

static int
ec_from_evp(const EVP_PKEY *pkey, struct hk_key **keyp)
{
	char group[64];
	uint8_t point[1 + 2 * 66];
	BIGNUM *x = NULL, *y = NULL;
	size_t i, glen = 0, c;
	int r;

	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), &glen))
		return hk_errf(HK_ERR_EC_CURVE_UNKNOWN,
		    "EC key with explicit parameters instead of a named curve");
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(group, curves[i].ossl) == 0 ||
		    strcmp(group, curves[i].alias) == 0)
			break;
	if (i == sizeof(curves) / sizeof(curves[0]))
		return hk_errf(HK_ERR_EC_CURVE_UNKNOWN,
		    "EC curve %s (SSH knows only P-256, P-384 and P-521)", group);
	/*
	 * Take the coordinates rather than the encoded point: a key read from
	 * a compressed-point SPKI reports its point compressed, SSH wants 04||X||Y.
	 */
	c = curves[i].coord;
	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y)) {
		r = hk_errf(HK_ERR_EC_POINT, "EC key without a public point");
		goto out;
	}
	point[0] = 0x04;
	if (BN_bn2binpad(x, point + 1, (int)c) != (int)c ||
	    BN_bn2binpad(y, point + 1 + c, (int)c) != (int)c) {
		r = hk_errf(HK_ERR_EC_POINT, "EC coordinate larger than its curve");
		goto out;
	}
	r = hk_key_from_ec(curves[i].curve, point, 1 + 2 * c, keyp);
out:
	BN_free(x);
	BN_free(y);
	return r;
}

static int
ed25519_from_evp(const EVP_PKEY *pkey, struct hk_key **keyp)
{
	uint8_t pk[32];
	size_t len = sizeof(pk);

	if (!EVP_PKEY_get_raw_public_key(pkey, pk, &len))
		return hk_errf(HK_ERR_ED25519_LENGTH, "cannot read the Ed25519 public key");
	return hk_key_from_ed25519(pk, len, keyp);
}

static int
from_evp(const EVP_PKEY *pkey, struct hk_key **keyp)
{
	const char *tn;

	if (EVP_PKEY_is_a(pkey, "RSA"))
		return rsa_from_evp(pkey, keyp);
	if (EVP_PKEY_is_a(pkey, "DSA"))
		return dsa_from_evp(pkey, keyp);
	if (EVP_PKEY_is_a(pkey, "EC"))
		return ec_from_evp(pkey, keyp);
	if (EVP_PKEY_is_a(pkey, "ED25519"))
		return ed25519_from_evp(pkey, keyp);
	if (EVP_PKEY_is_a(pkey, "SM2"))
		return hk_errf(HK_ERR_EC_CURVE_UNKNOWN,
		    "EC curve SM2 (SSH knows only P-256, P-384 and P-521)");
	tn = EVP_PKEY_get0_type_name(pkey);
	return hk_errf(HK_ERR_KEY_TYPE_UNKNOWN, "%s keys have no SSH form",
	    tn != NULL ? tn : "this kind of");
}

int
hk_key_from_evp(const EVP_PKEY *pkey, struct hk_key **keyp)
{
	int r;

	*keyp = NULL;
	if (pkey == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if ((r = from_evp(pkey, keyp)) != 0)
		ERR_clear_error();
	return r;
}

/* Build an EVP_PKEY of a provider type from the parameters in bld. */
static int
evp_fromdata(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **pkeyp)
{
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM *params = NULL;
	int r = HK_ERR_CRYPTO;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, pkeyp, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		r = hk_errf(HK_ERR_CRYPTO, "OpenSSL cannot build a %s public key", type);
		goto out;
	}
	r = 0;
out:
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* Push a big-endian magnitude as an OSSL BN parameter (bld keeps the BIGNUM). */
static int
push_bn(OSSL_PARAM_BLD *bld, const char *name, const uint8_t *v, size_t len,
    BIGNUM **bnp)
{
	if ((*bnp = BN_bin2bn(v, (int)len, NULL)) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, name, *bnp))
		return HK_ERR_CRYPTO;
	return 0;
}

static int
rsa_to_evp(const struct hk_key *key, EVP_PKEY **pkeyp)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *n = NULL, *e = NULL;
	const uint8_t *np, *ep;
	size_t nlen, elen;
	int r;

	if ((r = hk_key_rsa_parts(key, &np, &nlen, &ep, &elen)) != 0)
		return r;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = push_bn(bld, OSSL_PKEY_PARAM_RSA_N, np, nlen, &n)) != 0 ||
	    (r = push_bn(bld, OSSL_PKEY_PARAM_RSA_E, ep, elen, &e)) != 0)
		goto out;
	r = evp_fromdata("RSA", bld, pkeyp);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return r;
}

/* DSA: read p, q, g, y back from the canonical ssh-dss blob. */
static int
dsa_to_evp(const struct hk_key *key, EVP_PKEY **pkeyp)
{
	static const char *const names[] = {
		OSSL_PKEY_PARAM_FFC_P, OSSL_PKEY_PARAM_FFC_Q,
		OSSL_PKEY_PARAM_FFC_G, OSSL_PKEY_PARAM_PUB_KEY,
	};
	OSSL_PARAM_BLD *bld = NULL;
	struct hk_buf *b = NULL;
	BIGNUM *bn[4] = { NULL, NULL, NULL, NULL };
	const uint8_t *v;
	size_t i, len;
	int r;

	if ((b = hk_buf_from(hk_key_blob_ptr(key), hk_key_blob_len(key))) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = hk_buf_get_string_direct(b, &v, &len)) != 0)
		goto out;
	for (i = 0; i < 4; i++)
		if ((r = hk_buf_get_bignum2_bytes_direct(b, &v, &len)) != 0 ||
		    (r = push_bn(bld, names[i], v, len, &bn[i])) != 0)
			goto out;
	r = evp_fromdata("DSA", bld, pkeyp);
out:
	for (i = 0; i < 4; i++)
		BN_free(bn[i]);
	OSSL_PARAM_BLD_free(bld);
	hk_buf_free(b);
	return r;
}

static int
ec_to_evp(const struct hk_key *key, EVP_PKEY **pkeyp)
{
	OSSL_PARAM_BLD *bld = NULL;
	enum hk_curve curve = hk_key_curve(key);
	const uint8_t *pt;
	const char *group = NULL;
	size_t i, len;
	int r;

	/* Security keys are always P-256 even if no curve is recorded. */
	if (curve == HK_CURVE_NONE && hk_key_type(key) == HK_KEY_ECDSA_SK)
		curve = HK_CURVE_P256;
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].curve == curve)
			group = curves[i].ossl;
	if (group == NULL)
		return hk_errf(HK_ERR_EC_CURVE_UNKNOWN, "key has no known curve");
	if ((r = hk_key_ec_point(key, &pt, &len)) != 0)
		return r;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		return HK_ERR_ALLOC;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, len)) {
		r = HK_ERR_CRYPTO;
		goto out;
	}
	r = evp_fromdata("EC", bld, pkeyp);
out:
	OSSL_PARAM_BLD_free(bld);
	return r;
}

static int
ed25519_to_evp(const struct hk_key *key, EVP_PKEY **pkeyp)
{
	const uint8_t *pk;
	size_t len;
	int r;

	if ((r = hk_key_ed25519_pk(key, &pk, &len)) != 0)
		return r;
	if ((*pkeyp = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk,
	    len)) == NULL)
		return hk_errf(HK_ERR_CRYPTO, "OpenSSL cannot build an Ed25519 public key");
	return 0;
}

int
hk_key_to_evp(const struct hk_key *key, EVP_PKEY **pkeyp)
{
	EVP_PKEY *pkey = NULL;
	int r;

	*pkeyp = NULL;
	if (key == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	switch (hk_key_type(key)) {
	case HK_KEY_RSA:
		r = rsa_to_evp(key, &pkey);
		break;
	case HK_KEY_DSA:
		r = dsa_to_evp(key, &pkey);
		break;
	case HK_KEY_ECDSA:
	case HK_KEY_ECDSA_SK:
		r = ec_to_evp(key, &pkey);
		break;
	case HK_KEY_ED25519:
	case HK_KEY_ED25519_SK:
		r = ed25519_to_evp(key, &pkey);
		break;
	default:
		r = hk_errf(HK_ERR_KEY_TYPE_UNKNOWN, "key type has no OpenSSL form");
		break;
	}
	if (r != 0) {
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		return r;
	}
	*pkeyp = pkey;
	return 0;
}

const char *
hk_key_crypto_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
