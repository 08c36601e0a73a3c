/* Resident (discoverable) credentials on a FIDO2 device: the listing the
 * token layer and the OpenSSH middleware share (hk_fido2_resident_list,
 * through authenticatorCredentialManagement with the PIN), and the backend
 * table's list_keys, find_key and delete_key over it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fido/credman.h>

#include "fido2_int.h"

/* OpenSSH's key flags (sk-api.h). */
#define SK_FLAG_UP	0x01
#define SK_FLAG_UV	0x04
#define SK_FLAG_RK	0x20

static void
rk_clear(struct hk_fido2_rk *rk)
{
	free(rk->application);
	free(rk->pubkey);
	free(rk->key_handle);
	free(rk->user_id);
	free(rk->user_name);
	memset(rk, 0, sizeof(*rk));
}

void
hk_fido2_rks_free(struct hk_fido2_rk *rks, size_t n)
{
	size_t i;

	if (rks == NULL)
		return;
	for (i = 0; i < n; i++)
		rk_clear(&rks[i]);
	free(rks);
}

static int
dup_bytes(uint8_t **dp, size_t *dlenp, const unsigned char *p, size_t len)
{
	*dp = NULL;
	*dlenp = 0;
	if (p == NULL || len == 0)
		return 0;
	if ((*dp = malloc(len)) == NULL)
		return HK_ERR_ALLOC;
	memcpy(*dp, p, len);
	*dlenp = len;
	return 0;
}

/*
 * One credential as the device's credential management returns it. The
 * public key comes as a COSE key libfido2 decodes: ES256 as x||y (64 bytes),
 * made 04||x||y here as in hk_fido2_cred_out; EdDSA as its 32 bytes.
 */
static int
rk_fill(struct hk_fido2_rk *rk, const char *rp_id, const fido_cred_t *cred)
{
	const unsigned char *pk = fido_cred_pubkey_ptr(cred);
	size_t pklen = fido_cred_pubkey_len(cred);
	const char *uname;
	int r;

	rk->cose_alg = fido_cred_type(cred);
	if (rk->cose_alg == COSE_ES256) {
		if (pk == NULL || pklen != 64)
			return hk_errf(HK_ERR_FIDO2, "resident key for %s: an "
			    "ES256 public key of %zu bytes", rp_id, pklen);
		if ((rk->pubkey = malloc(65)) == NULL)
			return HK_ERR_ALLOC;
		rk->pubkey[0] = 0x04;
		memcpy(rk->pubkey + 1, pk, 64);
		rk->pubkey_len = 65;
	} else if (rk->cose_alg == COSE_EDDSA) {
		if (pk == NULL || pklen != 32)
			return hk_errf(HK_ERR_FIDO2, "resident key for %s: an "
			    "EdDSA public key of %zu bytes", rp_id, pklen);
		if ((r = dup_bytes(&rk->pubkey, &rk->pubkey_len, pk, pklen)) != 0)
			return r;
	} else {
		/* Not a key type OpenSSH has (RS256 and others): skipped. */
		return 1;
	}
	if ((rk->application = strdup(rp_id)) == NULL)
		return HK_ERR_ALLOC;
	if ((r = dup_bytes(&rk->key_handle, &rk->key_handle_len,
	    fido_cred_id_ptr(cred), fido_cred_id_len(cred))) != 0 ||
	    (r = dup_bytes(&rk->user_id, &rk->user_id_len,
	    fido_cred_user_id_ptr(cred), fido_cred_user_id_len(cred))) != 0)
		return r;
	if (rk->key_handle == NULL)
		return hk_errf(HK_ERR_FIDO2, "resident key for %s: no credential "
		    "id", rp_id);
	uname = fido_cred_user_name(cred);
	if ((rk->user_name = strdup(uname != NULL ? uname : "")) == NULL)
		return HK_ERR_ALLOC;
	rk->cred_protect = fido_cred_prot(cred);
	rk->sk_flags = SK_FLAG_UP | SK_FLAG_RK;
	if (rk->cred_protect == FIDO_CRED_PROT_UV_REQUIRED)
		rk->sk_flags |= SK_FLAG_UV;
	return 0;
}

int
hk_fido2_dev_err(fido_dev_t *dev, int fr, const char *what, const char *name)
{
	int retries = -1;

	/* The count is worth the round trip only after a wrong PIN. */
	if (fr == FIDO_ERR_PIN_INVALID && dev != NULL &&
	    fido_dev_get_retry_count(dev, &retries) != FIDO_OK)
		retries = -1;
	return hk_fido2_err(fr, what, name, retries);
}

/* Credential management answers: "not supported" in the words of the user. */
static int
credman_err(fido_dev_t *dev, int fr, const char *what, const char *name)
{
	if (fr == FIDO_ERR_INVALID_COMMAND || fr == FIDO_ERR_UNSUPPORTED_OPTION)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: %s: the device has no "
		    "credential management, so its resident keys cannot be listed",
		    name, what);
	return hk_fido2_dev_err(dev, fr, what, name);
}

int
hk_fido2_resident_list(fido_dev_t *dev, const char *name, const char *pin,
    struct hk_fido2_rk **rksp, size_t *np)
{
	fido_credman_metadata_t *meta = NULL;
	fido_credman_rp_t *rp = NULL;
	fido_credman_rk_t *rk = NULL;
	struct hk_fido2_rk *rks = NULL, *nr;
	const char *rp_id;
	size_t i, j, n = 0, cap = 0;
	int fr, r = 0;

	*rksp = NULL;
	*np = 0;
	if (name == NULL)
		name = "security key";
	if (!fido_dev_supports_credman(dev))
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: the device has no "
		    "credential management (CTAP 2.1 credMgmt), so its resident "
		    "keys cannot be listed", name);
	if ((meta = fido_credman_metadata_new()) == NULL ||
	    (rp = fido_credman_rp_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	/* The metadata call first: a wrong PIN fails here, before anything else. */
	if ((fr = fido_credman_get_dev_metadata(dev, meta, pin)) != FIDO_OK) {
		r = credman_err(dev, fr, "read its resident keys", name);
		goto out;
	}
	if (fido_credman_rk_existing(meta) == 0)
		goto out;
	if ((fr = fido_credman_get_dev_rp(dev, rp, pin)) != FIDO_OK) {
		r = credman_err(dev, fr, "list the applications of its resident "
		    "keys", name);
		goto out;
	}
	for (i = 0; i < fido_credman_rp_count(rp) && r == 0; i++) {
		rp_id = fido_credman_rp_id(rp, i);
		/* Only OpenSSH's: web sites' passkeys are none of hwkey's business. */
		if (rp_id == NULL || strncasecmp(rp_id, "ssh:", 4) != 0)
			continue;
		fido_credman_rk_free(&rk);
		if ((rk = fido_credman_rk_new()) == NULL) {
			r = HK_ERR_ALLOC;
			break;
		}
		if ((fr = fido_credman_get_dev_rk(dev, rp_id, rk, pin)) != FIDO_OK) {
			r = credman_err(dev, fr, "list its resident keys", name);
			break;
		}
		for (j = 0; j < fido_credman_rk_count(rk); j++) {
			if (n == cap) {
				cap = cap == 0 ? 8 : 2 * cap;
				if ((nr = reallocarray(rks, cap, sizeof(*rks))) == NULL) {
					r = HK_ERR_ALLOC;
					break;
				}
				rks = nr;
			}
			memset(&rks[n], 0, sizeof(rks[n]));
			r = rk_fill(&rks[n], rp_id, fido_credman_rk(rk, j));
			if (r == 1) {
				rk_clear(&rks[n]);
				r = 0;
				continue;
			}
			n++;
			if (r != 0)
				break;
		}
	}
 out:
	fido_credman_rk_free(&rk);
	fido_credman_rp_free(&rp);
	fido_credman_metadata_free(&meta);
	if (r != 0) {
		hk_fido2_rks_free(rks, n);
		return r;
	}
	*rksp = rks;
	*np = n;
	return 0;
}
