/* struct hk_keygen_req (tokens/token_keygen_req.c): defaults, every setter
 * seen through the backend accessors, copies not borrows, replacing and
 * clearing, and the refusals (bad kind, empty label, oversize ids, an
 * application OpenSSH would not take). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "token_impl.h"

static void
test_defaults(void **state)
{
	struct hk_keygen_req *req;

	(void)state;
	assert_non_null(req = hk_keygen_req_new());
	assert_int_equal(hk_keygen_req_kind(req), HK_KIND_COUNT);
	assert_null(hk_keygen_req_label(req));
	assert_null(hk_keygen_req_id_ptr(req));
	assert_int_equal(hk_keygen_req_id_len(req), 0);
	assert_int_equal(hk_keygen_req_force(req), 0);
	assert_int_equal(hk_keygen_req_batch(req), 0);
	assert_int_equal(hk_keygen_req_resident(req), 0);
	assert_int_equal(hk_keygen_req_user_verification(req), 0);
	assert_int_equal(hk_keygen_req_touch_required(req), 1);	/* on, as ssh-keygen */
	assert_string_equal(hk_keygen_req_application(req), "ssh:");
	assert_null(hk_keygen_req_user_id_ptr(req));
	assert_int_equal(hk_keygen_req_user_id_len(req), 0);
	assert_null(hk_keygen_req_challenge_ptr(req));
	assert_int_equal(hk_keygen_req_challenge_len(req), 0);
	hk_keygen_req_free(req);
	hk_keygen_req_free(NULL);
}

static void
test_setters(void **state)
{
	struct hk_keygen_req *req;
	uint8_t id[] = { 0xde, 0xad }, uid[] = { 1, 2, 3 }, chal[32];
	char label[] = "ssh-key", app[] = "ssh:hwkey";

	(void)state;
	memset(chal, 0x5a, sizeof(chal));
	assert_non_null(req = hk_keygen_req_new());
	assert_int_equal(hk_keygen_req_set_kind(req, HK_KIND_ECDSA_P384), 0);
	assert_int_equal(hk_keygen_req_set_label(req, label), 0);
	assert_int_equal(hk_keygen_req_set_id(req, id, sizeof(id)), 0);
	assert_int_equal(hk_keygen_req_set_force(req, 5), 0);
	assert_int_equal(hk_keygen_req_set_batch(req, 1), 0);
	assert_int_equal(hk_keygen_req_set_resident(req, 1), 0);
	assert_int_equal(hk_keygen_req_set_user_verification(req, 1), 0);
	assert_int_equal(hk_keygen_req_set_touch_required(req, 0), 0);
	assert_int_equal(hk_keygen_req_set_application(req, app), 0);
	assert_int_equal(hk_keygen_req_set_user_id(req, uid, sizeof(uid)), 0);
	assert_int_equal(hk_keygen_req_set_challenge(req, chal, sizeof(chal)), 0);

	/* Copies: the caller's buffers may change or go. */
	label[0] = 'X';
	app[4] = 'X';
	id[0] = uid[0] = chal[0] = 0;
	assert_int_equal(hk_keygen_req_kind(req), HK_KIND_ECDSA_P384);
	assert_string_equal(hk_keygen_req_label(req), "ssh-key");
	assert_int_equal(hk_keygen_req_id_len(req), 2);
	assert_memory_equal(hk_keygen_req_id_ptr(req), "\xde\xad", 2);
	assert_int_equal(hk_keygen_req_force(req), 1);
	assert_int_equal(hk_keygen_req_batch(req), 1);
	assert_int_equal(hk_keygen_req_resident(req), 1);
	assert_int_equal(hk_keygen_req_user_verification(req), 1);
	assert_int_equal(hk_keygen_req_touch_required(req), 0);
	assert_string_equal(hk_keygen_req_application(req), "ssh:hwkey");
	assert_int_equal(hk_keygen_req_user_id_len(req), 3);
	assert_memory_equal(hk_keygen_req_user_id_ptr(req), "\x01\x02\x03", 3);
	assert_int_equal(hk_keygen_req_challenge_len(req), 32);
	assert_int_equal(hk_keygen_req_challenge_ptr(req)[0], 0x5a);

	/* Replacing and clearing. */
	assert_int_equal(hk_keygen_req_set_label(req, "other"), 0);
	assert_string_equal(hk_keygen_req_label(req), "other");
	assert_int_equal(hk_keygen_req_set_id(req, NULL, 0), 0);
	assert_null(hk_keygen_req_id_ptr(req));
	assert_int_equal(hk_keygen_req_id_len(req), 0);
	assert_int_equal(hk_keygen_req_set_application(req, NULL), 0);
	assert_string_equal(hk_keygen_req_application(req), "ssh:");
	assert_int_equal(hk_keygen_req_set_user_id(req, NULL, 0), 0);
	assert_int_equal(hk_keygen_req_user_id_len(req), 0);
	assert_int_equal(hk_keygen_req_set_challenge(req, NULL, 0), 0);
	assert_null(hk_keygen_req_challenge_ptr(req));
	hk_keygen_req_free(req);
}

static void
test_refusals(void **state)
{
	struct hk_keygen_req *req;
	uint8_t big[HK_KEYGEN_CHALLENGE_MAX + 1];

	(void)state;
	memset(big, 1, sizeof(big));
	assert_non_null(req = hk_keygen_req_new());
	assert_int_equal(hk_keygen_req_set_kind(req, HK_KIND_COUNT), HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_keygen_req_set_kind(req, (enum hk_kind)-1),
	    HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_keygen_req_kind(req), HK_KIND_COUNT);
	assert_int_equal(hk_keygen_req_set_label(req, ""), HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_keygen_req_set_label(req, NULL), HK_ERR_INVALID_ARGUMENT);
	assert_null(hk_keygen_req_label(req));
	assert_int_equal(hk_keygen_req_set_id(req, big, HK_KEYGEN_ID_MAX + 1),
	    HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_keygen_req_set_id(req, big, 0), HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_keygen_req_set_id(req, big, HK_KEYGEN_ID_MAX), 0);
	assert_int_equal(hk_keygen_req_set_user_id(req, big, HK_KEYGEN_USER_ID_MAX + 1),
	    HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_keygen_req_set_challenge(req, big, sizeof(big)),
	    HK_ERR_INVALID_ARGUMENT);
	/* OpenSSH takes only applications starting "ssh:", printable ASCII. */
	assert_int_equal(hk_keygen_req_set_application(req, "https://example.com"),
	    HK_ERR_SK_APPLICATION);
	assert_int_equal(hk_keygen_req_set_application(req, "ssh:\tx"),
	    HK_ERR_SK_APPLICATION);
	assert_string_equal(hk_keygen_req_application(req), "ssh:");
	/* A refusal leaves what was set. */
	assert_int_equal(hk_keygen_req_id_len(req), HK_KEYGEN_ID_MAX);
	hk_keygen_req_free(req);
	/* Setters take no NULL request. */
	assert_int_equal(hk_keygen_req_set_force(NULL, 1), HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(hk_keygen_req_set_label(NULL, "x"), HK_ERR_INVALID_ARGUMENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_setters),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
