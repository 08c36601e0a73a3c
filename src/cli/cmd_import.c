/* hwkey import: ImportKeyPair for every key of FILE (or a token's key) into
 * every region, concurrently, idempotently, verifying the fingerprints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_cloud.h"
#include "cli_import.h"
#include "err.h"
#include "file.h"
#include "key.h"

static const struct hk_opt opts[] = {
	{ "cacert", 0, 1, "FILE", "also trust the CA certificates in FILE (PEM)" },
	{ "cloud", 0, 1, "NAME", "aliyun or huawei" },
	{ "endpoint", 0, 1, "URL", "send every request to URL (e.g. hwkey-cloudsim)" },
	{ "jobs", 'j', 1, "N", "requests in flight at once (default 8)" },
	{ "json", 0, 0, NULL, "print the results as JSON" },
	{ "key", 0, 1, "K", "the token key to import (id, label or URI), with TOKEN" },
	{ "module", 0, 1, "PATH", "PKCS#11 module for TOKEN (default: p11-kit's)" },
	{ "name", 'n', 1, "NAME", "key pair name; %n is the key's number in FILE" },
	{ "pin", 0, 1, "SRC", "token user PIN from env:VAR, file:PATH or fd:N (logs in)" },
	{ "profile", 0, 1, "NAME", "aliyun CLI profile in ~/.aliyun/config.json" },
	{ "rate", 0, 1, "N", "at most N requests per second (default 1000)" },
	{ "region", 'r', 1, "R[,R...]|all", "regions to import into" },
	{ "replace", 0, 0, NULL, "replace a same-name key pair holding another key" },
	{ "retries", 0, 1, "N", "attempts per request on throttling and errors (default 8)" },
	{ "signature", 0, 1, "v1|v3", "aliyun request signature: RPC v1 (default) or ACS3" },
	{ "timeout", 0, 1, "SECONDS", "per request (default 30)" },
	{ NULL, 0, 0, NULL, NULL },
};

struct keyset {
	struct hk_key **keys;
	size_t n;
	const char *path;
};

static int
on_entry(const struct hk_key_entry *e, void *arg)
{
	struct keyset *ks = arg;
	struct hk_key **v;
	const char *cut;
	char *pub = NULL;
	int r;

	if (e->err != 0 && e->reason != NULL && (cut = strstr(e->reason, "give its public key")) != NULL) {
		/* A private key: fingerprint's words, then the file to give instead. */
		if (asprintf(&pub, "%s.pub", ks->path) < 0)
			return HK_ERR_ALLOC;
		r = access(pub, R_OK) == 0 ?
		    hk_errf(e->err, "%s:%zu: %.*sgive %s instead", ks->path, e->line,
		    (int)(cut - e->reason), e->reason, pub) :
		    hk_errf(e->err, "%s:%zu: %.*sgive its public key (ssh-keygen -y -f %s > %s)",
		    ks->path, e->line, (int)(cut - e->reason), e->reason, ks->path, pub);
		free(pub);
		return r;
	}
	if (e->err != 0)
		return hk_errf(e->err, "%s:%zu: %s", ks->path, e->line,
		    e->reason != NULL ? e->reason : hk_strerror(e->err));
	if ((v = realloc(ks->keys, (ks->n + 1) * sizeof(*v))) == NULL)
		return HK_ERR_ALLOC;
	ks->keys = v;
	if ((r = hk_key_dup(e->key, &ks->keys[ks->n])) != 0)
		return r;
	ks->n++;
	return 0;
}

static int
load_file(const char *path, struct keyset *ks)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	ks->path = path;
	/* The file layer names the path in its errors. */
	if ((r = hk_file_read(path, HK_FILE_MAX, &data, &len)) != 0)
		return r;
	r = hk_keyfile_parse(data, len, on_entry, ks);
	free(data);
	if (r == 0 && ks->n == 0)
		r = hk_errf(HK_ERR_FORMAT_EMPTY, "%s: no public key in it", path);
	return r;
}

static json_t *
results_json(const char *provider, const struct hk_import_result *res, size_t n,
    const struct hk_import_summary *sum)
{
	json_t *doc, *arr, *o, *counts;
	char id[32];
	size_t i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		o = json_pack("{s:s,s:s,s:s,s:o}", "region", res[i].region, "name",
		    res[i].name, "status", hk_cli_cloud_status_id(
		    hk_import_status_name(res[i].status), id, sizeof(id)),
		    "fingerprints", hk_cli_cloud_fingerprints(provider, res[i].fingerprint));
		if (o == NULL)
			continue;
		if (res[i].cloud_fingerprint != NULL)
			json_object_set_new(o, "cloud_fingerprint",
			    json_string(res[i].cloud_fingerprint));
		if (res[i].error.code != 0)
			json_object_set_new(o, "error", hk_cli_error_json(&res[i].error));
		json_array_append_new(arr, o);
	}
	counts = json_pack("{s:I,s:I,s:I,s:I}",
	    "imported", (json_int_t)sum->count[HK_IMPORT_IMPORTED],
	    "already_present", (json_int_t)sum->count[HK_IMPORT_PRESENT],
	    "replaced", (json_int_t)sum->count[HK_IMPORT_REPLACED],
	    "failed", (json_int_t)sum->count[HK_IMPORT_FAILED]);
	/* Only a cancelled run has these. */
	if (counts != NULL && sum->count[HK_IMPORT_CANCELLED] > 0)
		json_object_set_new(counts, "cancelled",
		    json_integer((json_int_t)sum->count[HK_IMPORT_CANCELLED]));
	if (counts != NULL && sum->count[HK_IMPORT_UNSETTLED] > 0)
		json_object_set_new(counts, "may_have_landed",
		    json_integer((json_int_t)sum->count[HK_IMPORT_UNSETTLED]));
	doc = json_pack("{s:s,s:o,s:o}", "cloud", provider, "results", arr, "summary", counts);
	return doc;
}

/* One result's row of the table. */
/* Column widths: the defaults, wider for longer regions or names. */
struct widths {
	int region, name;
};

static void
widths_of(const struct hk_import_result *res, size_t n, struct widths *w)
{
	size_t i, len;

	w->region = 16;
	w->name = 24;
	for (i = 0; i < n; i++) {
		if ((len = strlen(res[i].region)) > (size_t)w->region && len < 128)
			w->region = (int)len;
		if ((len = strlen(res[i].name)) > (size_t)w->name && len < 256)
			w->name = (int)len;
	}
}

static void
print_row(const struct hk_import_result *res, const struct widths *w)
{
	char text[HK_ERROR_MESSAGE_MAX];

	if (res->status == HK_IMPORT_FAILED) {
		hk_cli_cloud_error_text(&res->error, text, sizeof(text));
		printf("%-*s %-*s failed: %s: %s\n", w->region, res->region, w->name, res->name,
		    hk_strerror(res->error.code), text);
	} else if (res->error.code != 0)
		printf("%-*s %-*s %s: %s\n", w->region, res->region, w->name, res->name,
		    hk_import_status_name(res->status), hk_error_message(&res->error));
	else
		printf("%-*s %-*s %-16s %s\n", w->region, res->region, w->name, res->name,
		    hk_import_status_name(res->status), res->fingerprint);
}

static void
print_header(const struct widths *w)
{
	printf("%-*s %-*s %-16s %s\n", w->region, "REGION", w->name, "NAME", "STATUS",
	    "FINGERPRINT");
}

static void
print_summary(const struct hk_import_summary *sum)
{
	printf("%zu imported, %zu already present, %zu replaced, %zu failed",
	    sum->count[HK_IMPORT_IMPORTED], sum->count[HK_IMPORT_PRESENT],
	    sum->count[HK_IMPORT_REPLACED], sum->count[HK_IMPORT_FAILED]);
	if (sum->count[HK_IMPORT_CANCELLED] > 0)
		printf(", %zu cancelled", sum->count[HK_IMPORT_CANCELLED]);
	if (sum->count[HK_IMPORT_UNSETTLED] > 0)
		printf(", %zu may have landed", sum->count[HK_IMPORT_UNSETTLED]);
	printf("\n");
}

/* What the event callback needs: rows stream as results settle. */
struct stream {
	int table;			/* print rows (not --json) */
	int tty;			/* stderr is a terminal: show retries */
	int header;			/* the header was printed */
	int names;			/* several keys: say which in retry lines */
	size_t rows;
	unsigned int max_attempts;
	struct hk_import *imp;		/* for the column widths, once it started */
	struct widths w;
};

static const char *
retry_reason(const struct hk_error *e)
{
	if (e == NULL)
		return "failed";
	switch (e->code) {
	case HK_ERR_THROTTLED:
		return "throttled";
	case HK_ERR_TIMEOUT:
		return "timed out";
	case HK_ERR_NETWORK:
		return "network error";
	default:
		return hk_strerror(e->code);
	}
}

static void
on_event(void *arg, const struct hk_import_event *ev)
{
	struct stream *st = arg;

	switch (ev->kind) {
	case HK_IMPORT_EV_RETRYING:
		if (!st->tty)
			return;
		fprintf(stderr, "%s%s%s: %s%s, retry %u/%u in %.1f s\n", ev->result->region,
		    st->names ? " " : "", st->names ? ev->result->name : "",
		    ev->step == HK_IMPORT_STEP_DESCRIBE ? "describe: " :
		    ev->step == HK_IMPORT_STEP_DELETE ? "delete: " : "",
		    retry_reason(ev->error), ev->attempt, st->max_attempts - 1,
		    (double)ev->retry_ms / 1000.0);
		return;
	case HK_IMPORT_EV_VERIFIED:
	case HK_IMPORT_EV_FAILED:
	case HK_IMPORT_EV_CANCELLED:
	case HK_IMPORT_EV_UNSETTLED:
		if (!st->table)
			return;
		if (!st->header) {
			const struct hk_import_result *all;
			size_t n;

			/* Every result exists once the import started: size for all. */
			all = hk_import_results(st->imp, &n);
			widths_of(all, n, &st->w);
			print_header(&st->w);
			st->header = 1;
		}
		print_row(ev->result, &st->w);
		st->rows++;
		/* A pipe to tee or a log is read as it grows, too. */
		fflush(stdout);
		return;
	default:
		return;
	}
}

/*
 * A fingerprint mismatch leaves the pair in the cloud (hwkey never deletes
 * what it did not verify): say so, with the command that removes it.
 */
static void
print_mismatch_hint(const struct hk_cmd *cmd, const struct hk_cli_cloud *cc,
    const struct hk_import_result *res, size_t n)
{
	const char *profile = NULL;
	size_t i;

	for (i = 0; i < cc->opts.nsettings; i++)
		if (strcmp(cc->settings[i].name, "profile") == 0)
			profile = cc->settings[i].value;
	for (i = 0; i < n; i++) {
		if (res[i].error.code != HK_ERR_FINGERPRINT_MISMATCH)
			continue;
		fprintf(stderr, "hwkey %s: %s is still in %s; if it is not yours, delete it:\n"
		    "  hwkey cloud delete --cloud %s%s%s%s%s --region %s --yes %s\n",
		    cmd->name, res[i].name, res[i].region, cc->opts.provider,
		    cc->opts.endpoint != NULL ? " --endpoint " : "",
		    cc->opts.endpoint != NULL ? cc->opts.endpoint : "",
		    profile != NULL ? " --profile " : "", profile != NULL ? profile : "",
		    res[i].region, res[i].name);
	}
}

struct args {
	struct hk_cli_cloud cc;
	const char *name, *keysel, *module, *pin;
	int flags;
};

static int
opt(void *ctx, const struct hk_cmd *cmd, int idx, const char *arg)
{
	struct args *a = ctx;
	int r;

	if ((r = hk_cli_cloud_opt(cmd, idx, arg, &a->cc)) != 0)
		return r == 1 ? 0 : r;
	if (hk_opt_is_name(cmd, idx, "key"))
		a->keysel = arg;
	else if (hk_opt_is_name(cmd, idx, "module"))
		a->module = arg;
	else if (hk_opt_is_name(cmd, idx, "name"))
		a->name = arg;
	else if (hk_opt_is_name(cmd, idx, "pin"))
		a->pin = arg;
	else if (hk_opt_is_name(cmd, idx, "replace"))
		a->flags |= HK_IMPORT_REPLACE;
	return 0;
}

static int
run(const struct hk_cmd *cmd, int argc, char **argv)
{
	struct args a;
	struct keyset ks = { NULL, 0, NULL };
	struct hk_import_req req;
	struct hk_import_summary sum;
	struct hk_import *imp = NULL;
	struct hk_cloud *cloud = NULL;
	const struct hk_import_result *res;
	struct hk_error err;
	struct stream st;
	const char *operand;
	char **ops = NULL;
	size_t nres, i;
	int r = 0, ret, nops = 0;

	memset(&a, 0, sizeof(a));
	if ((ret = hk_opt_parse(cmd, argc, argv, opt, &a, &ops, &nops)) >= 0)
		return ret;
	operand = nops == 1 ? ops[0] : NULL;
	if (operand == NULL)
		return hk_cli_cloud_usage(cmd, &a.cc, "expected one FILE, or TOKEN with --key");
	if (a.name == NULL)
		return hk_cli_cloud_usage(cmd, &a.cc, "--name is required");
	if (a.cc.opts.provider == NULL)
		return hk_cli_cloud_usage(cmd, &a.cc, "--cloud is required");
	if (a.keysel != NULL)
		r = hk_cli_import_token_key(operand, a.keysel, a.module, a.pin, &ks.keys, &ks.n);
	else if (a.module != NULL || a.pin != NULL)
		return hk_cli_cloud_usage(cmd, &a.cc, "--module and --pin go with TOKEN --key K");
	else
		r = load_file(operand, &ks);
	if (r != 0)
		goto out;
	if (ks.n > 1 && strstr(a.name, "%n") == NULL) {
		ret = hk_cli_cloud_usage(cmd, &a.cc, "%s holds %zu keys: put %%n in --name (numbered "
		    "from 1) so each key pair gets its own name", operand, ks.n);
		goto done;
	}
	/* The library refuses what the provider cannot take before anything opens. */
	memset(&req, 0, sizeof(req));
	req.keys = (const struct hk_key *const *)ks.keys;
	req.nkeys = ks.n;
	req.name = a.name;
	req.regions = a.cc.region;
	req.flags = a.flags;
	memset(&st, 0, sizeof(st));
	st.table = !a.cc.json;
	st.tty = isatty(STDERR_FILENO);
	st.names = ks.n > 1;
	st.max_attempts = a.cc.opts.max_attempts != 0 ? a.cc.opts.max_attempts : 8;
	req.event = on_event;
	req.arg = &st;
	hk_error_clear(&err);
	/* No --region: the credentials name it, so they are loaded first. */
	if (a.cc.region == NULL && (r = hk_cli_cloud_open(&a.cc, &cloud, NULL, NULL)) != 0)
		goto fail;
	req.regions = a.cc.region;
	if ((r = hk_import_new(hk_cloud_caps_find(a.cc.opts.provider), &req, &imp, &err)) != 0 ||
	    (cloud == NULL && (r = hk_cli_cloud_open(&a.cc, &cloud, NULL, NULL)) != 0))
		goto fail;
	st.imp = imp;
	if ((r = hk_import_run(imp, cloud, &err)) != 0)
		goto fail;
	res = hk_import_results(imp, &nres);
	hk_import_summary(imp, &sum);
	if (a.cc.json)
		hk_cli_print_json(results_json(a.cc.opts.provider, res, nres, &sum));
	else {
		/* Rows streamed as they settled (events); without any, all now. */
		if (!st.header) {
			widths_of(res, nres, &st.w);
			print_header(&st.w);
		}
		for (i = 0; st.rows == 0 && i < nres; i++)
			print_row(&res[i], &st.w);
		print_summary(&sum);
	}
	fflush(stdout);
	ret = hk_cli_cloud_outcome(cmd, &sum.batch);
	print_mismatch_hint(cmd, &a.cc, res, nres);
	goto done;
 fail:
	/* A check before any request, the credentials, the session: one error. */
	ret = hk_cli_cloud_fail(cmd, &a.cc, r, &err);
	goto done;
 out:
	ret = r == 0 ? HK_EXIT_OK : hk_cli_cloud_fail(cmd, &a.cc, r, NULL);
 done:
	hk_import_free(imp);
	hk_cloud_free(cloud);
	for (i = 0; i < ks.n; i++)
		hk_key_free(ks.keys[i]);
	free(ks.keys);
	return ret;
}

const struct hk_cmd hk_cmd_import = {
	.name = "import",
	.args = "(FILE | TOKEN --key K)",
	.summary = "import public keys into cloud key-pair services",
	.opts = opts,
	.run = run,
};
