/* hk_buf: growable wire buffer, SSH wire codecs and base64. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "err.h"

struct hk_buf {
	uint8_t *d;		/* data; NULL for an empty owned buffer */
	size_t off;		/* read offset */
	size_t size;		/* bytes used (including consumed ones) */
	size_t alloc;		/* bytes allocated */
	int readonly;
};

void
hk_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

void
hk_freezero(void *p, size_t len)
{
	if (p == NULL)
		return;
	hk_wipe(p, len);
	free(p);
}

struct hk_buf *
hk_buf_new(void)
{
	return calloc(1, sizeof(struct hk_buf));
}

struct hk_buf *
hk_buf_from(const void *data, size_t len)
{
	struct hk_buf *b;

	if ((data == NULL && len != 0) || len > HK_BUF_SIZE_MAX)
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->d = (uint8_t *)data;	/* never written: readonly */
	b->size = b->alloc = len;
	b->readonly = 1;
	return b;
}

void
hk_buf_free(struct hk_buf *b)
{
	if (b == NULL)
		return;
	if (!b->readonly)
		hk_freezero(b->d, b->alloc);
	free(b);
}

void
hk_buf_reset(struct hk_buf *b)
{
	if (b == NULL)
		return;
	if (b->readonly) {
		b->off = b->size;
		return;
	}
	hk_wipe(b->d, b->size);
	b->off = b->size = 0;
}

size_t
hk_buf_len(const struct hk_buf *b)
{
	return b == NULL ? 0 : b->size - b->off;
}

const uint8_t *
hk_buf_ptr(const struct hk_buf *b)
{
	return b->d == NULL ? (const uint8_t *)"" : b->d + b->off;
}

uint8_t *
hk_buf_mutable_ptr(struct hk_buf *b)
{
	if (b->readonly || b->d == NULL)
		return NULL;
	return b->d + b->off;
}

int
hk_buf_consume(struct hk_buf *b, size_t len)
{
	if (len > hk_buf_len(b))
		return HK_ERR_BUF_TOO_SHORT;
	b->off += len;
	if (b->off == b->size && !b->readonly)
		b->off = b->size = 0;
	return 0;
}

int
hk_buf_consume_end(struct hk_buf *b, size_t len)
{
	if (len > hk_buf_len(b))
		return HK_ERR_BUF_TOO_SHORT;
	b->size -= len;
	return 0;
}

int
hk_buf_reserve(struct hk_buf *b, size_t len, uint8_t **dstp)
{
	size_t need, nalloc;
	uint8_t *nd;

	if (dstp != NULL)
		*dstp = NULL;
	if (b->readonly)
		return HK_ERR_INVALID_ARGUMENT;
	if (len > HK_BUF_SIZE_MAX || b->size - b->off + len > HK_BUF_SIZE_MAX)
		return HK_ERR_BUF_LIMIT;
	/* Compact before growing: consumed bytes are dead. */
	if (b->off > 0 && b->size + len > b->alloc) {
		memmove(b->d, b->d + b->off, b->size - b->off);
		hk_wipe(b->d + b->size - b->off, b->off);
		b->size -= b->off;
		b->off = 0;
	}
	need = b->size + len;
	if (need > b->alloc || b->d == NULL) {	/* a fresh buffer has no memory yet */
		nalloc = b->alloc < 256 ? 256 : b->alloc;
		while (nalloc < need)
			nalloc *= 2;
		if (nalloc > HK_BUF_SIZE_MAX)
			nalloc = HK_BUF_SIZE_MAX;
		/* Not realloc: the old copy may hold a secret and must be wiped. */
		if ((nd = malloc(nalloc)) == NULL)
			return HK_ERR_ALLOC;
		if (b->d != NULL) {
			memcpy(nd, b->d, b->size);
			hk_freezero(b->d, b->alloc);
		}
		b->d = nd;
		b->alloc = nalloc;
	}
	if (dstp != NULL)
		*dstp = b->d + b->size;
	b->size += len;
	return 0;
}

char *
hk_buf_dup_string(const struct hk_buf *b)
{
	size_t len = hk_buf_len(b);
	char *s;

	if (memchr(hk_buf_ptr(b), '\0', len) != NULL)
		return NULL;
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(s, hk_buf_ptr(b), len);
	s[len] = '\0';
	return s;
}

int
hk_buf_get(struct hk_buf *b, void *dst, size_t len)
{
	if (len > hk_buf_len(b))
		return HK_ERR_BUF_TOO_SHORT;
	if (dst != NULL && len > 0)
		memcpy(dst, hk_buf_ptr(b), len);
	return hk_buf_consume(b, len);
}

int
hk_buf_get_u8(struct hk_buf *b, uint8_t *valp)
{
	return hk_buf_get(b, valp, 1);
}

int
hk_buf_get_u32(struct hk_buf *b, uint32_t *valp)
{
	const uint8_t *p;

	if (hk_buf_len(b) < 4)
		return HK_ERR_BUF_TOO_SHORT;
	p = hk_buf_ptr(b);
	if (valp != NULL)
		*valp = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | (uint32_t)p[3];
	return hk_buf_consume(b, 4);
}

int
hk_buf_get_u64(struct hk_buf *b, uint64_t *valp)
{
	uint32_t hi, lo;
	int r;

	if (hk_buf_len(b) < 8)
		return HK_ERR_BUF_TOO_SHORT;
	if ((r = hk_buf_get_u32(b, &hi)) != 0 || (r = hk_buf_get_u32(b, &lo)) != 0)
		return r;
	if (valp != NULL)
		*valp = (uint64_t)hi << 32 | lo;
	return 0;
}

int
hk_buf_peek_string_direct(const struct hk_buf *b, const uint8_t **valp, size_t *lenp)
{
	const uint8_t *p;
	uint32_t len;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if (hk_buf_len(b) < 4)
		return HK_ERR_BUF_TOO_SHORT;
	p = hk_buf_ptr(b);
	len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (len > HK_BUF_SIZE_MAX - 4)
		return HK_ERR_BUF_LENGTH;
	if (hk_buf_len(b) - 4 < len)
		return HK_ERR_BUF_TOO_SHORT;
	if (valp != NULL)
		*valp = p + 4;
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

int
hk_buf_get_string_direct(struct hk_buf *b, const uint8_t **valp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = hk_buf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if ((r = hk_buf_consume(b, 4 + len)) != 0)
		return r;
	if (valp != NULL)
		*valp = p;
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

int
hk_buf_get_string(struct hk_buf *b, uint8_t **valp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	uint8_t *v;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = hk_buf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if (valp != NULL) {
		if ((v = malloc(len + 1)) == NULL)
			return HK_ERR_ALLOC;
		if (len > 0)
			memcpy(v, p, len);
		v[len] = '\0';
		*valp = v;
	}
	if (lenp != NULL)
		*lenp = len;
	return hk_buf_consume(b, 4 + len);
}

int
hk_buf_get_cstring(struct hk_buf *b, char **valp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = hk_buf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if (len > 0 && memchr(p, '\0', len) != NULL)
		return HK_ERR_FORMAT_MALFORMED;
	return hk_buf_get_string(b, (uint8_t **)valp, lenp);
}

int
hk_buf_get_bignum2_bytes_direct(struct hk_buf *b, const uint8_t **valp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = hk_buf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if (len > 16384 / 8 + 1)
		return HK_ERR_BUF_LENGTH;
	if (len > 0 && (p[0] & 0x80) != 0)
		return HK_ERR_FORMAT_MALFORMED;	/* negative */
	if (len > 1 && p[0] == 0 && (p[1] & 0x80) == 0)
		return HK_ERR_FORMAT_MALFORMED;	/* non-minimal */
	if ((r = hk_buf_consume(b, 4 + len)) != 0)
		return r;
	if (len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	if (valp != NULL)
		*valp = p;
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

int
hk_buf_put(struct hk_buf *b, const void *src, size_t len)
{
	uint8_t *dst;
	int r;

	if (len == 0)
		return 0;
	if ((r = hk_buf_reserve(b, len, &dst)) != 0)
		return r;
	memcpy(dst, src, len);
	return 0;
}

int
hk_buf_putb(struct hk_buf *b, const struct hk_buf *src)
{
	return hk_buf_put(b, hk_buf_ptr(src), hk_buf_len(src));
}

int
hk_buf_putf(struct hk_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	uint8_t *dst;
	char tmp[1];
	int n, r;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return HK_ERR_INVALID_ARGUMENT;
	}
	if ((r = hk_buf_reserve(b, (size_t)n + 1, &dst)) != 0) {
		va_end(ap2);
		return r;
	}
	vsnprintf((char *)dst, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return hk_buf_consume_end(b, 1);	/* drop the NUL */
}

int
hk_buf_put_u8(struct hk_buf *b, uint8_t val)
{
	return hk_buf_put(b, &val, 1);
}

int
hk_buf_put_u32(struct hk_buf *b, uint32_t v)
{
	uint8_t p[4] = { v >> 24, v >> 16, v >> 8, v };

	return hk_buf_put(b, p, sizeof(p));
}

int
hk_buf_put_u64(struct hk_buf *b, uint64_t v)
{
	int r;

	if ((r = hk_buf_put_u32(b, (uint32_t)(v >> 32))) != 0)
		return r;
	return hk_buf_put_u32(b, (uint32_t)v);
}

int
hk_buf_put_string(struct hk_buf *b, const void *src, size_t len)
{
	int r;

	if (len > HK_BUF_SIZE_MAX - 4)
		return HK_ERR_BUF_LIMIT;
	if ((r = hk_buf_put_u32(b, (uint32_t)len)) != 0)
		return r;
	return hk_buf_put(b, src, len);
}

int
hk_buf_put_cstring(struct hk_buf *b, const char *str)
{
	return hk_buf_put_string(b, str, str == NULL ? 0 : strlen(str));
}

int
hk_buf_put_stringb(struct hk_buf *b, const struct hk_buf *src)
{
	return hk_buf_put_string(b, hk_buf_ptr(src), hk_buf_len(src));
}

int
hk_buf_put_bignum2_bytes(struct hk_buf *b, const void *src, size_t len)
{
	const uint8_t *s = src;
	uint8_t *dst;
	int prepend, r;

	while (len > 0 && *s == 0) {	/* strip leading zeros */
		s++;
		len--;
	}
	prepend = len > 0 && (s[0] & 0x80) != 0;
	if ((r = hk_buf_put_u32(b, (uint32_t)(len + prepend))) != 0)
		return r;
	if ((r = hk_buf_reserve(b, len + prepend, &dst)) != 0)
		return r;
	if (prepend)
		*dst++ = 0;
	if (len > 0)
		memcpy(dst, s, len);
	return 0;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
hk_b64_encoded_len(size_t len)
{
	return ((len + 2) / 3) * 4;
}

int
hk_b64_encode(struct hk_buf *out, const void *src, size_t len, size_t wrap)
{
	const uint8_t *s = src;
	size_t n, i, col = 0, o = 0;
	uint8_t *dst;
	uint32_t v;
	int r;

	n = hk_b64_encoded_len(len);
	if (wrap > 0 && n > 0)
		n += (n - 1) / wrap;
	if ((r = hk_buf_reserve(out, n, &dst)) != 0)
		return r;
#define B64_PUT(c) do { \
		if (wrap > 0 && col == wrap) { dst[o++] = '\n'; col = 0; } \
		dst[o++] = (c); col++; \
	} while (0)
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		B64_PUT(b64_alphabet[v >> 18]);
		B64_PUT(b64_alphabet[(v >> 12) & 63]);
		B64_PUT(b64_alphabet[(v >> 6) & 63]);
		B64_PUT(b64_alphabet[v & 63]);
	}
	if (len - i == 1) {
		v = (uint32_t)s[i] << 16;
		B64_PUT(b64_alphabet[v >> 18]);
		B64_PUT(b64_alphabet[(v >> 12) & 63]);
		B64_PUT('=');
		B64_PUT('=');
	} else if (len - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		B64_PUT(b64_alphabet[v >> 18]);
		B64_PUT(b64_alphabet[(v >> 12) & 63]);
		B64_PUT(b64_alphabet[(v >> 6) & 63]);
		B64_PUT('=');
	}
#undef B64_PUT
	return 0;
}

/* 0..63 for alphabet characters, 64 for '=', 65 for space, 255 otherwise. */
static uint8_t b64_t[256];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void
b64_table_init(void)
{
	int i;

	memset(b64_t, 255, sizeof(b64_t));
	for (i = 0; i < 64; i++)
		b64_t[(uint8_t)b64_alphabet[i]] = (uint8_t)i;
	b64_t['='] = 64;
	b64_t[' '] = b64_t['\t'] = b64_t['\r'] = b64_t['\n'] = 65;
}

/*
 * Built once: a second thread re-filling it (memset to 255 first) under a
 * decode in progress would make that decode fail (the provisioning engine
 * and hwkey-cloudsim decode on many threads).
 */
static const uint8_t *
b64_table(void)
{
	(void)pthread_once(&b64_once, b64_table_init);
	return b64_t;
}

int
hk_b64_decode(struct hk_buf *out, const char *src, size_t len, int flags)
{
	const uint8_t *t = b64_table();
	uint8_t q[4], *dst;
	size_t i, nq = 0, npad = 0, o = 0, start;
	int r;

	start = hk_buf_len(out);
	/* Upper bound of the output; trimmed at the end. */
	if ((r = hk_buf_reserve(out, (len / 4 + 1) * 3, &dst)) != 0)
		return r;
	for (i = 0; i < len; i++) {
		uint8_t c = t[(uint8_t)src[i]];

		if (c == 65 && (flags & HK_B64_SKIP_SPACE))
			continue;
		if (c == 64) {
			npad++;
			continue;
		}
		if (c > 63 || npad > 0)
			goto bad;	/* junk, or data after padding */
		q[nq++] = c;
		if (nq == 4) {
			dst[o++] = (uint8_t)(q[0] << 2 | q[1] >> 4);
			dst[o++] = (uint8_t)(q[1] << 4 | q[2] >> 2);
			dst[o++] = (uint8_t)(q[2] << 6 | q[3]);
			nq = 0;
		}
	}
	/* Tail: 2 or 3 characters make 1 or 2 bytes; padding must complete a quad. */
	if (nq == 1 || (npad > 0 && nq + npad != 4))
		goto bad;
	if (nq == 2) {
		if ((q[1] & 0x0f) != 0)
			goto bad;	/* non-canonical trailing bits */
		dst[o++] = (uint8_t)(q[0] << 2 | q[1] >> 4);
	} else if (nq == 3) {
		if ((q[2] & 0x03) != 0)
			goto bad;
		dst[o++] = (uint8_t)(q[0] << 2 | q[1] >> 4);
		dst[o++] = (uint8_t)(q[1] << 4 | q[2] >> 2);
	}
	return hk_buf_consume_end(out, (len / 4 + 1) * 3 - o);
 bad:
	hk_buf_consume_end(out, hk_buf_len(out) - start);
	return HK_ERR_BASE64;
}
