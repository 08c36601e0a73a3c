/* Windows passwords in the cloud layer (api/cloud_password.c and the Huawei
 * ShowServerPassword parser): the capability table refuses Alibaba with its
 * reason and lets Huawei through; a saved blob decodes from base64 (wrapped
 * or not) or from the API's JSON answer, and bad ones are named errors; the
 * Huawei answer and ECS's nested error envelope parse as the provider sees them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cloud_int.h"
#include "err.h"

#define DECODE(text) hk_cloud_password_decode((text), strlen(text), &b, &n)

/* The operation index of ShowServerPassword in hk_cloud_huawei_parse. */
#define HW_PARSE_PASSWORD 4

static void
test_caps(void **state)
{
	(void)state;
	assert_int_equal(hk_cloud_caps_check_server_password(hk_cloud_caps_find("huawei")), 0);
	assert_int_equal(hk_cloud_caps_check_server_password(hk_cloud_caps_find("aliyun")),
	    HK_ERR_NOT_SUPPORTED);
	assert_non_null(strstr(hk_err_detail(), "Linux instances only"));
	assert_int_equal(hk_err_exit(HK_ERR_NOT_SUPPORTED), HK_EXIT_UNSUPPORTED);
}

static void
test_decode(void **state)
{
	uint8_t *b = NULL;
	size_t n = 0;

	(void)state;
	/* "hwkey!" in base64, plain, wrapped with blanks around, and as the JSON answer. */
	assert_int_equal(DECODE("aHdrZXkh"), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(b, "hwkey!", 6);
	free(b);
	assert_int_equal(DECODE("\n aHdr\nZXkh\r\n"), 0);
	assert_memory_equal(b, "hwkey!", 6);
	free(b);
	assert_int_equal(DECODE(" {\"password\": \"aHdrZXkh\"}\n"), 0);
	assert_memory_equal(b, "hwkey!", 6);
	free(b);
	b = NULL;
	/* What is not an encrypted password. */
	assert_int_equal(DECODE("not base64!"), HK_ERR_BASE64);
	assert_null(b);
	assert_int_equal(n, 0);
	assert_int_equal(DECODE(" \n"), HK_ERR_FORMAT_EMPTY);
	assert_int_equal(DECODE("{\"password\": \"\"}"),
	    HK_ERR_FORMAT_EMPTY);
	assert_int_equal(DECODE("{\"pw\": \"aHdr\"}"),
	    HK_ERR_FORMAT_MALFORMED);
	assert_non_null(strstr(hk_err_detail(), "\"password\""));
	assert_int_equal(DECODE("{\"password\": "),
	    HK_ERR_FORMAT_MALFORMED);
	assert_null(b);
}

static void
test_huawei_answer(void **state)
{
	static const char ok[] = "{\"password\":\"UHC9+YW1xDC1Yu8Mg9n+tnOp7euEO/cW//9KgdJKWhr5w==\"}";
	static const char none[] = "{\"password\":\"\"}";
	static const char missing[] = "{\"pass\":1}";
	static const char ecs404[] = "{\"error\":{\"code\":\"Ecs.0114\",\"message\":"
	    "\"Instance[x] could not be found.\"}}";
	struct hk_cloud_reply r;

	(void)state;
	assert_int_equal(hk_cloud_huawei_parse(HW_PARSE_PASSWORD, 200, ok, strlen(ok), &r), 0);
	assert_int_equal(r.error.code, 0);
	assert_string_equal(r.password, "UHC9+YW1xDC1Yu8Mg9n+tnOp7euEO/cW//9KgdJKWhr5w==");
	hk_cloud_reply_clear(&r);
	assert_int_equal(hk_cloud_huawei_parse(HW_PARSE_PASSWORD, 200, none, strlen(none),
	    &r), 0);
	assert_int_equal(r.error.code, 0);
	assert_string_equal(r.password, "");
	hk_cloud_reply_clear(&r);
	assert_int_equal(hk_cloud_huawei_parse(HW_PARSE_PASSWORD, 200, missing,
	    strlen(missing), &r), 0);
	assert_int_equal(r.error.code, HK_ERR_CLOUD_RESPONSE);
	assert_null(r.password);
	hk_cloud_reply_clear(&r);
	assert_int_equal(hk_cloud_huawei_parse(HW_PARSE_PASSWORD, 404, ecs404,
	    strlen(ecs404), &r), 0);
	assert_int_equal(r.error.code, HK_ERR_CLOUD_NOT_FOUND);
	assert_string_equal(r.error.provider_code, "Ecs.0114");
	assert_string_equal(r.error.message, "Instance[x] could not be found.");
	assert_int_equal(r.error.http_status, 404);
	hk_cloud_reply_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_huawei_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
