/* hwkey-fido2sim: authenticatorClientPIN with PIN/UV auth protocols 1 and 2
 * (ECDH P-256 key agreement, AES-256-CBC, HMAC-SHA-256, HKDF for protocol 2),
 * PIN retries, and the pinUvAuthToken that MakeCredential, GetAssertion and
 * credential management check. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "sim.h"

#define SUB_GET_RETRIES		0x01
#define SUB_GET_KEY_AGREEMENT	0x02
#define SUB_SET_PIN		0x03
#define SUB_CHANGE_PIN		0x04
#define SUB_GET_PIN_TOKEN	0x05
#define SUB_GET_TOKEN_PERMS	0x09
#define CTAP2_ERR_INVALID_SUBCOMMAND 0x3e

struct shared {
	uint8_t key[64];	/* p1: 32 bytes; p2: HMAC key | AES key */
	int protocol;
};

void
sim_pin_reset_volatile(struct sim *s)
{
	EVP_PKEY_free(s->ka_key);
	s->ka_key = sim_key_new(COSE_ES256);
	s->sess.token_valid = false;
	s->sess.token_perms = 0;
	s->sess.token_rpid[0] = '\0';
	OPENSSL_cleanse(s->sess.pin_token, sizeof(s->sess.pin_token));
}

static bool
protocol_ok(const struct sim *s, int64_t p)
{
	return (p == 1 && (s->opt.pin_protocols & 1)) || (p == 2 && (s->opt.pin_protocols & 2));
}

static EVP_PKEY *
peer_key(const cbor_item_t *cose)
{
	const cbor_item_t *x = cb_map_int(cose, -2), *y = cb_map_int(cose, -3);
	int64_t kty = 0, crv = 0;
	uint8_t pub[65];
	char group[] = "prime256v1";
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;

	if (!cb_get_int(cb_map_int(cose, 1), &kty) || kty != 2 ||
	    !cb_get_int(cb_map_int(cose, -1), &crv) || crv != 1 ||
	    !cb_is_bytes(x) || cbor_bytestring_length(x) != 32 ||
	    !cb_is_bytes(y) || cbor_bytestring_length(y) != 32)
		return NULL;
	pub[0] = 0x04;
	memcpy(pub + 1, cbor_bytestring_handle(x), 32);
	memcpy(pub + 33, cbor_bytestring_handle(y), 32);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static int
hkdf(const uint8_t *ikm, size_t ikm_len, const char *info, uint8_t out[32])
{
	static const uint8_t salt[32];
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t n = 32;
	int ok;

	ok = ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, sizeof(salt)) == 1 &&
	    EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikm_len) == 1 &&
	    EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)info,
	    (int)strlen(info)) == 1 && EVP_PKEY_derive(ctx, out, &n) == 1 && n == 32;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* ECDH with the platform's key, then the protocol's KDF. */
static int
derive_shared(struct sim *s, int protocol, const cbor_item_t *cose, struct shared *sh)
{
	EVP_PKEY *peer;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t z[32];
	size_t zl = sizeof(z);
	int rc = -1;

	memset(sh, 0, sizeof(*sh));
	sh->protocol = protocol;
	if (cose == NULL || (peer = peer_key(cose)) == NULL)
		return -1;
	if ((ctx = EVP_PKEY_CTX_new(s->ka_key, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
	    EVP_PKEY_derive(ctx, z, &zl) != 1 || zl != 32)
		goto out;
	if (protocol == 1) {
		sim_sha256(z, 32, sh->key);
		rc = 0;
	} else if (hkdf(z, 32, "CTAP2 HMAC key", sh->key) == 0 &&
	    hkdf(z, 32, "CTAP2 AES key", sh->key + 32) == 0) {
		rc = 0;
	}
out:
	OPENSSL_cleanse(z, sizeof(z));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return rc;
}

static int
aes_cbc(bool enc, const uint8_t key[32], const uint8_t iv[16], const uint8_t *in,
	size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, f = 0, ok;

	ok = ctx != NULL && len % 16 == 0 &&
	    EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv, enc) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 &&
	    EVP_CipherFinal_ex(ctx, out + n, &f) == 1 && (size_t)(n + f) == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* Decrypts ct into out (cap bytes); returns the plaintext length or -1. */
static long
sh_decrypt(const struct shared *sh, const cbor_item_t *ct, uint8_t *out, size_t cap)
{
	static const uint8_t zero_iv[16];
	const uint8_t *p;
	size_t n;

	if (!cb_is_bytes(ct))
		return -1;
	p = cbor_bytestring_handle(ct);
	n = cbor_bytestring_length(ct);
	if (sh->protocol == 1) {
		if (n == 0 || n > cap || aes_cbc(false, sh->key, zero_iv, p, n, out) != 0)
			return -1;
		return (long)n;
	}
	if (n <= 16 || n - 16 > cap || aes_cbc(false, sh->key + 32, p, p + 16, n - 16, out) != 0)
		return -1;
	return (long)(n - 16);
}

static cbor_item_t *
sh_encrypt(const struct shared *sh, const uint8_t *pt, size_t n)
{
	static const uint8_t zero_iv[16];
	uint8_t out[16 + 64];
	cbor_item_t *it = NULL;

	if (n > 64)
		return NULL;
	if (sh->protocol == 1) {
		if (aes_cbc(true, sh->key, zero_iv, pt, n, out) == 0)
			it = cb_bytes(out, n);
	} else if (sim_random(out, 16) == 0 &&
	    aes_cbc(true, sh->key + 32, out, pt, n, out + 16) == 0) {
		it = cb_bytes(out, 16 + n);
	}
	OPENSSL_cleanse(out, sizeof(out));
	return it;
}

/* Constant-time check of an authenticate() output: p1 truncates to 16. */
static bool
auth_ok(int protocol, const uint8_t *key, size_t key_len, const uint8_t *msg,
	size_t msg_len, const cbor_item_t *param)
{
	uint8_t mac[32];
	unsigned int ml = sizeof(mac);
	size_t want = protocol == 1 ? 16 : 32;
	bool ok;

	if (!cb_is_bytes(param) || cbor_bytestring_length(param) != want ||
	    HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, mac, &ml) == NULL)
		return false;
	ok = CRYPTO_memcmp(mac, cbor_bytestring_handle(param), want) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}

int
sim_pin_verify_auth(struct sim *s, int64_t protocol, const cbor_item_t *param,
	const uint8_t *msg, size_t msg_len, uint8_t perm, const char *rp_id)
{
	if (!protocol_ok(s, protocol))
		return CTAP1_ERR_INVALID_PARAMETER;
	if (!s->st.pin_set)
		return CTAP2_ERR_PIN_NOT_SET;
	if (!s->sess.token_valid || s->sess.token_epoch != s->token_epoch || !auth_ok((int)protocol, s->sess.pin_token, sizeof(s->sess.pin_token),
	    msg, msg_len, param))
		return CTAP2_ERR_PIN_AUTH_INVALID;
	if (s->sess.token_perms != 0xff && (s->sess.token_perms & perm) == 0)
		return CTAP2_ERR_UNAUTHORIZED_PERMISSION;
	if (rp_id != NULL && s->sess.token_rpid[0] != '\0' && strcmp(rp_id, s->sess.token_rpid) != 0)
		return CTAP2_ERR_UNAUTHORIZED_PERMISSION;
	return 0;
}

/* The platform's PIN hash against ours: spends a retry first (spec order). */
static int
check_pin_hash(struct sim *s, const struct shared *sh, const cbor_item_t *enc)
{
	uint8_t h[64];
	long n;
	bool ok;

	if (s->st.pin_retries <= 0)
		return CTAP2_ERR_PIN_BLOCKED;
	if (s->pin_fail_streak >= 3)
		return CTAP2_ERR_PIN_AUTH_BLOCKED;
	s->st.pin_retries--;
	if (sim_state_save(s) != 0)
		return CTAP1_ERR_OTHER;
	n = sh_decrypt(sh, enc, h, sizeof(h));
	ok = n == 16 && CRYPTO_memcmp(h, s->st.pin_hash, 16) == 0;
	OPENSSL_cleanse(h, sizeof(h));
	if (!ok) {
		sim_pin_reset_volatile(s);	/* new key agreement key, as the spec says */
		s->pin_fail_streak++;
		if (s->st.pin_retries <= 0)
			return CTAP2_ERR_PIN_BLOCKED;
		if (s->pin_fail_streak >= 3)
			return CTAP2_ERR_PIN_AUTH_BLOCKED;
		return CTAP2_ERR_PIN_INVALID;
	}
	s->st.pin_retries = SIM_PIN_RETRIES;
	s->pin_fail_streak = 0;
	return sim_state_save(s) == 0 ? 0 : CTAP1_ERR_OTHER;
}

/* Decrypts newPinEnc (64 bytes padded) and installs it as the PIN. */
static int
install_pin(struct sim *s, const struct shared *sh, const cbor_item_t *enc)
{
	uint8_t pin[80], h[32];
	long n = sh_decrypt(sh, enc, pin, sizeof(pin));
	size_t len;
	int rc = CTAP2_ERR_PIN_POLICY_VIOLATION;

	if (n != 64) {
		rc = CTAP1_ERR_INVALID_PARAMETER;
		goto out;
	}
	len = strnlen((const char *)pin, 64);
	if (len < 4 || len > 63)
		goto out;
	sim_sha256(pin, len, h);
	memcpy(s->st.pin_hash, h, 16);
	s->st.pin_set = true;
	s->st.pin_len = len;
	s->st.pin_retries = SIM_PIN_RETRIES;
	s->pin_fail_streak = 0;
	s->token_epoch++;	/* every session's token dies with the old PIN */
	rc = sim_state_save(s) == 0 ? 0 : CTAP1_ERR_OTHER;
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	OPENSSL_cleanse(h, sizeof(h));
	return rc;
}

static int
new_token(struct sim *s, const struct shared *sh, uint8_t perms, const cbor_item_t *rpid,
	cbor_item_t **reply)
{
	cbor_item_t *m, *enc;
	char *rp = NULL;

	if (rpid != NULL && ((rp = cb_strdup(rpid)) == NULL || strlen(rp) >= sizeof(s->sess.token_rpid))) {
		free(rp);
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	}
	if (sim_random(s->sess.pin_token, sizeof(s->sess.pin_token)) != 0) {
		free(rp);
		return CTAP1_ERR_OTHER;
	}
	s->sess.token_valid = true;
	s->sess.token_epoch = s->token_epoch;
	s->sess.token_perms = perms;
	snprintf(s->sess.token_rpid, sizeof(s->sess.token_rpid), "%s", rp ? rp : "");
	free(rp);
	if ((enc = sh_encrypt(sh, s->sess.pin_token, sizeof(s->sess.pin_token))) == NULL)
		return CTAP1_ERR_OTHER;
	m = cbor_new_indefinite_map();
	cb_put_int(m, 2, enc);
	*reply = m;
	return 0;
}

int
sim_clientpin(struct sim *s, const cbor_item_t *req, cbor_item_t **reply)
{
	const cbor_item_t *ka = cb_map_int(req, 3), *auth = cb_map_int(req, 4);
	const cbor_item_t *newpin = cb_map_int(req, 5), *pinhash = cb_map_int(req, 6);
	int64_t protocol = 0, sub = 0, perms = 0;
	struct shared sh;
	uint8_t msg[256];
	cbor_item_t *m;
	int r;

	if (!cb_get_int(cb_map_int(req, 2), &sub))
		return CTAP2_ERR_MISSING_PARAMETER;
	if (sub == SUB_GET_RETRIES) {
		m = cbor_new_indefinite_map();
		cb_put_int(m, 3, cb_int(s->st.pin_retries));
		*reply = m;
		return 0;
	}
	if (!cb_get_int(cb_map_int(req, 1), &protocol))
		return CTAP2_ERR_MISSING_PARAMETER;
	if (!protocol_ok(s, protocol))
		return CTAP1_ERR_INVALID_PARAMETER;
	if (s->ka_key == NULL && (sim_pin_reset_volatile(s), s->ka_key == NULL))
		return CTAP1_ERR_OTHER;
	if (sub == SUB_GET_KEY_AGREEMENT) {
		cbor_item_t *k = sim_key_cose_item(s->ka_key, COSE_ECDH_ES256);
		if (k == NULL)
			return CTAP1_ERR_OTHER;
		m = cbor_new_indefinite_map();
		cb_put_int(m, 1, k);
		*reply = m;
		return 0;
	}
	if (sub != SUB_SET_PIN && sub != SUB_CHANGE_PIN && sub != SUB_GET_PIN_TOKEN &&
	    sub != SUB_GET_TOKEN_PERMS)
		return CTAP2_ERR_INVALID_SUBCOMMAND;
	if (ka == NULL)
		return CTAP2_ERR_MISSING_PARAMETER;
	if (derive_shared(s, (int)protocol, ka, &sh) != 0)
		return CTAP1_ERR_INVALID_PARAMETER;
	switch (sub) {
	case SUB_SET_PIN:
		r = CTAP2_ERR_MISSING_PARAMETER;
		if (auth == NULL || !cb_is_bytes(newpin))
			break;
		r = CTAP2_ERR_NOT_ALLOWED;
		if (s->st.pin_set)
			break;
		r = CTAP2_ERR_PIN_AUTH_INVALID;
		if (!auth_ok((int)protocol, sh.key, 32, cbor_bytestring_handle(newpin),
		    cbor_bytestring_length(newpin), auth))
			break;
		r = install_pin(s, &sh, newpin);
		break;
	case SUB_CHANGE_PIN: {
		size_t a, b;
		r = CTAP2_ERR_MISSING_PARAMETER;
		if (auth == NULL || !cb_is_bytes(newpin) || !cb_is_bytes(pinhash))
			break;
		r = CTAP2_ERR_PIN_NOT_SET;
		if (!s->st.pin_set)
			break;
		a = cbor_bytestring_length(newpin);
		b = cbor_bytestring_length(pinhash);
		r = CTAP1_ERR_INVALID_LENGTH;
		if (a + b > sizeof(msg))
			break;
		memcpy(msg, cbor_bytestring_handle(newpin), a);
		memcpy(msg + a, cbor_bytestring_handle(pinhash), b);
		r = CTAP2_ERR_PIN_AUTH_INVALID;
		if (!auth_ok((int)protocol, sh.key, 32, msg, a + b, auth))
			break;
		if ((r = check_pin_hash(s, &sh, pinhash)) != 0)
			break;
		r = install_pin(s, &sh, newpin);
		break;
	}
	case SUB_GET_PIN_TOKEN:
	case SUB_GET_TOKEN_PERMS:
		r = CTAP2_ERR_MISSING_PARAMETER;
		if (!cb_is_bytes(pinhash))
			break;
		if (sub == SUB_GET_TOKEN_PERMS) {
			if (!cb_get_int(cb_map_int(req, 9), &perms))
				break;
			r = CTAP1_ERR_INVALID_PARAMETER;
			if (perms <= 0 || perms > 0xfe)
				break;
			r = CTAP2_ERR_MISSING_PARAMETER;
			if ((perms & 0x03) && cb_map_int(req, 0x0a) == NULL)
				break;
		}
		r = CTAP2_ERR_PIN_NOT_SET;
		if (!s->st.pin_set)
			break;
		if ((r = check_pin_hash(s, &sh, pinhash)) != 0)
			break;
		r = new_token(s, &sh, sub == SUB_GET_PIN_TOKEN ? 0xff : (uint8_t)perms,
		    sub == SUB_GET_PIN_TOKEN ? NULL : cb_map_int(req, 0x0a), reply);
		break;
	default:
		r = CTAP2_ERR_INVALID_SUBCOMMAND;
		break;
	}
	OPENSSL_cleanse(&sh, sizeof(sh));
	OPENSSL_cleanse(msg, sizeof(msg));
	return r;
}

int
sim_hs_begin(struct sim *s, const cbor_item_t *in)
{
	const cbor_item_t *enc = cb_map_int(in, 2), *auth = cb_map_int(in, 3);
	int64_t protocol = 1;
	struct shared sh;
	long n;
	int r = CTAP1_ERR_INVALID_PARAMETER;

	s->sess.hs_active = false;
	if (!cbor_isa_map(in) || cb_map_int(in, 1) == NULL || !cb_is_bytes(enc) || auth == NULL)
		return CTAP2_ERR_MISSING_PARAMETER;
	if (cb_map_int(in, 4) != NULL && !cb_get_int(cb_map_int(in, 4), &protocol))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	if (!protocol_ok(s, protocol) || derive_shared(s, (int)protocol, cb_map_int(in, 1), &sh) != 0)
		return CTAP1_ERR_INVALID_PARAMETER;
	if (!auth_ok((int)protocol, sh.key, 32, cbor_bytestring_handle(enc),
	    cbor_bytestring_length(enc), auth)) {
		r = CTAP2_ERR_PIN_AUTH_INVALID;
		goto out;
	}
	n = sh_decrypt(&sh, enc, s->sess.hs_salt, sizeof(s->sess.hs_salt));
	if (n != 32 && n != 64)
		goto out;
	s->sess.hs_salt_len = (size_t)n;
	s->sess.hs_protocol = (int)protocol;
	memcpy(s->sess.hs_key, sh.key, sizeof(sh.key));
	s->sess.hs_active = true;
	r = 0;
out:
	OPENSSL_cleanse(&sh, sizeof(sh));
	return r;
}

/* CredRandom is derived from the master key and the credential id, one for
 * assertions with UV and one without (CTAP 2.1). */
cbor_item_t *
sim_hs_output(struct sim *s, const uint8_t *id, size_t id_len, bool uv)
{
	static const char label[] = "hwkey-fido2sim credRandom";
	uint8_t msg[sizeof(label) + 1 + 256], cr[32], out[64];
	unsigned int l = sizeof(cr);
	struct shared sh;
	cbor_item_t *it = NULL;

	if (!s->sess.hs_active || id_len > 256)
		return NULL;
	memcpy(msg, label, sizeof(label));
	msg[sizeof(label)] = uv ? 1 : 0;
	memcpy(msg + sizeof(label) + 1, id, id_len);
	if (HMAC(EVP_sha256(), s->st.master, 32, msg, sizeof(label) + 1 + id_len, cr, &l) == NULL)
		return NULL;
	for (size_t i = 0; i < s->sess.hs_salt_len / 32; i++) {
		l = 32;
		if (HMAC(EVP_sha256(), cr, 32, s->sess.hs_salt + 32 * i, 32, out + 32 * i, &l) == NULL)
			goto done;
	}
	memcpy(sh.key, s->sess.hs_key, sizeof(sh.key));
	sh.protocol = s->sess.hs_protocol;
	it = sh_encrypt(&sh, out, s->sess.hs_salt_len);
	OPENSSL_cleanse(&sh, sizeof(sh));
done:
	OPENSSL_cleanse(cr, sizeof(cr));
	OPENSSL_cleanse(out, sizeof(out));
	return it;
}
