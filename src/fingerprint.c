/* Key fingerprints as ssh-keygen prints them (SHA256, MD5, randomart) and as
 * each cloud reports them (Alibaba, Huawei, AWS; shared/reference/cloud-apis.md). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "err.h"
#include "key.h"

static const char *const fp_names[] = {
	[HK_FP_SHA256] = "sha256",
	[HK_FP_MD5] = "md5",
	[HK_FP_ALIYUN] = "aliyun",
	[HK_FP_HUAWEI] = "huawei",
	[HK_FP_AWS] = "aws",
};
#define N_FP (sizeof(fp_names) / sizeof(fp_names[0]))

int
hk_fp_from_name(const char *name, enum hk_fp *fpp)
{
	size_t i;

	if (fpp != NULL)
		*fpp = HK_FP_SHA256;
	if (name == NULL || fpp == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	for (i = 0; i < N_FP; i++) {
		if (strcasecmp(name, fp_names[i]) == 0) {
			*fpp = (enum hk_fp)i;
			return 0;
		}
	}
	return hk_errf(HK_ERR_INVALID_ARGUMENT, "unknown fingerprint type \"%s\"", name);
}

const char *
hk_fp_name(enum hk_fp fp)
{
	return (size_t)fp < N_FP ? fp_names[fp] : NULL;
}

/*
 * Digests are fetched once: the implicit fetch in EVP_Digest(EVP_sha256())
 * takes a lock and a lookup per call, which shows in 100,000-key files.
 */
static EVP_MD *md_sha256, *md_md5;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
md_init(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
}

/* One-shot digest; out holds at least EVP_MAX_MD_SIZE bytes. */
static int
digest(int sha256, const void *data, size_t len, uint8_t *out, size_t *outlen)
{
	unsigned int n = 0;
	EVP_MD *md;

	*outlen = 0;
	pthread_once(&md_once, md_init);
	/* MD5 may be absent under a FIPS-only provider configuration. */
	if ((md = sha256 ? md_sha256 : md_md5) == NULL)
		return hk_errf(HK_ERR_CRYPTO, "%s digest unavailable", sha256 ? "SHA256" : "MD5");
	if (EVP_Digest(data, len, out, &n, md, NULL) != 1)
		return HK_ERR_CRYPTO;
	*outlen = n;
	return 0;
}

/* DER tag and length header; returns its size (buf may be NULL to measure). */
static size_t
der_hdr(uint8_t *buf, uint8_t tag, size_t len)
{
	size_t n = 0, i, lenlen = 0, t;

	for (t = len; t > 0; t >>= 8)
		lenlen++;
	if (buf == NULL)
		return len < 0x80 ? 2 : 2 + lenlen;
	buf[n++] = tag;
	if (len < 0x80) {
		buf[n++] = (uint8_t)len;
		return n;
	}
	buf[n++] = (uint8_t)(0x80 | lenlen);
	for (i = lenlen; i > 0; i--)
		buf[n++] = (uint8_t)(len >> (8 * (i - 1)));
	return n;
}

/* A DER INTEGER of a positive magnitude (leading 0 when its top bit is set). */
static size_t
der_uint(uint8_t *buf, const uint8_t *mag, size_t len)
{
	int pad = len > 0 && (mag[0] & 0x80) != 0;
	size_t n;

	n = der_hdr(buf, 0x02, len + pad);
	if (buf == NULL)
		return n + len + pad;
	if (pad)
		buf[n++] = 0;
	memcpy(buf + n, mag, len);
	return n + len;
}

/*
 * DER SubjectPublicKeyInfo of an RSA key, which AWS digests for its MD5
 * fingerprint. Built by hand: the layout is fixed and small, and it keeps
 * fingerprinting free of OpenSSL key objects.
 */
static int
rsa_spki(const struct hk_key *key, uint8_t **derp, size_t *lenp)
{
	static const uint8_t alg[] = {
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
		0x01, 0x01, 0x01, 0x05, 0x00,
	};
	const uint8_t *n, *e;
	size_t nlen, elen, rsalen, bitlen, spkilen, o = 0;
	uint8_t *d;
	int r;

	*derp = NULL;
	*lenp = 0;
	if ((r = hk_key_rsa_parts(key, &n, &nlen, &e, &elen)) != 0)
		return r;
	rsalen = der_uint(NULL, n, nlen) + der_uint(NULL, e, elen);
	bitlen = 1 + der_hdr(NULL, 0x30, rsalen) + rsalen;
	spkilen = sizeof(alg) + der_hdr(NULL, 0x03, bitlen) + bitlen;
	/* A DER header is at most 6 bytes here (lengths below 2^32). */
	if (spkilen > HK_BUF_SIZE_MAX || (d = malloc(spkilen + 6)) == NULL)
		return HK_ERR_ALLOC;
	o += der_hdr(d + o, 0x30, spkilen);
	memcpy(d + o, alg, sizeof(alg));
	o += sizeof(alg);
	o += der_hdr(d + o, 0x03, bitlen);
	d[o++] = 0;	/* no unused bits */
	o += der_hdr(d + o, 0x30, rsalen);
	o += der_uint(d + o, n, nlen);
	o += der_uint(d + o, e, elen);
	*derp = d;
	*lenp = o;
	return 0;
}

/* The digest a fingerprint type is made of. */
static int
fp_digest(const struct hk_key *key, enum hk_fp fp, uint8_t *out, size_t *outlen)
{
	uint8_t *der = NULL;
	size_t derlen = 0;
	int r;

	*outlen = 0;
	switch (fp) {
	case HK_FP_SHA256:
		return digest(1, hk_key_blob_ptr(key), hk_key_blob_len(key), out, outlen);
	case HK_FP_MD5:
	case HK_FP_ALIYUN:
	case HK_FP_HUAWEI:
		return digest(0, hk_key_blob_ptr(key), hk_key_blob_len(key), out, outlen);
	case HK_FP_AWS:
		if (hk_key_type(key) == HK_KEY_ED25519)
			return digest(1, hk_key_blob_ptr(key), hk_key_blob_len(key),
			    out, outlen);
		if (hk_key_type(key) != HK_KEY_RSA)
			return hk_errf(HK_ERR_NOT_SUPPORTED, "AWS fingerprints only "
			    "RSA and Ed25519 keys");
		if ((r = rsa_spki(key, &der, &derlen)) != 0)
			return r;
		r = digest(0, der, derlen, out, outlen);
		free(der);
		return r;
	}
	return HK_ERR_INVALID_ARGUMENT;
}

static const char hexdigits[] = "0123456789abcdef";

/* Lowercase hex, with ':' between bytes when colons is set. */
static size_t
put_hex(char *dst, const uint8_t *d, size_t len, int colons)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (colons && i > 0)
			dst[o++] = ':';
		dst[o++] = hexdigits[d[i] >> 4];
		dst[o++] = hexdigits[d[i] & 15];
	}
	dst[o] = '\0';
	return o;
}

/* Base64 without '=' padding, as ssh-keygen prints SHA256 fingerprints. */
static size_t
put_b64_nopad(char *dst, const uint8_t *d, size_t len)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
		dst[o++] = a[v >> 18];
		dst[o++] = a[(v >> 12) & 63];
		dst[o++] = a[(v >> 6) & 63];
		dst[o++] = a[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)d[i] << 16;
		dst[o++] = a[v >> 18];
		dst[o++] = a[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8;
		dst[o++] = a[v >> 18];
		dst[o++] = a[(v >> 12) & 63];
		dst[o++] = a[(v >> 6) & 63];
	}
	dst[o] = '\0';
	return o;
}

int
hk_key_fingerprint_buf(const struct hk_key *key, enum hk_fp fp, char *buf,
    size_t size)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	size_t dlen, need;
	int r;

	if (buf != NULL && size > 0)
		buf[0] = '\0';
	if (key == NULL || buf == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if ((r = fp_digest(key, fp, d, &dlen)) != 0)
		return r;
	/* Worst case: "SHA256:" or "MD5:" plus 3 characters per byte. */
	need = 7 + 3 * dlen + 1;
	if (size < need)
		return HK_ERR_INVALID_ARGUMENT;
	switch (fp) {
	case HK_FP_SHA256:
		memcpy(buf, "SHA256:", 7);
		put_b64_nopad(buf + 7, d, dlen);
		break;
	case HK_FP_MD5:
		memcpy(buf, "MD5:", 4);
		put_hex(buf + 4, d, dlen, 1);
		break;
	case HK_FP_ALIYUN:
		put_hex(buf, d, dlen, 0);
		break;
	case HK_FP_HUAWEI:
		put_hex(buf, d, dlen, 1);
		break;
	case HK_FP_AWS:
		if (hk_key_type(key) == HK_KEY_ED25519)
			put_b64_nopad(buf, d, dlen);
		else
			put_hex(buf, d, dlen, 1);
		break;
	}
	return 0;
}

int
hk_key_fingerprint(const struct hk_key *key, enum hk_fp fp, char **fpp)
{
	char buf[HK_FP_MAX];
	int r;

	if (fpp != NULL)
		*fpp = NULL;
	if (fpp == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if ((r = hk_key_fingerprint_buf(key, fp, buf, sizeof(buf))) != 0)
		return r;
	if ((*fpp = strdup(buf)) == NULL)
		return HK_ERR_ALLOC;
	return 0;
}

/*
 * OpenSSH's "drunken bishop" (Loss, Limbert, Kim: "The Drunken Bishop: An
 * Analysis of the OpenSSH Fingerprint Visualization Algorithm"): a bishop
 * starts in the middle of a 17x9 board and makes four diagonal moves per
 * digest byte, low bits first; each square counts its visits.
 */
#define ART_BASE	8
#define ART_Y		(ART_BASE + 1)
#define ART_X		(ART_BASE * 2 + 1)

static size_t
art_border(char *p, const char *label)
{
	size_t i, n = 0, llen = strlen(label);

	p[n++] = '+';
	for (i = 0; i < (ART_X - llen) / 2; i++)
		p[n++] = '-';
	memcpy(p + n, label, llen);
	n += llen;
	for (i += llen; i < ART_X; i++)
		p[n++] = '-';
	p[n++] = '+';
	return n;
}

int
hk_key_randomart(const struct hk_key *key, enum hk_fp fp, char **artp)
{
	static const char aug[] = " .o+=*BOX@%&#/^SE";
	const size_t naug = sizeof(aug) - 2;	/* index of 'E' */
	uint8_t field[ART_X][ART_Y], d[EVP_MAX_MD_SIZE];
	char title[ART_X], hash[ART_X], *art, *p;
	size_t i, dlen;
	int x, y, b, in, r;

	if (artp != NULL)
		*artp = NULL;
	if (key == NULL || artp == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	/* ssh-keygen draws only its own two digests. */
	if (fp != HK_FP_SHA256 && fp != HK_FP_MD5)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "randomart is drawn for "
		    "sha256 and md5 only");
	if ((r = fp_digest(key, fp, d, &dlen)) != 0)
		return r;
	memset(field, 0, sizeof(field));
	x = ART_X / 2;
	y = ART_Y / 2;
	for (i = 0; i < dlen; i++) {
		in = d[i];
		for (b = 0; b < 4; b++) {
			x += (in & 1) ? 1 : -1;
			y += (in & 2) ? 1 : -1;
			x = x < 0 ? 0 : (x > ART_X - 1 ? ART_X - 1 : x);
			y = y < 0 ? 0 : (y > ART_Y - 1 ? ART_Y - 1 : y);
			if (field[x][y] < naug - 2)
				field[x][y]++;
			in >>= 2;
		}
	}
	field[ART_X / 2][ART_Y / 2] = (uint8_t)(naug - 1);	/* S */
	field[x][y] = (uint8_t)naug;				/* E */

	/* Like ssh-keygen: "[TYPE BITS]", or "[TYPE]" when that does not fit. */
	r = snprintf(title, sizeof(title), "[%s %u]", hk_key_type_label(key),
	    hk_key_bits(key));
	if (r < 0 || r > (int)sizeof(title))
		snprintf(title, sizeof(title), "[%s]", hk_key_type_label(key));
	snprintf(hash, sizeof(hash), "[%s]", fp == HK_FP_SHA256 ? "SHA256" : "MD5");

	if ((art = malloc((ART_X + 3) * (ART_Y + 2) + 1)) == NULL)
		return HK_ERR_ALLOC;
	p = art;
	p += art_border(p, title);
	*p++ = '\n';
	for (y = 0; y < ART_Y; y++) {
		*p++ = '|';
		for (x = 0; x < ART_X; x++)
			*p++ = aug[field[x][y] < naug ? field[x][y] : naug];
		*p++ = '|';
		*p++ = '\n';
	}
	p += art_border(p, hash);
	*p = '\0';
	*artp = art;
	return 0;
}

/* Normal form for comparing: lowercase, no ':', no prefix, no trailing '='. */
static size_t
fp_normalize(const char *s, char *out, size_t size)
{
	size_t n = 0, len;

	if (strncasecmp(s, "SHA256:", 7) == 0)
		s += 7;
	else if (strncasecmp(s, "MD5:", 4) == 0)
		s += 4;
	len = strlen(s);
	while (len > 0 && s[len - 1] == '=')
		len--;
	for (; len > 0; s++, len--) {
		if (*s == ':')
			continue;
		if (n + 1 >= size)
			return (size_t)-1;
		out[n++] = (char)tolower((unsigned char)*s);
	}
	out[n] = '\0';
	return n;
}

int
hk_fp_equal(const char *a, const char *b)
{
	char na[HK_FP_MAX], nb[HK_FP_MAX];
	size_t la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = fp_normalize(a, na, sizeof(na));
	lb = fp_normalize(b, nb, sizeof(nb));
	if (la == (size_t)-1 || lb == (size_t)-1 || la == 0)
		return 0;
	return la == lb && memcmp(na, nb, la) == 0;
}
