/* Unit tests for hk_buf: wire codecs, limits and base64. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"

static void
test_u32_string_roundtrip(void **state)
{
	struct hk_buf *b = hk_buf_new();
	const uint8_t *p;
	uint32_t v;
	size_t len;
	char *s;

	(void)state;
	assert_int_equal(hk_buf_put_u32(b, 0xdeadbeef), 0);
	assert_int_equal(hk_buf_put_cstring(b, "ssh-ed25519"), 0);
	assert_int_equal(hk_buf_len(b), 4 + 4 + 11);
	assert_memory_equal(hk_buf_ptr(b), "\xde\xad\xbe\xef\x00\x00\x00\x0bssh-", 12);
	assert_int_equal(hk_buf_get_u32(b, &v), 0);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(hk_buf_peek_string_direct(b, &p, &len), 0);
	assert_int_equal(len, 11);
	assert_int_equal(hk_buf_get_cstring(b, &s, &len), 0);
	assert_string_equal(s, "ssh-ed25519");
	assert_int_equal(hk_buf_len(b), 0);
	assert_int_equal(hk_buf_get_u32(b, &v), HK_ERR_BUF_TOO_SHORT);
	free(s);
	hk_buf_free(b);
}

static void
test_string_length_checks(void **state)
{
	/* Length field larger than the data, and larger than any buffer. */
	static const uint8_t shortdata[] = { 0, 0, 0, 5, 'a', 'b' };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xf0, 'a' };
	static const uint8_t nul[] = { 0, 0, 0, 3, 'a', 0, 'b' };
	struct hk_buf *b;
	char *s;

	(void)state;
	b = hk_buf_from(shortdata, sizeof(shortdata));
	assert_int_equal(hk_buf_get_string(b, NULL, NULL), HK_ERR_BUF_TOO_SHORT);
	assert_int_equal(hk_buf_len(b), sizeof(shortdata));	/* not consumed */
	hk_buf_free(b);
	b = hk_buf_from(huge, sizeof(huge));
	assert_int_equal(hk_buf_get_string(b, NULL, NULL), HK_ERR_BUF_LENGTH);
	hk_buf_free(b);
	b = hk_buf_from(nul, sizeof(nul));
	assert_int_equal(hk_buf_get_cstring(b, &s, NULL), HK_ERR_FORMAT_MALFORMED);
	assert_null(s);
	hk_buf_free(b);
}

static void
test_mpint(void **state)
{
	static const uint8_t high[] = { 0x00, 0x80, 0x01 };	/* leading zero stripped */
	static const uint8_t neg[] = { 0, 0, 0, 1, 0x80 };
	static const uint8_t nonmin[] = { 0, 0, 0, 2, 0x00, 0x01 };
	struct hk_buf *b = hk_buf_new(), *r;
	const uint8_t *p;
	size_t len;

	(void)state;
	assert_int_equal(hk_buf_put_bignum2_bytes(b, high, sizeof(high)), 0);
	/* 0x80 has its top bit set, so the mpint needs one zero byte. */
	assert_int_equal(hk_buf_len(b), 4 + 3);
	assert_memory_equal(hk_buf_ptr(b), "\x00\x00\x00\x03\x00\x80\x01", 7);
	assert_int_equal(hk_buf_get_bignum2_bytes_direct(b, &p, &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(p, "\x80\x01", 2);
	hk_buf_free(b);
	r = hk_buf_from(neg, sizeof(neg));
	assert_int_equal(hk_buf_get_bignum2_bytes_direct(r, &p, &len), HK_ERR_FORMAT_MALFORMED);
	hk_buf_free(r);
	r = hk_buf_from(nonmin, sizeof(nonmin));
	assert_int_equal(hk_buf_get_bignum2_bytes_direct(r, &p, &len), HK_ERR_FORMAT_MALFORMED);
	hk_buf_free(r);
}

static void
check_b64(const char *plain, const char *enc)
{
	struct hk_buf *b = hk_buf_new();

	assert_int_equal(hk_b64_encode(b, plain, strlen(plain), 0), 0);
	assert_int_equal(hk_buf_len(b), strlen(enc));
	assert_memory_equal(hk_buf_ptr(b), enc, strlen(enc));
	hk_buf_reset(b);
	assert_int_equal(hk_b64_decode(b, enc, strlen(enc), 0), 0);
	assert_int_equal(hk_buf_len(b), strlen(plain));
	assert_memory_equal(hk_buf_ptr(b), plain, strlen(plain));
	hk_buf_free(b);
}

static void
test_base64_rfc4648_vectors(void **state)
{
	(void)state;
	check_b64("", "");
	check_b64("f", "Zg==");
	check_b64("fo", "Zm8=");
	check_b64("foo", "Zm9v");
	check_b64("foob", "Zm9vYg==");
	check_b64("fooba", "Zm9vYmE=");
	check_b64("foobar", "Zm9vYmFy");
}

static void
test_base64_rejects(void **state)
{
	static const char *bad[] = { "Zm9v!", "Z", "Zm9vY", "Zg=", "Zg==Zg==", "Zh==", "Zm9=" };
	struct hk_buf *b = hk_buf_new();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(hk_b64_decode(b, bad[i], strlen(bad[i]), 0), HK_ERR_BASE64);
		assert_int_equal(hk_buf_len(b), 0);
	}
	/* Whitespace only with the flag. */
	assert_int_equal(hk_b64_decode(b, "Zm9v\r\nYmFy", 10, 0), HK_ERR_BASE64);
	assert_int_equal(hk_b64_decode(b, "Zm9v\r\nYmFy", 10, HK_B64_SKIP_SPACE), 0);
	assert_memory_equal(hk_buf_ptr(b), "foobar", 6);
	hk_buf_free(b);
}

static void
test_base64_wrap(void **state)
{
	struct hk_buf *b = hk_buf_new();

	(void)state;
	assert_int_equal(hk_b64_encode(b, "foobarfoobar", 12, 8), 0);
	assert_int_equal(hk_buf_len(b), 17);
	assert_memory_equal(hk_buf_ptr(b), "Zm9vYmFy\nZm9vYmFy", 17);
	hk_buf_free(b);
}

static void
test_limit_and_readonly(void **state)
{
	struct hk_buf *b = hk_buf_new(), *ro = hk_buf_from("abc", 3);
	uint8_t *dst;

	(void)state;
	assert_int_equal(hk_buf_reserve(b, HK_BUF_SIZE_MAX + 1, &dst), HK_ERR_BUF_LIMIT);
	assert_null(dst);
	assert_int_equal(hk_buf_put(ro, "x", 1), HK_ERR_INVALID_ARGUMENT);
	hk_buf_free(b);
	hk_buf_free(ro);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u32_string_roundtrip),
		cmocka_unit_test(test_string_length_checks),
		cmocka_unit_test(test_mpint),
		cmocka_unit_test(test_base64_rfc4648_vectors),
		cmocka_unit_test(test_base64_rejects),
		cmocka_unit_test(test_base64_wrap),
		cmocka_unit_test(test_limit_and_readonly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
