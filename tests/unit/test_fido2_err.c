/* libfido2 statuses -> HK_ERR_* with their messages (tokens/fido2_err.c), for
 * the states the sim cannot reach from hwkey (PIN_AUTH_BLOCKED needs three
 * wrong PINs on one power-up; the sim forgets them on every connection), and
 * the ssh-keygen -K user suffix of resident keys (hk_fido2_rk_user). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "fido2_int.h"

struct row {
	int fr;
	int err;
	int exit;
	const char *says;	/* in the detail */
};

static const struct row rows[] = {
	{ FIDO_ERR_PIN_INVALID, HK_ERR_PIN_INCORRECT, HK_EXIT_PIN_INCORRECT, "3 tries left" },
	{ FIDO_ERR_PIN_BLOCKED, HK_ERR_PIN_LOCKED, HK_EXIT_PIN_LOCKED, "hwkey token init dev" },
	{ FIDO_ERR_PIN_AUTH_BLOCKED, HK_ERR_PIN_AUTH_BLOCKED, HK_EXIT_PIN_LOCKED, "remove and reinsert" },
	{ FIDO_ERR_PIN_REQUIRED, HK_ERR_PIN_REQUIRED, HK_EXIT_PIN_INVALID, "needs its PIN" },
	{ FIDO_ERR_PIN_NOT_SET, HK_ERR_PIN_REQUIRED, HK_EXIT_PIN_INVALID, "hwkey pin set dev" },
	{ FIDO_ERR_OPERATION_DENIED, HK_ERR_TOUCH_DENIED, HK_EXIT_USER_PRESENCE, "denied" },
	{ FIDO_ERR_ACTION_TIMEOUT, HK_ERR_TOUCH_TIMEOUT, HK_EXIT_USER_PRESENCE, "not touched in time" },
	{ FIDO_ERR_UNSUPPORTED_ALGORITHM, HK_ERR_MECHANISM, HK_EXIT_UNSUPPORTED, "key type" },
	{ FIDO_ERR_UNSUPPORTED_OPTION, HK_ERR_NOT_SUPPORTED, HK_EXIT_UNSUPPORTED, "option" },
	{ FIDO_ERR_CREDENTIAL_EXCLUDED, HK_ERR_CREDENTIAL_EXISTS, HK_EXIT_CONFLICT, "already exists" },
	{ FIDO_ERR_NO_CREDENTIALS, HK_ERR_KEY_NOT_FOUND, HK_EXIT_TOKEN, "does not know" },
};

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		hk_err_clear();
		assert_int_equal(hk_fido2_err(rows[i].fr, "act", "dev", 3), rows[i].err);
		assert_int_equal(hk_err_exit(rows[i].err), rows[i].exit);
		assert_non_null(strstr(hk_err_detail(), rows[i].says));
		/* What failed and where are named too. */
		assert_non_null(strstr(hk_err_detail(), "dev: act"));
	}
	assert_int_equal(hk_fido2_err(FIDO_OK, "act", "dev", -1), 0);
}

/* Blocked for the power-up and blocked for good: one exit, different advice. */
static void
test_blocked_told_apart(void **state)
{
	char a[512];

	(void)state;
	hk_fido2_err(FIDO_ERR_PIN_AUTH_BLOCKED, "act", "dev", -1);
	snprintf(a, sizeof(a), "%s", hk_err_detail());
	hk_fido2_err(FIDO_ERR_PIN_BLOCKED, "act", "dev", -1);
	assert_string_not_equal(a, hk_err_detail());
	assert_null(strstr(a, "token init"));
	assert_null(strstr(hk_err_detail(), "reinsert"));
}

static void
test_retries_wording(void **state)
{
	(void)state;
	hk_fido2_err(FIDO_ERR_PIN_INVALID, "act", "dev", 1);
	assert_non_null(strstr(hk_err_detail(), "1 try left"));
	hk_fido2_err(FIDO_ERR_PIN_INVALID, "act", "dev", -1);
	assert_null(strstr(hk_err_detail(), "left"));
}

static void
user_is(const char *id, size_t len, const char *want)
{
	char *u = hk_fido2_rk_user((const uint8_t *)id, len);

	assert_non_null(u);
	assert_string_equal(u, want);
	free(u);
}

/* As ssh-keygen -K's sk_suffix: trailing zeros cut, path characters as hex. */
static void
test_rk_user(void **state)
{
	char id[32];

	(void)state;
	memset(id, 0, sizeof(id));
	user_is(id, sizeof(id), "");
	memcpy(id, "alice", 5);
	user_is(id, sizeof(id), "alice");
	memcpy(id, "a/b", 3);
	user_is(id, sizeof(id), "612f626365");	/* "a/bce": "a/b" over "alice" */
	memset(id, 0, sizeof(id));
	memcpy(id, "..", 2);
	user_is(id, sizeof(id), "2e2e");
	memcpy(id, "x\\", 2);
	user_is(id, sizeof(id), "785c");
	user_is("\x01\x02", 2, "0102");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_blocked_told_apart),
		cmocka_unit_test(test_retries_wording),
		cmocka_unit_test(test_rk_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
