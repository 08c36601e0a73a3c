/* CK_RV -> HK_ERR_* translation (tokens/pkcs11_err.c): each PIN and token
 * state the issue names maps to its own code and exit status, the CKR name
 * stays in the detail, and unknown values still say which value it was.
 * Values are the PKCS#11 2.40 numbers, written out so the header is not needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "pkcs11_err.h"

struct row {
	unsigned long rv;
	const char *name;
	int err;
	int exit;
};

static const struct row rows[] = {
	{ 0x000, "CKR_OK", 0, HK_EXIT_OK },
	{ 0x0a0, "CKR_PIN_INCORRECT", HK_ERR_PIN_INCORRECT, HK_EXIT_PIN_INCORRECT },
	{ 0x0a4, "CKR_PIN_LOCKED", HK_ERR_PIN_LOCKED, HK_EXIT_PIN_LOCKED },
	{ 0x0a2, "CKR_PIN_LEN_RANGE", HK_ERR_PIN_LEN_RANGE, HK_EXIT_PIN_INVALID },
	{ 0x0a1, "CKR_PIN_INVALID", HK_ERR_PIN_INVALID, HK_EXIT_PIN_INVALID },
	{ 0x0e0, "CKR_TOKEN_NOT_PRESENT", HK_ERR_TOKEN_ABSENT, HK_EXIT_TOKEN_ABSENT },
	{ 0x032, "CKR_DEVICE_REMOVED", HK_ERR_DEVICE_REMOVED, HK_EXIT_DEVICE_REMOVED },
	{ 0x030, "CKR_DEVICE_ERROR", HK_ERR_DEVICE, HK_EXIT_TOKEN },
	{ 0x012, "CKR_ATTRIBUTE_TYPE_INVALID", HK_ERR_TEMPLATE, HK_EXIT_TOKEN },
	{ 0x070, "CKR_MECHANISM_INVALID", HK_ERR_MECHANISM, HK_EXIT_UNSUPPORTED },
	{ 0x0e2, "CKR_TOKEN_WRITE_PROTECTED", HK_ERR_TOKEN_READONLY, HK_EXIT_TOKEN },
	{ 0x101, "CKR_USER_NOT_LOGGED_IN", HK_ERR_USER_NOT_LOGGED_IN, HK_EXIT_TOKEN },
	{ 0x102, "CKR_USER_PIN_NOT_INITIALIZED", HK_ERR_PIN_REQUIRED, HK_EXIT_PIN_INVALID },
	{ 0x001, "CKR_CANCEL", HK_ERR_CANCELLED, HK_EXIT_INTERRUPTED },
	{ 0x002, "CKR_HOST_MEMORY", HK_ERR_ALLOC, HK_EXIT_FAILURE },
	{ 0x005, "CKR_GENERAL_ERROR", HK_ERR_PKCS11, HK_EXIT_TOKEN },
	{ 0x054, "CKR_FUNCTION_NOT_SUPPORTED", HK_ERR_NOT_SUPPORTED, HK_EXIT_UNSUPPORTED },
	{ 0x190, "CKR_CRYPTOKI_NOT_INITIALIZED", HK_ERR_MODULE_LOAD, HK_EXIT_TOKEN },
};

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_string_equal(hk_p11_rv_name(rows[i].rv), rows[i].name);
		assert_int_equal(hk_p11_rv_err(rows[i].rv), rows[i].err);
		assert_int_equal(hk_err_exit(hk_p11_rv_err(rows[i].rv)), rows[i].exit);
	}
}

/* The PIN and presence states the CLI must tell apart get distinct exits. */
static void
test_distinct_exits(void **state)
{
	const unsigned long rvs[] = { 0x0a0, 0x0a4, 0x0a2, 0x0e0, 0x032 };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(rvs) / sizeof(rvs[0]); i++)
		for (j = i + 1; j < sizeof(rvs) / sizeof(rvs[0]); j++)
			assert_int_not_equal(hk_err_exit(hk_p11_rv_err(rvs[i])),
			    hk_err_exit(hk_p11_rv_err(rvs[j])));
}

static void
test_unknown(void **state)
{
	(void)state;
	assert_int_equal(hk_p11_rv_err(0x80001234UL), HK_ERR_PKCS11);
	assert_string_equal(hk_p11_rv_name(0x80001234UL), "CKR_0x80001234");
}

static void
test_detail(void **state)
{
	struct hk_error e;
	int r;

	(void)state;
	hk_err_clear();
	r = hk_p11_err(0x0a0, "token %s: %s", "alice", "C_Login");
	assert_int_equal(r, HK_ERR_PIN_INCORRECT);
	/* The detail belongs to the code returned, and a boundary takes it. */
	assert_int_equal(hk_error_take(&e, r), HK_ERR_PIN_INCORRECT);
	assert_string_equal(e.message, "token alice: C_Login: CKR_PIN_INCORRECT");
	assert_string_equal(hk_err_detail(), "");
	r = hk_p11_err(0x32, "token %s: C_GenerateKeyPair", "bob");
	assert_int_equal(r, HK_ERR_DEVICE_REMOVED);
	assert_string_equal(hk_err_detail(), "token bob: C_GenerateKeyPair: CKR_DEVICE_REMOVED");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_distinct_exits),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_detail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
