/* Making an SSH credential on a FIDO2 device as OpenSSH's sk-usbhid.c
 * sk_enroll does (reference tokens.md §3), and the token layer's keygen over
 * it: the sk public key, the key handle and the verified attestation. */
#include <sys/random.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fido/credman.h>

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

/*
 * While the device waits for the touch, a watcher polls ui->cancelled and
 * sends CTAPHID_CANCEL (fido_dev_cancel): the device then answers
 * KEEPALIVE_CANCEL and make_cred returns HK_ERR_CANCELLED.
 */
struct cancel_watch {
	fido_dev_t *dev;
	const struct hk_ui *ui;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
	int fired;
};

#define CANCEL_POLL_MS	100

static void *
cancel_watch_run(void *arg)
{
	struct cancel_watch *w = arg;
	struct timespec ts;

	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += CANCEL_POLL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		if (!w->done && !w->fired && hk_ui_cancelled(w->ui)) {
			w->fired = 1;
			(void)fido_dev_cancel(w->dev);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* fido_dev_make_cred, cancellable through ui->cancelled when it is set. */
static int
make_cred_watched(fido_dev_t *dev, fido_cred_t *cred, const char *pin,
    const struct hk_ui *ui)
{
	struct cancel_watch w;
	pthread_t th;
	int fr;

	if (ui == NULL || ui->cancelled == NULL)
		return fido_dev_make_cred(dev, cred, pin);
	memset(&w, 0, sizeof(w));
	w.dev = dev;
	w.ui = ui;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	if (pthread_create(&th, NULL, cancel_watch_run, &w) != 0) {
		/* No watcher: the device's own timeout ends the wait. */
		pthread_cond_destroy(&w.cv);
		pthread_mutex_destroy(&w.mu);
		return fido_dev_make_cred(dev, cred, pin);
	}
	fr = fido_dev_make_cred(dev, cred, pin);
	pthread_mutex_lock(&w.mu);
	w.done = 1;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mu);
	pthread_join(th, NULL);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	if (w.fired && fr != FIDO_OK)
		fr = FIDO_ERR_KEEPALIVE_CANCEL;
	return fr;
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
	r = hk_fido2_pubkey_copy(req->cose_alg, pk, pklen, &out->pubkey, &out->pubkey_len);
	if (r == 1)
		return hk_errf(HK_ERR_DEVICE, "%s: the device returned an %s public key "
		    "of %zu bytes, not %d", name, req->cose_alg == COSE_ES256 ? "ECDSA" :
		    "Ed25519", pklen, req->cose_alg == COSE_ES256 ? 64 : 32);
	if (r != 0)
		return r;
	if (fido_cred_id_ptr(cred) == NULL || fido_cred_id_len(cred) == 0)
		return hk_errf(HK_ERR_DEVICE, "%s: the device returned no "
		    "credential id (key handle)", name);
	if ((r = hk_fido2_dup_bytes(&out->key_handle, &out->key_handle_len,
	    fido_cred_id_ptr(cred), fido_cred_id_len(cred))) != 0 ||
	    (r = hk_fido2_dup_bytes(&out->signature, &out->signature_len,
	    fido_cred_sig_ptr(cred), fido_cred_sig_len(cred))) != 0 ||
	    (r = hk_fido2_dup_bytes(&out->x5c, &out->x5c_len, fido_cred_x5c_ptr(cred),
	    fido_cred_x5c_len(cred))) != 0 ||
	    (r = hk_fido2_dup_bytes(&out->authdata, &out->authdata_len,
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
	if (hk_ui_cancelled(ui)) {
		r = hk_errf(HK_ERR_CANCELLED, "%s: key generation cancelled", name);
		goto out;
	}
	hk_ui_touch(ui, "Touch your security key to make the new key");
	if ((fr = make_cred_watched(dev, cred, pin, ui)) == FIDO_ERR_KEEPALIVE_CANCEL) {
		r = hk_errf(HK_ERR_CANCELLED, "%s: key generation cancelled while the "
		    "device waited for a touch; no key was made", name);
		goto out;
	}
	if (fr != FIDO_OK) {
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

/* The PIN, asked through the token's ui ("PIN for security key NAME"). */
static int
fido2_pin_ask(struct hk_token *tok, const char *name, struct hk_secret **pinp)
{
	const struct hk_token_fido2_info *f = tok->info->fido2;
	char prompt[512];

	snprintf(prompt, sizeof(prompt), "PIN for security key %s%s", name,
	    f != NULL && f->pin_retries == 1 ? " (final try before it is blocked)" :
	    f != NULL && f->pin_retries > 0 && f->pin_retries < 4 ?
	    " (few tries left)" : "");
	return hk_token_ask(tok, HK_UI_SECRET_PIN, prompt, pinp);
}

/* The new key as the token layer gives it: sk public key, handle, proof. */
static int
fido2_key_build(struct hk_token *tok, const struct hk_keygen_req *req,
    enum hk_key_type type, struct hk_fido2_cred_out *out,
    struct hk_token_key **keyp)
{
	struct hk_token_key *k;
	int r;

	*keyp = NULL;
	if ((k = hk_token_key_new(tok->impl)) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_key_from_sk(type, out->pubkey, out->pubkey_len,
	    hk_keygen_req_application(req), &k->key)) != 0 ||
	    (r = hk_key_set_comment(k->key, hk_keygen_req_label(req))) != 0)
		goto out;
	if ((k->label = strdup(hk_keygen_req_label(req))) == NULL ||
	    (k->id_hex = hk_token_hex(out->key_handle, out->key_handle_len)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	k->id = out->key_handle;
	k->idlen = out->key_handle_len;
	out->key_handle = NULL;
	out->key_handle_len = 0;
	k->sk_flags = out->sk_flags;
	k->has_private = 1;
	k->has_public = 1;
	*keyp = k;
	k = NULL;
 out:
	hk_token_key_free(k);
	return r;
}

/*
 * A credential that failed its attestation must not stay behind as a
 * resident key taking a slot: remove it (best effort, it needs the PIN).
 */
static void
fido2_discard(fido_dev_t *dev, const struct hk_fido2_cred_out *out,
    const struct hk_fido2_cred_req *cr, const struct hk_secret *pin)
{
	if (!cr->resident || pin == NULL || out->key_handle == NULL)
		return;
	(void)fido_credman_del_dev_rk(dev, out->key_handle, out->key_handle_len,
	    hk_secret_str(pin));
}

int
hk_fido2_keygen(struct hk_token *tok, const struct hk_keygen_req *req,
    struct hk_token_key **keyp)
{
	struct hk_fido2_tok *ft = tok->be;
	const struct hk_token_fido2_info *f = tok->info->fido2;
	struct hk_fido2_cred_req cr;
	struct hk_fido2_cred_out out;
	struct hk_fido2_attest_req ar;
	struct hk_token_proof proof;
	struct hk_secret *pin = NULL;
	struct hk_token_key *k = NULL;
	enum hk_kind kind = hk_keygen_req_kind(req);
	enum hk_key_type type;
	uint8_t uid[FIDO2_USER_ID_LEN];
	size_t uidlen = hk_keygen_req_user_id_len(req);
	int r;

	*keyp = NULL;
	memset(&out, 0, sizeof(out));
	memset(&proof, 0, sizeof(proof));
	memset(&cr, 0, sizeof(cr));
	if (kind == HK_KIND_ECDSA_SK) {
		cr.cose_alg = COSE_ES256;
		type = HK_KEY_ECDSA_SK;
	} else if (kind == HK_KIND_ED25519_SK) {
		cr.cose_alg = COSE_EDDSA;
		type = HK_KEY_ED25519_SK;
	} else
		return hk_errf(HK_ERR_MECHANISM, "%s: a FIDO2 device makes ecdsa-sk "
		    "and ed25519-sk keys, not %s", ft->name, hk_key_kind_name(kind));
	if (!hk_token_info_can_make(tok->info, kind))
		return hk_errf(HK_ERR_MECHANISM, "%s: the device does not support "
		    "%s keys (its algorithms are in hwkey tokens)", ft->name,
		    hk_key_kind_name(kind));
	if (hk_keygen_req_resident(req) && hk_token_fido2_option(f, "rk") != 1)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: the device does not store "
		    "resident keys (option rk is not set); drop --resident", ft->name);
	/* OpenSSH: the user id is the user= string in 32 zeroed bytes. */
	if (uidlen >= sizeof(uid))
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "--user is %zu bytes; OpenSSH "
		    "keeps at most %zu", uidlen, sizeof(uid) - 1);
	memset(uid, 0, sizeof(uid));
	if (uidlen > 0)
		memcpy(uid, hk_keygen_req_user_id_ptr(req), uidlen);
	cr.application = hk_keygen_req_application(req);
	cr.challenge = hk_keygen_req_challenge_ptr(req);
	cr.challenge_len = hk_keygen_req_challenge_len(req);
	cr.user_id = uid;
	cr.user_id_len = sizeof(uid);
	cr.resident = hk_keygen_req_resident(req);
	cr.verify_required = hk_keygen_req_user_verification(req);
	cr.touch_required = hk_keygen_req_touch_required(req);

	/* A device with a PIN wants it for makeCredential (CTAP 2.0 5.1). */
	if (f != NULL && f->has_pin && (r = fido2_pin_ask(tok, ft->name, &pin)) != 0)
		goto out;
	/* OpenSSH's SSH_SK_ERR_CREDENTIAL_EXISTS: never replace one unasked. */
	if (cr.resident && !hk_keygen_req_force(req) &&
	    (r = hk_fido2_rk_exists(ft->dev, ft->name, cr.application, uid,
	    sizeof(uid), pin != NULL ? hk_secret_str(pin) : NULL)) != 0)
		goto out;
	r = hk_fido2_make_cred(ft->dev, ft->name, &cr,
	    pin != NULL ? hk_secret_str(pin) : NULL, tok->ui, &out);
	if (r == HK_ERR_PIN_REQUIRED && pin == NULL && f != NULL && f->has_pin == 0 &&
	    fido_dev_has_pin(ft->dev)) {
		/* A PIN set since the info was read. */
		hk_err_clear();
		if ((r = fido2_pin_ask(tok, ft->name, &pin)) != 0)
			goto out;
		r = hk_fido2_make_cred(ft->dev, ft->name, &cr,
		    hk_secret_str(pin), tok->ui, &out);
	}
	if (r != 0)
		goto out;
	ar.application = cr.application;
	ar.verify_required = cr.verify_required;
	ar.touch_required = cr.touch_required;
	ar.roots = hk_keygen_req_attestation_roots(req);
	ar.allow_self = hk_keygen_req_allow_self_attestation(req);
	if ((r = hk_fido2_attest_verify(ft->name, &out, &ar, &proof)) != 0) {
		fido2_discard(ft->dev, &out, &cr, pin);
		goto out;
	}
	if ((r = fido2_key_build(tok, req, type, &out, &k)) != 0)
		goto out;
	k->proof = proof;
	memset(&proof, 0, sizeof(proof));
	*keyp = k;
	r = 0;
 out:
	hk_token_proof_clear(&proof);
	hk_fido2_cred_out_clear(&out);
	hk_secret_free(pin);
	return r;
}
