/* Making an SSH credential on a FIDO2 device as OpenSSH's sk-usbhid.c
 * sk_enroll does (reference tokens.md §3), and the token layer's keygen over
 * it: the sk public key, the key handle and the verified attestation. */
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fido2_int.h"

#define FIDO2_CHALLENGE_LEN	32
#define FIDO2_USER_ID_LEN	32
#define FIDO2_USER_NAME		"openssh"

void
hk_fido2_cred_out_clear(struct hk_fido2_cred_out *out)
{
	if (out == NULL)
		return;
	free(out->pubkey);
	free(out->key_handle);
	free(out->fmt);
	free(out->signature);
	free(out->x5c);
	free(out->authdata);
	free(out->challenge);
	memset(out, 0, sizeof(*out));
}

static int
dup_bytes(uint8_t **dp, size_t *lenp, const unsigned char *p, size_t len)
{
	*dp = NULL;
	*lenp = 0;
	if (p == NULL || len == 0)
		return 0;
	if ((*dp = malloc(len)) == NULL)
		return HK_ERR_ALLOC;
	memcpy(*dp, p, len);
	*lenp = len;
	return 0;
}

/* What the device made, copied out of cred (whose pointers die with it). */
static int
cred_copy_out(const fido_cred_t *cred, const char *name,
    const struct hk_fido2_cred_req *req, struct hk_fido2_cred_out *out)
{
	const unsigned char *pk, *aaguid;
	size_t pklen;
	int r;

	out->cose_alg = req->cose_alg;
	pk = fido_cred_pubkey_ptr(cred);
	pklen = fido_cred_pubkey_len(cred);
	if (req->cose_alg == COSE_ES256) {
		/* libfido2 gives x||y; OpenSSH keys hold the SEC1 point 04||x||y. */
		if (pk == NULL || pklen != 64)
			return hk_errf(HK_ERR_DEVICE, "%s: the device returned an "
			    "ECDSA public key of %zu bytes, not 64", name, pklen);
		if ((out->pubkey = malloc(65)) == NULL)
			return HK_ERR_ALLOC;
		out->pubkey[0] = 0x04;
		memcpy(out->pubkey + 1, pk, 64);
		out->pubkey_len = 65;
	} else {
		if (pk == NULL || pklen != 32)
			return hk_errf(HK_ERR_DEVICE, "%s: the device returned an "
			    "Ed25519 public key of %zu bytes, not 32", name, pklen);
		if ((r = dup_bytes(&out->pubkey, &out->pubkey_len, pk, pklen)) != 0)
			return r;
	}
	if (fido_cred_id_ptr(cred) == NULL || fido_cred_id_len(cred) == 0)
		return hk_errf(HK_ERR_DEVICE, "%s: the device returned no "
		    "credential id (key handle)", name);
	if ((r = dup_bytes(&out->key_handle, &out->key_handle_len,
	    fido_cred_id_ptr(cred), fido_cred_id_len(cred))) != 0 ||
	    (r = dup_bytes(&out->signature, &out->signature_len,
	    fido_cred_sig_ptr(cred), fido_cred_sig_len(cred))) != 0 ||
	    (r = dup_bytes(&out->x5c, &out->x5c_len, fido_cred_x5c_ptr(cred),
	    fido_cred_x5c_len(cred))) != 0 ||
	    (r = dup_bytes(&out->authdata, &out->authdata_len,
	    fido_cred_authdata_ptr(cred), fido_cred_authdata_len(cred))) != 0)
		return r;
	if ((out->fmt = strdup(fido_cred_fmt(cred) != NULL ?
	    fido_cred_fmt(cred) : "none")) == NULL)
		return HK_ERR_ALLOC;
	aaguid = fido_cred_aaguid_ptr(cred);
	if (aaguid != NULL && fido_cred_aaguid_len(cred) == sizeof(out->aaguid))
		memcpy(out->aaguid, aaguid, sizeof(out->aaguid));
	out->sk_flags = (req->touch_required ? 0x01 : 0) |
	    (req->verify_required ? 0x04 : 0) | (req->resident ? 0x20 : 0);
	return 0;
}

/* The request as libfido2 takes it: every setter's failure named. */
static int
cred_setup(fido_cred_t *cred, fido_dev_t *dev, const char *name,
    const struct hk_fido2_cred_req *req, const uint8_t *challenge,
    size_t challenge_len, int want_uv)
{
	static const uint8_t zero_user[FIDO2_USER_ID_LEN];
	const uint8_t *uid = req->user_id != NULL ? req->user_id : zero_user;
	size_t uidlen = req->user_id != NULL ? req->user_id_len : sizeof(zero_user);
	const char *uname = req->user_name != NULL ? req->user_name : FIDO2_USER_NAME;
	int fr;

	if ((fr = fido_cred_set_type(cred, req->cose_alg)) != FIDO_OK)
		return hk_fido2_err(fr, "set the key type", name, -1);
	if ((fr = fido_cred_set_clientdata(cred, challenge, challenge_len)) != FIDO_OK)
		return hk_fido2_err(fr, "set the challenge", name, -1);
	if ((fr = fido_cred_set_rk(cred, req->resident ? FIDO_OPT_TRUE :
	    FIDO_OPT_OMIT)) != FIDO_OK)
		return hk_fido2_err(fr, "ask for a resident key", name, -1);
	/* OpenSSH: id 32 zero bytes or the user= string, names "openssh". */
	if ((fr = fido_cred_set_user(cred, uid, uidlen, uname, uname, NULL)) != FIDO_OK)
		return hk_fido2_err(fr, "set the user", name, -1);
	if ((fr = fido_cred_set_rp(cred, req->application, NULL)) != FIDO_OK)
		return hk_fido2_err(fr, "set the application", name, -1);
	if (req->resident || req->verify_required) {
		/* OpenSSH refuses to make an unprotected resident or
		 * verify-required key; so does hwkey. */
		if (!fido_dev_supports_cred_prot(dev))
			return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: the device does "
			    "not support credProtect, so a %s key would not be "
			    "protected as OpenSSH requires", name,
			    req->verify_required ? "verify-required" : "resident");
		if ((fr = fido_cred_set_prot(cred, req->verify_required ?
		    FIDO_CRED_PROT_UV_REQUIRED :
		    FIDO_CRED_PROT_UV_OPTIONAL_WITH_ID)) != FIDO_OK)
			return hk_fido2_err(fr, "set credProtect", name, -1);
	}
	if (want_uv && (fr = fido_cred_set_uv(cred, FIDO_OPT_TRUE)) != FIDO_OK)
		return hk_fido2_err(fr, "ask for user verification", name, -1);
	return 0;
}

int
hk_fido2_make_cred(fido_dev_t *dev, const char *name,
    const struct hk_fido2_cred_req *req, const char *pin, const struct hk_ui *ui,
    struct hk_fido2_cred_out *out)
{
	fido_cred_t *cred = NULL;
	uint8_t *challenge = NULL;
	size_t challenge_len;
	int fr, r, retries, want_uv = 0;

	memset(out, 0, sizeof(*out));
	if (req->cose_alg != COSE_ES256 && req->cose_alg != COSE_EDDSA)
		return hk_errf(HK_ERR_MECHANISM, "%s: COSE algorithm %d is not an "
		    "sk key type (ES256 or EdDSA)", name, req->cose_alg);
	if (req->application == NULL || strncmp(req->application, "ssh:", 4) != 0)
		return hk_errf(HK_ERR_SK_APPLICATION, "application \"%s\" does not "
		    "start with \"ssh:\"", req->application != NULL ?
		    req->application : "");
	if (req->verify_required && pin == NULL) {
		/* Built-in verification (biometrics) stands in for the PIN. */
		if (!fido_dev_has_uv(dev))
			return hk_fido2_err(fido_dev_has_pin(dev) ?
			    FIDO_ERR_PIN_REQUIRED : FIDO_ERR_PIN_NOT_SET,
			    "make a verify-required key", name, -1);
		want_uv = 1;
	}
	if (req->challenge != NULL) {
		if (req->challenge_len == 0)
			return hk_errf(HK_ERR_INVALID_ARGUMENT, "the challenge is "
			    "empty");
		challenge_len = req->challenge_len;
		if ((challenge = malloc(challenge_len)) == NULL)
			return HK_ERR_ALLOC;
		memcpy(challenge, req->challenge, challenge_len);
	} else {
		challenge_len = FIDO2_CHALLENGE_LEN;
		if ((challenge = malloc(challenge_len)) == NULL)
			return HK_ERR_ALLOC;
		if (getrandom(challenge, challenge_len, 0) != (ssize_t)challenge_len) {
			free(challenge);
			return hk_errf(HK_ERR_SYSTEM, "getrandom: %s", strerror(errno));
		}
	}
	if ((cred = fido_cred_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = cred_setup(cred, dev, name, req, challenge, challenge_len,
	    want_uv)) != 0)
		goto out;
	/*
	 * Cancellation is checked before the device is asked, not while it
	 * waits for the touch: the device's own timeout ends that wait.
	 */
	if (hk_ui_cancelled(ui)) {
		r = hk_errf(HK_ERR_CANCELLED, "%s: key generation cancelled", name);
		goto out;
	}
	hk_ui_touch(ui, "Touch your security key to make the new key");
	if ((fr = fido_dev_make_cred(dev, cred, pin)) != FIDO_OK) {
		if (fr != FIDO_ERR_PIN_INVALID ||
		    fido_dev_get_retry_count(dev, &retries) != FIDO_OK)
			retries = -1;
		r = hk_fido2_err(fr, "make the key", name, retries);
		goto out;
	}
	if ((r = cred_copy_out(cred, name, req, out)) != 0)
		goto out;
	out->challenge = challenge;
	out->challenge_len = challenge_len;
	challenge = NULL;
 out:
	if (r != 0)
		hk_fido2_cred_out_clear(out);
	free(challenge);
	fido_cred_free(&cred);
	return r;
}
