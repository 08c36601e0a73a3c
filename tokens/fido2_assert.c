/* FIDO2 assertions: the signature an sk key makes for OpenSSH (as OpenSSH's
 * own middleware asks for it). */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "fido2_int.h"

#define SK_UP	0x01	/* OpenSSH's SSH_SK_USER_PRESENCE_REQD */
#define SK_UV	0x04	/* SSH_SK_USER_VERIFICATION_REQD */

#define ED25519_SIG_LEN	64

void
hk_fido2_sig_clear(struct hk_fido2_sig *sig)
{
	if (sig == NULL)
		return;
	free(sig->sig_r);
	free(sig->sig_s);
	memset(sig, 0, sizeof(*sig));
}

static uint8_t *
dup_bytes(const void *p, size_t len)
{
	uint8_t *d;

	if ((d = malloc(len > 0 ? len : 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(d, p, len);
	return d;
}

static int
bn_bytes(const BIGNUM *bn, uint8_t **pp, size_t *lenp)
{
	int n = BN_num_bytes(bn);

	if ((*pp = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		return HK_ERR_ALLOC;
	*lenp = (size_t)BN_bn2bin(bn, *pp);
	return 0;
}

/* The device's signature as OpenSSH wants it: r and s, or the 64 bytes. */
static int
sig_unpack(int cose_alg, const char *name, const uint8_t *sig, size_t len,
    struct hk_fido2_sig *out)
{
	const unsigned char *p = sig;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	int rv;

	if (cose_alg == COSE_EDDSA) {
		if (len != ED25519_SIG_LEN)
			return hk_errf(HK_ERR_FIDO2, "%s: sign: an Ed25519 signature "
			    "of %zu bytes (expected %d)", name, len, ED25519_SIG_LEN);
		if ((out->sig_r = dup_bytes(sig, len)) == NULL)
			return HK_ERR_ALLOC;
		out->sig_r_len = len;
		return 0;
	}
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL || p != sig + len) {
		ECDSA_SIG_free(es);
		return hk_errf(HK_ERR_FIDO2, "%s: sign: the device's ECDSA signature "
		    "is not DER", name);
	}
	ECDSA_SIG_get0(es, &r, &s);
	if ((rv = bn_bytes(r, &out->sig_r, &out->sig_r_len)) == 0)
		rv = bn_bytes(s, &out->sig_s, &out->sig_s_len);
	ECDSA_SIG_free(es);
	return rv;
}

int
hk_fido2_sign(fido_dev_t *dev, const char *name, int cose_alg,
    const char *application, const uint8_t *key_handle, size_t key_handle_len,
    const uint8_t *data, size_t data_len, uint8_t sk_flags, const char *pin,
    const struct hk_ui *ui, struct hk_fido2_sig *out)
{
	struct hk_fido2_sig sig = { 0 };
	fido_assert_t *a = NULL;
	const uint8_t *s;
	int fr, r;

	memset(out, 0, sizeof(*out));
	if (cose_alg != COSE_ES256 && cose_alg != COSE_EDDSA)
		return hk_errf(HK_ERR_MECHANISM, "%s: sign: COSE algorithm %d is "
		    "neither ES256 nor EdDSA", name, cose_alg);
	if (application == NULL || strncmp(application, "ssh:", 4) != 0)
		return hk_errf(HK_ERR_SK_APPLICATION, "%s: sign: application \"%s\" "
		    "does not start with \"ssh:\"", name,
		    application != NULL ? application : "");
	if (key_handle == NULL || key_handle_len == 0)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "%s: sign: no key handle", name);
	/* Without a PIN, only the device's own verification (fingerprint) can
	 * satisfy a verify-required key. */
	if ((sk_flags & SK_UV) && pin == NULL && !fido_dev_has_uv(dev))
		return hk_errf(HK_ERR_PIN_REQUIRED, "%s: sign: the key requires user "
		    "verification and the device has no built-in one: give its PIN",
		    name);
	if ((a = fido_assert_new()) == NULL)
		return HK_ERR_ALLOC;
	/* libfido2 hashes the client data: clientDataHash = SHA256(data). */
	if ((fr = fido_assert_set_clientdata(a, data, data_len)) != FIDO_OK ||
	    (fr = fido_assert_set_rp(a, application)) != FIDO_OK ||
	    (fr = fido_assert_allow_cred(a, key_handle, key_handle_len)) != FIDO_OK ||
	    (fr = fido_assert_set_up(a, (sk_flags & SK_UP) ? FIDO_OPT_TRUE :
	    FIDO_OPT_FALSE)) != FIDO_OK ||
	    ((sk_flags & SK_UV) && pin == NULL &&
	    (fr = fido_assert_set_uv(a, FIDO_OPT_TRUE)) != FIDO_OK)) {
		r = hk_fido2_err(fr, "set up the assertion", name, -1);
		goto out;
	}
	if (sk_flags & SK_UP)
		hk_ui_touch(ui, "touch your security key to sign");
	if ((fr = fido_dev_get_assert(dev, a, pin)) != FIDO_OK) {
		r = hk_fido2_dev_err(dev, fr, "sign", name);
		goto out;
	}
	if (fido_assert_count(a) != 1) {
		r = hk_errf(HK_ERR_FIDO2, "%s: sign: %zu assertions for one allowed "
		    "credential", name, fido_assert_count(a));
		goto out;
	}
	if ((s = fido_assert_sig_ptr(a, 0)) == NULL) {
		r = hk_errf(HK_ERR_FIDO2, "%s: sign: the device returned no "
		    "signature", name);
		goto out;
	}
	if ((r = sig_unpack(cose_alg, name, s, fido_assert_sig_len(a, 0), &sig)) != 0)
		goto out;
	sig.sk_flags = fido_assert_flags(a, 0);
	sig.counter = fido_assert_sigcount(a, 0);
	*out = sig;
	memset(&sig, 0, sizeof(sig));
	r = 0;
 out:
	hk_fido2_sig_clear(&sig);
	fido_assert_free(&a);
	return r;
}
