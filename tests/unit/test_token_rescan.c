/* hk_tokens_rescan against the real SoftHSM2 module: tokens that
 * softhsm2-util adds or deletes in another process after the module was
 * loaded show up and go away; a token held open keeps a valid info and
 * working handle across rescans, even once it is gone from the list. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hk_softhsm.h"

#include "token.h"

#define SOFTHSM_MODULE	HK_TEST_SOFTHSM_MODULE

static char tmpdir[] = "/tmp/hk-rescan.XXXXXX";

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static void
add_token(const char *label)
{
	sh("softhsm2-util --init-token --free --label %s --pin 1234 --so-pin 5678 "
	    ">/dev/null", label);
}

static void
delete_token(const char *label)
{
	sh("softhsm2-util --delete-token --token %s >/dev/null", label);
}

/* How many initialized tokens with this label the snapshot lists. */
static size_t
listed(struct hk_tokens *ts, const char *label)
{
	struct hk_token_info *const *infos;
	size_t n, i, c = 0;

	assert_int_equal(hk_tokens_list(ts, &infos, &n), 0);
	for (i = 0; i < n; i++)
		if ((infos[i]->flags & HK_TOKEN_F_INITIALIZED) != 0 &&
		    strcmp(infos[i]->label, label) == 0)
			c++;
	return c;
}

static int
setup(void **state)
{
	(void)state;
	return hk_test_softhsm_setup(tmpdir, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	return hk_test_softhsm_teardown(tmpdir);
}

static void
test_added_and_deleted(void **state)
{
	struct hk_tokens *ts = NULL;
	int changed = -1;

	(void)state;
	add_token("one");
	assert_int_equal(hk_tokens_open(SOFTHSM_MODULE, &ts), 0);
	assert_int_equal(listed(ts, "one"), 1);
	assert_int_equal(listed(ts, "two"), 0);

	/* Nothing happened: nothing changed. */
	assert_int_equal(hk_tokens_rescan(ts, &changed), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(listed(ts, "one"), 1);

	/* Another process adds a token; the loaded module sees it after a rescan. */
	add_token("two");
	assert_int_equal(listed(ts, "two"), 0);	/* the snapshot is the old one */
	assert_int_equal(hk_tokens_rescan(ts, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(listed(ts, "two"), 1);
	assert_int_equal(listed(ts, "one"), 1);

	/* And deletes one: it is gone after the next rescan. */
	delete_token("one");
	assert_int_equal(hk_tokens_rescan(ts, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(listed(ts, "one"), 0);
	assert_int_equal(listed(ts, "two"), 1);
	hk_tokens_free(ts);
	delete_token("two");
}

static void
test_open_token_survives(void **state)
{
	struct hk_tokens *ts = NULL;
	struct hk_token *tok = NULL;
	struct hk_token_key **keys = NULL;
	const struct hk_token_info *info;
	size_t n = 1;
	int changed = -1;

	(void)state;
	add_token("held");
	assert_int_equal(hk_tokens_open(SOFTHSM_MODULE, &ts), 0);
	assert_int_equal(hk_token_select(ts, "pkcs11:token=held", &tok), 0);
	info = hk_token_get_info(tok);
	assert_string_equal(info->label, "held");

	/*
	 * A token of the module is open: SoftHSM cannot be re-initialized under
	 * it, so a token added now is not seen yet, but the open token's info
	 * and handle stay valid through the rescan.
	 */
	add_token("later");
	assert_int_equal(hk_tokens_rescan(ts, &changed), 0);
	assert_string_equal(hk_token_get_info(tok)->label, "held");
	assert_ptr_equal(hk_token_get_info(tok), info);
	assert_int_equal(hk_token_keys(tok, &keys, &n), 0);
	assert_int_equal(n, 0);
	hk_token_keys_free(keys, n);
	assert_int_equal(listed(ts, "held"), 1);

	/* Once it is closed, the next rescan cycles the module and sees the new one. */
	hk_token_free(tok);
	tok = NULL;
	assert_int_equal(hk_tokens_rescan(ts, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(listed(ts, "later"), 1);

	/* Open again, delete under it, rescan twice: the handle's info outlives the slot. */
	assert_int_equal(hk_token_select(ts, "pkcs11:token=held", &tok), 0);
	info = hk_token_get_info(tok);
	delete_token("held");
	assert_int_equal(hk_tokens_rescan(ts, &changed), 0);
	assert_int_equal(hk_tokens_rescan(ts, &changed), 0);
	assert_string_equal(info->label, "held");
	assert_ptr_equal(hk_token_get_info(tok), info);
	hk_token_free(tok);
	/* Closed: the module can be cycled, and the deleted token is gone. */
	assert_int_equal(hk_tokens_rescan(ts, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(listed(ts, "held"), 0);
	assert_int_equal(listed(ts, "later"), 1);
	hk_tokens_free(ts);
	delete_token("later");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_added_and_deleted),
		cmocka_unit_test(test_open_token_survives),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
