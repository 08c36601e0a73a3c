/* hk_buf: a growable byte buffer with a read offset, and the SSH wire-format
 * codecs over it (RFC 4251 uint32, string, mpint). Modelled on OpenSSH sshbuf. */
#ifndef HK_BUF_H
#define HK_BUF_H

#include <stddef.h>
#include <stdint.h>

#define HK_BUF_SIZE_MAX (16 * 1024 * 1024)	/* hard limit of any buffer */

struct hk_buf;

/*
 * Contract: every function returns 0 or a negative HK_ERR_*. Getters read from
 * the current offset and advance it only on success. "_direct" returns a
 * pointer into the buffer valid until the next modification. Buffers wipe
 * their memory when freed or reset, so they may hold secrets.
 */
struct hk_buf *hk_buf_new(void);
/* A read-only buffer over caller memory (no copy; writes fail). */
struct hk_buf *hk_buf_from(const void *data, size_t len);
void hk_buf_free(struct hk_buf *buf);		/* accepts NULL; wipes */
void hk_buf_reset(struct hk_buf *buf);		/* empties and wipes */

size_t hk_buf_len(const struct hk_buf *buf);	/* unread bytes */
const uint8_t *hk_buf_ptr(const struct hk_buf *buf);	/* first unread byte */
uint8_t *hk_buf_mutable_ptr(struct hk_buf *buf);
int hk_buf_consume(struct hk_buf *buf, size_t len);
int hk_buf_consume_end(struct hk_buf *buf, size_t len);
/* Reserve len bytes at the end and return a pointer to them. */
int hk_buf_reserve(struct hk_buf *buf, size_t len, uint8_t **dstp);
/* NUL-terminated copy of the unread bytes (for text); NULL on failure. */
char *hk_buf_dup_string(const struct hk_buf *buf);

int hk_buf_get(struct hk_buf *buf, void *dst, size_t len);
int hk_buf_get_u8(struct hk_buf *buf, uint8_t *valp);
int hk_buf_get_u32(struct hk_buf *buf, uint32_t *valp);
int hk_buf_get_u64(struct hk_buf *buf, uint64_t *valp);
/* string: copy, with a NUL after it; *lenp excludes the NUL. */
int hk_buf_get_string(struct hk_buf *buf, uint8_t **valp, size_t *lenp);
/* cstring: as string, but fails on an embedded NUL. */
int hk_buf_get_cstring(struct hk_buf *buf, char **valp, size_t *lenp);
int hk_buf_get_string_direct(struct hk_buf *buf, const uint8_t **valp, size_t *lenp);
int hk_buf_peek_string_direct(const struct hk_buf *buf, const uint8_t **valp, size_t *lenp);
/*
 * mpint that must be non-negative (RFC 4251): returns the magnitude without
 * the leading zero byte. Rejects negative values and non-minimal encodings.
 */
int hk_buf_get_bignum2_bytes_direct(struct hk_buf *buf, const uint8_t **valp, size_t *lenp);

int hk_buf_put(struct hk_buf *buf, const void *src, size_t len);
int hk_buf_putb(struct hk_buf *buf, const struct hk_buf *src);
int hk_buf_putf(struct hk_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int hk_buf_put_u8(struct hk_buf *buf, uint8_t val);
int hk_buf_put_u32(struct hk_buf *buf, uint32_t val);
int hk_buf_put_u64(struct hk_buf *buf, uint64_t val);
int hk_buf_put_string(struct hk_buf *buf, const void *src, size_t len);
int hk_buf_put_cstring(struct hk_buf *buf, const char *str);
int hk_buf_put_stringb(struct hk_buf *buf, const struct hk_buf *src);
/* Big-endian unsigned magnitude -> minimal mpint (adds 0x00 if the top bit is set). */
int hk_buf_put_bignum2_bytes(struct hk_buf *buf, const void *src, size_t len);

/*
 * Base64 (RFC 4648). Encoding appends to out; wrap > 0 inserts "\n" every
 * wrap characters (no trailing newline). Decoding appends to out; with
 * HK_B64_SKIP_SPACE, whitespace between characters is ignored (multi-line
 * PEM/RFC 4716 bodies). Padding is optional but must be right when present.
 */
#define HK_B64_SKIP_SPACE 0x01
int hk_b64_encode(struct hk_buf *out, const void *src, size_t len, size_t wrap);
int hk_b64_decode(struct hk_buf *out, const char *src, size_t len, int flags);
/* Bytes needed to encode len bytes (no wrapping, no NUL). */
size_t hk_b64_encoded_len(size_t len);

/* Wipe memory the compiler may not optimise away. */
void hk_wipe(void *p, size_t len);
/* Wipe len bytes then free (accepts NULL). */
void hk_freezero(void *p, size_t len);

#endif /* HK_BUF_H */
