/* OpenSSH security-key files: the openssh-key-v1 key-handle file of an sk
 * key (PROTOCOL.key, unencrypted) and the ssh-sk-attest blob (ssh-sk.c). */
#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fmt.h"
#include "key.h"
#include "skfile.h"

#define SK_MAGIC		"openssh-key-v1"	/* with its NUL */
#define SK_BEGIN		"-----BEGIN OPENSSH PRIVATE KEY-----"
#define SK_END			"-----END OPENSSH PRIVATE KEY-----"
#define SK_WRAP			70	/* sshbuf_dtob64 */
#define SK_BLOCK		8	/* cipher "none" */
#define SK_COMMENT_MAX		4096
#define SK_ATTEST_V00		"ssh-sk-attest-v00"
#define SK_ATTEST_V01		"ssh-sk-attest-v01"

static int
is_sk(const struct hk_key *key)
{
	return key != NULL && (hk_key_type(key) == HK_KEY_ECDSA_SK ||
	    hk_key_type(key) == HK_KEY_ED25519_SK);
}

int
hk_fmt_sk_write(const struct hk_key *key, uint8_t flags, const uint8_t *kh,
    size_t khlen, const char *comment, uint32_t checkint, struct hk_buf *out)
{
	struct hk_buf *outer = NULL, *priv = NULL;
	uint8_t pad;
	int r;

	if (!is_sk(key))
		return hk_errf(HK_ERR_FORMAT_UNSUPPORTED, "a key-handle file holds "
		    "an sk key (ecdsa-sk or ed25519-sk), not %s",
		    key != NULL ? hk_key_type_name(key) : "nothing");
	if (kh == NULL || khlen == 0 || khlen > HK_SK_KEY_HANDLE_MAX)
		return hk_errf(HK_ERR_INVALID_ARGUMENT, "key handle of %zu bytes "
		    "(1 to %d)", khlen, HK_SK_KEY_HANDLE_MAX);
	if (comment == NULL)
		comment = hk_key_comment(key) != NULL ? hk_key_comment(key) : "";
	if ((outer = hk_buf_new()) == NULL || (priv = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	/* The private part: the public fields as in the blob, then the sk ones. */
	if ((r = hk_buf_put_u32(priv, checkint)) != 0 ||
	    (r = hk_buf_put_u32(priv, checkint)) != 0 ||
	    (r = hk_buf_put(priv, hk_key_blob_ptr(key), hk_key_blob_len(key))) != 0 ||
	    (r = hk_buf_put_u8(priv, flags)) != 0 ||
	    (r = hk_buf_put_string(priv, kh, khlen)) != 0 ||
	    (r = hk_buf_put_string(priv, NULL, 0)) != 0 ||
	    (r = hk_buf_put_cstring(priv, comment)) != 0)
		goto out;
	for (pad = 1; hk_buf_len(priv) % SK_BLOCK != 0; pad++)
		if ((r = hk_buf_put_u8(priv, pad)) != 0)
			goto out;
	if ((r = hk_buf_put(outer, SK_MAGIC, sizeof(SK_MAGIC))) != 0 ||
	    (r = hk_buf_put_cstring(outer, "none")) != 0 ||
	    (r = hk_buf_put_cstring(outer, "none")) != 0 ||
	    (r = hk_buf_put_string(outer, NULL, 0)) != 0 ||
	    (r = hk_buf_put_u32(outer, 1)) != 0 ||
	    (r = hk_buf_put_string(outer, hk_key_blob_ptr(key),
	    hk_key_blob_len(key))) != 0 ||
	    (r = hk_buf_put_stringb(outer, priv)) != 0)
		goto out;
	if ((r = hk_buf_putf(out, "%s\n", SK_BEGIN)) != 0 ||
	    (r = hk_b64_encode(out, hk_buf_ptr(outer), hk_buf_len(outer),
	    SK_WRAP)) != 0 ||
	    (r = hk_buf_putf(out, "\n%s\n", SK_END)) != 0)
		goto out;
 out:
	hk_buf_free(outer);
	hk_buf_free(priv);
	return r;
}

int
hk_sk_file_write(const struct hk_key *key, uint8_t flags, const uint8_t *key_handle,
    size_t key_handle_len, const char *comment, char **outp, size_t *lenp)
{
	struct hk_buf *b;
	uint32_t ck;
	int r;

	*outp = NULL;
	*lenp = 0;
	/* The checkints only tell a wrong passphrase; random as ssh-keygen's. */
	if (getrandom(&ck, sizeof(ck), 0) != (ssize_t)sizeof(ck))
		return hk_errf(HK_ERR_SYSTEM, "getrandom: %s", strerror(errno));
	if ((b = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_fmt_sk_write(key, flags, key_handle, key_handle_len, comment,
	    ck, b)) == 0) {
		*lenp = hk_buf_len(b);
		if ((*outp = hk_buf_dup_string(b)) == NULL) {
			*lenp = 0;
			r = HK_ERR_ALLOC;
		}
	}
	hk_buf_free(b);
	return r;
}

void
hk_sk_file_free(struct hk_sk_file *sk)
{
	if (sk == NULL)
		return;
	hk_key_free(sk->key);
	free(sk->key_handle);
	free(sk);
}

/* The base64 between the armour lines, decoded into der. */
static int
sk_unarmour(const char *data, size_t len, struct hk_buf *der)
{
	const char *p = data, *end = data + len, *b, *e;
	size_t bl = strlen(SK_BEGIN), el = strlen(SK_END);

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if ((size_t)(end - p) < bl || memcmp(p, SK_BEGIN, bl) != 0)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "not an OpenSSH private key "
		    "file (no \"%s\" line)", SK_BEGIN);
	b = p + bl;
	for (e = b; e + el <= end && memcmp(e, SK_END, el) != 0; e++)
		;
	if (e + el > end)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "no \"%s\" line", SK_END);
	for (p = e + el; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return hk_errf(HK_ERR_FORMAT_MALFORMED, "data after \"%s\"",
			    SK_END);
	if (hk_b64_decode(der, b, (size_t)(e - b), HK_B64_SKIP_SPACE) != 0)
		return hk_errf(HK_ERR_BASE64, "invalid base64 in the private key file");
	return 0;
}

static int
cstring_is(struct hk_buf *b, const char *want, const char *what)
{
	const uint8_t *s;
	size_t len;

	if (hk_buf_get_string_direct(b, &s, &len) != 0)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "truncated at the %s", what);
	if (len != strlen(want) || memcmp(s, want, len) != 0) {
		if (strcmp(what, "cipher") == 0 || strcmp(what, "kdf") == 0)
			return hk_errf(HK_ERR_NOT_SUPPORTED, "the key file is "
			    "protected by a passphrase (%s \"%.*s\"); hwkey reads "
			    "unencrypted key-handle files only (ssh-keygen -p -N '' "
			    "removes it)", what, (int)(len > 32 ? 32 : len), s);
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "%s is not \"%s\"", what, want);
	}
	return 0;
}

/* The private section, checked against the public key. */
static int
sk_private(struct hk_buf *priv, const struct hk_key *pub, struct hk_sk_file *sk)
{
	const uint8_t *kh, *res, *cmt;
	size_t khlen, reslen, cmtlen, i, bl = hk_key_blob_len(pub);
	uint32_t c1, c2;
	uint8_t pad;
	int r;

	if (hk_buf_get_u32(priv, &c1) != 0 || hk_buf_get_u32(priv, &c2) != 0)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "truncated private section");
	if (c1 != c2)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "the checkints differ "
		    "(damaged file)");
	if (hk_buf_len(priv) < bl || memcmp(hk_buf_ptr(priv), hk_key_blob_ptr(pub),
	    bl) != 0)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "the private section's "
		    "public fields differ from the public key");
	(void)hk_buf_consume(priv, bl);
	if (hk_buf_get_u8(priv, &sk->flags) != 0 ||
	    hk_buf_get_string_direct(priv, &kh, &khlen) != 0 ||
	    hk_buf_get_string_direct(priv, &res, &reslen) != 0 ||
	    hk_buf_get_string_direct(priv, &cmt, &cmtlen) != 0)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "truncated sk fields "
		    "(flags, key handle, reserved, comment)");
	(void)res;
	if (khlen == 0 || khlen > HK_SK_KEY_HANDLE_MAX)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "key handle of %zu bytes", khlen);
	if (cmtlen > SK_COMMENT_MAX || memchr(cmt, '\0', cmtlen) != NULL)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "invalid comment");
	for (i = 1; hk_buf_len(priv) > 0; i++) {
		(void)hk_buf_get_u8(priv, &pad);
		if (pad != (uint8_t)i || i >= SK_BLOCK)
			return hk_errf(HK_ERR_FORMAT_MALFORMED, "invalid padding");
	}
	if ((sk->key_handle = malloc(khlen)) == NULL)
		return HK_ERR_ALLOC;
	memcpy(sk->key_handle, kh, khlen);
	sk->key_handle_len = khlen;
	if ((r = hk_key_dup(pub, &sk->key)) != 0 ||
	    (r = hk_key_set_comment_len(sk->key, (const char *)cmt, cmtlen)) != 0)
		return r;
	return 0;
}

int
hk_sk_file_parse(const char *data, size_t len, struct hk_sk_file **skp)
{
	struct hk_buf *der = NULL, *priv = NULL;
	struct hk_sk_file *sk = NULL;
	struct hk_key *pub = NULL;
	const uint8_t *p, *kdfo;
	size_t plen, kdfolen;
	uint32_t n;
	int r;

	*skp = NULL;
	if ((der = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = sk_unarmour(data, len, der)) != 0)
		goto out;
	if (hk_buf_len(der) < sizeof(SK_MAGIC) ||
	    memcmp(hk_buf_ptr(der), SK_MAGIC, sizeof(SK_MAGIC)) != 0) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "no \"openssh-key-v1\" magic");
		goto out;
	}
	(void)hk_buf_consume(der, sizeof(SK_MAGIC));
	if ((r = cstring_is(der, "none", "cipher")) != 0 ||
	    (r = cstring_is(der, "none", "kdf")) != 0)
		goto out;
	if (hk_buf_get_string_direct(der, &kdfo, &kdfolen) != 0 || kdfolen != 0 ||
	    hk_buf_get_u32(der, &n) != 0) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "invalid kdf options or key count");
		goto out;
	}
	if (n != 1) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "the file holds %u keys, not 1", n);
		goto out;
	}
	if (hk_buf_get_string_direct(der, &p, &plen) != 0) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "truncated public key");
		goto out;
	}
	if ((r = hk_key_from_blob(p, plen, &pub)) != 0)
		goto out;
	if (!is_sk(pub)) {
		r = hk_errf(HK_ERR_NOT_SUPPORTED, "the key file holds a %s key, not "
		    "a security key (sk) key", hk_key_type_name(pub));
		goto out;
	}
	if (hk_buf_get_string_direct(der, &p, &plen) != 0) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "truncated private section");
		goto out;
	}
	if (hk_buf_len(der) != 0) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "trailing bytes after the "
		    "private section");
		goto out;
	}
	if (plen % SK_BLOCK != 0) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "private section of %zu bytes "
		    "is not a multiple of %d", plen, SK_BLOCK);
		goto out;
	}
	if ((priv = hk_buf_from(p, plen)) == NULL ||
	    (sk = calloc(1, sizeof(*sk))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = sk_private(priv, pub, sk)) != 0)
		goto out;
	*skp = sk;
	sk = NULL;
 out:
	hk_sk_file_free(sk);
	hk_key_free(pub);
	hk_buf_free(priv);
	hk_buf_free(der);
	return r;
}

int
hk_sk_attest_write(const uint8_t *cert, size_t cert_len, const uint8_t *sig,
    size_t sig_len, const uint8_t *authdata, size_t authdata_len, uint8_t **outp,
    size_t *lenp)
{
	struct hk_buf *b;
	int r;

	*outp = NULL;
	*lenp = 0;
	if ((b = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_buf_put_cstring(b, SK_ATTEST_V01)) == 0 &&
	    (r = hk_buf_put_string(b, cert, cert_len)) == 0 &&
	    (r = hk_buf_put_string(b, sig, sig_len)) == 0 &&
	    (r = hk_buf_put_string(b, authdata, authdata_len)) == 0 &&
	    (r = hk_buf_put_u32(b, 0)) == 0 &&
	    (r = hk_buf_put_string(b, NULL, 0)) == 0) {
		if ((*outp = malloc(hk_buf_len(b))) == NULL)
			r = HK_ERR_ALLOC;
		else {
			memcpy(*outp, hk_buf_ptr(b), hk_buf_len(b));
			*lenp = hk_buf_len(b);
		}
	}
	hk_buf_free(b);
	return r;
}

void
hk_sk_attest_free(struct hk_sk_attest *at)
{
	if (at == NULL)
		return;
	free(at->cert);
	free(at->signature);
	free(at->authdata);
	free(at);
}

static int
dup_direct(struct hk_buf *b, uint8_t **dp, size_t *lenp, const char *what)
{
	const uint8_t *p;
	size_t len;

	if (hk_buf_get_string_direct(b, &p, &len) != 0)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "attestation: truncated %s", what);
	if ((*dp = malloc(len > 0 ? len : 1)) == NULL)
		return HK_ERR_ALLOC;
	if (len > 0)
		memcpy(*dp, p, len);
	*lenp = len;
	return 0;
}

int
hk_sk_attest_parse(const uint8_t *blob, size_t len, struct hk_sk_attest **atp)
{
	struct hk_sk_attest *at = NULL;
	struct hk_buf *b = NULL;
	const uint8_t *v, *res;
	size_t vlen, reslen;
	uint32_t flags;
	int r;

	*atp = NULL;
	if ((b = hk_buf_from(blob, len)) == NULL ||
	    (at = calloc(1, sizeof(*at))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if (hk_buf_get_string_direct(b, &v, &vlen) != 0) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "attestation: no version string");
		goto out;
	}
	if (vlen == strlen(SK_ATTEST_V01) && memcmp(v, SK_ATTEST_V01, vlen) == 0)
		at->version = 1;
	else if (vlen == strlen(SK_ATTEST_V00) && memcmp(v, SK_ATTEST_V00, vlen) == 0)
		at->version = 0;
	else {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "attestation: not an "
		    "ssh-sk-attest-v00/v01 blob");
		goto out;
	}
	if ((r = dup_direct(b, &at->cert, &at->cert_len, "certificate")) != 0 ||
	    (r = dup_direct(b, &at->signature, &at->signature_len, "signature")) != 0)
		goto out;
	if (at->version == 1 &&
	    (r = dup_direct(b, &at->authdata, &at->authdata_len, "authdata")) != 0)
		goto out;
	if (hk_buf_get_u32(b, &flags) != 0 ||
	    hk_buf_get_string_direct(b, &res, &reslen) != 0) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "attestation: truncated "
		    "reserved fields");
		goto out;
	}
	if (hk_buf_len(b) != 0) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "attestation: trailing bytes");
		goto out;
	}
	*atp = at;
	at = NULL;
	r = 0;
 out:
	hk_sk_attest_free(at);
	hk_buf_free(b);
	return r;
}
