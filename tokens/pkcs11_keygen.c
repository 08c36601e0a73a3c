/* PKCS#11 key generation: the templates (full, and minimal for tokens that
 * reject optional attributes), the read-back proof that the private key was
 * made on the token and cannot leave it, and cleanup so that no half-made or
 * unproven pair is ever left behind. */
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "pkcs11_int.h"

/* DER curve OIDs and the PKCS#11 3.0 Ed25519 name (YKCS11 takes only the name). */
static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };
static const uint8_t name_ed25519[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's',
    '2', '5', '5', '1', '9' };
static const uint8_t rsa_f4[] = { 0x01, 0x00, 0x01 };

#define HK_P11_ID_LEN	16

struct p11_tmpl {
	CK_ATTRIBUTE pub[16], priv[16];
	CK_ULONG npub, npriv;
};

static void
add(CK_ATTRIBUTE *a, CK_ULONG *n, CK_ATTRIBUTE_TYPE type, const void *v, CK_ULONG len)
{
	a[*n].type = type;
	a[*n].pValue = (void *)(uintptr_t)v;
	a[*n].ulValueLen = len;
	(*n)++;
}

static CK_BBOOL ck_true = CK_TRUE, ck_false = CK_FALSE;
#define B(v) (v) ? &ck_true : &ck_false, sizeof(CK_BBOOL)

/*
 * Build both templates. minimal: only what YKCS11 2.2.0 accepts (no
 * CKA_EXTRACTABLE, no *_RECOVER, no WRAP/DERIVE); the read-back proves the rest.
 * decrypt (--usage windows-password): CKA_DECRYPT true on the private key,
 * in either template; otherwise the full one says false.
 */
static void
p11_templates(const struct hk_key_kind *kind, const char *label, const uint8_t *id,
    size_t idlen, const CK_ULONG *bits, int minimal, int decrypt, struct p11_tmpl *t)
{
	const uint8_t *params = NULL;
	size_t plen = 0;
	size_t lablen = strlen(label);

	memset(t, 0, sizeof(*t));
	add(t->pub, &t->npub, CKA_TOKEN, B(1));
	add(t->pub, &t->npub, CKA_LABEL, label, lablen);
	add(t->pub, &t->npub, CKA_ID, id, idlen);
	add(t->pub, &t->npub, CKA_VERIFY, B(1));
	add(t->priv, &t->npriv, CKA_TOKEN, B(1));
	add(t->priv, &t->npriv, CKA_LABEL, label, lablen);
	add(t->priv, &t->npriv, CKA_ID, id, idlen);
	add(t->priv, &t->npriv, CKA_PRIVATE, B(1));
	add(t->priv, &t->npriv, CKA_SENSITIVE, B(1));
	add(t->priv, &t->npriv, CKA_SIGN, B(1));
	if (decrypt)
		add(t->priv, &t->npriv, CKA_DECRYPT, B(1));
	if (!minimal) {
		add(t->pub, &t->npub, CKA_PRIVATE, B(0));
		add(t->pub, &t->npub, CKA_ENCRYPT, B(0));
		add(t->pub, &t->npub, CKA_VERIFY_RECOVER, B(0));
		add(t->pub, &t->npub, CKA_WRAP, B(0));
		add(t->pub, &t->npub, CKA_DERIVE, B(0));
		if (!decrypt)
			add(t->priv, &t->npriv, CKA_DECRYPT, B(0));
		add(t->priv, &t->npriv, CKA_SIGN_RECOVER, B(0));
		add(t->priv, &t->npriv, CKA_UNWRAP, B(0));
		add(t->priv, &t->npriv, CKA_DERIVE, B(0));
		add(t->priv, &t->npriv, CKA_EXTRACTABLE, B(0));
	}
	if (kind->type == HK_KEY_RSA) {
		add(t->pub, &t->npub, CKA_MODULUS_BITS, bits, sizeof(*bits));
		add(t->pub, &t->npub, CKA_PUBLIC_EXPONENT, rsa_f4, sizeof(rsa_f4));
		return;
	}
	switch (kind->type == HK_KEY_ECDSA ? kind->curve : HK_CURVE_NONE) {
	case HK_CURVE_P256:
		params = oid_p256;
		plen = sizeof(oid_p256);
		break;
	case HK_CURVE_P384:
		params = oid_p384;
		plen = sizeof(oid_p384);
		break;
	case HK_CURVE_P521:
		params = oid_p521;
		plen = sizeof(oid_p521);
		break;
	case HK_CURVE_NONE:
		params = name_ed25519;
		plen = sizeof(name_ed25519);
		break;
	}
	add(t->pub, &t->npub, CKA_EC_PARAMS, params, plen);
}

/* Handles of key objects (public or private) with this attribute value. */
static int
p11_find_by(struct hk_token *tok, CK_ATTRIBUTE_TYPE type, const void *v, size_t len,
    CK_OBJECT_HANDLE **hsp, size_t *np)
{
	CK_OBJECT_HANDLE *a = NULL, *b = NULL, *all;
	CK_OBJECT_CLASS pub = CKO_PUBLIC_KEY, priv = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[2] = {
		{ CKA_CLASS, &pub, sizeof(pub) },
		{ type, (void *)(uintptr_t)v, len },
	};
	size_t na = 0, nb = 0;
	int r;

	*hsp = NULL;
	*np = 0;
	if ((r = hk_p11_find(tok, tmpl, 2, &a, &na)) != 0)
		return r;
	tmpl[0].pValue = &priv;
	if ((r = hk_p11_find(tok, tmpl, 2, &b, &nb)) != 0) {
		free(a);
		return r;
	}
	if ((all = calloc(na + nb + 1, sizeof(*all))) == NULL) {
		free(a);
		free(b);
		return HK_ERR_ALLOC;
	}
	if (na > 0)
		memcpy(all, a, na * sizeof(*all));
	if (nb > 0)
		memcpy(all + na, b, nb * sizeof(*all));
	free(a);
	free(b);
	*hsp = all;
	*np = na + nb;
	return 0;
}

static int
p11_label_add(struct hk_p11_tok *t, const char *label, size_t len)
{
	char **nl;

	if ((nl = reallocarray(t->labels, t->nlabels + 1, sizeof(*nl))) == NULL)
		return HK_ERR_ALLOC;
	t->labels = nl;
	if ((t->labels[t->nlabels] = strndup(label, len)) == NULL)
		return HK_ERR_ALLOC;
	t->nlabels++;
	return 0;
}

/* The labels of every public and private key object, read once. */
static int
p11_label_index(struct hk_token *tok)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	static const CK_OBJECT_CLASS classes[] = { CKO_PUBLIC_KEY, CKO_PRIVATE_KEY };
	CK_OBJECT_CLASS cls;
	CK_ATTRIBUTE tmpl = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE *hs = NULL;
	uint8_t *lab;
	size_t n, i, c, len;
	int r = 0;

	if (t->have_labels)
		return 0;
	for (c = 0; c < sizeof(classes) / sizeof(classes[0]) && r == 0; c++) {
		cls = classes[c];
		if ((r = hk_p11_find(tok, &tmpl, 1, &hs, &n)) != 0)
			break;
		for (i = 0; i < n && r == 0; i++) {
			if ((r = hk_p11_attr(tok, hs[i], CKA_LABEL, &lab, &len)) ==
			    HK_ERR_NOT_FOUND) {
				r = 0;	/* no label: cannot collide */
				continue;
			}
			if (r == 0)
				r = p11_label_add(t, (const char *)lab, len);
			free(lab);
		}
		free(hs);
		hs = NULL;
	}
	if (r == 0)
		t->have_labels = 1;
	return r;
}

void
hk_p11_labels_free(struct hk_p11_tok *t)
{
	while (t->nlabels > 0)
		free(t->labels[--t->nlabels]);
	free(t->labels);
	t->labels = NULL;
	t->have_labels = 0;
}

static int
p11_label_indexed(const struct hk_p11_tok *t, const char *label)
{
	size_t i;

	for (i = 0; i < t->nlabels; i++)
		if (strcmp(t->labels[i], label) == 0)
			return 1;
	return 0;
}

/* YubiKey PIV: the first of slots 9a, 9c, 9d, 9e (CKA_ID 1..4) with no key. */
static int
p11_free_piv_slot(struct hk_token *tok, uint8_t *idp)
{
	CK_OBJECT_HANDLE *hs = NULL;
	size_t n = 0;
	uint8_t id;
	int r;

	for (id = 1; id <= 4; id++) {
		if ((r = p11_find_by(tok, CKA_ID, &id, 1, &hs, &n)) != 0)
			return r;
		free(hs);
		if (n == 0) {
			*idp = id;
			return 0;
		}
	}
	return hk_errf(HK_ERR_KEY_EXISTS, "%s: PIV slots 9a, 9c, 9d and 9e all hold "
	    "keys; give --id and --force to replace one", hk_p11_name(tok));
}

static void
p11_destroy_pair(struct hk_token *tok, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);

	(void)t->f->C_DestroyObject(t->sess, priv);
	(void)t->f->C_DestroyObject(t->sess, pub);
}

/*
 * After C_GenerateKeyPair failed: a token that died after doing the work may
 * still hold the pair (the handles it returned mean nothing). Destroy what
 * carries the new CKA_ID, sparing the objects that had it before (old).
 * Best effort: the token may well be gone.
 */
static void
p11_sweep_id(struct hk_token *tok, const uint8_t *id, size_t idlen,
    const CK_OBJECT_HANDLE *old, size_t nold)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	CK_OBJECT_HANDLE *hs = NULL;
	size_t n = 0, i, j;

	if (p11_find_by(tok, CKA_ID, id, idlen, &hs, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < nold && old[j] != hs[i]; j++)
			;
		if (j == nold)
			(void)t->f->C_DestroyObject(t->sess, hs[i]);
	}
	free(hs);
}

int
hk_p11_keygen(struct hk_token *tok, const struct hk_keygen_req *req,
    struct hk_token_key **keyp)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	const struct hk_p11_quirk *q = t->s->quirk;
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE hpub = 0, hpriv = 0, *old = NULL, *old2 = NULL;
	struct hk_token_key *k = NULL;
	const enum hk_kind kid = hk_keygen_req_kind(req);
	const struct hk_key_kind *kind = hk_key_kind(kid);
	const char *label = hk_keygen_req_label(req);
	const uint8_t *reqid = hk_keygen_req_id_ptr(req);
	size_t reqidlen = hk_keygen_req_id_len(req);
	const int force = hk_keygen_req_force(req);
	const int decrypt = (hk_keygen_req_usage(req) & HK_KEY_USAGE_WINDOWS_PASSWORD) != 0;
	struct p11_tmpl tp;
	CK_ULONG bits = 0;
	uint8_t idbuf[HK_P11_ID_LEN];
	const uint8_t *id;
	size_t idlen, nold = 0, nold2 = 0, i;
	int minimal, r, made = 0;
	CK_RV rv;

	*keyp = NULL;
	if (kind == NULL)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "bad key type");
	/* Security-key kinds are FIDO2 credentials: no PKCS#11 mechanism makes them. */
	if (kind->type == HK_KEY_ECDSA_SK || kind->type == HK_KEY_ED25519_SK)
		return hk_errf(HK_ERR_MECHANISM, "%s cannot generate %s keys: they are "
		    "FIDO2 credentials, made on a security key (a fido: token), not "
		    "on a PKCS#11 token", hk_p11_name(tok), kind->name);
	/* A failed mechanism query is the token's failure, not a missing feature. */
	if (!hk_token_info_can_make(tok->info, kid) && t->s->mech_rv != CKR_OK)
		return hk_p11_err(t->s->mech_rv, "%s: C_GetMechanismInfo",
		    hk_p11_name(tok));
	if (!hk_token_info_can_make(tok->info, kid))
		return hk_errf(HK_ERR_MECHANISM, "%s cannot generate %s keys%s%s",
		    hk_p11_name(tok), kind->name,
		    q != NULL && q->note != NULL ? "; " : "",
		    q != NULL && q->note != NULL ? q->note : "");
	if (label == NULL || *label == '\0')
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "a key needs a label");
	if ((r = hk_p11_login(tok, q != NULL && (q->flags & HK_P11Q_KEYGEN_SO_LOGIN) ?
	    HK_TOKEN_SO : HK_TOKEN_USER)) != 0)
		return r;

	/*
	 * Refuse to shadow an existing key: selection by id or label would
	 * become ambiguous. A batch checks its labels against an index read
	 * once; --force needs the handles, so it always searches.
	 */
	if (hk_keygen_req_batch(req) && !force) {
		if ((r = p11_label_index(tok)) != 0)
			goto out;
		nold = p11_label_indexed(t, label);
	} else if ((r = p11_find_by(tok, CKA_LABEL, label, strlen(label),
	    &old, &nold)) != 0)
		goto out;
	if (reqid != NULL && (r = p11_find_by(tok, CKA_ID, reqid, reqidlen,
	    &old2, &nold2)) != 0)
		goto out;
	if (nold > 0 && !force) {
		r = hk_errf(HK_ERR_KEY_EXISTS, "key label \"%s\" already exists on %s; "
		    "--force replaces it", label, hk_p11_name(tok));
		goto out;
	}
	if (nold2 > 0 && !force) {
		char hex[2 * HK_KEYGEN_ID_MAX + 1];
		size_t j;

		/* Name the id as it was given (hex), not "the id you gave". */
		for (j = 0; j < reqidlen && j < HK_KEYGEN_ID_MAX; j++)
			snprintf(hex + 2 * j, 3, "%02x", reqid[j]);
		hex[2 * j] = '\0';
		r = hk_errf(HK_ERR_KEY_EXISTS, "key id %s already exists on %s; "
		    "--force replaces it", hex, hk_p11_name(tok));
		goto out;
	}
	if (reqid != NULL) {
		if (q != NULL && (q->flags & HK_P11Q_ID_IS_SLOT) != 0 &&
		    (reqidlen != 1 || reqid[0] < 1 || reqid[0] > 25)) {
			r = hk_errf(HK_ERR_INVALID_ARGUMENT, "%s: CKA_ID names a PIV slot: "
			    "01-04 (9a, 9c, 9d, 9e) or 05-19 (retired)", hk_p11_name(tok));
			goto out;
		}
		id = reqid;
		idlen = reqidlen;
	} else if (q != NULL && (q->flags & HK_P11Q_ID_IS_SLOT) != 0) {
		if ((r = p11_free_piv_slot(tok, idbuf)) != 0)
			goto out;
		id = idbuf;
		idlen = 1;
	} else {
		if (getrandom(idbuf, sizeof(idbuf), 0) != (ssize_t)sizeof(idbuf)) {
			r = hk_errf(HK_ERR_SYSTEM, "getrandom: %s", strerror(errno));
			goto out;
		}
		id = idbuf;
		idlen = sizeof(idbuf);
	}

	if (kind->type == HK_KEY_RSA) {
		bits = kind->bits;
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
	} else if (kind->type == HK_KEY_ED25519)
		mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
	minimal = q != NULL && (q->flags & HK_P11Q_MINIMAL_TEMPLATE) != 0;
	p11_templates(kind, label, id, idlen, &bits, minimal, decrypt, &tp);
	rv = t->f->C_GenerateKeyPair(t->sess, &mech, tp.pub, tp.npub, tp.priv, tp.npriv,
	    &hpub, &hpriv);
	if (!minimal && (rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	    rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_TEMPLATE_INCONSISTENT)) {
		/* Unknown token refusing an optional attribute: the minimal template. */
		p11_templates(kind, label, id, idlen, &bits, 1, decrypt, &tp);
		rv = t->f->C_GenerateKeyPair(t->sess, &mech, tp.pub, tp.npub, tp.priv,
		    tp.npriv, &hpub, &hpriv);
	}
	if (rv != CKR_OK) {
		p11_sweep_id(tok, id, idlen, old2, nold2);	/* before: it resets the detail */
		r = hk_p11_err(rv, "%s: C_GenerateKeyPair (%s)", hk_p11_name(tok),
		    kind->name);
		goto out;
	}
	made = 1;

	/* The proof: read everything back from the token, not from the template. */
	if ((r = hk_p11_key_load(tok, hpub, 1, hpriv, 1, &k)) != 0)
		goto out;
	if (k->key == NULL) {
		r = hk_errf(HK_ERR_PKCS11, "%s: new key: %s", hk_p11_name(tok),
		    k->error != NULL ? k->error : "public key unreadable");
		goto out;
	}
	if ((r = hk_p11_key_prove(k)) != 0)
		goto out;
	if (!hk_token_key_proven(k)) {
		r = hk_errf(HK_ERR_KEY_EXTRACTABLE, "%s: new key %s: %s; the pair was "
		    "destroyed", hk_p11_name(tok), k->id_hex, k->proof.reason);
		goto out;
	}
	/* A token that dropped CKA_DECRYPT would make a key windows-password refuses. */
	if (decrypt && ((k->known & HK_TKEY_F_DECRYPT) == 0 ||
	    (k->flags & HK_TKEY_F_DECRYPT) == 0)) {
		r = hk_errf(HK_ERR_TEMPLATE, "%s: new key %s: the token did not set "
		    "CKA_DECRYPT for --usage windows-password; the pair was destroyed",
		    hk_p11_name(tok), k->id_hex);
		goto out;
	}
	/* --force: the old pair goes only once the new one is proven. */
	for (i = 0; i < nold; i++)
		(void)t->f->C_DestroyObject(t->sess, old[i]);
	for (i = 0; i < nold2; i++)
		(void)t->f->C_DestroyObject(t->sess, old2[i]);
	/* Keep the index current; if it cannot be, drop it (it is read again). */
	if (t->have_labels && p11_label_add(t, label, strlen(label)) != 0)
		hk_p11_labels_free(t);
	*keyp = k;
	k = NULL;
	made = 0;
	r = 0;
 out:
	if (made)
		p11_destroy_pair(tok, hpub, hpriv);
	hk_token_key_free(k);
	free(old);
	free(old2);
	return r;
}
