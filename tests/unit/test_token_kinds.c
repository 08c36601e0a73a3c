/* The key kind table (src/key.c) as the token layer uses it: names round
 * trip, the parser's error lists every name, the kind of a key of every
 * type (security keys included), and what a token info says it can make. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "token.h"

static const char *const names[] = {
	"rsa2048", "rsa3072", "rsa4096", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521",
	"ed25519", "ecdsa-sk", "ed25519-sk",
};

static void
test_names_round_trip(void **state)
{
	const struct hk_key_kind *k;
	enum hk_kind kind;
	size_t i;

	(void)state;
	assert_int_equal(HK_KIND_COUNT, sizeof(names) / sizeof(names[0]));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		kind = HK_KIND_COUNT;
		assert_int_equal(hk_key_kind_from_name(names[i], &kind), 0);
		assert_int_equal(kind, (enum hk_kind)i);
		assert_string_equal(hk_key_kind_name(kind), names[i]);
		assert_non_null(k = hk_key_kind(kind));
		assert_string_equal(k->name, names[i]);
	}
	assert_null(hk_key_kind(HK_KIND_COUNT));
	assert_string_equal(hk_key_kind_name(HK_KIND_COUNT), "unknown");
}

static void
test_table_rows(void **state)
{
	static const struct {
		enum hk_kind kind;
		enum hk_key_type type;
		enum hk_curve curve;
		unsigned int bits;
	} rows[] = {
		{ HK_KIND_RSA2048, HK_KEY_RSA, HK_CURVE_NONE, 2048 },
		{ HK_KIND_RSA3072, HK_KEY_RSA, HK_CURVE_NONE, 3072 },
		{ HK_KIND_RSA4096, HK_KEY_RSA, HK_CURVE_NONE, 4096 },
		{ HK_KIND_ECDSA_P256, HK_KEY_ECDSA, HK_CURVE_P256, 256 },
		{ HK_KIND_ECDSA_P384, HK_KEY_ECDSA, HK_CURVE_P384, 384 },
		{ HK_KIND_ECDSA_P521, HK_KEY_ECDSA, HK_CURVE_P521, 521 },
		{ HK_KIND_ED25519, HK_KEY_ED25519, HK_CURVE_NONE, 256 },
		{ HK_KIND_ECDSA_SK, HK_KEY_ECDSA_SK, HK_CURVE_P256, 256 },
		{ HK_KIND_ED25519_SK, HK_KEY_ED25519_SK, HK_CURVE_NONE, 256 },
	};
	const struct hk_key_kind *k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		k = hk_key_kind(rows[i].kind);
		assert_int_equal(k->type, rows[i].type);
		assert_int_equal(k->curve, rows[i].curve);
		assert_int_equal(k->bits, rows[i].bits);
	}
}

static void
test_unknown_lists_names(void **state)
{
	struct hk_error e;
	enum hk_kind kind = HK_KIND_ED25519;
	size_t i;
	int r;

	(void)state;
	hk_err_clear();
	r = hk_key_kind_from_name("dsa1024", &kind);
	assert_int_equal(r, HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(kind, HK_KIND_ED25519);	/* untouched */
	hk_error_take(&e, r);
	assert_non_null(strstr(e.message, "\"dsa1024\""));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_non_null(strstr(e.message, names[i]));
	assert_string_equal(hk_key_kind_names(), "rsa2048, rsa3072, rsa4096, "
	    "ecdsa-p256, ecdsa-p384, ecdsa-p521, ed25519, ecdsa-sk, ed25519-sk");
	assert_int_equal(hk_key_kind_from_name("RSA2048", &kind), HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_key_kind_from_name("", &kind), HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_key_kind_from_name(NULL, &kind), HK_ERR_INVALID_ARGUMENT);
}

/* An odd modulus of bits bits, its top bit set. */
static struct hk_key *
rsa(unsigned int bits)
{
	static const uint8_t e[] = { 0x01, 0x00, 0x01 };
	size_t len = (bits + 7) / 8;
	uint8_t *n = malloc(len);
	struct hk_key *k = NULL;

	assert_non_null(n);
	memset(n, 0xc5, len);
	n[0] = (uint8_t)(0xff >> (8 * len - bits));
	n[len - 1] |= 1;
	assert_int_equal(hk_key_from_rsa(n, len, e, sizeof(e), &k), 0);
	free(n);
	return k;
}

/* The P-256 base point G (SEC 2). */
static const uint8_t p256_g[65] = {
	0x04,
	0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5,
	0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0,
	0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
	0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a,
	0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce,
	0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};

/* ssh-dss with p = q = g = y = 0x7f... (the model checks sizes, not math). */
static struct hk_key *
dsa(void)
{
	uint8_t blob[4 + 7 + 4 * (4 + 128)];
	size_t off = 0, i;
	struct hk_key *k = NULL;

	memcpy(blob, "\x00\x00\x00\x07ssh-dss", 11);
	off = 11;
	for (i = 0; i < 4; i++) {
		memcpy(blob + off, "\x00\x00\x00\x80", 4);
		memset(blob + off + 4, 0x7f, 128);
		off += 4 + 128;
	}
	assert_int_equal(hk_key_from_blob(blob, off, &k), 0);
	return k;
}

static void
test_kind_of(void **state)
{
	struct hk_key *k;
	char buf[HK_KEY_KIND_MAX];
	uint8_t ed[32];

	(void)state;
	memset(ed, 0x42, sizeof(ed));
	assert_string_equal(hk_key_kind_of(NULL, buf, sizeof(buf)), "unknown");

	k = rsa(2048);
	assert_string_equal(hk_key_kind_of(k, buf, sizeof(buf)), "rsa2048");
	hk_key_free(k);
	k = rsa(3072);
	assert_string_equal(hk_key_kind_of(k, buf, sizeof(buf)), "rsa3072");
	hk_key_free(k);
	k = rsa(4096);
	assert_string_equal(hk_key_kind_of(k, buf, sizeof(buf)), "rsa4096");
	hk_key_free(k);
	/* Sizes no kind names still read as rsa<bits> (hwkey keys shows them). */
	k = rsa(1024);
	assert_string_equal(hk_key_kind_of(k, buf, sizeof(buf)), "rsa1024");
	hk_key_free(k);
	k = rsa(2047);
	assert_string_equal(hk_key_kind_of(k, buf, sizeof(buf)), "rsa2047");
	hk_key_free(k);

	assert_int_equal(hk_key_from_ec(HK_CURVE_P256, p256_g, sizeof(p256_g), &k), 0);
	assert_string_equal(hk_key_kind_of(k, buf, sizeof(buf)), "ecdsa-p256");
	hk_key_free(k);
	assert_int_equal(hk_key_from_ed25519(ed, sizeof(ed), &k), 0);
	assert_string_equal(hk_key_kind_of(k, buf, sizeof(buf)), "ed25519");
	hk_key_free(k);
	assert_int_equal(hk_key_from_sk(HK_KEY_ECDSA_SK, p256_g, sizeof(p256_g), "ssh:",
	    &k), 0);
	assert_string_equal(hk_key_kind_of(k, buf, sizeof(buf)), "ecdsa-sk");
	hk_key_free(k);
	assert_int_equal(hk_key_from_sk(HK_KEY_ED25519_SK, ed, sizeof(ed), "ssh:", &k), 0);
	assert_string_equal(hk_key_kind_of(k, buf, sizeof(buf)), "ed25519-sk");
	hk_key_free(k);
	/* No kind at all: the type name. */
	k = dsa();
	assert_string_equal(hk_key_kind_of(k, buf, sizeof(buf)), "ssh-dss");
	hk_key_free(k);
}

static void
test_info_can_make(void **state)
{
	struct hk_token_info info;

	(void)state;
	memset(&info, 0, sizeof(info));
	info.gen_kinds = HK_KIND_BIT(HK_KIND_ECDSA_P384) | HK_KIND_BIT(HK_KIND_ED25519_SK);
	assert_true(hk_token_info_can_make(&info, HK_KIND_ECDSA_P384));
	assert_true(hk_token_info_can_make(&info, HK_KIND_ED25519_SK));
	assert_false(hk_token_info_can_make(&info, HK_KIND_ECDSA_P256));
	assert_false(hk_token_info_can_make(&info, HK_KIND_COUNT));
	assert_false(hk_token_info_can_make(NULL, HK_KIND_ECDSA_P384));
	/* Every kind fits in the mask. */
	assert_true(HK_KIND_COUNT <= 8 * sizeof(info.gen_kinds));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_table_rows),
		cmocka_unit_test(test_unknown_lists_names),
		cmocka_unit_test(test_kind_of),
		cmocka_unit_test(test_info_can_make),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
