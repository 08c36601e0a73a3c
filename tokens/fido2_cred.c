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
	/* Not a key type OpenSSH has (RS256 and others): skipped. */
	if (rk->cose_alg != COSE_ES256 && rk->cose_alg != COSE_EDDSA)
		return 1;
	r = hk_fido2_pubkey_copy(rk->cose_alg, pk, pklen, &rk->pubkey, &rk->pubkey_len);
	if (r == 1)
		return hk_errf(HK_ERR_FIDO2, "resident key for %s: an %s public key "
		    "of %zu bytes", rp_id, rk->cose_alg == COSE_ES256 ? "ES256" : "EdDSA",
		    pklen);
	if (r != 0)
		return r;
	if ((rk->application = strdup(rp_id)) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_fido2_dup_bytes(&rk->key_handle, &rk->key_handle_len,
	    fido_cred_id_ptr(cred), fido_cred_id_len(cred))) != 0 ||
	    (r = hk_fido2_dup_bytes(&rk->user_id, &rk->user_id_len,
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

char *
hk_fido2_rk_user(const uint8_t *user_id, size_t len)
{
	size_t n = len, i;
	int text = 1;
	char *s;

	while (n > 0 && user_id[n - 1] == 0)
		n--;
	for (i = 0; i < n; i++)
		if (user_id[i] < 0x21 || user_id[i] > 0x7e || user_id[i] == '/' ||
		    user_id[i] == '\\')
			text = 0;
	if (text && n >= 2 && memmem(user_id, n, "..", 2) != NULL)
		text = 0;
	if (!text)
		return hk_token_hex(user_id, n);
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, user_id, n);
	s[n] = '\0';
	return s;
}

/* Equal as OpenSSH compares user ids: both zero-padded to the longer one. */
static int
user_id_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i, n = alen > blen ? alen : blen;

	for (i = 0; i < n; i++)
		if ((i < alen ? a[i] : 0) != (i < blen ? b[i] : 0))
			return 0;
	return 1;
}

/* OpenSSH's own lookup: an assertion without user presence, no touch needed. */
static int
rk_exists_assert(fido_dev_t *dev, const char *application, const uint8_t *user_id,
    size_t user_id_len, const char *pin)
{
	fido_assert_t *as;
	uint8_t cdh[32];
	size_t i;
	int fr, found = 0;

	memset(cdh, 0, sizeof(cdh));
	if ((as = fido_assert_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((fr = fido_assert_set_clientdata_hash(as, cdh, sizeof(cdh))) == FIDO_OK &&
	    (fr = fido_assert_set_rp(as, application)) == FIDO_OK &&
	    (fr = fido_assert_set_up(as, FIDO_OPT_FALSE)) == FIDO_OK)
		fr = fido_dev_get_assert(dev, as, pin);
	if (fr == FIDO_OK) {
		for (i = 0; i < fido_assert_count(as) && !found; i++)
			found = user_id_equal(fido_assert_user_id_ptr(as, i),
			    fido_assert_user_id_len(as, i), user_id, user_id_len);
	}
	fido_assert_free(&as);
	if (fr == FIDO_ERR_PIN_INVALID || fr == FIDO_ERR_PIN_BLOCKED ||
	    fr == FIDO_ERR_PIN_AUTH_BLOCKED)
		return hk_fido2_dev_err(dev, fr, "look for an existing resident key",
		    NULL);
	return found;
}

int
hk_fido2_rk_exists(fido_dev_t *dev, const char *name, const char *application,
    const uint8_t *user_id, size_t user_id_len, const char *pin)
{
	static const uint8_t zero[32];
	struct hk_fido2_rk *rks = NULL;
	size_t n = 0, i;
	int r, found = 0;

	if (user_id == NULL) {
		user_id = zero;
		user_id_len = sizeof(zero);
	}
	if (pin != NULL && fido_dev_supports_credman(dev)) {
		r = hk_fido2_resident_list(dev, name, pin, &rks, &n);
		if (r == HK_ERR_ALLOC || r == HK_ERR_PIN_INCORRECT ||
		    r == HK_ERR_PIN_LOCKED || r == HK_ERR_PIN_AUTH_BLOCKED)
			return r;
		if (r == 0) {
			for (i = 0; i < n && !found; i++)
				found = strcmp(rks[i].application, application) == 0 &&
				    user_id_equal(rks[i].user_id, rks[i].user_id_len,
				    user_id, user_id_len);
			hk_fido2_rks_free(rks, n);
			goto out;
		}
		hk_err_clear();
	}
	if ((found = rk_exists_assert(dev, application, user_id, user_id_len,
	    pin)) < 0)
		return found;
 out:
	if (found)
		return hk_fido2_err(FIDO_ERR_CREDENTIAL_EXCLUDED, "make a resident "
		    "key", name, -1);
	hk_err_clear();
	return 0;
}

/* "ssh:backup alice": the application, then the user when there is one. */
static char *
rk_label(const struct hk_fido2_rk *rk)
{
	char *user, *label;

	if ((user = hk_fido2_rk_user(rk->user_id, rk->user_id_len)) == NULL)
		return NULL;
	if (user[0] == '\0') {
		free(user);
		return strdup(rk->application);
	}
	if (asprintf(&label, "%s %s", rk->application, user) < 0)
		label = NULL;
	free(user);
	return label;
}

/* What a resident key is as a token key: id the credential id, the sk public key. */
static int
rk_to_key(const struct hk_fido2_rk *rk, struct hk_token_key **keyp)
{
	struct hk_token_key *k;
	enum hk_key_type type;
	int r;

	*keyp = NULL;
	if ((k = hk_token_key_new(&hk_token_fido2)) == NULL)
		return HK_ERR_ALLOC;
	if ((k->id = malloc(rk->key_handle_len)) == NULL ||
	    (k->id_hex = hk_token_hex(rk->key_handle, rk->key_handle_len)) == NULL ||
	    (k->label = rk_label(rk)) == NULL) {
		hk_token_key_free(k);
		return HK_ERR_ALLOC;
	}
	memcpy(k->id, rk->key_handle, rk->key_handle_len);
	k->idlen = rk->key_handle_len;
	type = rk->cose_alg == COSE_EDDSA ? HK_KEY_ED25519_SK : HK_KEY_ECDSA_SK;
	if ((r = hk_key_from_sk(type, rk->pubkey, rk->pubkey_len, rk->application,
	    &k->key)) != 0) {
		/* Listed all the same, with why it cannot be used. */
		hk_err_clear();
		k->key = NULL;
		k->error = "the device returned a public key that does not decode";
	} else if ((r = hk_key_set_comment(k->key, k->label)) != 0) {
		hk_token_key_free(k);
		return r;
	}
	/* The private half is on the device: that is what a credential is. */
	k->has_private = 1;
	k->has_public = 1;
	k->sk_flags = rk->sk_flags;
	*keyp = k;
	return 0;
}

int
hk_fido2_op_list_keys(struct hk_token *tok, struct hk_token_key ***keysp, size_t *np)
{
	struct hk_fido2_tok *ft = tok->be;
	struct hk_fido2_rk *rks = NULL;
	struct hk_token_key **keys;
	const char *pin;
	size_t n = 0, i;
	int r;

	*keysp = NULL;
	*np = 0;
	if ((r = hk_fido2_tok_pin(tok, &pin)) != 0)
		return r;
	if (pin == NULL && !ft->info->fido2->has_pin &&
	    hk_token_fido2_option(ft->info->fido2, "uv") != 1 &&
	    fido_dev_supports_credman(ft->dev))
		return hk_errf(HK_ERR_PIN_REQUIRED, "%s: the device has no PIN, and "
		    "its resident keys are listed only with one; set one with "
		    "hwkey pin set %s", ft->name, ft->name);
	if ((r = hk_fido2_resident_list(ft->dev, ft->name, pin, &rks, &n)) != 0) {
		if (r == HK_ERR_PIN_INCORRECT || r == HK_ERR_PIN_LOCKED ||
		    r == HK_ERR_PIN_AUTH_BLOCKED)
			hk_fido2_tok_pin_forget(tok);
		return r;
	}
	if ((keys = calloc(n + 1, sizeof(*keys))) == NULL) {
		hk_fido2_rks_free(rks, n);
		return HK_ERR_ALLOC;
	}
	for (i = 0; i < n; i++) {
		if ((r = rk_to_key(&rks[i], &keys[i])) != 0) {
			hk_token_keys_free(keys, i);
			hk_fido2_rks_free(rks, n);
			return r;
		}
	}
	hk_fido2_rks_free(rks, n);
	*keysp = keys;
	*np = n;
	return 0;
}

/* The user part of a label ("" when none). */
static const char *
label_user(const struct hk_token_key *k)
{
	const char *sp = strchr(k->label, ' ');

	return sp != NULL ? sp + 1 : "";
}

static int
key_matches(const struct hk_token_key *k, const char *sel)
{
	size_t n = strlen(sel);
	const char *app = k->key != NULL ? hk_key_sk_application(k->key) : NULL;

	if (strcmp(k->label, sel) == 0)
		return 2;	/* the label: the most exact */
	if (strcmp(label_user(k), sel) == 0 || (app != NULL && strcmp(app, sel) == 0))
		return 1;
	/* An id prefix of at least 4 hex digits, either case. */
	if (n >= 4 && n <= strlen(k->id_hex) &&
	    strspn(sel, "0123456789abcdefABCDEF") == n && strncasecmp(k->id_hex, sel, n) == 0)
		return 1;
	return 0;
}

int
hk_fido2_op_find_key(struct hk_token *tok, const char *sel, int login,
    struct hk_token_key **keyp)
{
	struct hk_fido2_tok *ft = tok->be;
	struct hk_token_key **keys = NULL, *pick = NULL;
	char list[1024];
	size_t n = 0, i, len;
	int r, m, best = 0, nbest = 0;

	(void)login;	/* resident keys are listed only with the PIN */
	*keyp = NULL;
	if (sel == NULL || sel[0] == '\0')
		return hk_errf(HK_ERR_USAGE, "%s: name the resident key with --key "
		    "(credential id prefix, label, user or application; see hwkey "
		    "keys %s)", ft->name, ft->name);
	if ((r = hk_fido2_op_list_keys(tok, &keys, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if ((m = key_matches(keys[i], sel)) > best) {
			best = m;
			nbest = 1;
			pick = keys[i];
		} else if (m != 0 && m == best)
			nbest++;
	}
	if (best == 0) {
		hk_token_keys_free(keys, n);
		return hk_errf(HK_ERR_KEY_NOT_FOUND, "%s: no resident key matches "
		    "\"%s\" (by credential id prefix, label, user or application; "
		    "%zu resident %s on the device)", ft->name, sel, n,
		    n == 1 ? "key" : "keys");
	}
	if (nbest > 1) {
		list[0] = '\0';
		for (i = 0; i < n; i++) {
			if (key_matches(keys[i], sel) != best)
				continue;
			len = strlen(list);
			snprintf(list + len, sizeof(list) - len, "%s%.16s (%s)",
			    len ? ", " : "", keys[i]->id_hex, keys[i]->label);
		}
		hk_token_keys_free(keys, n);
		return hk_errf(HK_ERR_KEY_AMBIGUOUS, "%s: %d resident keys match "
		    "\"%s\": %s; give more of the credential id", ft->name, nbest,
		    sel, list);
	}
	for (i = 0; i < n; i++)
		if (keys[i] == pick)
			keys[i] = NULL;
	hk_token_keys_free(keys, n);
	*keyp = pick;
	return 0;
}

int
hk_fido2_op_delete_key(struct hk_token *tok, const struct hk_token_key *key)
{
	struct hk_fido2_tok *ft = tok->be;
	const char *pin;
	int fr, r;

	if ((r = hk_fido2_tok_pin(tok, &pin)) != 0)
		return r;
	if ((fr = fido_credman_del_dev_rk(ft->dev, key->id, key->idlen, pin)) !=
	    FIDO_OK) {
		r = credman_err(ft->dev, fr, "delete the resident key", ft->name);
		if (r == HK_ERR_PIN_INCORRECT || r == HK_ERR_PIN_LOCKED ||
		    r == HK_ERR_PIN_AUTH_BLOCKED)
			hk_fido2_tok_pin_forget(tok);
		return r;
	}
	return 0;
}
