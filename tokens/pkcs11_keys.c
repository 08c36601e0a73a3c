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

/*
 * Refusals about the attribute itself: the object simply has no readable
 * value (some modules answer CKR_FUNCTION_FAILED for attributes they do not
 * know; an unknown proof flag still refuses the key). Anything else (device
 * error, vanished token or object) is a failure that must not pass for
 * "absent".
 */
static int
p11_attr_refused(CK_RV rv)
{
	return rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
	    rv == CKR_FUNCTION_FAILED;
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
	struct hk_p11_tok *t = hk_p11_tok(tok);
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_RV rv;

	*valp = NULL;
	*lenp = 0;
	rv = t->f->C_GetAttributeValue(t->sess, h, &a, 1);
	if (rv != CKR_OK && !p11_attr_refused(rv))
		return hk_p11_err(rv, "%s: C_GetAttributeValue", hk_p11_name(tok));
	if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return HK_ERR_NOT_FOUND;
	if ((a.pValue = malloc(a.ulValueLen + 1)) == NULL)
		return HK_ERR_ALLOC;
	if ((rv = t->f->C_GetAttributeValue(t->sess, h, &a, 1)) != CKR_OK) {
		free(a.pValue);
		if (!p11_attr_refused(rv))
			return hk_p11_err(rv, "%s: C_GetAttributeValue", hk_p11_name(tok));
		return HK_ERR_NOT_FOUND;
	}
	((uint8_t *)a.pValue)[a.ulValueLen] = '\0';
	*valp = a.pValue;
	*lenp = a.ulValueLen;
	return 0;
}

static int
p11_attr_ulong(struct hk_token *tok, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
    CK_ULONG *valp)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	CK_ATTRIBUTE a = { type, valp, sizeof(*valp) };
	CK_RV rv;

	rv = t->f->C_GetAttributeValue(t->sess, h, &a, 1);
	if (rv != CKR_OK && !p11_attr_refused(rv))
		return hk_p11_err(rv, "%s: C_GetAttributeValue", hk_p11_name(tok));
	if (rv != CKR_OK || a.ulValueLen != sizeof(*valp))
		return HK_ERR_NOT_FOUND;
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

static int
p11_decode_pub(struct hk_token *tok, CK_OBJECT_HANDLE h, CK_KEY_TYPE kt,
    struct hk_key **keyp, const char **whyp)
{
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0, plen, want;
	const uint8_t *pt;
	enum hk_curve curve = HK_CURVE_NONE;
	int ed = 0, r;

	*keyp = NULL;
	if (kt == CKK_RSA) {
		if ((r = hk_p11_attr(tok, h, CKA_MODULUS, &a, &alen)) != 0 ||
		    (r = hk_p11_attr(tok, h, CKA_PUBLIC_EXPONENT, &b, &blen)) != 0) {
			*whyp = "RSA modulus or exponent unreadable";
			goto out;
		}
		if ((r = hk_key_from_rsa(a, alen, b, blen, keyp)) != 0)
			*whyp = "invalid RSA public key";
		goto out;
	}
	if (kt != CKK_EC && kt != CKK_EC_EDWARDS) {
		*whyp = "unsupported key type";
		r = HK_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if ((r = hk_p11_attr(tok, h, CKA_EC_PARAMS, &a, &alen)) != 0 ||
	    (r = hk_p11_attr(tok, h, CKA_EC_POINT, &b, &blen)) != 0) {
		*whyp = "EC parameters or point unreadable";
		goto out;
	}
	if ((r = hk_p11_curve(a, alen, &curve, &ed)) != 0) {
		*whyp = "unknown curve in CKA_EC_PARAMS";
		goto out;
	}
	want = ed ? 32 : 1 + 2 * ((hk_curve_bits(curve) + 7) / 8);
	if ((r = hk_p11_unwrap_point(b, blen, want, &pt, &plen)) != 0) {
		*whyp = "malformed CKA_EC_POINT";
		goto out;
	}
	if (ed)
		r = hk_key_from_ed25519(pt, plen, keyp);
	else
		r = hk_key_from_ec(curve, pt, plen, keyp);
	if (r != 0)
		*whyp = "invalid EC public key";
 out:
	free(a);
	free(b);
	return r;
}

/*
 * On-token flags of the private half, read in one call. Only a success or a
 * per-attribute refusal fills the template; after any other failure nothing
 * is known (and a vanished token is an error, not an unproven key).
 */
static int
p11_read_flags(struct hk_token *tok, CK_OBJECT_HANDLE priv, struct hk_token_key *k)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	static const struct { CK_ATTRIBUTE_TYPE type; unsigned int flag; } map[] = {
		{ CKA_LOCAL, HK_TKEY_F_LOCAL },
		{ CKA_NEVER_EXTRACTABLE, HK_TKEY_F_NEVER_EXTRACTABLE },
		{ CKA_ALWAYS_SENSITIVE, HK_TKEY_F_ALWAYS_SENSITIVE },
		{ CKA_SENSITIVE, HK_TKEY_F_SENSITIVE },
		{ CKA_EXTRACTABLE, HK_TKEY_F_EXTRACTABLE },
		{ CKA_PRIVATE, HK_TKEY_F_PRIVATE },
	};
	CK_ATTRIBUTE a[sizeof(map) / sizeof(map[0])];
	CK_BBOOL v[sizeof(map) / sizeof(map[0])];
	size_t i, n = sizeof(map) / sizeof(map[0]);
	CK_RV rv;

	for (i = 0; i < n; i++) {
		v[i] = CK_FALSE;
		a[i].type = map[i].type;
		a[i].pValue = &v[i];
		a[i].ulValueLen = sizeof(v[i]);
	}
	/* An unsupported attribute fails the call but the others are still filled. */
	rv = t->f->C_GetAttributeValue(t->sess, priv, a, n);
	if (rv != CKR_OK && !p11_attr_refused(rv))
		return hk_p11_err(rv, "%s: C_GetAttributeValue", hk_p11_name(tok));
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID &&
	    rv != CKR_ATTRIBUTE_SENSITIVE)
		return 0;	/* the template was not filled: nothing known */
	for (i = 0; i < n; i++) {
		if (a[i].ulValueLen != sizeof(CK_BBOOL))
			continue;
		k->known |= map[i].flag;
		if (v[i] == CK_TRUE)
			k->flags |= map[i].flag;
	}
	return 0;
}

int
hk_p11_key_load(struct hk_token *tok, CK_OBJECT_HANDLE pub, int has_pub,
    CK_OBJECT_HANDLE priv, int has_priv, struct hk_token_key **keyp)
{
	struct hk_token_key *k;
	struct hk_p11_keyref *ref;
	CK_OBJECT_HANDLE src = has_pub ? pub : priv;
	CK_ULONG kt;
	uint8_t *lab = NULL;
	size_t lablen;
	int r;

	*keyp = NULL;
	if ((k = hk_token_key_new(&hk_token_pkcs11)) == NULL ||
	    (ref = calloc(1, sizeof(*ref))) == NULL) {
		free(k);
		return HK_ERR_ALLOC;
	}
	k->be = ref;
	ref->pub = pub;
	ref->priv = priv;
	ref->has_pub = k->has_public = has_pub;
	ref->has_priv = k->has_private = has_priv;
	if ((r = hk_p11_attr(tok, src, CKA_ID, &k->id, &k->idlen)) != 0 && p11_fatal(r))
		goto out;
	if ((k->id_hex = hk_token_hex(k->id, k->idlen)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = hk_p11_attr(tok, src, CKA_LABEL, &lab, &lablen)) != 0 && p11_fatal(r))
		goto out;
	(void)lablen;	/* an embedded NUL just ends the label */
	if ((k->label = lab != NULL ? (char *)lab : strdup("")) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = p11_attr_ulong(tok, src, CKA_KEY_TYPE, &kt)) != 0) {
		if (p11_fatal(r))
			goto out;
		k->error = "key type unreadable";
	} else if ((r = p11_decode_pub(tok, src, kt, &k->key, &k->error)) != 0) {
		if (p11_fatal(r))
			goto out;
		k->key = NULL;
	}
	if (k->key != NULL && k->label[0] != '\0' &&
	    (r = hk_key_set_comment(k->key, k->label)) != 0)
		goto out;
	if (has_priv && (r = p11_read_flags(tok, priv, k)) != 0)
		goto out;
	*keyp = k;
	k = NULL;
	r = 0;
 out:
	hk_token_key_free(k);
	return r;
}

struct p11_obj {
	CK_OBJECT_HANDLE h;
	uint8_t *id;
	size_t idlen;
	uint8_t *label;
	size_t labellen;
	int used;
};

static void
p11_objs_free(struct p11_obj *o, size_t n)
{
	size_t i;

	for (i = 0; o != NULL && i < n; i++) {
		free(o[i].id);
		free(o[i].label);
	}
	free(o);
}

static int
p11_objs(struct hk_token *tok, CK_OBJECT_CLASS cls, struct p11_obj **op, size_t *np)
{
	CK_ATTRIBUTE tmpl = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE *hs = NULL;
	struct p11_obj *o;
	size_t n, i;
	int r;

	*op = NULL;
	*np = 0;
	if ((r = hk_p11_find(tok, &tmpl, 1, &hs, &n)) != 0)
		return r;
	if ((o = calloc(n + 1, sizeof(*o))) == NULL) {
		free(hs);
		return HK_ERR_ALLOC;
	}
	for (i = 0; i < n; i++) {
		o[i].h = hs[i];
		if (((r = hk_p11_attr(tok, hs[i], CKA_ID, &o[i].id, &o[i].idlen)) != 0 &&
		    p11_fatal(r)) ||
		    ((r = hk_p11_attr(tok, hs[i], CKA_LABEL, &o[i].label,
		    &o[i].labellen)) != 0 && p11_fatal(r))) {
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
	size_t npub = 0, npriv = 0, nk = 0, i, j;
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
		for (j = 0; j < npriv; j++) {
			if (privs[j].used || pubs[i].idlen != privs[j].idlen)
				continue;
			if (pubs[i].idlen > 0 &&
			    memcmp(pubs[i].id, privs[j].id, pubs[i].idlen) == 0)
				break;
			if (pubs[i].idlen == 0 && pubs[i].labellen > 0 &&
			    pubs[i].labellen == privs[j].labellen &&
			    memcmp(pubs[i].label, privs[j].label, pubs[i].labellen) == 0)
				break;
		}
		if (j < npriv)
			privs[j].used = 1;
		if ((r = hk_p11_key_load(tok, pubs[i].h, 1, j < npriv ? privs[j].h : 0,
		    j < npriv, &k)) != 0)
			goto out;
		keys[nk++] = k;
	}
	for (j = 0; j < npriv; j++) {
		if (privs[j].used)
			continue;
		if ((r = hk_p11_key_load(tok, 0, 0, privs[j].h, 1, &k)) != 0)
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
