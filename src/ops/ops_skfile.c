/* The OpenSSH key-handle file of a security key: see ops_skfile.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "file.h"
#include "ops_skfile.h"

#define SK_BEGIN	"-----BEGIN OPENSSH PRIVATE KEY-----"
#define SK_END		"-----END OPENSSH PRIVATE KEY-----"
#define SK_MAGIC	"openssh-key-v1"	/* followed by a NUL */

void
hk_skfile_clear(struct hk_skfile *sk)
{
	if (sk == NULL)
		return;
	hk_key_free(sk->key);
	memset(sk, 0, sizeof(*sk));
}

/* A string field that must equal want. */
static int
expect_string(struct hk_buf *b, const char *field, const char *want, int err)
{
	const uint8_t *p;
	size_t len;

	if (hk_buf_get_string_direct(b, &p, &len) != 0)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "key-handle file: truncated at %s", field);
	if (len != strlen(want) || memcmp(p, want, len) != 0)
		return hk_errf(err, "key-handle file: %s is '%.*s', not '%s'", field,
		    (int)(len > 32 ? 32 : len), (const char *)p, want);
	return 0;
}

static int
malformed(const char *field)
{
	return hk_errf(HK_ERR_FORMAT_MALFORMED, "key-handle file: truncated at %s", field);
}

int
hk_skfile_parse(const char *data, size_t len, struct hk_skfile *sk)
{
	struct hk_buf *raw = NULL, *priv = NULL;
	const char *begin, *body, *end;
	const uint8_t *pub, *p, *app;
	size_t publen, plen, applen, khlen;
	uint32_t nkeys, check1, check2;
	struct hk_key *key = NULL;
	enum hk_key_type type;
	uint8_t flags;
	char *comment = NULL;
	int r;

	memset(sk, 0, sizeof(*sk));
	if ((begin = memmem(data, len, SK_BEGIN, strlen(SK_BEGIN))) == NULL)
		return hk_errf(HK_ERR_FORMAT_UNKNOWN, "not an OpenSSH key-handle file "
		    "(no '" SK_BEGIN "' line)");
	body = begin + strlen(SK_BEGIN);
	if ((end = memmem(body, len - (size_t)(body - data), SK_END, strlen(SK_END))) == NULL)
		return hk_errf(HK_ERR_FORMAT_MALFORMED, "key-handle file: no '" SK_END "' line");
	if ((raw = hk_buf_new()) == NULL)
		return HK_ERR_ALLOC;
	if ((r = hk_b64_decode(raw, body, (size_t)(end - body), HK_B64_SKIP_SPACE)) != 0) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "key-handle file: invalid base64");
		goto out;
	}
	if (hk_buf_len(raw) < sizeof(SK_MAGIC) ||
	    memcmp(hk_buf_ptr(raw), SK_MAGIC, sizeof(SK_MAGIC)) != 0) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "key-handle file: no '" SK_MAGIC "' magic");
		goto out;
	}
	hk_buf_consume(raw, sizeof(SK_MAGIC));
	if ((r = expect_string(raw, "cipher", "none", HK_ERR_FORMAT_UNSUPPORTED)) != 0 ||
	    (r = expect_string(raw, "kdf", "none", HK_ERR_FORMAT_UNSUPPORTED)) != 0 ||
	    (r = expect_string(raw, "kdf options", "", HK_ERR_FORMAT_UNSUPPORTED)) != 0)
		goto out;
	if (hk_buf_get_u32(raw, &nkeys) != 0) {
		r = malformed("the key count");
		goto out;
	}
	if (nkeys != 1) {
		r = hk_errf(HK_ERR_FORMAT_UNSUPPORTED, "key-handle file holds %u keys, not one",
		    nkeys);
		goto out;
	}
	if (hk_buf_get_string_direct(raw, &pub, &publen) != 0) {
		r = malformed("the public key");
		goto out;
	}
	if ((r = hk_key_from_blob(pub, publen, &key)) != 0)
		goto out;
	type = hk_key_type(key);
	if (type != HK_KEY_ECDSA_SK && type != HK_KEY_ED25519_SK) {
		r = hk_errf(HK_ERR_KEY_TYPE_MISMATCH, "the file holds a %s private key, not a "
		    "security-key (sk-*) key handle", hk_key_type_name(key));
		goto out;
	}
	if (hk_buf_get_string_direct(raw, &p, &plen) != 0) {
		r = malformed("the private section");
		goto out;
	}
	if ((priv = hk_buf_from(p, plen)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if (hk_buf_get_u32(priv, &check1) != 0 || hk_buf_get_u32(priv, &check2) != 0) {
		r = malformed("the check words");
		goto out;
	}
	if (check1 != check2) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "key-handle file: check words differ "
		    "(an encrypted or damaged file)");
		goto out;
	}
	if ((r = expect_string(priv, "key type", hk_key_type_name(key),
	    HK_ERR_FORMAT_MALFORMED)) != 0)
		goto out;
	/* The public part again: curve and point, or the Ed25519 key. */
	if (type == HK_KEY_ECDSA_SK && hk_buf_get_string_direct(priv, &p, &plen) != 0) {
		r = malformed("the curve");
		goto out;
	}
	if (hk_buf_get_string_direct(priv, &p, &plen) != 0) {
		r = malformed("the public point");
		goto out;
	}
	if (hk_buf_get_string_direct(priv, &app, &applen) != 0 ||
	    hk_buf_get_u8(priv, &flags) != 0) {
		r = malformed("the application and flags");
		goto out;
	}
	if (applen != strlen(hk_key_sk_application(key)) ||
	    memcmp(app, hk_key_sk_application(key), applen) != 0) {
		r = hk_errf(HK_ERR_FORMAT_MALFORMED, "key-handle file: the private section's "
		    "application differs from the public key's");
		goto out;
	}
	if (hk_buf_get_string_direct(priv, &p, &khlen) != 0 || khlen == 0) {
		r = khlen == 0 ? hk_errf(HK_ERR_FORMAT_MALFORMED, "key-handle file: empty key "
		    "handle") : malformed("the key handle");
		goto out;
	}
	if (hk_buf_get_string_direct(priv, &p, &plen) != 0) {
		r = malformed("the reserved field");
		goto out;
	}
	if (hk_buf_get_cstring(priv, &comment, NULL) != 0) {
		r = malformed("the comment");
		goto out;
	}
	if ((r = hk_key_set_comment(key, comment)) != 0)
		goto out;
	sk->key = key;
	key = NULL;
	sk->flags = flags;
	sk->key_handle_len = khlen;
	r = 0;
 out:
	free(comment);
	hk_key_free(key);
	hk_buf_free(raw);
	hk_buf_free(priv);
	return r;
}

int
hk_skfile_read(const char *path, struct hk_skfile *sk)
{
	struct hk_error e;
	char *data = NULL;
	size_t len = 0;
	int r;

	memset(sk, 0, sizeof(*sk));
	if ((r = hk_file_read(path, 1 << 20, &data, &len)) != 0)
		return r;
	if ((r = hk_skfile_parse(data, len, sk)) != 0) {
		hk_error_take(&e, r);
		r = hk_errf(r, "%s: %s", path, e.message);
	}
	hk_freezero(data, len);
	return r;
}
