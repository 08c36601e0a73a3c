/* PKCS#11 keys: finding objects, pairing public and private halves by
 * CKA_ID, decoding public keys (RSA, EC, Ed25519; CKA_EC_POINT as DER OCTET
 * STRING or raw) and their on-token flags, selecting and deleting a pair. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "pkcs11_int.h"

int
hk_p11_find(struct hk_token *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n,
    CK_OBJECT_HANDLE **hsp, size_t *np)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	CK_OBJECT_HANDLE *hs = NULL, *nh;
	CK_ULONG got;
	size_t count = 0, cap = 0;
	CK_RV rv;
	int r;

	*hsp = NULL;
	*np = 0;
	if ((r = hk_p11_session(tok)) != 0)
		return r;
	if ((rv = t->f->C_FindObjectsInit(t->sess, tmpl, n)) != CKR_OK)
		return hk_p11_err(rv, "%s: C_FindObjectsInit", hk_p11_name(tok));
	for (;;) {
		if (count + 64 > cap) {
			if ((nh = reallocarray(hs, cap + 64, sizeof(*hs))) == NULL) {
				r = HK_ERR_ALLOC;
				goto out;
			}
			hs = nh;
			cap += 64;
		}
		if ((rv = t->f->C_FindObjects(t->sess, hs + count, 64, &got)) != CKR_OK) {
			r = hk_p11_err(rv, "%s: C_FindObjects", hk_p11_name(tok));
			goto out;
		}
		if (got == 0)
			break;
		count += got;
	}
	r = 0;
 out:
	/* A failed Final leaves the search open: the next one would fail as
	 * CKR_OPERATION_ACTIVE and hide the cause. */
	if ((rv = t->f->C_FindObjectsFinal(t->sess)) != CKR_OK && r == 0)
		r = hk_p11_err(rv, "%s: C_FindObjectsFinal", hk_p11_name(tok));
	if (r != 0) {
		free(hs);
		return r;
	}
	*hsp = hs;
	*np = count;
	return 0;
}

/* A failure of the token itself rather than a key it could not decode. */
static int
p11_fatal(int r)
{
	return r == HK_ERR_ALLOC || (r <= -100 && r > -200);
}

int
hk_p11_attr(struct hk_token *tok, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
    uint8_t **valp, size_t *lenp)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	void *block = NULL;
	int r;

	*valp = NULL;
	*lenp = 0;
	if ((r = hk_p11_attrs_get(tok, h, &a, 1, 0, &block)) != 0)
		return r;
	if (a.pValue == NULL) {
		free(block);
		return HK_ERR_NOT_FOUND;
	}
	/* The only value of a one-entry read starts its block. */
	*valp = block;
	*lenp = a.ulValueLen;
	return 0;
}

/* Curve from CKA_EC_PARAMS: a DER OID, or a PKCS#11 3.0 PrintableString name. */
int
hk_p11_curve(const uint8_t *p, size_t len, enum hk_curve *cp, int *edp)
{
	static const struct {
		const char *der;
		size_t len;
		enum hk_curve curve;
		int ed;
	} tab[] = {
		{ "\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 10, HK_CURVE_P256, 0 },
		{ "\x06\x05\x2b\x81\x04\x00\x22", 7, HK_CURVE_P384, 0 },
		{ "\x06\x05\x2b\x81\x04\x00\x23", 7, HK_CURVE_P521, 0 },
		{ "\x06\x03\x2b\x65\x70", 5, HK_CURVE_NONE, 1 },
		{ "\x13\x0c" "edwards25519", 14, HK_CURVE_NONE, 1 },
		{ "\x13\x0a" "prime256v1", 12, HK_CURVE_P256, 0 },
		{ "\x13\x09" "secp256r1", 11, HK_CURVE_P256, 0 },
		{ "\x13\x09" "secp384r1", 11, HK_CURVE_P384, 0 },
		{ "\x13\x09" "secp521r1", 11, HK_CURVE_P521, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (len == tab[i].len && memcmp(p, tab[i].der, len) == 0) {
			*cp = tab[i].curve;
			*edp = tab[i].ed;
			return 0;
		}
	}
	return HK_ERR_EC_CURVE_UNKNOWN;
}

/*
 * CKA_EC_POINT: the spec says DER OCTET STRING, some modules give the raw
 * point. A raw point has exactly the expected size; a wrapped one never does.
 */
int
hk_p11_unwrap_point(const uint8_t *p, size_t len, size_t want, const uint8_t **outp,
    size_t *outlenp)
{
	size_t hdr, l;

	if (len == want) {
		*outp = p;
		*outlenp = len;
		return 0;
	}
	if (len < 2 || p[0] != 0x04)
		return HK_ERR_EC_POINT;
	if (p[1] < 0x80) {
		hdr = 2;
		l = p[1];
	} else if (p[1] == 0x81 && len >= 3) {
		hdr = 3;
		l = p[2];
	} else if (p[1] == 0x82 && len >= 4) {
		hdr = 4;
		l = ((size_t)p[2] << 8) | p[3];
	} else
		return HK_ERR_EC_POINT;
	if (hdr + l != len || l != want)
		return HK_ERR_EC_POINT;
	*outp = p + hdr;
	*outlenp = l;
	return 0;
}

/*
 * Everything hwkey reads from a key object, in the order of one template:
 * the public part (type, id, label and the public key in either form: an
 * RSA object has no CKA_EC_*, an EC one no CKA_MODULUS, and PKCS#11 lets
 * one call ask for both), then the private key's on-token flags.
 */
enum {
	P11_A_KEY_TYPE,
	P11_A_ID,
	P11_A_LABEL,
	P11_A_EC_PARAMS,
	P11_A_EC_POINT,
	P11_A_MODULUS,
	P11_A_PUBLIC_EXPONENT,
	P11_A_PUB_END,			/* the flags follow */
	P11_A_FLAGS = P11_A_PUB_END,
	P11_A_COUNT = P11_A_FLAGS + 7
};

static const CK_ATTRIBUTE_TYPE p11_pub_attrs[P11_A_PUB_END] = {
	CKA_KEY_TYPE, CKA_ID, CKA_LABEL, CKA_EC_PARAMS, CKA_EC_POINT,
	CKA_MODULUS, CKA_PUBLIC_EXPONENT,
};

static const struct { CK_ATTRIBUTE_TYPE type; unsigned int flag; } p11_flag_map[] = {
	{ CKA_LOCAL, HK_TKEY_F_LOCAL },
	{ CKA_NEVER_EXTRACTABLE, HK_TKEY_F_NEVER_EXTRACTABLE },
	{ CKA_ALWAYS_SENSITIVE, HK_TKEY_F_ALWAYS_SENSITIVE },
	{ CKA_SENSITIVE, HK_TKEY_F_SENSITIVE },
	{ CKA_EXTRACTABLE, HK_TKEY_F_EXTRACTABLE },
	{ CKA_PRIVATE, HK_TKEY_F_PRIVATE },
	{ CKA_DECRYPT, HK_TKEY_F_DECRYPT },	/* usage, not proof: hwkey keys shows it */
};
_Static_assert(sizeof(p11_flag_map) / sizeof(p11_flag_map[0]) == P11_A_COUNT - P11_A_FLAGS,
    "one template slot per flag");

/* What p11_obj_read reads. */
#define P11_READ_PUB	0x01	/* type, id, label, public key */
#define P11_READ_FLAGS	0x02	/* the private key's flags */

/* One key object as read from the token. */
struct p11_obj {
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE a[P11_A_COUNT];
	CK_KEY_TYPE kt;
	CK_BBOOL fv[P11_A_COUNT - P11_A_FLAGS];
	void *block;		/* the variable values a[] points into */
	int used;		/* paired while listing */
};

static void
p11_obj_clear(struct p11_obj *o)
{
	if (o == NULL)
		return;
	free(o->block);
	o->block = NULL;
}

/* A value of o, or NULL with *lenp = 0 when the object has none. */
static const uint8_t *
p11_obj_val(const struct p11_obj *o, int i, size_t *lenp)
{
	*lenp = 0;
	if (o->a[i].pValue == NULL || o->a[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return NULL;
	*lenp = o->a[i].ulValueLen;
	return o->a[i].pValue;
}

/*
 * Read what `what` names from h in one batch (two calls when variable
 * values are asked for). A token refusing the batch as a whole still gets
 * asked for the public part attribute by attribute; its flags are then
 * unknown (only a per-attribute answer tells them), which refuses the key
 * rather than proving it.
 */
static int
p11_obj_read(struct hk_token *tok, CK_OBJECT_HANDLE h, unsigned int what,
    struct p11_obj *o)
{
	CK_ULONG first = (what & P11_READ_PUB) ? 0 : P11_A_FLAGS;
	CK_ULONG last = (what & P11_READ_FLAGS) ? P11_A_COUNT : P11_A_PUB_END;
	size_t i;
	int r;

	memset(o, 0, sizeof(*o));
	o->h = h;
	for (i = 0; i < P11_A_PUB_END; i++)
		o->a[i].type = p11_pub_attrs[i];
	o->a[P11_A_KEY_TYPE].pValue = &o->kt;
	o->a[P11_A_KEY_TYPE].ulValueLen = sizeof(o->kt);
	for (i = 0; i < P11_A_COUNT - P11_A_FLAGS; i++) {
		o->a[P11_A_FLAGS + i].type = p11_flag_map[i].type;
		o->a[P11_A_FLAGS + i].pValue = &o->fv[i];
		o->a[P11_A_FLAGS + i].ulValueLen = sizeof(o->fv[i]);
	}
	/* What is not asked for is not known, whatever the buffers hold. */
	for (i = 0; i < P11_A_COUNT; i++)
		if (i < first || i >= last)
			o->a[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
	r = hk_p11_attrs_get(tok, h, o->a + first, last - first, 0, &o->block);
	if (r != HK_ERR_NOT_FOUND || (what & P11_READ_PUB) == 0)
		return r == HK_ERR_NOT_FOUND ? 0 : r;
	o->a[P11_A_KEY_TYPE].ulValueLen = sizeof(o->kt);
	return hk_p11_attrs_get(tok, h, o->a, P11_A_PUB_END, HK_P11_ATTRS_EACH, &o->block);
}

/*
 * Room for the public object of a key hwkey has just made (a 64-byte id,
 * RSA up to 4096 bits, a DER-wrapped P-521 point): with buffers that size
 * keygen's proof reads it in one call instead of a size query and a read.
 */
static const CK_ULONG p11_guess[P11_A_PUB_END] = {
	[P11_A_ID] = 64, [P11_A_LABEL] = 256, [P11_A_EC_PARAMS] = 32,
	[P11_A_EC_POINT] = 160, [P11_A_MODULUS] = 512, [P11_A_PUBLIC_EXPONENT] = 16,
};

/*
 * The public part in one call, each value in a buffer of p11_guess bytes.
 * It counts only when the id, the label and the public key its type needs
 * all came back: an unavailable entry may be absent or just too big (when
 * several answers apply a module may give any of them), and only the size
 * query of p11_obj_read tells which.
 */
static int
p11_obj_read_guessed(struct hk_token *tok, CK_OBJECT_HANDLE h, struct p11_obj *o)
{
	CK_ULONG i, need[2] = { P11_A_EC_PARAMS, P11_A_EC_POINT };
	void *none = NULL;
	uint8_t *p;
	size_t total = 0;
	int r;

	memset(o, 0, sizeof(*o));
	o->h = h;
	for (i = P11_A_KEY_TYPE + 1; i < P11_A_PUB_END; i++)
		total += p11_guess[i] + 1;
	/* Zeroed: what a broken module leaves untouched decodes to no key. */
	if ((o->block = calloc(1, total)) == NULL)
		return HK_ERR_ALLOC;
	o->a[P11_A_KEY_TYPE] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &o->kt, sizeof(o->kt) };
	for (i = P11_A_KEY_TYPE + 1, p = o->block; i < P11_A_PUB_END; i++) {
		o->a[i] = (CK_ATTRIBUTE){ p11_pub_attrs[i], p, p11_guess[i] };
		p += p11_guess[i] + 1;
	}
	for (i = P11_A_FLAGS; i < P11_A_COUNT; i++)
		o->a[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
	/* Every entry has a buffer: one call, nothing left for a second. */
	r = hk_p11_attrs_get(tok, h, o->a, P11_A_PUB_END, 0, &none);
	free(none);
	if (r != 0 && r != HK_ERR_NOT_FOUND)
		return r;
	for (i = P11_A_KEY_TYPE + 1; i < P11_A_PUB_END; i++)
		if (o->a[i].ulValueLen != CK_UNAVAILABLE_INFORMATION)
			((uint8_t *)o->a[i].pValue)[o->a[i].ulValueLen] = '\0';
	if (o->kt == CKK_RSA) {
		need[0] = P11_A_MODULUS;
		need[1] = P11_A_PUBLIC_EXPONENT;
	}
	if (r == 0 && o->a[P11_A_KEY_TYPE].ulValueLen == sizeof(o->kt) &&
	    o->a[P11_A_ID].ulValueLen != CK_UNAVAILABLE_INFORMATION &&
	    o->a[P11_A_LABEL].ulValueLen != CK_UNAVAILABLE_INFORMATION &&
	    o->a[need[0]].ulValueLen != CK_UNAVAILABLE_INFORMATION &&
	    o->a[need[1]].ulValueLen != CK_UNAVAILABLE_INFORMATION)
		return 0;
	p11_obj_clear(o);
	return p11_obj_read(tok, h, P11_READ_PUB, o);
}

static int
p11_decode_pub(const struct p11_obj *o, CK_KEY_TYPE kt, struct hk_key **keyp,
    const char **whyp)
{
	const uint8_t *a, *b, *pt;
	size_t alen, blen, plen, want;
	enum hk_curve curve = HK_CURVE_NONE;
	int ed = 0, r;

	*keyp = NULL;
	if (kt == CKK_RSA) {
		a = p11_obj_val(o, P11_A_MODULUS, &alen);
		b = p11_obj_val(o, P11_A_PUBLIC_EXPONENT, &blen);
		if (a == NULL || b == NULL) {
			*whyp = "RSA modulus or exponent unreadable";
			return HK_ERR_NOT_FOUND;
		}
		if ((r = hk_key_from_rsa(a, alen, b, blen, keyp)) != 0)
			*whyp = "invalid RSA public key";
		return r;
	}
	if (kt != CKK_EC && kt != CKK_EC_EDWARDS) {
		*whyp = "unsupported key type";
		return HK_ERR_KEY_TYPE_UNKNOWN;
	}
	a = p11_obj_val(o, P11_A_EC_PARAMS, &alen);
	b = p11_obj_val(o, P11_A_EC_POINT, &blen);
	if (a == NULL || b == NULL) {
		*whyp = "EC parameters or point unreadable";
		return HK_ERR_NOT_FOUND;
	}
	if ((r = hk_p11_curve(a, alen, &curve, &ed)) != 0) {
		*whyp = "unknown curve in CKA_EC_PARAMS";
		return r;
	}
	want = ed ? 32 : 1 + 2 * ((hk_curve_bits(curve) + 7) / 8);
	if ((r = hk_p11_unwrap_point(b, blen, want, &pt, &plen)) != 0) {
		*whyp = "malformed CKA_EC_POINT";
		return r;
	}
	if (ed)
		r = hk_key_from_ed25519(pt, plen, keyp);
	else
		r = hk_key_from_ec(curve, pt, plen, keyp);
	if (r != 0)
		*whyp = "invalid EC public key";
	return r;
}

/* The private key's flags as the token reported them (each one it answered for). */
static void
p11_read_flags(const struct p11_obj *priv, struct hk_token_key *k)
{
	size_t i;

	for (i = 0; i < P11_A_COUNT - P11_A_FLAGS; i++) {
		if (priv->a[P11_A_FLAGS + i].ulValueLen != sizeof(CK_BBOOL))
			continue;
		k->known |= p11_flag_map[i].flag;
		if (priv->fv[i] == CK_TRUE)
			k->flags |= p11_flag_map[i].flag;
	}
}

/* A key from what was read of its halves (either may be NULL, not both). */
static int
p11_key_make(const struct p11_obj *pub, const struct p11_obj *priv,
    struct hk_token_key **keyp)
{
	const struct p11_obj *src = pub != NULL ? pub : priv;
	struct hk_token_key *k;
	struct hk_p11_keyref *ref;
	const uint8_t *v;
	size_t len;
	int r;

	*keyp = NULL;
	if ((k = hk_token_key_new(&hk_token_pkcs11)) == NULL ||
	    (ref = calloc(1, sizeof(*ref))) == NULL) {
		free(k);
		return HK_ERR_ALLOC;
	}
	k->be = ref;
	ref->pub = pub != NULL ? pub->h : 0;
	ref->priv = priv != NULL ? priv->h : 0;
	ref->has_pub = k->has_public = pub != NULL;
	ref->has_priv = k->has_private = priv != NULL;
	if ((v = p11_obj_val(src, P11_A_ID, &len)) != NULL) {
		if ((k->id = malloc(len + 1)) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		memcpy(k->id, v, len);
		k->idlen = len;
	}
	if ((k->id_hex = hk_token_hex(k->id, k->idlen)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	/* The value has a NUL after it; an embedded NUL just ends the label. */
	v = p11_obj_val(src, P11_A_LABEL, &len);
	if ((k->label = strdup(v != NULL ? (const char *)v : "")) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if (src->a[P11_A_KEY_TYPE].ulValueLen != sizeof(CK_KEY_TYPE))
		k->error = "key type unreadable";
	else if ((r = p11_decode_pub(src, src->kt, &k->key, &k->error)) != 0) {
		if (p11_fatal(r))
			goto out;
		k->key = NULL;
	}
	if (k->key != NULL && k->label[0] != '\0' &&
	    (r = hk_key_set_comment(k->key, k->label)) != 0)
		goto out;
	if (priv != NULL)
		p11_read_flags(priv, k);
	*keyp = k;
	k = NULL;
	r = 0;
 out:
	hk_token_key_free(k);
	return r;
}

/*
 * The pair from its handles (keygen's proof): the public part from the
 * public object when there is one (one call when its values fit the
 * guessed sizes), the flags from the private one (one call).
 */
int
hk_p11_key_load(struct hk_token *tok, CK_OBJECT_HANDLE pub, int has_pub,
    CK_OBJECT_HANDLE priv, int has_priv, struct hk_token_key **keyp)
{
	struct p11_obj po, ko;
	int r;

	*keyp = NULL;
	memset(&po, 0, sizeof(po));
	memset(&ko, 0, sizeof(ko));
	if (!has_pub && !has_priv)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "a key needs one of its halves");
	/* Public part first: keygen's proof ends on the flags read. */
	if (has_pub && (r = p11_obj_read_guessed(tok, pub, &po)) != 0)
		goto out;
	if (has_priv && (r = p11_obj_read(tok, priv, has_pub ? P11_READ_FLAGS :
	    P11_READ_PUB | P11_READ_FLAGS, &ko)) != 0)
		goto out;
	r = p11_key_make(has_pub ? &po : NULL, has_priv ? &ko : NULL, keyp);
 out:
	p11_obj_clear(&po);
	p11_obj_clear(&ko);
	return r;
}

static void
p11_objs_free(struct p11_obj *o, size_t n)
{
	size_t i;

	for (i = 0; o != NULL && i < n; i++)
		p11_obj_clear(&o[i]);
	free(o);
}

/*
 * Every key object of a class with what listing needs of it: private keys
 * give their flags in the same read as the id and label that pair them.
 */
static int
p11_objs(struct hk_token *tok, CK_OBJECT_CLASS cls, struct p11_obj **op, size_t *np)
{
	CK_ATTRIBUTE tmpl = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE *hs = NULL;
	struct p11_obj *o;
	unsigned int what = P11_READ_PUB;
	size_t n, i;
	int r;

	*op = NULL;
	*np = 0;
	if (cls == CKO_PRIVATE_KEY)
		what |= P11_READ_FLAGS;
	if ((r = hk_p11_find(tok, &tmpl, 1, &hs, &n)) != 0)
		return r;
	if ((o = calloc(n + 1, sizeof(*o))) == NULL) {
		free(hs);
		return HK_ERR_ALLOC;
	}
	for (i = 0; i < n; i++) {
		if ((r = p11_obj_read(tok, hs[i], what, &o[i])) != 0) {
			free(hs);
			p11_objs_free(o, n);
			return r;
		}
	}
	free(hs);
	*op = o;
	*np = n;
	return 0;
}

int
hk_p11_list_keys(struct hk_token *tok, struct hk_token_key ***keysp, size_t *np)
{
	struct p11_obj *pubs = NULL, *privs = NULL;
	struct hk_token_key **keys = NULL, *k;
	const uint8_t *pid, *plab, *kid, *klab;
	size_t npub = 0, npriv = 0, nk = 0, i, j, pidlen, plablen, kidlen, klablen;
	int r;

	*keysp = NULL;
	*np = 0;
	if ((r = p11_objs(tok, CKO_PUBLIC_KEY, &pubs, &npub)) != 0 ||
	    (r = p11_objs(tok, CKO_PRIVATE_KEY, &privs, &npriv)) != 0)
		goto out;
	if ((keys = calloc(npub + npriv + 1, sizeof(*keys))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	/*
	 * Pair by CKA_ID as OpenSSH does. Halves without an id (pkcs11-tool
	 * without --id makes them) pair by an equal, non-empty label instead.
	 */
	for (i = 0; i < npub; i++) {
		pid = p11_obj_val(&pubs[i], P11_A_ID, &pidlen);
		plab = p11_obj_val(&pubs[i], P11_A_LABEL, &plablen);
		for (j = 0; j < npriv; j++) {
			kid = p11_obj_val(&privs[j], P11_A_ID, &kidlen);
			klab = p11_obj_val(&privs[j], P11_A_LABEL, &klablen);
			if (privs[j].used || pidlen != kidlen)
				continue;
			if (pidlen > 0 && memcmp(pid, kid, pidlen) == 0)
				break;
			if (pidlen == 0 && plablen > 0 && plablen == klablen &&
			    memcmp(plab, klab, plablen) == 0)
				break;
		}
		if (j < npriv)
			privs[j].used = 1;
		if ((r = p11_key_make(&pubs[i], j < npriv ? &privs[j] : NULL, &k)) != 0)
			goto out;
		keys[nk++] = k;
	}
	for (j = 0; j < npriv; j++) {
		if (privs[j].used)
			continue;
		if ((r = p11_key_make(NULL, &privs[j], &k)) != 0)
			goto out;
		keys[nk++] = k;
	}
	*keysp = keys;
	*np = nk;
	keys = NULL;
	r = 0;
 out:
	hk_token_keys_free(keys, nk);
	p11_objs_free(pubs, npub);
	p11_objs_free(privs, npriv);
	return r;
}

/* Even-length hex to bytes; -1 when s is not hex. */
static int
p11_unhex(const char *s, uint8_t **outp, size_t *lenp)
{
	size_t n = strlen(s), i;
	uint8_t *out;
	int hi, lo;

	*outp = NULL;
	*lenp = 0;
	if (n == 0 || n % 2 != 0 || strspn(s, "0123456789abcdefABCDEF") != n)
		return -1;
	if ((out = malloc(n / 2 + 1)) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < n / 2; i++) {
		hi = s[2 * i] <= '9' ? s[2 * i] - '0' : (s[2 * i] | 0x20) - 'a' + 10;
		lo = s[2 * i + 1] <= '9' ? s[2 * i + 1] - '0' : (s[2 * i + 1] | 0x20) - 'a' + 10;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*outp = out;
	*lenp = n / 2;
	return 0;
}

static void
p11_key_list_text(struct hk_token_key **keys, const size_t *idx, size_t n, char *buf,
    size_t size)
{
	size_t i, len;

	snprintf(buf, size, "%s", n == 0 ? "none" : "");
	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%sid %s label \"%s\"", i > 0 ? "; " : "",
		    keys[idx[i]]->id_hex, keys[idx[i]]->label);
	}
}

int
hk_p11_find_key(struct hk_token *tok, const char *sel, int login,
    struct hk_token_key **keyp)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	struct hk_token_key **keys = NULL;
	P11KitUri *u = NULL, *src;
	CK_ATTRIBUTE *aid, *alab;
	uint8_t *hid = NULL;
	size_t hidlen = 0, nk = 0, i, *match = NULL, *all = NULL, nm = 0;
	char list[700];
	int r, is_hex, any;

	*keyp = NULL;
	src = t->uri;
	if (sel != NULL && strncmp(sel, "pkcs11:", 7) == 0) {
		if ((u = p11_kit_uri_new()) == NULL)
			return HK_ERR_ALLOC;
		if ((r = p11_kit_uri_parse(sel, P11_KIT_URI_FOR_OBJECT, u)) != P11_KIT_URI_OK) {
			r = hk_errf(HK_ERR_TOKEN_URI, "%s: %s", sel, p11_kit_uri_message(r));
			goto out;
		}
		src = u;
	}
	aid = p11_kit_uri_get_attribute(src, CKA_ID);
	alab = p11_kit_uri_get_attribute(src, CKA_LABEL);
	is_hex = 0;
	if (sel != NULL && src == t->uri) {
		/* A bare selector: the id in hex, or the label. */
		if ((r = p11_unhex(sel, &hid, &hidlen)) == HK_ERR_ALLOC)
			goto out;
		is_hex = r == 0;
		aid = alab = NULL;
	} else if (aid == NULL && alab == NULL) {
		r = hk_errf(HK_ERR_USAGE, "%s: no key selected; give --key ID|LABEL "
		    "or id=/object= in the URI", hk_p11_name(tok));
		goto out;
	}
	if (login && (r = hk_p11_login(tok, HK_TOKEN_USER)) != 0)
		goto out;
	if ((r = hk_p11_list_keys(tok, &keys, &nk)) != 0)
		goto out;
	if ((match = calloc(nk + 1, sizeof(*match))) == NULL ||
	    (all = calloc(nk + 1, sizeof(*all))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < nk; i++) {
		struct hk_token_key *k = keys[i];

		all[i] = i;
		if (sel != NULL && src == t->uri) {
			any = strcmp(k->label, sel) == 0 || (is_hex && k->idlen == hidlen &&
			    memcmp(k->id, hid, hidlen) == 0);
		} else {
			any = 1;
			if (aid != NULL && (aid->ulValueLen != k->idlen ||
			    memcmp(aid->pValue, k->id, k->idlen) != 0))
				any = 0;
			if (alab != NULL && (alab->ulValueLen != strlen(k->label) ||
			    memcmp(alab->pValue, k->label, alab->ulValueLen) != 0))
				any = 0;
		}
		if (any)
			match[nm++] = i;
	}
	if (nm == 0) {
		p11_key_list_text(keys, all, nk, list, sizeof(list));
		r = hk_errf(HK_ERR_KEY_NOT_FOUND, "%s: key %s; keys present: %s",
		    hk_p11_name(tok), sel != NULL ? sel : "(from URI)", list);
		goto out;
	}
	if (nm > 1) {
		p11_key_list_text(keys, match, nm, list, sizeof(list));
		r = hk_errf(HK_ERR_KEY_AMBIGUOUS, "%s: key %s matches %zu keys: %s",
		    hk_p11_name(tok), sel != NULL ? sel : "(from URI)", nm, list);
		goto out;
	}
	*keyp = keys[match[0]];
	keys[match[0]] = NULL;
	r = 0;
 out:
	hk_token_keys_free(keys, nk);
	free(match);
	free(all);
	free(hid);
	if (u != NULL)
		p11_kit_uri_free(u);
	return r;
}

int
hk_p11_delete_key(struct hk_token *tok, const struct hk_token_key *key)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	const struct hk_p11_keyref *ref = key->be;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, key->id, key->idlen },
	};
	CK_OBJECT_HANDLE *hs = NULL;
	size_t n = 0, i;
	CK_RV rv;
	int r;

	if ((r = hk_p11_login(tok, (t->s->quirk != NULL &&
	    (t->s->quirk->flags & HK_P11Q_KEYGEN_SO_LOGIN) != 0) ?
	    HK_TOKEN_SO : HK_TOKEN_USER)) != 0)
		return r;
	/* Private half first: a leftover public key is harmless, the reverse is not. */
	if (ref->has_priv && (rv = t->f->C_DestroyObject(t->sess, ref->priv)) != CKR_OK)
		return hk_p11_err(rv, "%s: C_DestroyObject (private key %s)",
		    hk_p11_name(tok), key->id_hex);
	if (ref->has_pub && (rv = t->f->C_DestroyObject(t->sess, ref->pub)) != CKR_OK)
		return hk_p11_err(rv, "%s: C_DestroyObject (public key %s)",
		    hk_p11_name(tok), key->id_hex);
	/* Certificates for the key (YKCS11 stores the public key in one). */
	if (key->idlen > 0 && hk_p11_find(tok, tmpl, 2, &hs, &n) == 0) {
		for (i = 0; i < n; i++)
			(void)t->f->C_DestroyObject(t->sess, hs[i]);
		free(hs);
	}
	return 0;
}
