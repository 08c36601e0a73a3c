/* Unit tests for the key model: constructors, blob validation (one HK_ERR_*
 * per rejection), OpenSSH/authorized_keys lines and multi-key files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "fmt.h"
#include "key.h"

/* The P-256 base point G (SEC 2), a point certainly on the curve. */
static const uint8_t p256_g[65] = {
	0x04,
	0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5,
	0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0,
	0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
	0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a,
	0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce,
	0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};
static const uint8_t e65537[] = { 0x01, 0x00, 0x01 };

static const char ed_line[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwsSB9HbTeKCdkSlMZeTq9jZggaPJUwAsUi/7wakB+B";
static const char ec_line[] =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKr+SCxRB4Hed9Ti1MqjQC0VXOs794mPLizF5j1as0Ek0COO8RreTpxAZer9Zl0CTzHY20psgEb11+TZfRTitgI=";

/* An odd modulus of exactly bits bits (primality is not checked). */
static uint8_t *
modulus(size_t bits, size_t *lenp)
{
	size_t len = (bits + 7) / 8;
	uint8_t *n = malloc(len);

	assert_non_null(n);
	memset(n, 0xa5, len);
	n[0] = (uint8_t)(1u << ((bits - 1) % 8));
	n[len - 1] |= 1;
	*lenp = len;
	return n;
}

static struct hk_buf *
rsa_blob(size_t bits, const uint8_t *e, size_t elen)
{
	struct hk_buf *b = hk_buf_new();
	size_t nlen;
	uint8_t *n = modulus(bits, &nlen);

	assert_int_equal(hk_buf_put_cstring(b, "ssh-rsa"), 0);
	assert_int_equal(hk_buf_put_bignum2_bytes(b, e, elen), 0);
	assert_int_equal(hk_buf_put_bignum2_bytes(b, n, nlen), 0);
	free(n);
	return b;
}

static struct hk_buf *
ec_blob(const char *type, const char *curve, const uint8_t *pt, size_t len)
{
	struct hk_buf *b = hk_buf_new();

	assert_int_equal(hk_buf_put_cstring(b, type), 0);
	assert_int_equal(hk_buf_put_cstring(b, curve), 0);
	assert_int_equal(hk_buf_put_string(b, pt, len), 0);
	return b;
}

static int
from_buf(struct hk_buf *b)
{
	struct hk_key *k = (struct hk_key *)&k;	/* must be cleared on failure */
	int r;

	r = hk_key_from_blob(hk_buf_ptr(b), hk_buf_len(b), &k);
	if (r != 0)
		assert_null(k);
	hk_key_free(k);
	hk_buf_free(b);
	return r;
}

static void
test_rsa_constructor(void **state)
{
	struct hk_key *k = NULL, *k2 = NULL;
	const uint8_t *n, *e;
	size_t nlen, elen, mlen;
	uint8_t *m = modulus(3072, &mlen), *padded;

	(void)state;
	assert_int_equal(hk_key_from_rsa(m, mlen, e65537, sizeof(e65537), &k), 0);
	assert_int_equal(hk_key_type(k), HK_KEY_RSA);
	assert_string_equal(hk_key_type_name(k), "ssh-rsa");
	assert_string_equal(hk_key_type_label(k), "RSA");
	assert_int_equal(hk_key_bits(k), 3072);
	assert_int_equal(hk_key_rsa_parts(k, &n, &nlen, &e, &elen), 0);
	assert_int_equal(nlen, mlen);
	assert_memory_equal(n, m, mlen);
	assert_int_equal(elen, 3);
	assert_int_equal(hk_key_ec_point(k, &n, &nlen), HK_ERR_KEY_TYPE_MISMATCH);
	assert_null(n);
	/* Leading zeros are not part of the canonical blob. */
	padded = calloc(1, mlen + 2);
	memcpy(padded + 2, m, mlen);
	assert_int_equal(hk_key_from_rsa(padded, mlen + 2, e65537, 3, &k2), 0);
	assert_true(hk_key_equal(k, k2));
	assert_int_equal(hk_key_blob_len(k), hk_key_blob_len(k2));
	free(padded);
	free(m);
	hk_key_free(k);
	hk_key_free(k2);
}

static void
test_ec_ed25519_sk_constructors(void **state)
{
	uint8_t pk[32];
	struct hk_key *k = NULL;
	const uint8_t *p;
	size_t len;

	(void)state;
	assert_int_equal(hk_key_from_ec(HK_CURVE_P256, p256_g, sizeof(p256_g), &k), 0);
	assert_string_equal(hk_key_type_name(k), "ecdsa-sha2-nistp256");
	assert_int_equal(hk_key_bits(k), 256);
	assert_int_equal(hk_key_curve(k), HK_CURVE_P256);
	assert_int_equal(hk_key_ec_point(k, &p, &len), 0);
	assert_memory_equal(p, p256_g, 65);
	hk_key_free(k);
	k = NULL;
	/* A P-256 point is not a P-384 key. */
	assert_int_equal(hk_key_from_ec(HK_CURVE_P384, p256_g, sizeof(p256_g), &k),
	    HK_ERR_EC_POINT);
	assert_null(k);

	memset(pk, 7, sizeof(pk));
	assert_int_equal(hk_key_from_ed25519(pk, 31, &k), HK_ERR_ED25519_LENGTH);
	assert_int_equal(hk_key_from_ed25519(pk, 32, &k), 0);
	assert_string_equal(hk_key_type_label(k), "ED25519");
	assert_int_equal(hk_key_bits(k), 256);
	assert_null(hk_key_sk_application(k));
	hk_key_free(k);
	k = NULL;

	assert_int_equal(hk_key_from_sk(HK_KEY_ED25519_SK, pk, 32, "", &k),
	    HK_ERR_SK_APPLICATION);
	assert_int_equal(hk_key_from_sk(HK_KEY_ED25519_SK, pk, 32, "ssh:\x01", &k),
	    HK_ERR_SK_APPLICATION);
	assert_int_equal(hk_key_from_sk(HK_KEY_ED25519_SK, pk, 32, "ssh:", &k), 0);
	assert_string_equal(hk_key_type_name(k), "sk-ssh-ed25519@openssh.com");
	assert_string_equal(hk_key_type_label(k), "ED25519-SK");
	assert_string_equal(hk_key_sk_application(k), "ssh:");
	hk_key_free(k);
	k = NULL;
	assert_int_equal(hk_key_from_sk(HK_KEY_ECDSA_SK, p256_g, 65, "ssh:test", &k), 0);
	assert_string_equal(hk_key_type_label(k), "ECDSA-SK");
	assert_int_equal(hk_key_bits(k), 256);
	assert_string_equal(hk_key_sk_application(k), "ssh:test");
	hk_key_free(k);
}

static void
test_blob_rejections(void **state)
{
	static const uint8_t e3[] = { 3 }, e1[] = { 1 }, e4[] = { 0x01, 0x00, 0x00 };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xf0, 's', 's', 'h' };
	struct hk_buf *b;
	uint8_t bad[65], pk[32];
	const uint8_t *p;
	size_t len;

	(void)state;
	/* Every prefix of a good blob is truncated. */
	b = rsa_blob(2048, e65537, 3);
	p = hk_buf_ptr(b);
	len = hk_buf_len(b);
	for (size_t i = 0; i < len; i += 7)
		assert_int_equal(from_buf(hk_buf_from(p, i)), HK_ERR_BUF_TOO_SHORT);
	hk_buf_free(b);

	assert_int_equal(from_buf(hk_buf_from(huge, sizeof(huge))), HK_ERR_BUF_LENGTH);

	b = rsa_blob(2048, e65537, 3);
	assert_int_equal(hk_buf_put_u8(b, 0), 0);
	assert_int_equal(from_buf(b), HK_ERR_BUF_TRAILING);

	b = hk_buf_new();
	assert_int_equal(hk_buf_put_cstring(b, "ssh-foo"), 0);
	assert_int_equal(hk_buf_put_string(b, pk, 8), 0);
	assert_int_equal(from_buf(b), HK_ERR_KEY_TYPE_UNKNOWN);

	assert_int_equal(from_buf(rsa_blob(2048, e65537, 3)), 0);
	assert_int_equal(from_buf(rsa_blob(1024, e3, 1)), 0);
	assert_int_equal(from_buf(rsa_blob(1023, e65537, 3)), HK_ERR_RSA_TOO_SMALL);
	assert_int_equal(from_buf(rsa_blob(16384, e65537, 3)), 0);
	assert_int_equal(from_buf(rsa_blob(16385, e65537, 3)), HK_ERR_RSA_TOO_LARGE);
	assert_int_equal(from_buf(rsa_blob(2048, e4, 3)), HK_ERR_RSA_EXPONENT);
	assert_int_equal(from_buf(rsa_blob(2048, e1, 1)), HK_ERR_RSA_EXPONENT);

	assert_int_equal(from_buf(ec_blob("ecdsa-sha2-nistp256", "nistp256",
	    p256_g, 65)), 0);
	assert_int_equal(from_buf(ec_blob("ecdsa-sha2-nistp256", "nistp384",
	    p256_g, 65)), HK_ERR_EC_CURVE_MISMATCH);
	memcpy(bad, p256_g, 65);
	bad[64] ^= 1;
	assert_int_equal(from_buf(ec_blob("ecdsa-sha2-nistp256", "nistp256",
	    bad, 65)), HK_ERR_EC_POINT);
	/* Compressed form: OpenSSH never accepts it. */
	memcpy(bad, p256_g, 33);
	bad[0] = 0x03;
	assert_int_equal(from_buf(ec_blob("ecdsa-sha2-nistp256", "nistp256",
	    bad, 33)), HK_ERR_EC_POINT);

	b = hk_buf_new();
	assert_int_equal(hk_buf_put_cstring(b, "ssh-ed25519"), 0);
	assert_int_equal(hk_buf_put_string(b, pk, 31), 0);
	assert_int_equal(from_buf(b), HK_ERR_ED25519_LENGTH);

	b = hk_buf_new();
	assert_int_equal(hk_buf_put_cstring(b, "sk-ssh-ed25519@openssh.com"), 0);
	assert_int_equal(hk_buf_put_string(b, pk, 32), 0);
	assert_int_equal(hk_buf_put_cstring(b, ""), 0);
	assert_int_equal(from_buf(b), HK_ERR_SK_APPLICATION);

	b = hk_buf_new();
	assert_int_equal(hk_buf_put_cstring(b, "ssh-dss"), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(hk_buf_put_bignum2_bytes(b, i == 2 ? "" : "\x05", i == 2 ? 0 : 1), 0);
	assert_int_equal(from_buf(b), HK_ERR_DSA_INVALID);
}

/* Needless mpint zeros are accepted (as OpenSSH does) and re-encoded away. */
static void
test_blob_canonical(void **state)
{
	struct hk_buf *good = rsa_blob(2048, e65537, 3), *b = hk_buf_new();
	struct hk_key *k = NULL, *want = NULL;
	size_t nlen;
	uint8_t *n = modulus(2048, &nlen), neg[1] = { 0x80 };

	(void)state;
	assert_int_equal(hk_key_from_blob(hk_buf_ptr(good), hk_buf_len(good), &want), 0);
	assert_int_equal(hk_buf_put_cstring(b, "ssh-rsa"), 0);
	assert_int_equal(hk_buf_put_string(b, "\0\0\x01\0\x01", 5), 0);
	assert_int_equal(hk_buf_put_u32(b, (uint32_t)nlen + 2), 0);
	assert_int_equal(hk_buf_put(b, "\0\0", 2), 0);
	assert_int_equal(hk_buf_put(b, n, nlen), 0);
	assert_int_equal(hk_key_from_blob(hk_buf_ptr(b), hk_buf_len(b), &k), 0);
	assert_true(hk_key_equal(k, want));
	assert_int_equal(hk_key_blob_len(k), hk_buf_len(good));
	assert_int_equal(hk_key_bits(k), 2048);
	hk_key_free(k);
	hk_key_free(want);
	hk_buf_free(good);

	/* A negative mpint is malformed. */
	hk_buf_reset(b);
	assert_int_equal(hk_buf_put_cstring(b, "ssh-rsa"), 0);
	assert_int_equal(hk_buf_put_string(b, neg, 1), 0);
	assert_int_equal(hk_buf_put_bignum2_bytes(b, n, nlen), 0);
	assert_int_equal(from_buf(b), HK_ERR_FORMAT_MALFORMED);
	free(n);
}

static void
test_dup_comment_names(void **state)
{
	struct hk_key *k = NULL, *d = NULL;
	enum hk_curve c;
	uint8_t pk[32] = { 1 };

	(void)state;
	assert_int_equal(hk_key_from_ed25519(pk, 32, &k), 0);
	assert_null(hk_key_comment(k));
	assert_int_equal(hk_key_set_comment(k, "alice@host"), 0);
	assert_int_equal(hk_key_dup(k, &d), 0);
	assert_string_equal(hk_key_comment(d), "alice@host");
	assert_true(hk_key_equal(k, d));
	assert_int_equal(hk_key_set_comment(d, NULL), 0);
	assert_null(hk_key_comment(d));
	assert_true(hk_key_equal(k, d));	/* comments do not count */
	hk_key_free(k);
	hk_key_free(d);
	hk_key_free(NULL);

	assert_int_equal(hk_key_type_from_name("ecdsa-sha2-nistp384", &c), HK_KEY_ECDSA);
	assert_int_equal(c, HK_CURVE_P384);
	assert_int_equal(hk_key_type_from_name("ed25519-sk", &c), HK_KEY_ED25519_SK);
	assert_int_equal(hk_key_type_from_name("rsa", &c), HK_KEY_RSA);
	assert_int_equal(hk_key_type_from_name("ssh-foo", &c), HK_KEY_UNSPEC);
	assert_string_equal(hk_curve_name(HK_CURVE_P521), "nistp521");
	assert_int_equal(hk_curve_bits(HK_CURVE_P521), 521);
	assert_null(hk_curve_name(HK_CURVE_NONE));
}

static int
parse_line(const char *line, struct hk_key **kp, char **optsp)
{
	return hk_fmt_openssh_parse(line, strlen(line), kp, optsp);
}

static void
test_openssh_lines(void **state)
{
	struct hk_key *k = NULL;
	char *opts = NULL, line[512], *out = NULL;

	(void)state;
	snprintf(line, sizeof(line), "%s alice  at work \r", ed_line);
	assert_int_equal(parse_line(line, &k, &opts), 0);
	assert_string_equal(hk_key_comment(k), "alice  at work ");
	assert_null(opts);
	assert_int_equal(hk_key_write(k, HK_FMT_OPENSSH, &out), 0);
	snprintf(line, sizeof(line), "%s alice  at work \n", ed_line);
	assert_string_equal(out, line);
	free(out);
	hk_key_free(k);

	snprintf(line, sizeof(line), "from=\"a,b\",no-pty,command=\"echo \\\"x y\\\"\" %s c", ed_line);
	assert_int_equal(parse_line(line, &k, &opts), 0);
	assert_string_equal(opts, "from=\"a,b\",no-pty,command=\"echo \\\"x y\\\"\"");
	assert_string_equal(hk_key_comment(k), "c");
	free(opts);
	hk_key_free(k);

	snprintf(line, sizeof(line), "\t%s", ec_line);
	assert_int_equal(parse_line(line, &k, NULL), 0);
	assert_null(hk_key_comment(k));
	assert_int_equal(hk_key_bits(k), 256);
	hk_key_free(k);

	/* The type in the line must be the type in the blob. */
	snprintf(line, sizeof(line), "ssh-rsa %s", ed_line + strlen("ssh-ed25519 "));
	assert_int_equal(parse_line(line, &k, NULL), HK_ERR_KEY_TYPE_MISMATCH);
	assert_null(k);
	snprintf(line, sizeof(line), "command=\"x %s", ed_line);
	assert_int_equal(parse_line(line, &k, &opts), HK_ERR_OPTIONS);
	assert_null(opts);
	assert_int_equal(parse_line("no-pty ssh-foo AAAA", &k, NULL), HK_ERR_KEY_TYPE_UNKNOWN);
	assert_int_equal(parse_line("ssh-ed25519 AAAA*AAA", &k, NULL), HK_ERR_BASE64);
	assert_int_equal(parse_line("ssh-ed25519", &k, NULL), HK_ERR_FORMAT_MALFORMED);
	/* On the curve, but x = 5: OpenSSH refuses coordinates this short. */
	assert_int_equal(parse_line("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAFRZJDuapYGAb+kTvOmYF63hHKUDxk2aPFM0FcCDJI+8w=", &k, NULL),
	    HK_ERR_EC_POINT);
	assert_int_equal(parse_line("ssh-ed25519-cert-v01@openssh.com AAAA c", &k, NULL),
	    HK_ERR_KEY_TYPE_UNKNOWN);
	assert_non_null(strstr(hk_err_detail(), "certificates"));
}

struct seen {
	int keys;
	int errs;
	size_t lines[8];
	int codes[8];
};

static int
collect(const struct hk_key_entry *e, void *arg)
{
	struct seen *s = arg;
	int i = s->keys + s->errs;

	if (i < 8) {
		s->lines[i] = e->line;
		s->codes[i] = e->err;
	}
	if (e->err != 0) {
		assert_null(e->key);
		assert_non_null(e->reason);
		s->errs++;
	} else {
		assert_non_null(e->key);
		s->keys++;
	}
	return 0;
}

static void
test_keyfile_mixed(void **state)
{
	struct seen s;
	struct hk_key *k = NULL;
	char data[2048];

	(void)state;
	memset(&s, 0, sizeof(s));
	snprintf(data, sizeof(data),
	    "\xef\xbb\xbf%s one\r\n"
	    "\r\n"
	    "# a comment\n"
	    "   \n"
	    "ssh-ed25519 AAAAbroken bad\n"
	    "no-pty %s two\n"
	    "%s", ed_line, ec_line, ed_line);
	assert_int_equal(hk_keyfile_parse(data, strlen(data), collect, &s), 0);
	assert_int_equal(s.keys, 3);
	assert_int_equal(s.errs, 1);
	assert_int_equal(s.lines[0], 1);
	assert_int_equal(s.lines[1], 5);
	assert_int_not_equal(s.codes[1], 0);
	assert_int_equal(s.lines[2], 6);
	assert_int_equal(s.lines[3], 7);

	/* hk_key_parse wants exactly one key. */
	assert_int_equal(hk_key_parse(ed_line, strlen(ed_line), &k), 0);
	hk_key_free(k);
	k = NULL;
	snprintf(data, sizeof(data), "%s\n%s\n", ed_line, ec_line);
	assert_int_equal(hk_key_parse(data, strlen(data), &k), HK_ERR_FORMAT_MALFORMED);
	assert_null(k);
	assert_int_equal(hk_key_parse("# nothing\n\n", 11, &k), HK_ERR_FORMAT_EMPTY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_constructor),
		cmocka_unit_test(test_ec_ed25519_sk_constructors),
		cmocka_unit_test(test_blob_rejections),
		cmocka_unit_test(test_blob_canonical),
		cmocka_unit_test(test_dup_comment_names),
		cmocka_unit_test(test_openssh_lines),
		cmocka_unit_test(test_keyfile_mixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
