/* hk_op_keygen (src/ops/ops_keygen.c) on a SoftHSM2 token, through the
 * struct hk_ui a front end hands it: LABEL-1..N with one PIN prompt, a
 * progress call per key, cancellation between keys (hk_op_batch_outcome's
 * "cancelled: N of M done"), the comment override, and a batch failing half
 * way that keeps, reports and writes the keys made before the failure. */
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

#include "ops_keygen.h"

#define SOFTHSM_MODULE	HK_TEST_SOFTHSM_MODULE

static char tmpdir[] = "/tmp/hk-keygen-op.XXXXXX";

struct ui_state {
	int secrets;		/* PIN prompts */
	int progress;		/* progress calls */
	size_t last_done, last_total;
	char last_item[64];
	int cancel_after;	/* cancelled once this many keys are done; 0: never */
};

static int
ui_secret(void *arg, enum hk_ui_secret which, const char *prompt, struct hk_secret **secp)
{
	struct ui_state *st = arg;

	(void)prompt;
	assert_int_equal(which, HK_UI_SECRET_PIN);
	st->secrets++;
	return hk_secret_new("1234", 4, secp);
}

static void
ui_progress(void *arg, const struct hk_ui_progress *p)
{
	struct ui_state *st = arg;

	assert_string_equal(p->what, "keygen");
	st->progress++;
	st->last_done = p->done;
	st->last_total = p->total;
	snprintf(st->last_item, sizeof(st->last_item), "%s", p->item);
}

static int
ui_cancelled(void *arg)
{
	struct ui_state *st = arg;

	return st->cancel_after > 0 && st->progress >= st->cancel_after;
}

static int
setup(void **state)
{
	(void)state;
	return hk_test_softhsm_setup(tmpdir, "op");
}

static int
teardown(void **state)
{
	(void)state;
	return hk_test_softhsm_teardown(tmpdir);
}

static void
req_init(struct hk_op_keygen_req *req, const char *label, size_t count)
{
	memset(req, 0, sizeof(*req));
	req->uri = "pkcs11:token=op";
	req->module = SOFTHSM_MODULE;
	req->kind = HK_KIND_ED25519;
	req->label = label;
	req->count = count;
}

static void
test_batch(void **state)
{
	struct ui_state st = { 0 };
	struct hk_ui ui = { .secret = ui_secret, .progress = ui_progress,
	    .cancelled = ui_cancelled, .arg = &st };
	struct hk_op_keygen_req req;
	struct hk_op_keygen_result *res = NULL;
	size_t i;
	char want[32];

	(void)state;
	req_init(&req, "b", 3);
	req.comment = "fleet key";
	assert_int_equal(hk_op_keygen(&req, &ui, &res), 0);
	assert_int_equal(res->err.code, 0);
	assert_int_equal(res->nitems, 3);
	assert_int_equal(res->nkeys, 3);
	assert_int_equal(res->nfailed, 0);
	assert_string_equal(res->token_label, "op");
	assert_non_null(strstr(res->token_uri, "token=op"));
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "b-%zu", i + 1);
		assert_string_equal(res->keys[i]->label, want);
		assert_string_equal(hk_key_comment(res->keys[i]->key), "fleet key");
		assert_int_equal(res->keys[i]->proof.kind, HK_PROOF_PKCS11_FLAGS);
		assert_true(hk_token_key_proven(res->keys[i]));
	}
	assert_int_equal(st.secrets, 1);	/* one login for the batch */
	assert_int_equal(st.progress, 3);
	assert_int_equal(st.last_done, 3);
	assert_int_equal(st.last_total, 3);
	assert_string_equal(st.last_item, "b-3");
	hk_op_keygen_result_free(res);
}

static void
test_cancelled(void **state)
{
	struct ui_state st = { .cancel_after = 2 };
	struct hk_ui ui = { .secret = ui_secret, .progress = ui_progress,
	    .cancelled = ui_cancelled, .arg = &st };
	struct hk_op_keygen_req req;
	struct hk_op_keygen_result *res = NULL;

	(void)state;
	req_init(&req, "c", 4);
	assert_int_equal(hk_op_keygen(&req, &ui, &res), HK_ERR_INTERRUPTED);
	assert_int_equal(res->nkeys, 2);
	assert_int_equal(res->ncancelled, 2);
	assert_int_equal(res->nfailed, 0);
	assert_string_equal(res->err.message, "cancelled: 2 of 4 done");
	assert_string_equal(res->keys[1]->label, "c-2");
	hk_op_keygen_result_free(res);
}

static void
test_fails_half_way(void **state)
{
	struct ui_state st = { 0 };
	struct hk_ui ui = { .secret = ui_secret, .progress = ui_progress, .arg = &st };
	struct hk_op_keygen_req req;
	struct hk_op_keygen_result *res = NULL;
	char out[600], line[1024];
	FILE *f;
	size_t n = 0;

	(void)state;
	/* h-2 exists: the batch makes h-1, is refused at h-2, never tries h-3. */
	req_init(&req, "h-2", 1);
	assert_int_equal(hk_op_keygen(&req, &ui, &res), 0);
	hk_op_keygen_result_free(res);
	snprintf(out, sizeof(out), "%s/h.pub", tmpdir);
	req_init(&req, "h", 3);
	req.output = out;
	assert_int_equal(hk_op_keygen(&req, &ui, &res), HK_ERR_KEY_EXISTS);
	assert_int_equal(res->err.code, HK_ERR_KEY_EXISTS);
	assert_non_null(strstr(res->err.message, "label \"h-2\" already exists"));
	assert_string_equal(res->err.token, "op");
	assert_int_equal(res->nkeys, 1);
	assert_int_equal(res->nfailed, 1);
	assert_string_equal(res->keys[0]->label, "h-1");
	assert_true(hk_token_key_proven(res->keys[0]));
	hk_op_keygen_result_free(res);
	/* -o holds exactly the key made. */
	assert_non_null(f = fopen(out, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_non_null(strstr(line, "ssh-ed25519 "));
		assert_non_null(strstr(line, " h-1\n"));
		n++;
	}
	fclose(f);
	assert_int_equal(n, 1);

	/* A request the operation refuses before any token work. */
	req_init(&req, "x", 2);
	req.id = (const uint8_t *)"\x01";
	req.idlen = 1;
	assert_int_equal(hk_op_keygen(&req, &ui, &res), HK_ERR_INVALID_ARGUMENT);
	assert_int_equal(res->nkeys, 0);
	hk_op_keygen_result_free(res);
	hk_op_keygen_result_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_cancelled),
		cmocka_unit_test(test_fails_half_way),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
