/* Batched attribute reads: every attribute hwkey wants from one object in one
 * C_GetAttributeValue (two when some have a variable length: sizes, then
 * values), with the per-attribute results PKCS#11 defines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pkcs11_int.h"

/*
 * Answers that still report on each attribute: the token fills what it can
 * and sets ulValueLen = CK_UNAVAILABLE_INFORMATION for the rest (PKCS#11
 * 2.40, 5.7, C_GetAttributeValue).
 */
static int
p11_rv_per_attr(CK_RV rv)
{
	return rv == CKR_OK || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	    rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_BUFFER_TOO_SMALL;
}

/*
 * A refusal of the template as a whole: some modules answer
 * CKR_FUNCTION_FAILED for an attribute they do not know and fill nothing.
 * The object then has no readable value for any of them; every other
 * failure (device error, vanished token or object) is the token's.
 */
static int
p11_rv_refused(CK_RV rv)
{
	return rv == CKR_FUNCTION_FAILED;
}

static void
p11_attrs_unavailable(CK_ATTRIBUTE *tmpl, CK_ULONG n, const int *var)
{
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		if (var[i])
			tmpl[i].pValue = NULL;
		tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
	}
}

/*
 * One C_GetAttributeValue over tmpl, or one per attribute (each). 0 when
 * the token answered per attribute, HK_ERR_NOT_FOUND when it refused the
 * batch as a whole (one by one, a refused attribute is just unavailable).
 */
static int
p11_attrs_call(struct hk_token *tok, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tmpl,
    CK_ULONG n, int each)
{
	struct hk_p11_tok *t = hk_p11_tok(tok);
	CK_ULONG i;
	CK_RV rv;

	if (!each) {
		rv = t->f->C_GetAttributeValue(t->sess, h, tmpl, n);
		if (p11_rv_per_attr(rv))
			return 0;
		if (p11_rv_refused(rv))
			return HK_ERR_NOT_FOUND;
		return hk_p11_err(rv, "%s: C_GetAttributeValue", hk_p11_name(tok));
	}
	for (i = 0; i < n; i++) {
		rv = t->f->C_GetAttributeValue(t->sess, h, &tmpl[i], 1);
		if (rv == CKR_OK)
			continue;
		if (!p11_rv_per_attr(rv) && !p11_rv_refused(rv))
			return hk_p11_err(rv, "%s: C_GetAttributeValue", hk_p11_name(tok));
		/* Whatever it wrote, a refused value is not there. */
		tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
	}
	return 0;
}

int
hk_p11_attrs_get(struct hk_token *tok, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tmpl,
    CK_ULONG n, unsigned int flags, void **blockp)
{
	CK_ATTRIBUTE sub[HK_P11_ATTRS_MAX];
	CK_ULONG cap[HK_P11_ATTRS_MAX], slot[HK_P11_ATTRS_MAX], nsub = 0, i;
	int var[HK_P11_ATTRS_MAX];
	int each = (flags & HK_P11_ATTRS_EACH) != 0;
	uint8_t *block = NULL, *p;
	size_t total = 0;
	int r;

	*blockp = NULL;
	if (n == 0 || n > HK_P11_ATTRS_MAX)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "%lu attributes in one read",
		    (unsigned long)n);
	if ((r = hk_p11_session(tok)) != 0)
		return r;

	/* Phase 1: sizes of the variable values, and the fixed ones outright. */
	for (i = 0; i < n; i++) {
		var[i] = tmpl[i].pValue == NULL;
		cap[i] = var[i] ? 0 : tmpl[i].ulValueLen;
		if (var[i])
			tmpl[i].ulValueLen = 0;
	}
	if ((r = p11_attrs_call(tok, h, tmpl, n, each)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		/* A module that answers CKR_BUFFER_TOO_SMALL may leave the size it needs. */
		if (!var[i] && tmpl[i].ulValueLen != CK_UNAVAILABLE_INFORMATION &&
		    tmpl[i].ulValueLen > cap[i])
			tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
		if (!var[i] || tmpl[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
			continue;
		/* Each value gets a NUL after it: labels are used as C strings. */
		if (tmpl[i].ulValueLen >= SIZE_MAX - total - 1) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		total += tmpl[i].ulValueLen + 1;
	}
	if (total == 0)
		return 0;	/* nothing variable is there: one call was all */

	/* Phase 2: every variable value that exists, in one call. */
	if ((block = malloc(total)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	for (i = 0, p = block; i < n; i++) {
		if (!var[i] || tmpl[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
			continue;
		tmpl[i].pValue = p;
		cap[i] = tmpl[i].ulValueLen;
		p += cap[i] + 1;
		/* An empty value is known already; only the others cost a read. */
		if (cap[i] == 0)
			continue;
		slot[nsub] = i;
		sub[nsub++] = tmpl[i];
	}
	if (nsub > 0 && (r = p11_attrs_call(tok, h, sub, nsub, each)) != 0)
		goto out;
	for (i = 0; i < nsub; i++) {
		CK_ATTRIBUTE *a = &tmpl[slot[i]];

		/* Gone, turned sensitive or grown since phase 1: not there now. */
		if (sub[i].ulValueLen == CK_UNAVAILABLE_INFORMATION ||
		    sub[i].ulValueLen > cap[slot[i]]) {
			a->pValue = NULL;
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			continue;
		}
		a->ulValueLen = sub[i].ulValueLen;
	}
	for (i = 0; i < n; i++)
		if (var[i] && tmpl[i].pValue != NULL)
			((uint8_t *)tmpl[i].pValue)[tmpl[i].ulValueLen] = '\0';
	*blockp = block;
	return 0;
 out:
	/* Refused or failed: no value may be taken from a half-filled template. */
	p11_attrs_unavailable(tmpl, n, var);
	free(block);
	return r;
}
