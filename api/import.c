/* The import engine: every (key, region) pair is a small state machine driven
 * by provider callbacks on one HTTP engine. Idempotent (an existing pair with
 * the same key is success), never imports twice (a dropped import is checked
 * with a describe call before it is sent again), and verifies the fingerprint
 * the cloud returns against hwkey's own by the provider's formula. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_int.h"
#include "err.h"

enum step {
	STEP_IMPORT,
	STEP_EXISTING,		/* the cloud said the name exists: whose key is it? */
	STEP_AFTER_DROP,	/* the import may or may not have landed */
	STEP_VERIFY,		/* imported, but the reply carried no fingerprint */
	STEP_DELETE,		/* --replace: removing the other key */
};

struct run;

struct job {
	struct run *run;
	struct hk_import_result *res;
	const struct hk_import_key *key;
	const char *line;		/* OpenSSH line sent as the public key */
	enum step step;
	unsigned int imports;		/* ImportKeyPair calls made */
	int replaced;
	int maybe_landed;		/* an earlier import may have been applied */
};

struct run {
	struct hk_cloud *c;
	int flags;
	unsigned int max_imports;
};

static void job_import(struct job *j);
static void job_describe(struct job *j, enum step step);

const char *
hk_import_status_name(enum hk_import_status s)
{
	switch (s) {
	case HK_IMPORT_IMPORTED:
		return "imported";
	case HK_IMPORT_PRESENT:
		return "already present";
	case HK_IMPORT_REPLACED:
		return "replaced";
	default:
		return "failed";
	}
}

static void
job_fail(struct job *j, const struct hk_cloud_error *e)
{
	j->res->status = HK_IMPORT_FAILED;
	j->res->error = *e;
	if (j->res->error.err == 0)
		j->res->error.err = HK_ERR_INTERNAL;
}

static void job_failf(struct job *j, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
job_failf(struct job *j, int err, const char *fmt, ...)
{
	struct hk_cloud_error e;
	va_list ap;

	memset(&e, 0, sizeof(e));
	e.err = err;
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	job_fail(j, &e);
}

/* The key is there: compare what the cloud says its fingerprint is with ours. */
static void
job_verified(struct job *j, const char *cloud_fp, enum hk_import_status status)
{
	free(j->res->cloud_fingerprint);
	j->res->cloud_fingerprint = hk_cloud_strdup(cloud_fp);
	if (cloud_fp == NULL || *cloud_fp == '\0') {
		job_failf(j, HK_ERR_CLOUD_RESPONSE, "the cloud returned no fingerprint "
		    "for %s", j->key->name);
		return;
	}
	if (!hk_fp_equal(cloud_fp, j->res->fingerprint)) {
		job_failf(j, HK_ERR_FINGERPRINT_MISMATCH, "the cloud reports fingerprint "
		    "%s, hwkey computes %s", cloud_fp, j->res->fingerprint);
		return;
	}
	j->res->status = status;
}

static enum hk_import_status
landed_status(const struct job *j)
{
	return j->replaced ? HK_IMPORT_REPLACED : HK_IMPORT_IMPORTED;
}

static void
on_import(void *arg, const struct hk_cloud_reply *reply)
{
	struct job *j = arg;
	int err = reply->error.err;

	if (err == 0) {
		if (reply->fingerprint == NULL || *reply->fingerprint == '\0')
			job_describe(j, STEP_VERIFY);
		else
			job_verified(j, reply->fingerprint, landed_status(j));
		return;
	}
	if (err == HK_ERR_CLOUD_EXISTS) {
		job_describe(j, STEP_EXISTING);
		return;
	}
	/*
	 * Dropped, timed out, or a 5xx after the request went out: it may have
	 * been applied. Look before sending it again.
	 */
	if (err == HK_ERR_NETWORK || err == HK_ERR_TIMEOUT ||
	    (err == HK_ERR_CLOUD && reply->error.http_status >= 500)) {
		if (j->imports < j->run->max_imports) {
			j->maybe_landed = 1;
			job_describe(j, STEP_AFTER_DROP);
			return;
		}
	}
	job_fail(j, &reply->error);
}

/* Is this listed pair our key? Compare the key itself when the cloud returns it. */
static int
same_key(const struct job *j, const struct hk_cloud_keypair *kp)
{
	struct hk_key *k = NULL;
	int same;

	if (kp->public_key != NULL &&
	    hk_key_parse(kp->public_key, strlen(kp->public_key), &k) == 0) {
		same = hk_key_equal(k, j->key->key);
		hk_key_free(k);
		return same;
	}
	return kp->fingerprint != NULL && hk_fp_equal(kp->fingerprint, j->res->fingerprint);
}

static void
on_delete(void *arg, const struct hk_cloud_reply *reply)
{
	struct job *j = arg;

	if (reply->error.err != 0 && reply->error.err != HK_ERR_CLOUD_NOT_FOUND) {
		job_fail(j, &reply->error);
		return;
	}
	j->replaced = 1;
	job_import(j);
}

static void
on_describe(void *arg, const struct hk_cloud_reply *reply)
{
	struct job *j = arg;
	const struct hk_cloud_keypair *kp = NULL;
	struct run *run = j->run;
	size_t i;
	int r;

	if (reply->error.err != 0) {
		job_fail(j, &reply->error);
		return;
	}
	for (i = 0; i < reply->npairs; i++)
		if (reply->pairs[i].name != NULL && strcmp(reply->pairs[i].name, j->key->name) == 0)
			kp = &reply->pairs[i];
	if (kp == NULL) {
		if (j->step == STEP_VERIFY) {
			job_failf(j, HK_ERR_CLOUD_RESPONSE, "%s was imported but is not "
			    "listed", j->key->name);
			return;
		}
		/* Not there (the drop happened before it landed, or it was deleted). */
		if (j->imports >= run->max_imports) {
			job_failf(j, HK_ERR_NETWORK, "%s: gave up after repeated "
			    "dropped imports", j->key->name);
			return;
		}
		job_import(j);
		return;
	}
	if (same_key(j, kp)) {
		job_verified(j, kp->fingerprint, j->step == STEP_EXISTING && !j->maybe_landed ?
		    HK_IMPORT_PRESENT : landed_status(j));
		return;
	}
	if ((run->flags & HK_IMPORT_REPLACE) && !j->replaced &&
	    run->c->impl->delete_keypairs != NULL) {
		const char *names[1] = { j->key->name };

		j->step = STEP_DELETE;
		if ((r = run->c->impl->delete_keypairs(run->c, j->res->region, names, 1,
		    on_delete, j)) != 0)
			job_failf(j, r, "%s", hk_err_detail());
		return;
	}
	{
		char msg[sizeof(j->res->error.message)];
		struct hk_cloud_error e;

		snprintf(msg, sizeof(msg), "key pair \"%s\" holds another key (fingerprint "
		    "%s; this key is %s); use --replace or another --name", j->key->name,
		    kp->fingerprint != NULL ? kp->fingerprint : "?", j->res->fingerprint);
		hk_cloud_error_provider(&e, HK_ERR_CLOUD_EXISTS, 0, NULL, msg, NULL);
		job_fail(j, &e);
	}
}

static void
job_describe(struct job *j, enum step step)
{
	struct hk_cloud *c = j->run->c;
	int r;

	j->step = step;
	if ((r = c->impl->describe_keypairs(c, j->res->region, j->key->name,
	    on_describe, j)) != 0)
		job_failf(j, r, "%s", hk_err_detail());
}

static void
job_import(struct job *j)
{
	struct hk_cloud *c = j->run->c;
	int r;

	j->step = STEP_IMPORT;
	j->imports++;
	if ((r = c->impl->import_keypair(c, j->res->region, j->key->name, j->line,
	    on_import, j)) != 0)
		job_failf(j, r, "%s", hk_err_detail());
}

/* The OpenSSH line without its newline. */
static int
key_line(const struct hk_key *key, char **linep)
{
	char *s = NULL;
	size_t n;
	int r;

	*linep = NULL;
	if ((r = hk_key_write(key, HK_FMT_OPENSSH, &s)) != 0)
		return r;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	*linep = s;
	return 0;
}

int
hk_cloud_import(struct hk_cloud *c, const struct hk_import_key *keys, size_t nkeys,
    char *const *regions, size_t nregions, int flags,
    struct hk_import_result **resultsp, size_t *nresultsp)
{
	struct hk_import_result *res = NULL;
	struct job *jobs = NULL;
	char **lines = NULL, **fps = NULL;
	struct run run;
	size_t i, k, n = nkeys * nregions;
	int r;

	*resultsp = NULL;
	*nresultsp = 0;
	if (c->impl->import_keypair == NULL || c->impl->describe_keypairs == NULL)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: importing key pairs", c->caps->title);
	/* Every refusal the capability table can predict comes before any request. */
	for (k = 0; k < nkeys; k++) {
		if ((r = hk_cloud_caps_check_key(c->caps, keys[k].key)) != 0 ||
		    (r = hk_cloud_caps_check_name(c->caps, keys[k].name)) != 0)
			return r;
		for (i = 0; i < k; i++)
			if (strcmp(keys[i].name, keys[k].name) == 0)
				return hk_errf(HK_ERR_USAGE, "two keys would both be named "
				    "\"%s\"", keys[k].name);
	}
	if ((lines = calloc(nkeys + 1, sizeof(*lines))) == NULL ||
	    (fps = calloc(nkeys + 1, sizeof(*fps))) == NULL ||
	    (res = calloc(n + 1, sizeof(*res))) == NULL ||
	    (jobs = calloc(n + 1, sizeof(*jobs))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	for (k = 0; k < nkeys; k++)
		if ((r = key_line(keys[k].key, &lines[k])) != 0 ||
		    (r = hk_key_fingerprint(keys[k].key, c->caps->fp, &fps[k])) != 0)
			goto out;
	memset(&run, 0, sizeof(run));
	run.c = c;
	run.flags = flags;
	run.max_imports = c->opts.max_attempts > 0 ? c->opts.max_attempts : 8;
	for (k = 0; k < nkeys; k++) {
		for (i = 0; i < nregions; i++) {
			struct job *j = &jobs[k * nregions + i];

			j->run = &run;
			j->res = &res[k * nregions + i];
			j->key = &keys[k];
			j->line = lines[k];
			j->res->region = regions[i];
			j->res->name = keys[k].name;
			j->res->key_index = k;
			if ((j->res->fingerprint = strdup(fps[k])) == NULL) {
				r = HK_ERR_ALLOC;
				goto out;
			}
		}
	}
	/* Queue everything; the HTTP engine caps concurrency and rate. */
	for (i = 0; i < n; i++)
		job_import(&jobs[i]);
	hk_cloud_run(c);
	*resultsp = res;
	*nresultsp = n;
	res = NULL;
	r = 0;
 out:
	hk_import_results_free(res, n);
	free(jobs);
	for (k = 0; lines != NULL && k < nkeys; k++)
		free(lines[k]);
	for (k = 0; fps != NULL && k < nkeys; k++)
		free(fps[k]);
	free(lines);
	free(fps);
	return r;
}

void
hk_import_results_free(struct hk_import_result *res, size_t n)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(res[i].fingerprint);
		free(res[i].cloud_fingerprint);
	}
	free(res);
}
