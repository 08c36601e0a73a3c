/* Request signing: percent-encoding, canonical query and headers, and the
 * Alibaba v1 / ACS3 and Huawei SDK-HMAC-SHA256 signatures (cloud-apis.md 3, 6). */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "buf.h"
#include "err.h"
#include "sign.h"

static const char hexup[] = "0123456789ABCDEF";
static const char hexlow[] = "0123456789abcdef";

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
}

int
hk_urlenc(struct hk_buf *out, const char *s, size_t len)
{
	size_t i, n = 0;
	uint8_t *d;
	int r;

	for (i = 0; i < len; i++)
		n += unreserved((unsigned char)s[i]) ? 1 : 3;
	if ((r = hk_buf_reserve(out, n, &d)) != 0)
		return r;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c)) {
			*d++ = c;
		} else {
			*d++ = '%';
			*d++ = (uint8_t)hexup[c >> 4];
			*d++ = (uint8_t)hexup[c & 15];
		}
	}
	return 0;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hk_urldec(const char *s, size_t len, int flags, char **outp)
{
	size_t i, o = 0;
	char *d;
	int hi, lo;

	*outp = NULL;
	if ((d = malloc(len + 1)) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (i + 2 >= len) {
				free(d);
				return hk_errf(HK_ERR_INVALID_ARGUMENT, "truncated %% escape");
			}
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(d);
				return hk_errf(HK_ERR_INVALID_ARGUMENT,
				    "invalid %% escape");
			}
			d[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && (flags & HK_URLDEC_FORM)) {
			d[o++] = ' ';
		} else if (s[i] == '\0') {
			free(d);
			return hk_errf(HK_ERR_INVALID_ARGUMENT, "NUL in encoded text");
		} else {
			d[o++] = s[i];
		}
	}
	d[o] = '\0';
	*outp = d;
	return 0;
}

struct enc_pair {
	char *name;
	char *value;
};

static int
enc_pair_cmp(const void *a, const void *b)
{
	const struct enc_pair *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->value, y->value);
}

static char *
enc_dup(const char *s)
{
	struct hk_buf *b;
	char *r = NULL;

	if ((b = hk_buf_new()) == NULL)
		return NULL;
	if (hk_urlenc(b, s, strlen(s)) == 0)
		r = hk_buf_dup_string(b);
	hk_buf_free(b);
	return r;
}

int
hk_sign_canonical_query(const struct hk_param *p, size_t n, char **outp)
{
	struct enc_pair *e = NULL;
	struct hk_buf *b = NULL;
	size_t i;
	char *s;
	int r = HK_ERR_ALLOC;

	*outp = NULL;
	if ((b = hk_buf_new()) == NULL)
		goto out;
	if (n > 0 && (e = calloc(n, sizeof(*e))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (p[i].name == NULL) {
			r = hk_errf(HK_ERR_INVALID_ARGUMENT, "parameter without a name");
			goto out;
		}
		if ((e[i].name = enc_dup(p[i].name)) == NULL ||
		    (e[i].value = enc_dup(p[i].value == NULL ? "" : p[i].value)) == NULL)
			goto out;
	}
	if (n > 1)
		qsort(e, n, sizeof(*e), enc_pair_cmp);
	for (i = 0; i < n; i++) {
		if ((r = hk_buf_putf(b, "%s%s=%s", i ? "&" : "", e[i].name,
		    e[i].value)) != 0)
			goto out;
	}
	if ((s = hk_buf_dup_string(b)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	*outp = s;
	r = 0;
 out:
	for (i = 0; e != NULL && i < n; i++) {
		free(e[i].name);
		free(e[i].value);
	}
	free(e);
	hk_buf_free(b);
	return r;
}

int
hk_sign_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t i;

	if (SHA256(data == NULL ? (const void *)"" : data, len, md) == NULL)
		return HK_ERR_CRYPTO;
	for (i = 0; i < sizeof(md); i++) {
		hex[2 * i] = hexlow[md[i] >> 4];
		hex[2 * i + 1] = hexlow[md[i] & 15];
	}
	hex[64] = '\0';
	return 0;
}

/* HMAC into md (at least EVP_MAX_MD_SIZE bytes); *mdlen set. */
static int
hmac(const EVP_MD *evp, const void *key, size_t keylen, const char *msg,
    unsigned char *md, unsigned int *mdlen)
{
	if (keylen > INT32_MAX)
		return HK_ERR_INVALID_ARGUMENT;
	if (HMAC(evp, key, (int)keylen, (const unsigned char *)msg, strlen(msg),
	    md, mdlen) == NULL)
		return hk_errf(HK_ERR_CRYPTO, "HMAC failed");
	return 0;
}

int
hk_sign_aliyun_v1_string(const char *method, const struct hk_param *p, size_t n,
    char **stsp)
{
	struct hk_buf *b = NULL;
	char *cq = NULL, *s;
	int r;

	*stsp = NULL;
	if ((r = hk_sign_canonical_query(p, n, &cq)) != 0)
		goto out;
	if ((b = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	/* The canonical query is encoded a second time (cloud-apis.md 3.1). */
	if ((r = hk_buf_putf(b, "%s&%%2F&", method)) != 0 ||
	    (r = hk_urlenc(b, cq, strlen(cq))) != 0)
		goto out;
	if ((s = hk_buf_dup_string(b)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	*stsp = s;
 out:
	free(cq);
	hk_buf_free(b);
	return r;
}

int
hk_sign_aliyun_v1(const char *method, const struct hk_param *p, size_t n,
    const char *secret, char **sigp)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct hk_buf *b = NULL;
	char *sts = NULL, *key = NULL, *s;
	size_t keylen = 0;
	int r;

	*sigp = NULL;
	if ((r = hk_sign_aliyun_v1_string(method, p, n, &sts)) != 0)
		goto out;
	keylen = strlen(secret) + 1;
	if ((key = malloc(keylen + 1)) == NULL || (b = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	memcpy(key, secret, keylen - 1);
	key[keylen - 1] = '&';
	key[keylen] = '\0';
	if ((r = hmac(EVP_sha1(), key, keylen, sts, md, &mdlen)) != 0 ||
	    (r = hk_b64_encode(b, md, mdlen, 0)) != 0)
		goto out;
	if ((s = hk_buf_dup_string(b)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	*sigp = s;
 out:
	hk_wipe(md, sizeof(md));
	hk_freezero(key, keylen + 1);
	hk_buf_free(b);
	free(sts);
	return r;
}

struct canon_hdr {
	char *name;	/* lowercase */
	const char *value;	/* trimmed: points into the caller's value */
	size_t vlen;
};

static int
canon_hdr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct canon_hdr *)a)->name,
	    ((const struct canon_hdr *)b)->name);
}

/*
 * Canonical headers ("name:value\n" sorted by lowercase name) into b, and the
 * signed-header list "a;b" into *signedp.
 */
static int
canon_headers(const struct hk_header *h, size_t nh, struct hk_buf *b, char **signedp)
{
	struct canon_hdr *c = NULL;
	struct hk_buf *sb = NULL;
	size_t i, j, l;
	const char *v;
	int r = HK_ERR_ALLOC;

	*signedp = NULL;
	if (nh == 0)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "no headers to sign");
	if ((c = calloc(nh, sizeof(*c))) == NULL || (sb = hk_buf_new()) == NULL)
		goto out;
	for (i = 0; i < nh; i++) {
		if (h[i].name == NULL || (c[i].name = strdup(h[i].name)) == NULL)
			goto out;
		for (j = 0; c[i].name[j] != '\0'; j++)
			c[i].name[j] = (char)tolower((unsigned char)c[i].name[j]);
		v = h[i].value == NULL ? "" : h[i].value;
		while (*v == ' ' || *v == '\t')
			v++;
		l = strlen(v);
		while (l > 0 && (v[l - 1] == ' ' || v[l - 1] == '\t'))
			l--;
		c[i].value = v;
		c[i].vlen = l;
	}
	qsort(c, nh, sizeof(*c), canon_hdr_cmp);
	for (i = 0; i < nh; i++) {
		if ((r = hk_buf_putf(b, "%s:%.*s\n", c[i].name, (int)c[i].vlen,
		    c[i].value)) != 0 ||
		    (r = hk_buf_putf(sb, "%s%s", i ? ";" : "", c[i].name)) != 0)
			goto out;
	}
	if ((*signedp = hk_buf_dup_string(sb)) == NULL)
		r = HK_ERR_ALLOC;
 out:
	for (i = 0; c != NULL && i < nh; i++)
		free(c[i].name);
	free(c);
	hk_buf_free(sb);
	return r;
}

static const char *
header_find(const struct hk_header *h, size_t nh, const char *name)
{
	size_t i;

	for (i = 0; i < nh; i++)
		if (h[i].name != NULL && strcasecmp(h[i].name, name) == 0)
			return h[i].value == NULL ? "" : h[i].value;
	return NULL;
}

/* Encode each segment of path; add a trailing '/' when asked (Huawei). */
static int
canon_uri(struct hk_buf *b, const char *path, int trailing_slash)
{
	const char *p = path, *e;
	int r;

	if (*p == '\0')
		return hk_buf_put(b, "/", 1);
	while (*p != '\0') {
		if (*p == '/') {
			if ((r = hk_buf_put(b, "/", 1)) != 0)
				return r;
			p++;
			continue;
		}
		if ((e = strchr(p, '/')) == NULL)
			e = p + strlen(p);
		if ((r = hk_urlenc(b, p, (size_t)(e - p))) != 0)
			return r;
		p = e;
	}
	if (trailing_slash && path[strlen(path) - 1] != '/')
		return hk_buf_put(b, "/", 1);
	return 0;
}

/* Shared CanonicalRequest of ACS3 and Huawei (they differ in URI and body hash). */
static int
canonical_request(const char *method, const char *path, int huawei,
    const struct hk_param *query, size_t nq, const struct hk_header *h, size_t nh,
    const void *body, size_t bodylen, char **crp, char **signedp)
{
	struct hk_buf *b = NULL;
	char *cq = NULL, *sh = NULL, hex[65];
	const char *bodyhash = NULL;
	int r;

	*crp = NULL;
	if (signedp != NULL)
		*signedp = NULL;
	if ((b = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if (huawei)
		bodyhash = header_find(h, nh, "x-sdk-content-sha256");
	if (bodyhash == NULL) {
		if ((r = hk_sign_sha256_hex(body, bodylen, hex)) != 0)
			goto out;
		bodyhash = hex;
	}
	if ((r = hk_sign_canonical_query(query, nq, &cq)) != 0 ||
	    (r = hk_buf_putf(b, "%s\n", method)) != 0 ||
	    (r = canon_uri(b, path, huawei)) != 0 ||
	    (r = hk_buf_putf(b, "\n%s\n", cq)) != 0 ||
	    (r = canon_headers(h, nh, b, &sh)) != 0 ||
	    (r = hk_buf_putf(b, "\n%s\n%s", sh, bodyhash)) != 0)
		goto out;
	if ((*crp = hk_buf_dup_string(b)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if (signedp != NULL) {
		*signedp = sh;
		sh = NULL;
	}
 out:
	free(cq);
	free(sh);
	hk_buf_free(b);
	return r;
}

int
hk_sign_acs3_canonical(const char *method, const char *path,
    const struct hk_param *query, size_t nq, const struct hk_header *h, size_t nh,
    const void *body, size_t bodylen, char **crp)
{
	return canonical_request(method, path, 0, query, nq, h, nh, body, bodylen,
	    crp, NULL);
}

int
hk_sign_huawei_canonical(const char *method, const char *path,
    const struct hk_param *query, size_t nq, const struct hk_header *h, size_t nh,
    const void *body, size_t bodylen, char **crp)
{
	return canonical_request(method, path, 1, query, nq, h, nh, body, bodylen,
	    crp, NULL);
}

/* Hex HMAC-SHA256(key, sts) into hex[65]. */
static int
hmac256_hex(const char *key, const char *sts, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	int r;

	if ((r = hmac(EVP_sha256(), key, strlen(key), sts, md, &mdlen)) != 0)
		return r;
	for (i = 0; i < mdlen && i < 32; i++) {
		hex[2 * i] = hexlow[md[i] >> 4];
		hex[2 * i + 1] = hexlow[md[i] & 15];
	}
	hex[64] = '\0';
	hk_wipe(md, sizeof(md));
	return 0;
}

static int
sign_common(int huawei, const char *method, const char *path,
    const struct hk_param *query, size_t nq, const struct hk_header *h, size_t nh,
    const void *body, size_t bodylen, const char *ak, const char *secret,
    char **authp)
{
	struct hk_buf *b = NULL;
	char *cr = NULL, *sh = NULL, crhash[65], sig[65];
	const char *date = NULL;
	int r;

	*authp = NULL;
	if (huawei && (date = header_find(h, nh, "x-sdk-date")) == NULL)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "X-Sdk-Date header missing");
	if ((b = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = canonical_request(method, path, huawei, query, nq, h, nh, body,
	    bodylen, &cr, &sh)) != 0 ||
	    (r = hk_sign_sha256_hex(cr, strlen(cr), crhash)) != 0)
		goto out;
	if (huawei)
		r = hk_buf_putf(b, "SDK-HMAC-SHA256\n%s\n%s", date, crhash);
	else
		r = hk_buf_putf(b, "ACS3-HMAC-SHA256\n%s", crhash);
	if (r != 0)
		goto out;
	{
		char *sts = hk_buf_dup_string(b);

		if (sts == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		r = hmac256_hex(secret, sts, sig);
		free(sts);
		if (r != 0)
			goto out;
	}
	hk_buf_reset(b);
	if (huawei)
		r = hk_buf_putf(b, "SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, "
		    "Signature=%s", ak, sh, sig);
	else
		r = hk_buf_putf(b, "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,"
		    "Signature=%s", ak, sh, sig);
	if (r != 0)
		goto out;
	if ((*authp = hk_buf_dup_string(b)) == NULL)
		r = HK_ERR_ALLOC;
 out:
	free(cr);
	free(sh);
	hk_buf_free(b);
	return r;
}

int
hk_sign_acs3(const char *method, const char *path,
    const struct hk_param *query, size_t nq, const struct hk_header *h, size_t nh,
    const void *body, size_t bodylen, const char *ak, const char *secret,
    char **authp)
{
	return sign_common(0, method, path, query, nq, h, nh, body, bodylen, ak,
	    secret, authp);
}

int
hk_sign_huawei(const char *method, const char *path,
    const struct hk_param *query, size_t nq, const struct hk_header *h, size_t nh,
    const void *body, size_t bodylen, const char *ak, const char *sk,
    char **authp)
{
	return sign_common(1, method, path, query, nq, h, nh, body, bodylen, ak,
	    sk, authp);
}

int
hk_sign_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = 0;

	if (la != lb)
		return 0;
	for (i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}
