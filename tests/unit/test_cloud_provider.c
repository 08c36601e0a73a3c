/* A provider is one file: this test defines a whole fake cloud (registry row,
 * operations, capabilities, credentials, a setting of its own), opens it
 * through hk_cloud_open_impl and drives the real engine (hk_cloud_run) with
 * it. The fake answers without any network, through the engine's local
 * completions (hk_http_defer). Proves dispatch, settings checked by the
 * row, import/list/delete/attach over the registry's operations table,
 * batching by the caps, summaries for hk_op_batch_outcome, blocking calls
 * refused from inside the loop, and the cancel deadline for local work. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cloud_int.h"
#include "err.h"
#include "http.h"
#include "ops.h"

static const char ed_line[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwsSB9HbTeKCdkSlMZeTq9jZggaPJUwAsUi/7wakB+B moto@getmoto";
static const char ec_line[] = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBB4Z/DQLtaD7Iu2BqUc3OEXad4Pll3NGXuYfn8/DV2bXnOCOqZx/AsE21DnGs/vyfeDyT8CXNNNe+cbOiel7wCc= ec@test";
static const char rsa_line[] = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDazah+OiJLMEjQ4UugCBCtO5mg0cFQcDimPNyyBzqQTnNmTQExfvPhv3ho2jrX8e70JceWdMWT9ipP8knz+Wm5TfqjuwsfxqvoYdS6Y4KDXQyR7NQ3XNa5BrYFqk6ga3uDGvdFY4gD/+FINqMbxF9hEcUaIKH24vAM+sjiflob22ZjG+pDHiHBhaKHXZ0FFZz4O/BrF1R9iz/B3hjYcZblz3WRn9CeFd1KJCW2dx1hDWKMI8vY0gO/qP2P7tRDey/i7r0q9tRARq3VziXMqYUThrYMwFPiCdon4lINI6qIF6xova8Zgjg7SfQCvmXjEf4voO0At3aUvhjPQEdi1F1h rsa@test";

/* ---- the fake provider: everything it is, in this one file ---- */

static const struct hk_cloud_keycap fake_keys[] = {
	{ HK_KEY_ECDSA, HK_CURVE_P256, NULL, "ecdsa-p256" },
	{ HK_KEY_ED25519, HK_CURVE_NONE, NULL, "ed25519" },
	{ HK_KEY_UNSPEC, HK_CURVE_NONE, NULL, NULL },
};

static const char *const fake_regions[] = { "fk-east-1", "fk-west-1", NULL };

static const struct hk_cloud_caps fake_caps = {
	.provider = "fake",
	.title = "Fake Cloud",
	.keys = fake_keys,
	.suggest = "use an ed25519 key",
	.name = {
		.min = 1, .max = 32, .first = "", .allowed = "abcdefghijklmnopqrstuvwxyz0123456789-",
		.text = "1-32 of a-z, 0-9, '-'",
	},
	.fp = HK_FP_SHA256,
	.list_page_max = 10,
	.delete_batch_max = 2,
	.attach_batch_max = 2,
	.regions = fake_regions,
};

static const char *const fake_flavours[] = { "sweet", "sour", NULL };

static const struct hk_cloud_setting_def fake_settings[] = {
	{ "flavour", fake_flavours, "sweet or sour", NULL },
	{ "signature", NULL, NULL, "--signature: the fake cloud signs nothing" },
	{ NULL, NULL, NULL, NULL },
};

#define FAKE_PAIRS_MAX 32

struct fake_pair {
	char region[32], name[64], fp[HK_FP_MAX];
};

/* The fake cloud's state, and what it saw. */
struct fake_ctx {
	const char *flavour;
	struct fake_pair pairs[FAKE_PAIRS_MAX];
	size_t npairs;
	unsigned int calls[6];		/* by enum fake_op */
	long delay_ms;			/* how long every call takes */
};

enum fake_op { FK_IMPORT, FK_DESCRIBE, FK_DELETE, FK_ATTACH, FK_DETACH, FK_REGIONS };

/* One call in flight: completed by the engine's local timer. */
struct fake_call {
	struct hk_cloud *c;
	enum fake_op op;
	char region[32], name[64];
	char *line;
	char **targets;
	size_t ntargets;
	struct hk_cloud_cb cb;
};

static struct fake_pair *
fake_find(struct fake_ctx *ctx, const char *region, const char *name)
{
	size_t i;

	for (i = 0; i < ctx->npairs; i++)
		if (strcmp(ctx->pairs[i].region, region) == 0 && strcmp(ctx->pairs[i].name, name) == 0)
			return &ctx->pairs[i];
	return NULL;
}

static void
fake_answer(struct fake_call *fc, struct hk_cloud_reply *reply)
{
	struct fake_ctx *ctx = fc->c->ctx;
	struct fake_pair *p;
	struct hk_key *k = NULL;
	size_t i, n;

	switch (fc->op) {
	case FK_IMPORT:
		if (fake_find(ctx, fc->region, fc->name) != NULL) {
			hk_cloud_error_provider(&reply->error, HK_ERR_CLOUD_EXISTS, 409,
			    "Pair.Exists", "exists", "rid-1");
			break;
		}
		assert_true(ctx->npairs < FAKE_PAIRS_MAX);
		p = &ctx->pairs[ctx->npairs++];
		snprintf(p->region, sizeof(p->region), "%s", fc->region);
		snprintf(p->name, sizeof(p->name), "%s", fc->name);
		assert_int_equal(hk_key_parse(fc->line, strlen(fc->line), &k), 0);
		assert_int_equal(hk_key_fingerprint_buf(k, fake_caps.fp, p->fp, sizeof(p->fp)), 0);
		hk_key_free(k);
		reply->fingerprint = strdup(p->fp);
		break;
	case FK_DESCRIBE:
		reply->pairs = calloc(ctx->npairs + 1, sizeof(*reply->pairs));
		assert_non_null(reply->pairs);
		for (i = n = 0; i < ctx->npairs; i++) {
			p = &ctx->pairs[i];
			if (strcmp(p->region, fc->region) != 0 ||
			    (fc->name[0] != '\0' && strcmp(p->name, fc->name) != 0))
				continue;
			reply->pairs[n].name = strdup(p->name);
			reply->pairs[n++].fingerprint = strdup(p->fp);
		}
		reply->npairs = n;
		break;
	case FK_DELETE:
		for (i = 0; i < fc->ntargets; i++)
			if ((p = fake_find(ctx, fc->region, fc->targets[i])) != NULL)
				*p = ctx->pairs[--ctx->npairs];
		break;
	case FK_ATTACH:
	case FK_DETACH:
		/* "i-bad..." instances refuse, one by one, as Alibaba's Results do. */
		reply->instances = calloc(fc->ntargets, sizeof(*reply->instances));
		assert_non_null(reply->instances);
		for (i = 0; i < fc->ntargets; i++) {
			reply->instances[i].instance_id = strdup(fc->targets[i]);
			reply->instances[i].ok = strncmp(fc->targets[i], "i-bad", 5) != 0;
			if (!reply->instances[i].ok) {
				reply->instances[i].code = strdup("Bad.Instance");
				reply->instances[i].message = strdup("that one will not do");
			}
		}
		reply->ninstances = fc->ntargets;
		break;
	case FK_REGIONS:
		reply->regions = calloc(3, sizeof(char *));
		assert_non_null(reply->regions);
		reply->regions[0] = strdup("fk-east-1");
		reply->regions[1] = strdup("fk-west-1");
		reply->nregions = 2;
		break;
	}
}

/* The engine's timer fired: answer, as a transport would, then forget the call. */
static void
fake_complete(void *arg, int cancelled)
{
	struct fake_call *fc = arg;
	struct hk_cloud_reply reply;
	size_t i;

	memset(&reply, 0, sizeof(reply));
	reply.sent = 1;
	if (cancelled)
		hk_error_set(&reply.error, HK_ERR_CANCELLED, "abandoned at the deadline");
	else
		fake_answer(fc, &reply);
	fc->cb.done(fc->cb.arg, &reply);
	hk_cloud_reply_clear(&reply);
	for (i = 0; i < fc->ntargets; i++)
		free(fc->targets[i]);
	free(fc->targets);
	free(fc->line);
	free(fc);
}

static int
fake_call(struct hk_cloud *c, enum fake_op op, const char *region, const char *name,
    const char *line, const char *const *targets, size_t ntargets, const struct hk_cloud_cb *cb)
{
	struct fake_ctx *ctx = c->ctx;
	struct fake_call *fc;
	size_t i;

	assert_non_null(fc = calloc(1, sizeof(*fc)));
	fc->c = c;
	fc->op = op;
	fc->cb = *cb;
	snprintf(fc->region, sizeof(fc->region), "%s", region != NULL ? region : "");
	snprintf(fc->name, sizeof(fc->name), "%s", name != NULL ? name : "");
	if (line != NULL)
		assert_non_null(fc->line = strdup(line));
	if (ntargets > 0) {
		assert_non_null(fc->targets = calloc(ntargets, sizeof(char *)));
		for (i = 0; i < ntargets; i++)
			assert_non_null(fc->targets[i] = strdup(targets[i]));
		fc->ntargets = ntargets;
	}
	ctx->calls[op]++;
	return hk_http_defer(c->http, ctx->delay_ms, fake_complete, fc);
}

static int
fake_open(struct hk_cloud *c, void **ctxp)
{
	struct fake_ctx *ctx;

	assert_non_null(ctx = calloc(1, sizeof(*ctx)));
	ctx->flavour = hk_cloud_settings_get(&c->settings, "flavour");
	ctx->delay_ms = 1;
	*ctxp = ctx;
	return 0;
}

static void
fake_close(void *ctx)
{
	free(ctx);
}

static int
fake_import(struct hk_cloud *c, const char *region, const char *name, const char *public_key,
    const struct hk_cloud_cb *cb)
{
	return fake_call(c, FK_IMPORT, region, name, public_key, NULL, 0, cb);
}

static int
fake_describe(struct hk_cloud *c, const char *region, const char *name,
    const struct hk_cloud_cb *cb)
{
	return fake_call(c, FK_DESCRIBE, region, name, NULL, NULL, 0, cb);
}

static int
fake_delete(struct hk_cloud *c, const char *region, const char *const *names, size_t n,
    const struct hk_cloud_cb *cb)
{
	assert_true(n <= c->caps->delete_batch_max);
	return fake_call(c, FK_DELETE, region, NULL, NULL, names, n, cb);
}

static int
fake_attach(struct hk_cloud *c, const char *region, const char *name, const char *const *ids,
    size_t n, const struct hk_cloud_cb *cb)
{
	assert_true(n <= c->caps->attach_batch_max);
	return fake_call(c, FK_ATTACH, region, name, NULL, ids, n, cb);
}

static int
fake_regions_op(struct hk_cloud *c, const struct hk_cloud_cb *cb)
{
	return fake_call(c, FK_REGIONS, NULL, NULL, NULL, NULL, 0, cb);
}

static int
fake_creds(const struct hk_cloud_settings *s, struct hk_creds **credsp)
{
	(void)s;
	return hk_creds_new("fake-id", "fake-secret", NULL, "the test", credsp);
}

static const struct hk_cloud_impl fake_impl = {
	.open = fake_open,
	.close = fake_close,
	.import_keypair = fake_import,
	.describe_keypairs = fake_describe,
	.delete_keypairs = fake_delete,
	.attach_keypair = fake_attach,
	.detach_keypair = NULL,		/* not supported: the engine says so */
	.list_regions = fake_regions_op,
};

static const struct hk_cloud_provider fake_row = {
	.name = "fake",
	.title = "Fake Cloud",
	.impl = &fake_impl,
	.caps = &fake_caps,
	.creds_load = fake_creds,
	.settings = fake_settings,
};

/* ---- the tests ---- */

static struct hk_cloud *
fake_open_session(const struct hk_cloud_setting *settings, size_t n)
{
	struct hk_cloud_opts o;
	struct hk_cloud *c = NULL;

	memset(&o, 0, sizeof(o));
	o.provider = "ignored: the row decides";
	o.settings = settings;
	o.nsettings = n;
	o.cancel_grace_ms = 50;
	assert_int_equal(hk_cloud_open_impl(&fake_row, &o, &c), 0);
	return c;
}

static struct hk_key *
key(const char *line)
{
	struct hk_key *k = NULL;

	assert_int_equal(hk_key_parse(line, strlen(line), &k), 0);
	return k;
}

static void
test_open_through_the_hook(void **state)
{
	struct hk_cloud_opts o;
	struct hk_cloud *c;

	(void)state;
	c = fake_open_session(NULL, 0);
	assert_ptr_equal(hk_cloud_get_caps(c), &fake_caps);
	assert_string_equal(c->creds->access_key_id, "fake-id");
	hk_cloud_free(c);
	/* Not in the registry: by name it does not open, and no text offers it. */
	memset(&o, 0, sizeof(o));
	o.provider = "fake";
	assert_int_equal(hk_cloud_open(&o, &c), HK_ERR_USAGE);
	assert_null(c);
	assert_null(hk_cloud_caps_find("fake"));
}

static void
test_settings_checked_by_the_row(void **state)
{
	struct hk_cloud_setting sour = { "flavour", "sour" }, bitter = { "flavour", "bitter" };
	struct hk_cloud_setting profile = { "profile", "work" }, sig = { "signature", "v1" };
	struct hk_cloud_opts o;
	struct hk_cloud *c = NULL;
	struct hk_error e;

	(void)state;
	c = fake_open_session(&sour, 1);
	assert_string_equal(((struct fake_ctx *)c->ctx)->flavour, "sour");
	hk_cloud_free(c);
	memset(&o, 0, sizeof(o));
	o.nsettings = 1;
	o.settings = &bitter;
	assert_int_equal(hk_error_take(&e, hk_cloud_open_impl(&fake_row, &o, &c)), HK_ERR_USAGE);
	assert_string_equal(e.message, "--flavour bitter: sweet or sour");
	/* Another provider's setting: says whose it is. */
	o.settings = &profile;
	assert_int_equal(hk_error_take(&e, hk_cloud_open_impl(&fake_row, &o, &c)), HK_ERR_USAGE);
	assert_non_null(strstr(e.message, "Alibaba Cloud ECS"));
	assert_non_null(strstr(e.message, "Fake Cloud"));
	/* A setting the row names to refuse: its own words. */
	o.settings = &sig;
	assert_int_equal(hk_error_take(&e, hk_cloud_open_impl(&fake_row, &o, &c)), HK_ERR_USAGE);
	assert_string_equal(e.message, "--signature: the fake cloud signs nothing");
	assert_null(c);
	/* The registered rows: only theirs are known to the command line. */
	assert_true(hk_cloud_setting_known("signature"));
	assert_true(hk_cloud_setting_known("profile"));
	assert_false(hk_cloud_setting_known("flavour"));
	assert_int_equal(hk_error_take(&e, hk_cloud_setting_check(NULL, "signature", "v2")),
	    HK_ERR_USAGE);
	assert_string_equal(e.message, "--signature v2: v1 or v3");
	assert_int_equal(hk_cloud_setting_check("aliyun", "signature", "v3"), 0);
	assert_int_equal(hk_error_take(&e, hk_cloud_setting_check("huawei", "signature", "v3")),
	    HK_ERR_USAGE);
	assert_non_null(strstr(e.message, "Huawei Cloud KPS"));
}

static void
test_import_dispatch(void **state)
{
	struct hk_key *keys[2] = { key(ec_line), key(ed_line) };
	struct hk_import_req req;
	struct hk_import_summary sum;
	const struct hk_import_result *res;
	struct hk_import *imp = NULL;
	struct hk_cloud *c;
	struct hk_error e;
	struct fake_ctx *ctx;
	size_t n, i;

	(void)state;
	c = fake_open_session(NULL, 0);
	ctx = c->ctx;
	memset(&req, 0, sizeof(req));
	req.keys = (const struct hk_key *const *)keys;
	req.nkeys = 2;
	req.name = "k-%n";
	req.regions = "all";
	assert_int_equal(hk_import_new(&fake_caps, &req, &imp, &e), 0);
	assert_int_equal(hk_import_run(imp, c, &e), 0);
	/* "all" came from the fake's own region call; key-major results. */
	assert_int_equal(ctx->calls[FK_REGIONS], 1);
	res = hk_import_results(imp, &n);
	assert_int_equal(n, 4);
	assert_string_equal(res[0].name, "k-1");
	assert_string_equal(res[0].region, "fk-east-1");
	assert_string_equal(res[1].region, "fk-west-1");
	assert_string_equal(res[2].name, "k-2");
	for (i = 0; i < n; i++) {
		assert_int_equal(res[i].status, HK_IMPORT_IMPORTED);
		assert_true(hk_fp_equal(res[i].fingerprint, res[i].cloud_fingerprint));
	}
	assert_int_equal(ctx->calls[FK_IMPORT], 4);
	assert_int_equal(ctx->npairs, 4);
	hk_import_summary(imp, &sum);
	assert_int_equal(sum.count[HK_IMPORT_IMPORTED], 4);
	assert_int_equal(sum.batch.nitems, 4);
	assert_int_equal(sum.batch.nfailed, 0);
	hk_import_free(imp);
	/* Again: the pairs are there with the same keys. */
	imp = NULL;
	assert_int_equal(hk_import_new(&fake_caps, &req, &imp, &e), 0);
	assert_int_equal(hk_import_run(imp, c, &e), 0);
	res = hk_import_results(imp, &n);
	for (i = 0; i < n; i++)
		assert_int_equal(res[i].status, HK_IMPORT_PRESENT);
	assert_int_equal(ctx->npairs, 4);
	hk_import_free(imp);
	hk_cloud_free(c);
	hk_key_free(keys[0]);
	hk_key_free(keys[1]);
}

static void
test_import_refused_before_any_call(void **state)
{
	struct hk_key *keys[2] = { key(ed_line), key(rsa_line) };
	struct hk_import_req req;
	struct hk_import *imp = NULL;
	struct hk_error e;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.keys = (const struct hk_key *const *)keys;
	req.nkeys = 2;
	req.name = "k-%n";
	req.regions = "fk-east-1";
	/* No session exists yet: the check needs none, and is the only one. */
	assert_int_equal(hk_import_new(&fake_caps, &req, &imp, &e), HK_ERR_CLOUD_UNSUPPORTED);
	assert_null(imp);
	assert_non_null(strstr(e.message, "Fake Cloud does not accept ssh-rsa"));
	assert_non_null(strstr(e.message, "use an ed25519 key"));
	keys[1] = (hk_key_free(keys[1]), key(ec_line));
	req.name = "Upper-%n";
	assert_int_equal(hk_import_new(&fake_caps, &req, &imp, &e), HK_ERR_CLOUD_NAME);
	req.name = "same";
	assert_int_equal(hk_import_new(&fake_caps, &req, &imp, &e), HK_ERR_USAGE);
	assert_string_equal(e.message, "two keys would both be named \"same\"");
	/* %% is a percent sign (which the fake's rule then refuses). */
	req.name = "k%%%n";
	assert_int_equal(hk_import_new(&fake_caps, &req, &imp, &e), HK_ERR_CLOUD_NAME);
	assert_non_null(strstr(e.message, "\"k%1\""));
	hk_key_free(keys[0]);
	hk_key_free(keys[1]);
}

static void
test_batches_and_summaries(void **state)
{
	char r0[] = "fk-east-1", r1[] = "fk-west-1";
	char na[] = "a", nb[] = "b", nc[] = "c", nd[] = "d", ne[] = "e";
	char i1[] = "i-1", i2[] = "i-bad2", i3[] = "i-3";
	char *regions[2] = { r0, r1 };
	char *names[5] = { na, nb, nc, nd, ne };
	char *ids[3] = { i1, i2, i3 };
	struct hk_cloud_op_result *res = NULL;
	struct hk_cloud_listing *l = NULL;
	struct hk_cloud_summary sum;
	struct hk_error out;
	struct hk_cloud *c;
	struct fake_ctx *ctx;
	size_t n = 0, i;

	(void)state;
	c = fake_open_session(NULL, 0);
	ctx = c->ctx;
	/* fk-east-1 holds a..e, fk-west-1 a..d. */
	for (i = 0; i < 9; i++) {
		snprintf(ctx->pairs[i].region, sizeof(ctx->pairs[i].region), "%s", regions[i / 5]);
		snprintf(ctx->pairs[i].name, sizeof(ctx->pairs[i].name), "%s", names[i % 5]);
	}
	ctx->npairs = 9;
	/*
	 * Each region is described first; what it holds goes two names a call
	 * (three calls, then two); "e" in fk-west-1 is absent and not sent.
	 */
	assert_int_equal(hk_cloud_delete(c, regions, 2, names, 5, &res, &n, &sum), 0);
	assert_int_equal(n, 10);
	assert_int_equal(ctx->calls[FK_DESCRIBE], 2);
	assert_int_equal(ctx->calls[FK_DELETE], 5);
	assert_int_equal(ctx->npairs, 0);
	for (i = 0; i < 9; i++)
		assert_false(res[i].absent);
	assert_true(res[9].absent);
	assert_int_equal(res[9].error.code, 0);
	assert_int_equal(sum.nitems, 10);
	assert_int_equal(sum.nfailed, 0);
	assert_null(sum.first);
	hk_cloud_op_results_free(res, n);
	/* Per-instance refusals become per-result errors, saying where. */
	assert_int_equal(hk_cloud_attach(c, "fk-east-1", "a", ids, 3, 0, &res, &n, &sum), 0);
	assert_int_equal(ctx->calls[FK_ATTACH], 2);
	assert_int_equal(n, 3);
	assert_int_equal(res[0].error.code, 0);
	assert_int_equal(res[1].error.code, HK_ERR_CLOUD);
	assert_string_equal(res[1].error.provider_code, "Bad.Instance");
	assert_string_equal(res[1].error.region, "fk-east-1");
	assert_int_equal(sum.nfailed, 1);
	assert_ptr_equal(sum.first, &res[1].error);
	assert_string_equal(sum.first_where, "fk-east-1 i-bad2");
	/* What the CLI does with it: one rule for every batch. */
	assert_int_equal(hk_op_batch_outcome(sum.nitems, sum.nfailed, sum.ncancelled, sum.first,
	    sum.first_where, &out), HK_ERR_PARTIAL);
	assert_string_equal(out.message, "1 of 3 failed; first: fk-east-1 i-bad2: "
	    "that one will not do");
	hk_cloud_op_results_free(res, n);
	/* A NULL operation in the table is "not supported", before any call. */
	assert_int_equal(hk_cloud_attach(c, "fk-east-1", "a", ids, 3, 1, &res, &n, &sum),
	    HK_ERR_NOT_SUPPORTED);
	assert_int_equal(hk_cloud_list(c, regions, 2, NULL, &l, &n, &sum), 0);
	assert_int_equal(ctx->calls[FK_DESCRIBE], 2 + 2);
	assert_int_equal(sum.nitems, 2);
	hk_cloud_listings_free(l, n);
	hk_cloud_free(c);
}

struct inside {
	struct hk_cloud *c;
	int list_r, regions_r, import_r;
	unsigned int calls_before, calls_after;
};

/* Runs from inside hk_cloud_run: every blocking operation must refuse. */
static void
call_inside(void *arg, int cancelled)
{
	struct inside *in = arg;
	struct fake_ctx *ctx = in->c->ctx;
	char r0[] = "fk-east-1", *regions[1] = { r0 }, **v = NULL;
	struct hk_cloud_listing *l = NULL;
	struct hk_cloud_summary sum;
	struct hk_key *k = key(ed_line);
	struct hk_import_req req = { (const struct hk_key *const *)&k, 1, "x", "fk-east-1", 0,
	    NULL, NULL };
	struct hk_import *imp = NULL;
	struct hk_error e;
	size_t n = 0;

	(void)cancelled;
	in->calls_before = ctx->calls[FK_DESCRIBE] + ctx->calls[FK_IMPORT] + ctx->calls[FK_REGIONS];
	in->list_r = hk_cloud_list(in->c, regions, 1, NULL, &l, &n, &sum);
	in->regions_r = hk_cloud_regions(in->c, "all", &v, &n);
	assert_int_equal(hk_import_new(&fake_caps, &req, &imp, &e), 0);
	in->import_r = hk_import_run(imp, in->c, &e);
	in->calls_after = ctx->calls[FK_DESCRIBE] + ctx->calls[FK_IMPORT] + ctx->calls[FK_REGIONS];
	assert_null(l);
	assert_null(v);
	hk_import_free(imp);
	hk_key_free(k);
}

static void
test_run_checked(void **state)
{
	struct hk_cloud *c;
	struct inside in;

	(void)state;
	c = fake_open_session(NULL, 0);
	memset(&in, 0, sizeof(in));
	in.c = c;
	assert_int_equal(hk_http_defer(c->http, 0, call_inside, &in), 0);
	assert_int_equal(hk_cloud_run(c), 0);
	/* Nested runs would fail: each caller saw it, and queued nothing. */
	assert_int_equal(in.list_r, HK_ERR_INTERNAL);
	assert_int_equal(in.regions_r, HK_ERR_INTERNAL);
	assert_int_equal(in.import_r, HK_ERR_INTERNAL);
	assert_int_equal(in.calls_before, in.calls_after);
	hk_cloud_free(c);
}

static void
test_cancel_deadline_for_local_work(void **state)
{
	struct hk_key *k = key(ed_line);
	struct hk_import_req req;
	struct hk_import_summary sum;
	const struct hk_import_result *res;
	struct hk_import *imp = NULL;
	struct hk_cloud *c;
	struct hk_error e, out;
	struct timespec t0, t1;
	size_t n, i;

	(void)state;
	c = fake_open_session(NULL, 0);
	((struct fake_ctx *)c->ctx)->delay_ms = 10000;
	memset(&req, 0, sizeof(req));
	req.keys = (const struct hk_key *const *)&k;
	req.nkeys = 1;
	req.name = "slow";
	req.regions = "fk-east-1,fk-west-1";
	assert_int_equal(hk_import_new(&fake_caps, &req, &imp, &e), 0);
	assert_int_equal(hk_import_start(imp, c, &e), 0);
	res = hk_import_results(imp, &n);
	for (i = 0; i < n; i++)
		assert_int_equal(res[i].status, HK_IMPORT_PENDING);
	hk_cloud_cancel(c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(hk_cloud_run(c), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* 50 ms of grace, not the 10 s the calls would take. */
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	for (i = 0; i < n; i++) {
		assert_int_equal(res[i].status, HK_IMPORT_UNSETTLED);
		assert_int_equal(res[i].error.code, HK_ERR_CANCELLED);
		assert_true(res[i].maybe_landed);
	}
	hk_import_summary(imp, &sum);
	assert_int_equal(sum.batch.ncancelled, 2);
	assert_int_equal(hk_op_batch_outcome(sum.batch.nitems, sum.batch.nfailed,
	    sum.batch.ncancelled, sum.batch.first, sum.batch.first_where, &out),
	    HK_ERR_INTERRUPTED);
	hk_import_free(imp);
	hk_cloud_free(c);
	hk_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_through_the_hook),
		cmocka_unit_test(test_settings_checked_by_the_row),
		cmocka_unit_test(test_import_dispatch),
		cmocka_unit_test(test_import_refused_before_any_call),
		cmocka_unit_test(test_batches_and_summaries),
		cmocka_unit_test(test_run_checked),
		cmocka_unit_test(test_cancel_deadline_for_local_work),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
