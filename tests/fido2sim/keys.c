/* hwkey-fido2sim: credential keys (ES256, EdDSA), their COSE form, signing,
 * and credential ids that carry the private key sealed (AES-256-GCM) under the
 * device master key with the rpIdHash as associated data. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "sim.h"

#define CREDID_MAGIC	0x48	/* 'H': version 1 of this layout */
#define CREDID_RESIDENT	0x80	/* in the prot byte: valid only while stored */

int
sim_random(uint8_t *p, size_t n)
{
	return RAND_bytes(p, (int)n) == 1 ? 0 : -1;
}

void
sim_sha256(const void *p, size_t n, uint8_t out[32])
{
	SHA256(p, n, out);
}

EVP_PKEY *
sim_key_new(int alg)
{
	if (alg == COSE_ES256)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (alg == COSE_EDDSA)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return NULL;
}

cbor_item_t *
sim_key_cose_item(EVP_PKEY *key, int alg)
{
	cbor_item_t *m;
	uint8_t pub[65];
	size_t len = sizeof(pub);

	if (alg == COSE_ES256 || alg == COSE_ECDH_ES256) {
		if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pub,
		    sizeof(pub), &len) != 1 || len != 65 || pub[0] != 0x04)
			return NULL;
		m = cbor_new_indefinite_map();
		cb_put_int(m, 1, cb_int(2));		/* kty EC2 */
		cb_put_int(m, 3, cb_int(alg));
		cb_put_int(m, -1, cb_int(1));		/* crv P-256 */
		cb_put_int(m, -2, cb_bytes(pub + 1, 32));
		cb_put_int(m, -3, cb_bytes(pub + 33, 32));
		return m;
	}
	if (alg == COSE_EDDSA) {
		len = 32;
		if (EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 || len != 32)
			return NULL;
		m = cbor_new_indefinite_map();
		cb_put_int(m, 1, cb_int(1));		/* kty OKP */
		cb_put_int(m, 3, cb_int(alg));
		cb_put_int(m, -1, cb_int(6));		/* crv Ed25519 */
		cb_put_int(m, -2, cb_bytes(pub, 32));
		return m;
	}
	return NULL;
}

int
sim_key_cose(EVP_PKEY *key, int alg, uint8_t **out, size_t *out_len)
{
	cbor_item_t *m = sim_key_cose_item(key, alg);

	*out = NULL;
	if (m == NULL)
		return -1;
	*out_len = cb_serialize(m, out);
	cbor_decref(&m);
	return *out_len ? 0 : -1;
}

int
sim_key_sign(EVP_PKEY *key, int alg, const uint8_t *msg, size_t len, uint8_t *sig,
	size_t *sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (ctx == NULL)
		return -1;
	ok = EVP_DigestSignInit(ctx, NULL, alg == COSE_ES256 ? EVP_sha256() : NULL,
	    NULL, key) == 1 && EVP_DigestSign(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

int
sim_credid_wrap(const struct sim *s, EVP_PKEY *key, int alg, int prot, bool resident,
	const uint8_t rpid_hash[32], uint8_t *id, size_t *id_len)
{
	uint8_t pt[200], *p = pt + 2;
	EVP_CIPHER_CTX *ctx = NULL;
	int der_len, n, f, rc = -1;

	der_len = i2d_PrivateKey(key, NULL);
	if (der_len <= 0 || (size_t)der_len > sizeof(pt) - 2 ||
	    13 + (size_t)der_len + 2 + 16 > *id_len)
		return -1;
	pt[0] = alg == COSE_ES256 ? 0 : 1;
	pt[1] = (uint8_t)prot | (resident ? CREDID_RESIDENT : 0);
	if (i2d_PrivateKey(key, &p) != der_len)
		goto out;
	id[0] = CREDID_MAGIC;
	if (sim_random(id + 1, 12) != 0 || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, s->st.master, id + 1) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, rpid_hash, 32) != 1 ||
	    EVP_EncryptUpdate(ctx, id + 13, &n, pt, der_len + 2) != 1 ||
	    EVP_EncryptFinal_ex(ctx, id + 13 + n, &f) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, id + 13 + n + f) != 1)
		goto out;
	*id_len = 13 + (size_t)(n + f) + 16;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(pt, sizeof(pt));
	return rc;
}

static bool
resident_exists(const struct sim *s, const uint8_t *id, size_t len)
{
	for (size_t i = 0; i < s->st.n_rk; i++)
		if (s->st.rk[i].id_len == len && memcmp(s->st.rk[i].id, id, len) == 0)
			return true;
	return false;
}

EVP_PKEY *
sim_credid_unwrap(const struct sim *s, const uint8_t *id, size_t id_len,
	const uint8_t rpid_hash[32], int *alg, int *prot)
{
	uint8_t pt[256], tag[16];
	const uint8_t *p = pt + 2;
	EVP_CIPHER_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	int n, f;
	size_t ct_len;

	if (id_len < 13 + 2 + 16 || id_len > 13 + sizeof(pt) + 16 || id[0] != CREDID_MAGIC)
		return NULL;
	ct_len = id_len - 13 - 16;
	memcpy(tag, id + id_len - 16, 16);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return NULL;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, s->st.master, id + 1) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, rpid_hash, 32) != 1 ||
	    EVP_DecryptUpdate(ctx, pt, &n, id + 13, (int)ct_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, pt + n, &f) != 1)
		goto out;
	*alg = pt[0] == 0 ? COSE_ES256 : COSE_EDDSA;
	*prot = pt[1] & (uint8_t)~CREDID_RESIDENT;
	/* A deleted (or reset) discoverable credential is gone for good. */
	if ((pt[1] & CREDID_RESIDENT) && !resident_exists(s, id, id_len))
		goto out;
	key = d2i_AutoPrivateKey(NULL, &p, (long)ct_len - 2);
out:
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(pt, sizeof(pt));
	return key;
}
