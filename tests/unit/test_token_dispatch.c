/* tokens/token.c dispatch through a FAKE backend that lives in this one
 * file, registered beside the real PKCS#11 one (SoftHSM2) with
 * hk_tokens_open_backends: a backend is one table. Listing merges both,
 * URIs select by scheme, the keygen request reaches the backend through its
 * accessors, NULL operations are HK_ERR_NOT_SUPPORTED naming the backend,
 * keys are released by their backend's key_free, hk_token_key_proven reads
 * the proof kinds, and failures land in the handle that had them. */
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

#include "err.h"
#include "secret.h"
#include "token_impl.h"

#define SOFTHSM_MODULE	HK_TEST_SOFTHSM_MODULE

/* ---- the fake backend ---- */

struct fake_ctx {
	struct hk_token_info *infos[4];
	size_t n;
};

static struct {
	int loads, nomod_loads, key_frees, rescans;
	const char *module;		/* what load was given */
	/* What keygen read from the request. */
	enum hk_kind kind;
	char label[64], application[64];
	uint8_t id[8], uid[8], chal[8];
	size_t idlen, uidlen, challen;
	int force, batch, resident, uv, touch;
} fake;

static int
fake_add(struct fake_ctx *c, const char *label)
{
	struct hk_token_info *i;
	char uri[64];

	if ((i = calloc(1, sizeof(*i))) == NULL)
		return HK_ERR_ALLOC;
	snprintf(uri, sizeof(uri), "fake:%s", label);
	i->backend = "fake";
	i->label = strdup(label);
	i->uri = strdup(uri);
	i->module = strdup("fake-module");
	i->flags = HK_TOKEN_F_INITIALIZED;
	i->gen_kinds = HK_KIND_BIT(HK_KIND_ED25519_SK);
	c->infos[c->n++] = i;
	return 0;
}

static int
fake_load(const char *module, void **ctxp)
{
	struct fake_ctx *c;

	fake.loads++;
	fake.module = module;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return HK_ERR_ALLOC;
	fake_add(c, "one");
	fake_add(c, "two");
	*ctxp = c;
	return 0;
}

static void
fake_unload(void *ctx)
{
	struct fake_ctx *c = ctx;
	size_t i;

	for (i = 0; i < c->n; i++)
		hk_token_info_free(c->infos[i]);
	free(c);
}

static int
fake_enumerate(void *ctx, struct hk_token_info *const **infosp, size_t *np)
{
	struct fake_ctx *c = ctx;

	*infosp = c->infos;
	*np = c->n;
	return 0;
}

/* A third device arrives on the first rescan. */
static int
fake_rescan(void *ctx, int *changedp)
{
	struct fake_ctx *c = ctx;

	if (fake.rescans++ == 0) {
		*changedp = 1;
		return fake_add(c, "three");
	}
	return 0;
}

static int
fake_open(void *ctx, const char *uri, struct hk_token *tok)
{
	struct fake_ctx *c = ctx;
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->infos[i]->uri, uri) == 0) {
			tok->info = c->infos[i];
			tok->be = c;
			return 0;
		}
	}
	return hk_errf(HK_ERR_TOKEN_NOT_FOUND, "%s: no fake device", uri);
}

static void
fake_close(struct hk_token *tok)
{
	tok->be = NULL;
}

/* The PIN comes through the handle's struct hk_ui; "1234" is right. */
static int
fake_login(struct hk_token *tok, enum hk_token_user who)
{
	struct hk_secret *pin = NULL;
	int r, ok;

	(void)who;
	if ((r = hk_token_ask(tok, HK_UI_SECRET_PIN, "PIN for fake", &pin)) != 0)
		return r;
	ok = strcmp(hk_secret_str(pin), "1234") == 0;
	hk_secret_free(pin);
	if (!ok)
		return hk_errf(HK_ERR_PIN_INCORRECT, "fake %s: wrong PIN", tok->info->label);
	return 0;
}

static uint8_t *
dup_bytes(const void *p, size_t len)
{
	uint8_t *d = malloc(len);

	if (d != NULL)
		memcpy(d, p, len);
	return d;
}

/* Which proof the fake key carries is chosen by its label. */
static int
fake_prove(struct hk_token_key *k, const char *label)
{
	struct hk_token_proof *p = &k->proof;

	if (strncmp(label, "fido", 4) == 0) {
		p->kind = HK_PROOF_FIDO2_ATTESTATION;
		p->verified = strcmp(label, "fido-ok") == 0;
		p->u.fido2.format = strdup("packed");
		p->u.fido2.attestation.ptr = dup_bytes("att", 3);
		p->u.fido2.attestation.len = 3;
		p->u.fido2.authdata.ptr = dup_bytes("authdata", 8);
		p->u.fido2.authdata.len = 8;
		p->u.fido2.signature.ptr = dup_bytes("sig", 3);
		p->u.fido2.signature.len = 3;
		p->u.fido2.certs = calloc(2, sizeof(*p->u.fido2.certs));
		p->u.fido2.ncerts = 2;
		p->u.fido2.certs[0].ptr = dup_bytes("leaf", 4);
		p->u.fido2.certs[0].len = 4;
		p->u.fido2.certs[1].ptr = dup_bytes("ca", 2);
		p->u.fido2.certs[1].len = 2;
		memset(p->u.fido2.aaguid, 0xaa, sizeof(p->u.fido2.aaguid));
		if (!p->verified)
			return hk_token_proof_reason(p, "attestation signature does not verify");
	} else if (strcmp(label, "piv") == 0) {
		p->kind = HK_PROOF_PIV_ATTESTATION;
		p->verified = 1;
		p->u.piv.certs = calloc(1, sizeof(*p->u.piv.certs));
		p->u.piv.ncerts = 1;
		p->u.piv.certs[0].ptr = dup_bytes("f9", 2);
		p->u.piv.certs[0].len = 2;
	} else if (strcmp(label, "flags") == 0) {
		p->kind = HK_PROOF_PKCS11_FLAGS;
		p->verified = 0;
		p->u.pkcs11.known = HK_TKEY_F_LOCAL;
		return hk_token_proof_reason(p, "CKA_NEVER_EXTRACTABLE unreadable");
	} else {
		/* Nothing proves it, whatever the verified bit says. */
		p->kind = HK_PROOF_NONE;
		p->verified = 1;
	}
	return 0;
}

static int
fake_keygen(struct hk_token *tok, const struct hk_keygen_req *req,
    struct hk_token_key **keyp)
{
	const struct hk_token_impl *self = tok->impl;
	struct hk_token_key *k;

	fake.kind = hk_keygen_req_kind(req);
	snprintf(fake.label, sizeof(fake.label), "%s", hk_keygen_req_label(req));
	snprintf(fake.application, sizeof(fake.application), "%s",
	    hk_keygen_req_application(req));
	fake.idlen = hk_keygen_req_id_len(req);
	if (fake.idlen > 0)
		memcpy(fake.id, hk_keygen_req_id_ptr(req), fake.idlen);
	fake.uidlen = hk_keygen_req_user_id_len(req);
	if (fake.uidlen > 0)
		memcpy(fake.uid, hk_keygen_req_user_id_ptr(req), fake.uidlen);
	fake.challen = hk_keygen_req_challenge_len(req);
	if (fake.challen > 0)
		memcpy(fake.chal, hk_keygen_req_challenge_ptr(req), fake.challen);
	fake.force = hk_keygen_req_force(req);
	fake.batch = hk_keygen_req_batch(req);
	fake.resident = hk_keygen_req_resident(req);
	fake.uv = hk_keygen_req_user_verification(req);
	fake.touch = hk_keygen_req_touch_required(req);
	if (!hk_token_info_can_make(tok->info, fake.kind))
		return hk_errf(HK_ERR_MECHANISM, "fake makes ed25519-sk only");
	if ((k = hk_token_key_new(self)) == NULL)
		return HK_ERR_ALLOC;
	k->label = strdup(hk_keygen_req_label(req));
	k->id_hex = strdup("");
	k->has_private = 1;
	k->be = malloc(32);	/* a "credential handle" only the backend can release */
	if (k->label == NULL || k->id_hex == NULL || k->be == NULL ||
	    fake_prove(k, k->label) != 0) {
		hk_token_key_free(k);
		return HK_ERR_ALLOC;
	}
	*keyp = k;
	return 0;
}

static void
fake_key_free(void *be)
{
	fake.key_frees++;
	free(be);
}

/* No list_keys, find_key, delete_key, init_token, init_pin, set_pin: not supported. */
static const struct hk_token_impl fake_impl = {
	.name = "fake",
	.scheme = "fake:",
	.flags = HK_TOKEN_IMPL_TAKES_MODULE,	/* loads beside --module, ignoring it */
	.load = fake_load,
	.unload = fake_unload,
	.enumerate = fake_enumerate,
	.rescan = fake_rescan,
	.open = fake_open,
	.close = fake_close,
	.login = fake_login,
	.keygen = fake_keygen,
	.key_free = fake_key_free,
};

/* A backend that takes no module: --module keeps it out. */
static int
nomod_load(const char *module, void **ctxp)
{
	(void)module;
	fake.nomod_loads++;
	*ctxp = NULL;
	return 0;
}

static void
nomod_unload(void *ctx)
{
	(void)ctx;
}

static const struct hk_token_impl nomod_impl = {
	.name = "nomod",
	.scheme = "nomod:",
	.load = nomod_load,
	.unload = nomod_unload,
};

/* ---- the front end's ui ---- */

static int
ui_secret(void *arg, enum hk_ui_secret which, const char *prompt, struct hk_secret **secp)
{
	const char *pin = arg;

	(void)prompt;
	assert_int_equal(which, HK_UI_SECRET_PIN);
	return hk_secret_new(pin, strlen(pin), secp);
}

/* ---- fixtures ---- */

static char tmpdir[] = "/tmp/hk-dispatch.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return hk_test_softhsm_setup(tmpdir, "real");
}

static int
teardown(void **state)
{
	(void)state;
	return hk_test_softhsm_teardown(tmpdir);
}

static const struct hk_token_impl *const both[] = {
#ifdef WITH_PKCS11
	&hk_token_pkcs11,
#endif
	&fake_impl, &nomod_impl, NULL,
};

static struct hk_tokens *
open_both(void)
{
	struct hk_tokens *ts = NULL;

	memset(&fake, 0, sizeof(fake));
	assert_int_equal(hk_tokens_open_backends(both, SOFTHSM_MODULE, &ts), 0);
	return ts;
}

static size_t
count_backend(struct hk_token_info *const *infos, size_t n, const char *backend,
    const char *label)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (strcmp(infos[i]->backend, backend) == 0 &&
		    (label == NULL || strcmp(infos[i]->label, label) == 0))
			c++;
	return c;
}

/* ---- tests ---- */

static void
test_list_merges(void **state)
{
	struct hk_tokens *ts = open_both();
	struct hk_token_info *const *infos;
	size_t n;
	int changed = 0;

	(void)state;
	assert_int_equal(fake.loads, 1);
	assert_string_equal(fake.module, SOFTHSM_MODULE);
	assert_int_equal(fake.nomod_loads, 0);	/* TAKES_MODULE unset: kept out */
	assert_int_equal(hk_tokens_list(ts, &infos, &n), 0);
	assert_int_equal(count_backend(infos, n, "fake", NULL), 2);
#ifdef WITH_PKCS11
	assert_int_equal(count_backend(infos, n, "pkcs11", "real"), 1);
	assert_int_equal(n, 2 + count_backend(infos, n, "pkcs11", NULL));
#endif
	/* Without a module every backend loads, nomod too. */
	hk_tokens_free(ts);
	ts = NULL;
	{
		static const struct hk_token_impl *const nomod_only[] = { &nomod_impl, NULL };

		assert_int_equal(hk_tokens_open_backends(nomod_only, NULL, &ts), 0);
		assert_int_equal(fake.nomod_loads, 1);
		assert_int_equal(hk_tokens_list(ts, &infos, &n), 0);	/* no enumerate */
		assert_int_equal(n, 0);
		hk_tokens_free(ts);
	}
	/* A rescan goes to each backend's table; the new device is listed. */
	ts = open_both();
	assert_int_equal(hk_tokens_rescan(ts, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(hk_tokens_list(ts, &infos, &n), 0);
	assert_int_equal(count_backend(infos, n, "fake", "three"), 1);
	hk_tokens_free(ts);
}

static void
test_select_by_scheme(void **state)
{
	struct hk_tokens *ts = open_both();
	struct hk_token *tok = NULL;
	const struct hk_error *e;

	(void)state;
	assert_int_equal(hk_token_select(ts, "fake:two", &tok), 0);
	assert_string_equal(hk_token_get_info(tok)->backend, "fake");
	assert_string_equal(hk_token_get_info(tok)->label, "two");
	hk_token_free(tok);
#ifdef WITH_PKCS11
	assert_int_equal(hk_token_select(ts, "pkcs11:token=real", &tok), 0);
	assert_string_equal(hk_token_get_info(tok)->backend, "pkcs11");
	assert_non_null(hk_token_get_info(tok)->module_path);
	assert_int_equal(hk_token_get_info(tok)->module_path[0], '/');
	hk_token_free(tok);
#endif
	/* The backend's own refusal, kept in the set's error. */
	tok = NULL;
	assert_int_equal(hk_token_select(ts, "fake:nine", &tok), HK_ERR_TOKEN_NOT_FOUND);
	assert_null(tok);
	e = hk_tokens_error(ts);
	assert_int_equal(e->code, HK_ERR_TOKEN_NOT_FOUND);
	assert_string_equal(e->message, "fake:nine: no fake device");
	/* No scheme matches: the schemes come from the loaded tables. */
	assert_int_equal(hk_token_select(ts, "nope:x", &tok), HK_ERR_TOKEN_URI);
	assert_non_null(strstr(hk_tokens_error(ts)->message, "\"fake:\""));
	assert_null(strstr(hk_tokens_error(ts)->message, "nomod:"));
	/* A success clears it. */
	assert_int_equal(hk_token_select(ts, "fake:one", &tok), 0);
	assert_int_equal(hk_tokens_error(ts)->code, 0);
	hk_token_free(tok);
	hk_tokens_free(ts);
}

static void
test_request_reaches_backend(void **state)
{
	static const uint8_t id[] = { 1, 2, 3 }, uid[] = { 9, 8 }, chal[] = { 7, 7, 7, 7 };
	struct hk_tokens *ts = open_both();
	struct hk_token *tok = NULL;
	struct hk_keygen_req *req;
	struct hk_token_key *k = NULL;

	(void)state;
	assert_int_equal(hk_token_select(ts, "fake:one", &tok), 0);
	assert_non_null(req = hk_keygen_req_new());
	assert_int_equal(hk_keygen_req_set_kind(req, HK_KIND_ED25519_SK), 0);
	assert_int_equal(hk_keygen_req_set_label(req, "fido-ok"), 0);
	assert_int_equal(hk_keygen_req_set_id(req, id, sizeof(id)), 0);
	assert_int_equal(hk_keygen_req_set_force(req, 1), 0);
	assert_int_equal(hk_keygen_req_set_batch(req, 1), 0);
	assert_int_equal(hk_keygen_req_set_resident(req, 1), 0);
	assert_int_equal(hk_keygen_req_set_user_verification(req, 1), 0);
	assert_int_equal(hk_keygen_req_set_touch_required(req, 0), 0);
	assert_int_equal(hk_keygen_req_set_application(req, "ssh:hwkey"), 0);
	assert_int_equal(hk_keygen_req_set_user_id(req, uid, sizeof(uid)), 0);
	assert_int_equal(hk_keygen_req_set_challenge(req, chal, sizeof(chal)), 0);
	assert_int_equal(hk_token_keygen(tok, req, &k), 0);
	assert_int_equal(fake.kind, HK_KIND_ED25519_SK);
	assert_string_equal(fake.label, "fido-ok");
	assert_int_equal(fake.idlen, sizeof(id));
	assert_memory_equal(fake.id, id, sizeof(id));
	assert_int_equal(fake.force, 1);
	assert_int_equal(fake.batch, 1);
	assert_int_equal(fake.resident, 1);
	assert_int_equal(fake.uv, 1);
	assert_int_equal(fake.touch, 0);
	assert_string_equal(fake.application, "ssh:hwkey");
	assert_int_equal(fake.uidlen, sizeof(uid));
	assert_memory_equal(fake.uid, uid, sizeof(uid));
	assert_int_equal(fake.challen, sizeof(chal));
	assert_memory_equal(fake.chal, chal, sizeof(chal));
	assert_ptr_equal(k->impl, &fake_impl);
	hk_token_key_free(k);
	assert_int_equal(fake.key_frees, 1);	/* the backend's key_free, once */

	/* A request without a kind never reaches the backend. */
	hk_keygen_req_free(req);
	assert_non_null(req = hk_keygen_req_new());
	assert_int_equal(hk_keygen_req_set_label(req, "x"), 0);
	fake.label[0] = '\0';
	assert_int_equal(hk_token_keygen(tok, req, &k), HK_ERR_INVALID_ARGUMENT);
	assert_null(k);
	assert_string_equal(fake.label, "");
	/* The backend decides what it can make, from the table's kind. */
	assert_int_equal(hk_keygen_req_set_kind(req, HK_KIND_RSA2048), 0);
	assert_int_equal(hk_token_keygen(tok, req, &k), HK_ERR_MECHANISM);
	assert_int_equal(fake.kind, HK_KIND_RSA2048);
	hk_keygen_req_free(req);
	hk_token_free(tok);
	hk_tokens_free(ts);
}

static void
test_not_supported(void **state)
{
	struct hk_tokens *ts = open_both();
	struct hk_token *tok = NULL;
	struct hk_token_key **keys = (struct hk_token_key **)&keys;
	const struct hk_error *e;
	size_t n = 7;

	(void)state;
	assert_int_equal(hk_token_select(ts, "fake:two", &tok), 0);
	assert_int_equal(hk_token_init(tok, "x"), HK_ERR_NOT_SUPPORTED);
	e = hk_token_error(tok);
	assert_int_equal(e->code, HK_ERR_NOT_SUPPORTED);
	assert_string_equal(e->message, "fake tokens: init_token");
	assert_string_equal(e->token, "two");
	assert_int_equal(hk_token_keys(tok, &keys, &n), HK_ERR_NOT_SUPPORTED);
	assert_null(keys);
	assert_int_equal(n, 0);
	assert_string_equal(hk_token_error(tok)->message, "fake tokens: list_keys");
	assert_int_equal(hk_token_pin_init(tok), HK_ERR_NOT_SUPPORTED);
	assert_int_equal(hk_token_pin_change(tok, HK_TOKEN_USER), HK_ERR_NOT_SUPPORTED);
	assert_string_equal(hk_token_error(tok)->message, "fake tokens: set_pin");
	hk_token_free(tok);
	hk_tokens_free(ts);
}

static void
test_proof_kinds(void **state)
{
	static const struct {
		const char *label;
		enum hk_proof_kind kind;
		int proven;
	} cases[] = {
		{ "fido-ok", HK_PROOF_FIDO2_ATTESTATION, 1 },
		{ "fido-bad", HK_PROOF_FIDO2_ATTESTATION, 0 },
		{ "piv", HK_PROOF_PIV_ATTESTATION, 1 },
		{ "flags", HK_PROOF_PKCS11_FLAGS, 0 },
		{ "none", HK_PROOF_NONE, 0 },
	};
	struct hk_tokens *ts = open_both();
	struct hk_token *tok = NULL;
	struct hk_keygen_req *req;
	struct hk_token_key *k = NULL;
	size_t i;

	(void)state;
	assert_int_equal(hk_token_select(ts, "fake:one", &tok), 0);
	assert_non_null(req = hk_keygen_req_new());
	assert_int_equal(hk_keygen_req_set_kind(req, HK_KIND_ED25519_SK), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(hk_keygen_req_set_label(req, cases[i].label), 0);
		assert_int_equal(hk_token_keygen(tok, req, &k), 0);
		assert_int_equal(k->proof.kind, cases[i].kind);
		assert_int_equal(hk_token_key_proven(k), cases[i].proven);
		if (!cases[i].proven && cases[i].kind != HK_PROOF_NONE)
			assert_non_null(k->proof.reason);
		hk_token_key_free(k);	/* ASan: every proof member is released */
		k = NULL;
	}
	assert_int_equal(fake.key_frees, (int)(sizeof(cases) / sizeof(cases[0])));
	assert_string_equal(hk_proof_kind_name(HK_PROOF_FIDO2_ATTESTATION),
	    "fido2-attestation");
	assert_int_equal(hk_token_key_proven(NULL), 0);
	hk_keygen_req_free(req);
	hk_token_free(tok);
	hk_tokens_free(ts);
}

static void
test_errors_in_handle(void **state)
{
	struct hk_tokens *ts = open_both();
	struct hk_token *one = NULL, *two = NULL;
	static char wrong[] = "0000", right[] = "1234";
	struct hk_ui ui_wrong = { .secret = ui_secret, .arg = wrong };
	struct hk_ui ui_right = { .secret = ui_secret, .arg = right };
	struct hk_error thread;
	const struct hk_error *e;

	(void)state;
	assert_int_equal(hk_token_select(ts, "fake:one", &one), 0);
	assert_int_equal(hk_token_select(ts, "fake:two", &two), 0);
	/* No ui: the secret cannot be asked for. */
	assert_int_equal(hk_token_login(one, HK_TOKEN_USER), HK_ERR_PIN_REQUIRED);
	assert_int_equal(hk_token_error(one)->code, HK_ERR_PIN_REQUIRED);
	hk_token_set_ui(one, &ui_wrong);
	hk_token_set_ui(two, &ui_right);

	assert_int_equal(hk_token_login(one, HK_TOKEN_USER), HK_ERR_PIN_INCORRECT);
	/* The thread's detail was taken into the handle, not left behind. */
	hk_error_take(&thread, HK_ERR_PIN_INCORRECT);
	assert_string_equal(thread.message, "");
	e = hk_token_error(one);
	assert_int_equal(e->code, HK_ERR_PIN_INCORRECT);
	assert_string_equal(e->message, "fake one: wrong PIN");
	assert_string_equal(e->token, "one");

	/* Another handle's success leaves the first one's error alone. */
	assert_int_equal(hk_token_login(two, HK_TOKEN_USER), 0);
	assert_int_equal(hk_token_error(two)->code, 0);
	assert_int_equal(hk_token_error(one)->code, HK_ERR_PIN_INCORRECT);
	assert_string_equal(hk_token_error(one)->message, "fake one: wrong PIN");
	/* A failure on two is two's only. */
	assert_int_equal(hk_token_init(two, "x"), HK_ERR_NOT_SUPPORTED);
	assert_string_equal(hk_token_error(two)->token, "two");
	assert_string_equal(hk_token_error(one)->message, "fake one: wrong PIN");
	/* And the next success on a handle clears its error. */
	hk_token_set_ui(one, &ui_right);
	assert_int_equal(hk_token_login(one, HK_TOKEN_USER), 0);
	assert_int_equal(hk_token_error(one)->code, 0);
	assert_string_equal(hk_token_error(one)->message, "");
	hk_token_free(one);
	hk_token_free(two);
	hk_tokens_free(ts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_merges),
		cmocka_unit_test(test_select_by_scheme),
		cmocka_unit_test(test_request_reaches_backend),
		cmocka_unit_test(test_not_supported),
		cmocka_unit_test(test_proof_kinds),
		cmocka_unit_test(test_errors_in_handle),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
