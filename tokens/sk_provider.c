/* libhwkey-sk.so: an OpenSSH SecurityKeyProvider over hwkey's FIDO2 backend,
 * so ssh, ssh-keygen and ssh-agent (through ssh-sk-helper) reach every device
 * hwkey reaches, fido:unix: sockets included. Only the four sk_* entry points
 * are exported. It never writes to stdout: ssh-sk-helper speaks its protocol
 * there. With HWKEY_SK_DEBUG set it says what it does on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fido2_int.h"
#include "sk-api.h"
#include "ui.h"

#define SK_EXPORT	__attribute__((visibility("default")))

/* The device when ssh names none: fido:PATH or fido:unix:SOCKET. */
#define SK_DEVICE_ENV	"HWKEY_SK_DEVICE"
#define SK_DEBUG_ENV	"HWKEY_SK_DEBUG"

/* OpenSSH's user id: the "user" option, NUL-padded to 32 bytes. */
#define SK_USER_ID_LEN	32

static int
prov_debugging(void)
{
	const char *d = getenv(SK_DEBUG_ENV);

	return d != NULL && d[0] != '\0' && strcmp(d, "0") != 0;
}

static void prov_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
prov_debug(const char *fmt, ...)
{
	va_list ap;

	if (!prov_debugging())
		return;
	va_start(ap, fmt);
	fputs("libhwkey-sk: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void
prov_touch(void *arg, const char *prompt)
{
	(void)arg;
	prov_debug("%s", prompt);
}

/* ssh shows its own touch notice; the library's prompt is debug output. */
static const struct hk_ui prov_ui = { .touch = prov_touch };

/*
 * A failure as OpenSSH understands it: PIN_REQUIRED makes ssh and ssh-keygen
 * ask for the PIN and try again (a wrong PIN too, as OpenSSH's own
 * middleware does), DEVICE_NOT_FOUND and CREDENTIAL_EXISTS get their own
 * messages. The detail goes to the debug output.
 */
static int
prov_fail(const char *what, int r)
{
	struct hk_error e;

	hk_error_take(&e, r);
	prov_debug("%s: %s (%s)", what, hk_error_message(&e), hk_err_name(r));
	switch (r) {
	case HK_ERR_PIN_REQUIRED:
	case HK_ERR_PIN_INCORRECT:
		return SSH_SK_ERR_PIN_REQUIRED;
	case HK_ERR_TOKEN_ABSENT:
	case HK_ERR_TOKEN_NOT_FOUND:
	case HK_ERR_TOKEN_URI:
	case HK_ERR_DEVICE_PERMISSION:
		return SSH_SK_ERR_DEVICE_NOT_FOUND;
	case HK_ERR_CREDENTIAL_EXISTS:
		return SSH_SK_ERR_CREDENTIAL_EXISTS;
	case HK_ERR_MECHANISM:
	case HK_ERR_NOT_SUPPORTED:
		return SSH_SK_ERR_UNSUPPORTED;
	}
	return SSH_SK_ERR_GENERAL;
}

/* Options ssh passes; any other one that is marked required is refused. */
static int
prov_options(struct sk_option **options, const char **devicep, const char **userp)
{
	size_t i;

	*devicep = NULL;
	if (userp != NULL)
		*userp = NULL;
	for (i = 0; options != NULL && options[i] != NULL; i++) {
		if (options[i]->name == NULL)
			continue;
		if (strcmp(options[i]->name, "device") == 0)
			*devicep = options[i]->value;
		else if (strcmp(options[i]->name, "user") == 0) {
			if (userp != NULL)	/* only enrolment names a user */
				*userp = options[i]->value;
		}
		else if (options[i]->required) {
			prov_debug("option \"%s\" is not supported", options[i]->name);
			return SSH_SK_ERR_UNSUPPORTED;
		}
	}
	return 0;
}

/*
 * Open the device: ssh's "device" option, else $HWKEY_SK_DEVICE, else the
 * first device hwkey finds. A bare path ("/dev/hidraw3") means fido:PATH.
 */
static int
prov_open(const char *device, fido_dev_t **devp, char **namep)
{
	char **names = NULL, **products = NULL, **mfrs = NULL;
	const char *env;
	char *name = NULL;
	int r;

	*devp = NULL;
	*namep = NULL;
	if (device == NULL && (env = getenv(SK_DEVICE_ENV)) != NULL && env[0] != '\0')
		device = env;
	if (device != NULL) {
		if (strncmp(device, HK_FIDO2_SCHEME, strlen(HK_FIDO2_SCHEME)) == 0)
			name = strdup(device);
		else if (asprintf(&name, "%s%s", HK_FIDO2_SCHEME, device) < 0)
			name = NULL;
		if (name == NULL)
			return prov_fail("open", HK_ERR_ALLOC);
	} else {
		if ((r = hk_fido2_find(&names, &products, &mfrs)) != 0)
			return prov_fail("find a security key", r);
		r = names[0] == NULL ? HK_ERR_TOKEN_NOT_FOUND :
		    (name = strdup(names[0])) == NULL ? HK_ERR_ALLOC : 0;
		hk_strv_free(names);
		hk_strv_free(products);
		hk_strv_free(mfrs);
		if (r == HK_ERR_TOKEN_NOT_FOUND)
			return prov_fail("open", hk_errf(r, "no FIDO2 device found "
			    "(name one with %s=fido:PATH or fido:unix:SOCKET)",
			    SK_DEVICE_ENV));
		if (r != 0)
			return prov_fail("open", r);
	}
	prov_debug("device %s", name);
	if ((r = hk_fido2_dev_open(name, devp)) != 0) {
		free(name);
		return prov_fail("open", r);
	}
	*namep = name;
	return 0;
}

static void
prov_close(fido_dev_t **devp, char **namep)
{
	hk_fido2_dev_close(devp);
	free(*namep);
	*namep = NULL;
}

static int
prov_cose_alg(uint32_t alg)
{
	switch (alg) {
	case SSH_SK_ECDSA:
		return COSE_ES256;
	case SSH_SK_ED25519:
		return COSE_EDDSA;
	}
	return 0;
}

/* A malloc'd copy OpenSSH can free(); NULL for nothing. */
static int
prov_dup(const uint8_t *p, size_t len, uint8_t **dstp, size_t *lenp)
{
	*dstp = NULL;
	*lenp = 0;
	if (p == NULL || len == 0)
		return 0;
	if ((*dstp = malloc(len)) == NULL)
		return -1;
	memcpy(*dstp, p, len);
	*lenp = len;
	return 0;
}

static void
prov_enroll_response_clear(struct sk_enroll_response *er)
{
	free(er->public_key);
	free(er->key_handle);
	free(er->signature);
	free(er->attestation_cert);
	free(er->authdata);
	memset(er, 0, sizeof(*er));
}

SK_EXPORT uint32_t
sk_api_version(void)
{
	return SSH_SK_VERSION_MAJOR;
}

SK_EXPORT int
sk_enroll(uint32_t alg, const uint8_t *challenge, size_t challenge_len,
    const char *application, uint8_t flags, const char *pin,
    struct sk_option **options, struct sk_enroll_response **enroll_response)
{
	struct hk_fido2_cred_out out = { 0 };
	struct hk_fido2_cred_req req = { 0 };
	struct hk_fido2_attest_req areq = { 0 };
	struct hk_token_proof proof = { 0 };
	struct sk_enroll_response *er = NULL;
	uint8_t user_id[SK_USER_ID_LEN] = { 0 };
	const char *device, *user;
	fido_dev_t *dev = NULL;
	char *name = NULL;
	int r, ret;

	if (enroll_response == NULL)
		return SSH_SK_ERR_GENERAL;
	*enroll_response = NULL;
	if ((req.cose_alg = prov_cose_alg(alg)) == 0) {
		prov_debug("enroll: unsupported algorithm %u", alg);
		return SSH_SK_ERR_UNSUPPORTED;
	}
	if (application == NULL || strncmp(application, "ssh:", 4) != 0) {
		prov_debug("enroll: application \"%s\" does not start with \"ssh:\"",
		    application != NULL ? application : "");
		return SSH_SK_ERR_GENERAL;
	}
	if ((ret = prov_options(options, &device, &user)) != 0)
		return ret;
	if (user != NULL)
		strncpy((char *)user_id, user, sizeof(user_id) - 1);
	if ((ret = prov_open(device, &dev, &name)) != 0)
		return ret;
	/* Like OpenSSH: never silently replace a resident key unless forced. */
	if ((flags & SSH_SK_RESIDENT_KEY) && !(flags & SSH_SK_FORCE_OPERATION) &&
	    (r = hk_fido2_rk_exists(dev, name, application, user_id,
	    sizeof(user_id), pin)) != 0) {
		ret = prov_fail("enroll", r);
		goto out;
	}
	req.application = application;
	req.challenge = challenge;
	req.challenge_len = challenge_len;
	req.user_id = user_id;
	req.user_id_len = sizeof(user_id);
	req.user_name = "openssh";
	req.resident = (flags & SSH_SK_RESIDENT_KEY) != 0;
	req.verify_required = (flags & SSH_SK_USER_VERIFICATION_REQD) != 0;
	req.touch_required = (flags & SSH_SK_USER_PRESENCE_REQD) != 0;
	if ((r = hk_fido2_make_cred(dev, name, &req, pin, &prov_ui, &out)) != 0) {
		ret = prov_fail("enroll", r);
		goto out;
	}
	/*
	 * As OpenSSH's own middleware: the attestation signature must verify
	 * (self attestation allowed, no chain check: ssh-keygen's
	 * -O write-attestation leaves that to whoever trusts the vendor).
	 */
	areq.application = application;
	areq.verify_required = req.verify_required;
	areq.touch_required = req.touch_required;
	areq.allow_self = 1;
	r = hk_fido2_attest_verify(name, &out, &areq, &proof);
	hk_token_proof_clear(&proof);
	if (r != 0) {
		ret = prov_fail("enroll", r);
		goto out;
	}
	if ((er = calloc(1, sizeof(*er))) == NULL ||
	    prov_dup(out.pubkey, out.pubkey_len, &er->public_key, &er->public_key_len) != 0 ||
	    prov_dup(out.key_handle, out.key_handle_len, &er->key_handle,
	    &er->key_handle_len) != 0 ||
	    prov_dup(out.signature, out.signature_len, &er->signature,
	    &er->signature_len) != 0 ||
	    prov_dup(out.x5c, out.x5c_len, &er->attestation_cert,
	    &er->attestation_cert_len) != 0 ||
	    prov_dup(out.authdata, out.authdata_len, &er->authdata,
	    &er->authdata_len) != 0) {
		ret = prov_fail("enroll", HK_ERR_ALLOC);
		goto out;
	}
	if (er->key_handle == NULL || er->public_key_len !=
	    (req.cose_alg == COSE_ES256 ? 65u : 32u)) {
		prov_debug("enroll: the device returned a %zu-byte public key and "
		    "%zu-byte key handle", er->public_key_len, er->key_handle_len);
		ret = SSH_SK_ERR_GENERAL;
		goto out;
	}
	er->flags = flags;
	prov_debug("enroll: made a %s key for %s (%zu-byte key handle)",
	    alg == SSH_SK_ECDSA ? "ecdsa-sk" : "ed25519-sk", application,
	    er->key_handle_len);
	*enroll_response = er;
	er = NULL;
	ret = 0;
 out:
	if (er != NULL) {
		prov_enroll_response_clear(er);
		free(er);
	}
	hk_fido2_cred_out_clear(&out);
	prov_close(&dev, &name);
	return ret;
}

SK_EXPORT int
sk_sign(uint32_t alg, const uint8_t *data, size_t data_len,
    const char *application, const uint8_t *key_handle, size_t key_handle_len,
    uint8_t flags, const char *pin, struct sk_option **options,
    struct sk_sign_response **sign_response)
{
	struct hk_fido2_sig sig = { 0 };
	struct sk_sign_response *sr;
	const char *device;
	fido_dev_t *dev = NULL;
	char *name = NULL;
	int cose, r, ret;

	if (sign_response == NULL)
		return SSH_SK_ERR_GENERAL;
	*sign_response = NULL;
	if ((cose = prov_cose_alg(alg)) == 0) {
		prov_debug("sign: unsupported algorithm %u", alg);
		return SSH_SK_ERR_UNSUPPORTED;
	}
	if ((ret = prov_options(options, &device, NULL)) != 0)
		return ret;
	if ((ret = prov_open(device, &dev, &name)) != 0)
		return ret;
	if ((r = hk_fido2_sign(dev, name, cose, application, key_handle,
	    key_handle_len, data, data_len, flags, pin, &prov_ui, &sig)) != 0) {
		ret = prov_fail("sign", r);
		goto out;
	}
	if ((sr = calloc(1, sizeof(*sr))) == NULL) {
		ret = prov_fail("sign", HK_ERR_ALLOC);
		goto out;
	}
	/* hk_fido2_sig's buffers are plain malloc: hand them over. */
	sr->flags = sig.sk_flags;
	sr->counter = sig.counter;
	sr->sig_r = sig.sig_r;
	sr->sig_r_len = sig.sig_r_len;
	sr->sig_s = sig.sig_s;
	sr->sig_s_len = sig.sig_s_len;
	memset(&sig, 0, sizeof(sig));
	prov_debug("sign: flags 0x%02x, counter %u", sr->flags, sr->counter);
	*sign_response = sr;
	ret = 0;
 out:
	hk_fido2_sig_clear(&sig);
	prov_close(&dev, &name);
	return ret;
}

static void
prov_resident_key_free(struct sk_resident_key *rk)
{
	if (rk == NULL)
		return;
	free(rk->application);
	prov_enroll_response_clear(&rk->key);
	free(rk->user_id);
	free(rk);
}

SK_EXPORT int
sk_load_resident_keys(const char *pin, struct sk_option **options,
    struct sk_resident_key ***rksp, size_t *nrksp)
{
	struct sk_resident_key **rks = NULL, *rk;
	struct hk_fido2_rk *list = NULL;
	const char *device;
	fido_dev_t *dev = NULL;
	char *name = NULL;
	size_t i, n = 0, nrks = 0;
	int r, ret;

	if (rksp == NULL || nrksp == NULL)
		return SSH_SK_ERR_GENERAL;
	*rksp = NULL;
	*nrksp = 0;
	if ((ret = prov_options(options, &device, NULL)) != 0)
		return ret;
	if ((ret = prov_open(device, &dev, &name)) != 0)
		return ret;
	if ((r = hk_fido2_resident_list(dev, name, pin, &list, &n)) != 0) {
		ret = prov_fail("load resident keys", r);
		goto out;
	}
	if ((rks = calloc(n + 1, sizeof(*rks))) == NULL) {
		ret = prov_fail("load resident keys", HK_ERR_ALLOC);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (list[i].cose_alg != COSE_ES256 && list[i].cose_alg != COSE_EDDSA) {
			prov_debug("resident key %zu of %s: COSE algorithm %d skipped",
			    i, list[i].application, list[i].cose_alg);
			continue;
		}
		if ((rk = calloc(1, sizeof(*rk))) == NULL) {
			ret = prov_fail("load resident keys", HK_ERR_ALLOC);
			goto out;
		}
		rks[nrks++] = rk;
		rk->alg = list[i].cose_alg == COSE_ES256 ? SSH_SK_ECDSA : SSH_SK_ED25519;
		rk->slot = i;
		rk->flags = list[i].sk_flags;
		rk->key.flags = list[i].sk_flags;
		if ((rk->application = strdup(list[i].application != NULL ?
		    list[i].application : "ssh:")) == NULL ||
		    prov_dup(list[i].pubkey, list[i].pubkey_len, &rk->key.public_key,
		    &rk->key.public_key_len) != 0 ||
		    prov_dup(list[i].key_handle, list[i].key_handle_len,
		    &rk->key.key_handle, &rk->key.key_handle_len) != 0 ||
		    prov_dup(list[i].user_id, list[i].user_id_len, &rk->user_id,
		    &rk->user_id_len) != 0) {
			ret = prov_fail("load resident keys", HK_ERR_ALLOC);
			goto out;
		}
	}
	prov_debug("%zu resident keys", nrks);
	*rksp = rks;
	*nrksp = nrks;
	rks = NULL;
	ret = 0;
 out:
	for (i = 0; rks != NULL && i < nrks; i++)
		prov_resident_key_free(rks[i]);
	free(rks);
	hk_fido2_rks_free(list, n);
	prov_close(&dev, &name);
	return ret;
}
