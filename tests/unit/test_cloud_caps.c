/* Unit tests for the cloud capability tables: key types and sizes each cloud
 * accepts (cloud-apis.md §1, §2.1, §5), name rules, and the refusal texts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cloud.h"
#include "err.h"

/* The refusal of the last check, taken as a result would take it. */
static struct hk_error last;

static int
check_type(const struct hk_cloud_caps *c, enum hk_key_type t, enum hk_curve cu,
    unsigned int bits)
{
	return hk_error_take(&last, hk_cloud_caps_check_type(c, t, cu, bits));
}

static int
check_name(const struct hk_cloud_caps *c, const char *name)
{
	return hk_error_take(&last, hk_cloud_caps_check_name(c, name));
}

/* moto's Ed25519 test key (cloud-apis.md terms). */
static const char ed25519_line[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwsSB9HbTeKCdkSlMZeTq9jZggaPJUwAsUi/7wakB+B moto@getmoto";

static void
test_find(void **state)
{
	char names[64];

	(void)state;
	assert_non_null(hk_cloud_caps_find("aliyun"));
	assert_non_null(hk_cloud_caps_find("huawei"));
	assert_null(hk_cloud_caps_find("aws"));
	assert_null(hk_cloud_caps_find(""));
	assert_ptr_equal(hk_cloud_caps_at(0), hk_cloud_caps_find("aliyun"));
	assert_ptr_equal(hk_cloud_caps_at(1), hk_cloud_caps_find("huawei"));
	assert_null(hk_cloud_caps_at(2));
	/* The "--cloud NAME" messages come from the registry. */
	assert_string_equal(hk_cloud_provider_names(names, sizeof(names)), "aliyun or huawei");
	assert_int_equal(hk_cloud_caps_find("aliyun")->fp, HK_FP_ALIYUN);
	assert_int_equal(hk_cloud_caps_find("huawei")->fp, HK_FP_HUAWEI);
	/* The documented API limits the engine batches by. */
	assert_int_equal(hk_cloud_caps_find("aliyun")->delete_batch_max, 100);
	assert_int_equal(hk_cloud_caps_find("aliyun")->attach_batch_max, 50);
	assert_int_equal(hk_cloud_caps_find("aliyun")->list_page_max, 50);
	assert_int_equal(hk_cloud_caps_find("aliyun")->quota_per_region, 500);
}

static void
test_aliyun_types(void **state)
{
	const struct hk_cloud_caps *c = hk_cloud_caps_find("aliyun");

	(void)state;
	assert_int_equal(check_type(c, HK_KEY_RSA, HK_CURVE_NONE, 2048), 0);
	assert_int_equal(check_type(c, HK_KEY_RSA, HK_CURVE_NONE, 1024), 0);
	assert_int_equal(check_type(c, HK_KEY_DSA, HK_CURVE_NONE, 1024), 0);
	assert_int_equal(check_type(c, HK_KEY_ECDSA, HK_CURVE_P256, 256), 0);
	assert_int_equal(check_type(c, HK_KEY_ECDSA, HK_CURVE_P521, 521), 0);
	assert_int_equal(check_type(c, HK_KEY_ED25519, HK_CURVE_NONE, 256),
	    HK_ERR_CLOUD_UNSUPPORTED);
	/* The refusal names the type and suggests what works. */
	assert_non_null(strstr(last.message, "ssh-ed25519"));
	assert_non_null(strstr(last.message, "ecdsa-p256"));
	assert_non_null(strstr(last.message, "rsa"));
	assert_int_equal(check_type(c, HK_KEY_ED25519_SK, HK_CURVE_NONE, 256),
	    HK_ERR_CLOUD_UNSUPPORTED);
	assert_non_null(strstr(last.message, "authorized_keys"));
	assert_int_equal(check_type(c, HK_KEY_ECDSA_SK, HK_CURVE_P256, 256),
	    HK_ERR_CLOUD_UNSUPPORTED);
	assert_non_null(strstr(last.message, "sk-ecdsa-sha2-nistp256@openssh.com"));
}

static void
test_huawei_types(void **state)
{
	const struct hk_cloud_caps *c = hk_cloud_caps_find("huawei");

	(void)state;
	assert_int_equal(check_type(c, HK_KEY_ED25519, HK_CURVE_NONE, 256), 0);
	assert_int_equal(check_type(c, HK_KEY_RSA, HK_CURVE_NONE, 2048), 0);
	assert_int_equal(check_type(c, HK_KEY_RSA, HK_CURVE_NONE, 3072), 0);
	assert_int_equal(check_type(c, HK_KEY_RSA, HK_CURVE_NONE, 4096), 0);
	assert_int_equal(check_type(c, HK_KEY_RSA, HK_CURVE_NONE, 1024),
	    HK_ERR_CLOUD_UNSUPPORTED);
	assert_non_null(strstr(last.message, "1024"));
	assert_int_equal(check_type(c, HK_KEY_RSA, HK_CURVE_NONE, 8192),
	    HK_ERR_CLOUD_UNSUPPORTED);
	assert_int_equal(check_type(c, HK_KEY_ECDSA, HK_CURVE_P384, 384), 0);
	assert_int_equal(check_type(c, HK_KEY_ED25519_SK, HK_CURVE_NONE, 256),
	    HK_ERR_CLOUD_UNSUPPORTED);
	assert_non_null(strstr(last.message, "authorized_keys"));
}

static void
test_check_key(void **state)
{
	struct hk_key *k = NULL;

	(void)state;
	assert_int_equal(hk_key_parse(ed25519_line, strlen(ed25519_line), &k), 0);
	assert_int_equal(hk_cloud_caps_check_key(hk_cloud_caps_find("aliyun"), k),
	    HK_ERR_CLOUD_UNSUPPORTED);
	assert_int_equal(hk_cloud_caps_check_key(hk_cloud_caps_find("huawei"), k), 0);
	hk_key_free(k);
}

static void
test_names(void **state)
{
	const struct hk_cloud_caps *a = hk_cloud_caps_find("aliyun");
	const struct hk_cloud_caps *h = hk_cloud_caps_find("huawei");
	char long_name[200];

	(void)state;
	/* The reference vector's name is valid for Alibaba (":" and "." allowed). */
	assert_int_equal(check_name(a, "test-key_1.a:b"), 0);
	assert_int_equal(check_name(a, "ab"), 0);
	assert_int_equal(check_name(a, "a"), HK_ERR_CLOUD_NAME);
	assert_int_equal(check_name(a, "1abc"), HK_ERR_CLOUD_NAME);
	assert_int_equal(check_name(a, "-abc"), HK_ERR_CLOUD_NAME);
	assert_int_equal(check_name(a, "a b"), HK_ERR_CLOUD_NAME);
	assert_int_equal(check_name(a, "http://x"), HK_ERR_CLOUD_NAME);
	assert_int_equal(check_name(a, "HTTPS://x"), HK_ERR_CLOUD_NAME);
	/* A Chinese first character is allowed by the zh doc. */
	assert_int_equal(check_name(a, "\xe5\xaf\x86\xe9\x92\xa5"), 0);
	memset(long_name, 'k', 128);
	long_name[128] = '\0';
	assert_int_equal(check_name(a, long_name), 0);
	long_name[128] = 'k';
	long_name[129] = '\0';
	assert_int_equal(check_name(a, long_name), HK_ERR_CLOUD_NAME);
	assert_non_null(strstr(last.message, "2-128"));

	assert_int_equal(check_name(h, "demo"), 0);
	assert_int_equal(check_name(h, "1_demo-x"), 0);
	assert_int_equal(check_name(h, "test-key_1.a:b"), HK_ERR_CLOUD_NAME);
	assert_int_equal(check_name(h, ""), HK_ERR_CLOUD_NAME);
	memset(long_name, 'k', 64);
	long_name[64] = '\0';
	assert_int_equal(check_name(h, long_name), 0);
	long_name[64] = 'k';
	long_name[65] = '\0';
	assert_int_equal(check_name(h, long_name), HK_ERR_CLOUD_NAME);
	assert_int_equal(check_name(h, "\xe5\xaf\x86"), HK_ERR_CLOUD_NAME);
}

static void
test_regions_listed(void **state)
{
	const struct hk_cloud_caps *caps;
	size_t i, n;

	(void)state;
	for (i = 0; (caps = hk_cloud_caps_at(i)) != NULL; i++) {
		for (n = 0; caps->regions[n] != NULL; n++)
			assert_true(strlen(caps->regions[n]) > 3);
		assert_true(n >= 10);
	}
	assert_int_equal(i, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_aliyun_types),
		cmocka_unit_test(test_huawei_types),
		cmocka_unit_test(test_check_key),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_regions_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
