/* The import operation: a request (keys, a name template, regions, flags) is
 * checked once against the provider's capabilities, then every (key, region)
 * pair is a small state machine driven by provider callbacks on one HTTP
 * engine. Idempotent (an existing pair with the same key is success), never
 * imports twice (a dropped import is checked with a describe call before it
 * is sent again), verifies the fingerprint the cloud returns against hwkey's
 * own, reports every step as an event, and stops cleanly on a cancel. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_int.h"
#include "err.h"
#include "http.h"

enum step {
	STEP_IMPORT,
	STEP_EXISTING,		/* the cloud said the name exists: whose key is it? */
	STEP_AFTER_DROP,	/* the import may or may not have landed */
	STEP_VERIFY,		/* imported, but the reply carried no fingerprint */
	STEP_DELETE,		/* HK_IMPORT_REPLACE: removing the other key */
};

struct job {
	struct hk_import *imp;
	struct hk_import_result *res;
	size_t key;			/* index into the import's keys */
	enum step step;
	unsigned int imports;		/* ImportKeyPair calls made */
	int replaced;
	int dropped;			/* an import's answer was lost: it may be ours */
	int settled;
};

struct hk_import {
	const struct hk_cloud_caps *caps;
	size_t nkeys;
	struct hk_key **keys;
	char **names;
	char **lines;			/* OpenSSH line sent as the public key */
	char **fps;			/* hwkey's fingerprint by the provider's formula */
	char *regions_spec;
	char **regions;
	size_t nregions;
	int flags;
	hk_import_event_fn *event;
	void *arg;
	struct hk_cloud *c;		/* set by hk_import_start */
	unsigned int max_imports;
	struct hk_import_result *res;	/* key-major: res[key * nregions + region] */
	struct job *jobs;
	size_t n;
};

static void job_import(struct job *j);
static void job_describe(struct job *j, enum step step);

const char *
hk_import_status_name(enum hk_import_status s)
{
	switch (s) {
	case HK_IMPORT_PENDING:
		return "pending";
	case HK_IMPORT_IMPORTED:
		return "imported";
	case HK_IMPORT_PRESENT:
		return "already present";
	case HK_IMPORT_REPLACED:
		return "replaced";
	case HK_IMPORT_CANCELLED:
		return "cancelled";
	case HK_IMPORT_UNSETTLED:
		return "may have landed";
	default:
		return "failed";
	}
}

/* ---- events ---- */

static enum hk_import_step
job_call(const struct job *j)
{
	switch (j->step) {
	case STEP_IMPORT:
		return HK_IMPORT_STEP_IMPORT;
	case STEP_DELETE:
		return HK_IMPORT_STEP_DELETE;
	default:
		return HK_IMPORT_STEP_DESCRIBE;
	}
}

static void
emit(struct job *j, enum hk_import_event_kind kind, unsigned int attempt, long retry_ms,
    const struct hk_error *e)
{
	struct hk_import_event ev;

	if (j->imp->event == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.result = j->res;
	ev.step = job_call(j);
	ev.attempt = attempt;
	ev.imports = j->imports;
	ev.retry_ms = retry_ms;
	ev.error = e;
	j->imp->event(j->imp->arg, &ev);
}

/* A call of this job is going out, went out, or goes again. */
static void
on_call_event(void *arg, const struct hk_cloud_event *ev)
{
	struct job *j = arg;

	switch (ev->kind) {
	case HK_CLOUD_EV_SENDING:
		emit(j, HK_IMPORT_EV_SENDING, ev->attempt, 0, NULL);
		break;
	case HK_CLOUD_EV_SENT:
		/* From here on an import may land, whatever the answer says. */
		if (j->step == STEP_IMPORT)
			j->res->maybe_landed = 1;
		emit(j, HK_IMPORT_EV_SENT, ev->attempt, 0, NULL);
		break;
	case HK_CLOUD_EV_RETRYING:
		emit(j, HK_IMPORT_EV_RETRYING, ev->attempt, ev->retry_ms, ev->error);
		break;
	}
}

/* ---- outcomes ---- */

static void
settle(struct job *j, enum hk_import_status status)
{
	enum hk_import_event_kind kind;

	j->settled = 1;
	j->res->status = status;
	switch (status) {
	case HK_IMPORT_FAILED:
		kind = HK_IMPORT_EV_FAILED;
		break;
	case HK_IMPORT_CANCELLED:
		kind = HK_IMPORT_EV_CANCELLED;
		break;
	case HK_IMPORT_UNSETTLED:
		kind = HK_IMPORT_EV_UNSETTLED;
		break;
	default:
		j->res->maybe_landed = 0;
		emit(j, HK_IMPORT_EV_VERIFIED, 0, 0, NULL);
		return;
	}
	if (j->res->error.region[0] == '\0')
		snprintf(j->res->error.region, sizeof(j->res->error.region), "%s",
		    j->res->region);
	emit(j, kind, 0, 0, &j->res->error);
}

static void
job_fail(struct job *j, const struct hk_error *e)
{
	hk_error_copy(&j->res->error, e);
	if (j->res->error.code == 0)
		j->res->error.code = HK_ERR_INTERNAL;
	settle(j, HK_IMPORT_FAILED);
}

static void job_failf(struct job *j, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
job_failf(struct job *j, int err, const char *fmt, ...)
{
	va_list ap;

	hk_error_clear(&j->res->error);
	j->res->error.code = err;
	va_start(ap, fmt);
	vsnprintf(j->res->error.message, sizeof(j->res->error.message), fmt, ap);
	va_end(ap);
	settle(j, HK_IMPORT_FAILED);
}

/* A call could not even be queued: its error, taken from the detail. */
static void
job_fail_take(struct job *j, int r)
{
	struct hk_error e;

	hk_error_take(&e, r);
	job_fail(j, &e);
}

/* The session was cancelled: nothing new for this job. */
static void
job_stop(struct job *j)
{
	const char *name = j->res->name;

	hk_error_clear(&j->res->error);
	j->res->error.code = HK_ERR_CANCELLED;
	if (j->res->maybe_landed) {
		snprintf(j->res->error.message, sizeof(j->res->error.message), "cancelled "
		    "after %s was sent and before it was confirmed: it may have landed "
		    "(a describe settles it)", name);
		settle(j, HK_IMPORT_UNSETTLED);
	} else {
		snprintf(j->res->error.message, sizeof(j->res->error.message),
		    "cancelled before %s was imported", name);
		settle(j, HK_IMPORT_CANCELLED);
	}
}

/* The key is there: compare what the cloud says its fingerprint is with ours. */
static void
job_verified(struct job *j, const char *cloud_fp, enum hk_import_status status)
{
	free(j->res->cloud_fingerprint);
	j->res->cloud_fingerprint = hk_cloud_strdup(cloud_fp);
	if (cloud_fp == NULL || *cloud_fp == '\0') {
		job_failf(j, HK_ERR_CLOUD_RESPONSE, "the cloud returned no fingerprint "
		    "for %s", j->res->name);
		return;
	}
	if (!hk_fp_equal(cloud_fp, j->res->fingerprint)) {
		job_failf(j, HK_ERR_FINGERPRINT_MISMATCH, "the cloud reports fingerprint "
		    "%s, hwkey computes %s", cloud_fp, j->res->fingerprint);
		return;
	}
	settle(j, status);
}

static enum hk_import_status
landed_status(const struct job *j)
{
	return j->replaced ? HK_IMPORT_REPLACED : HK_IMPORT_IMPORTED;
}

/* ---- the state machine ---- */

static void
on_import(void *arg, const struct hk_cloud_reply *reply)
{
	struct job *j = arg;
	int err = reply->error.code;

	if (reply->sent)
		j->res->maybe_landed = 1;
	if (err == 0) {
		if (reply->fingerprint == NULL || *reply->fingerprint == '\0')
			job_describe(j, STEP_VERIFY);
		else
			job_verified(j, reply->fingerprint, landed_status(j));
		return;
	}
	if (err == HK_ERR_CANCELLED) {
		job_stop(j);
		return;
	}
	if (err == HK_ERR_CLOUD_EXISTS) {
		/* Refused: this one did not land (an earlier dropped one may have). */
		j->res->maybe_landed = j->dropped;
		job_describe(j, STEP_EXISTING);
		return;
	}
	/*
	 * Dropped, timed out, or a 5xx after the request went out: it may have
	 * been applied. Look before sending it again.
	 */
	if (err == HK_ERR_NETWORK || err == HK_ERR_TIMEOUT ||
	    (err == HK_ERR_CLOUD && reply->error.http_status >= 500)) {
		if (j->imports < j->imp->max_imports) {
			j->dropped = 1;
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
		same = hk_key_equal(k, j->imp->keys[j->key]);
		hk_key_free(k);
		return same;
	}
	return kp->fingerprint != NULL && hk_fp_equal(kp->fingerprint, j->res->fingerprint);
}

static void
on_delete(void *arg, const struct hk_cloud_reply *reply)
{
	struct job *j = arg;

	if (reply->error.code == HK_ERR_CANCELLED) {
		job_stop(j);
		return;
	}
	if (reply->error.code != 0 && reply->error.code != HK_ERR_CLOUD_NOT_FOUND) {
		job_fail(j, &reply->error);
		return;
	}
	j->replaced = 1;
	job_import(j);
}

static void
job_delete(struct job *j)
{
	struct hk_cloud_cb cb = { on_delete, on_call_event, j };
	struct hk_cloud *c = j->imp->c;
	const char *names[1] = { j->res->name };
	int r;

	if (hk_cloud_cancelling(c)) {
		job_stop(j);
		return;
	}
	j->step = STEP_DELETE;
	if ((r = c->impl->delete_keypairs(c, j->res->region, names, 1, &cb)) != 0)
		job_fail_take(j, r);
}

static void
on_describe(void *arg, const struct hk_cloud_reply *reply)
{
	struct job *j = arg;
	const struct hk_cloud_keypair *kp = NULL;
	struct hk_import *imp = j->imp;
	struct hk_error e;
	char msg[sizeof(e.message)];
	size_t i;

	if (reply->error.code == HK_ERR_CANCELLED) {
		job_stop(j);
		return;
	}
	if (reply->error.code != 0) {
		job_fail(j, &reply->error);
		return;
	}
	for (i = 0; i < reply->npairs; i++)
		if (reply->pairs[i].name != NULL && strcmp(reply->pairs[i].name, j->res->name) == 0)
			kp = &reply->pairs[i];
	if (kp == NULL) {
		if (j->step == STEP_VERIFY) {
			job_failf(j, HK_ERR_CLOUD_RESPONSE, "%s was imported but is not "
			    "listed", j->res->name);
			return;
		}
		/* Not there (the drop happened before it landed, or it was deleted). */
		j->res->maybe_landed = 0;
		if (j->imports >= imp->max_imports) {
			job_failf(j, HK_ERR_NETWORK, "%s: gave up after repeated "
			    "dropped imports", j->res->name);
			return;
		}
		job_import(j);
		return;
	}
	if (same_key(j, kp)) {
		job_verified(j, kp->fingerprint, j->step == STEP_EXISTING && !j->dropped ?
		    HK_IMPORT_PRESENT : landed_status(j));
		return;
	}
	if ((imp->flags & HK_IMPORT_REPLACE) && !j->replaced &&
	    imp->c->impl->delete_keypairs != NULL) {
		job_delete(j);
		return;
	}
	snprintf(msg, sizeof(msg), "key pair \"%s\" holds another key (fingerprint "
	    "%s; this key is %s); use --replace or another --name", j->res->name,
	    kp->fingerprint != NULL ? kp->fingerprint : "?", j->res->fingerprint);
	hk_cloud_error_provider(&e, HK_ERR_CLOUD_EXISTS, 0, NULL, msg, NULL);
	job_fail(j, &e);
}

static void
job_describe(struct job *j, enum step step)
{
	struct hk_cloud_cb cb = { on_describe, on_call_event, j };
	struct hk_cloud *c = j->imp->c;
	int r;

	if (hk_cloud_cancelling(c)) {
		job_stop(j);
		return;
	}
	j->step = step;
	if (step == STEP_AFTER_DROP)
		emit(j, HK_IMPORT_EV_SETTLING, 0, 0, NULL);
	if ((r = c->impl->describe_keypairs(c, j->res->region, j->res->name, &cb)) != 0)
		job_fail_take(j, r);
}

static void
job_import(struct job *j)
{
	struct hk_cloud_cb cb = { on_import, on_call_event, j };
	struct hk_cloud *c = j->imp->c;
	int r;

	if (hk_cloud_cancelling(c)) {
		job_stop(j);
		return;
	}
	j->step = STEP_IMPORT;
	j->imports++;
	if ((r = c->impl->import_keypair(c, j->res->region, j->res->name,
	    j->imp->lines[j->key], &cb)) != 0)
		job_fail_take(j, r);
}

/* ---- the operation ---- */

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

/* tmpl with "%n" replaced by the 1-based key number n and "%%" by "%". */
static char *
expand_name(const char *tmpl, size_t n)
{
	char *out, *o;
	const char *p;
	size_t len = strlen(tmpl) + 32;

	for (p = tmpl; *p != '\0'; p++)
		if (p[0] == '%' && p[1] == 'n')
			len += 24;
	if ((out = malloc(len)) == NULL)
		return NULL;
	for (o = out, p = tmpl; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'n') {
			o += sprintf(o, "%zu", n);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			*o++ = '%';
			p++;
		} else
			*o++ = *p;
	}
	*o = '\0';
	return out;
}

static void
strs_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

void
hk_import_free(struct hk_import *imp)
{
	size_t i;

	if (imp == NULL)
		return;
	for (i = 0; imp->keys != NULL && i < imp->nkeys; i++)
		hk_key_free(imp->keys[i]);
	free(imp->keys);
	strs_free(imp->names, imp->nkeys);
	strs_free(imp->lines, imp->nkeys);
	strs_free(imp->fps, imp->nkeys);
	for (i = 0; imp->res != NULL && i < imp->n; i++) {
		free(imp->res[i].fingerprint);
		free(imp->res[i].cloud_fingerprint);
	}
	free(imp->res);
	free(imp->jobs);
	hk_cloud_strv_free(imp->regions);
	free(imp->regions_spec);
	free(imp);
}

/* Every refusal the capability table can predict, before any request. */
static int
import_check(const struct hk_import *imp)
{
	size_t i, k;
	int r;

	for (k = 0; k < imp->nkeys; k++) {
		if ((r = hk_cloud_caps_check_key(imp->caps, imp->keys[k])) != 0 ||
		    (r = hk_cloud_caps_check_name(imp->caps, imp->names[k])) != 0)
			return r;
		for (i = 0; i < k; i++)
			if (strcmp(imp->names[i], imp->names[k]) == 0)
				return hk_errf(HK_ERR_USAGE, "two keys would both be named "
				    "\"%s\"", imp->names[k]);
	}
	return 0;
}

int
hk_import_new(const struct hk_cloud_caps *caps, const struct hk_import_req *req,
    struct hk_import **impp, struct hk_error *err)
{
	struct hk_import *imp;
	size_t k, n = req->nkeys;
	int r;

	*impp = NULL;
	hk_error_clear(err);
	if (n == 0 || req->keys == NULL || req->name == NULL)
		return hk_error_set(err, HK_ERR_INVALID_ARGUMENT, "an import needs keys and a "
		    "name");
	if ((imp = calloc(1, sizeof(*imp))) == NULL)
		return hk_error_take(err, HK_ERR_ALLOC);
	imp->caps = caps;
	imp->flags = req->flags;
	imp->event = req->event;
	imp->arg = req->arg;
	if ((req->regions != NULL && (imp->regions_spec = strdup(req->regions)) == NULL) ||
	    (imp->keys = calloc(n, sizeof(*imp->keys))) == NULL ||
	    (imp->names = calloc(n, sizeof(*imp->names))) == NULL ||
	    (imp->lines = calloc(n, sizeof(*imp->lines))) == NULL ||
	    (imp->fps = calloc(n, sizeof(*imp->fps))) == NULL) {
		r = HK_ERR_ALLOC;
		goto fail;
	}
	imp->nkeys = n;
	for (k = 0; k < n; k++) {
		if ((r = hk_key_dup(req->keys[k], &imp->keys[k])) != 0)
			goto fail;
		if ((imp->names[k] = expand_name(req->name, k + 1)) == NULL) {
			r = HK_ERR_ALLOC;
			goto fail;
		}
	}
	if ((r = import_check(imp)) != 0)
		goto fail;
	for (k = 0; k < n; k++)
		if ((r = key_line(imp->keys[k], &imp->lines[k])) != 0 ||
		    (r = hk_key_fingerprint(imp->keys[k], caps->fp, &imp->fps[k])) != 0)
			goto fail;
	*impp = imp;
	return 0;
 fail:
	hk_error_take(err, r);
	hk_import_free(imp);
	return r;
}

int
hk_import_start(struct hk_import *imp, struct hk_cloud *c, struct hk_error *err)
{
	size_t i, k;
	int r;

	hk_error_clear(err);
	if (imp->c != NULL)
		return hk_error_set(err, HK_ERR_INVALID_ARGUMENT, "the import was started already");
	if (hk_cloud_get_caps(c) != imp->caps)
		return hk_error_set(err, HK_ERR_INVALID_ARGUMENT, "the import was prepared for "
		    "%s, not %s", imp->caps->title, hk_cloud_get_caps(c)->title);
	if (c->impl->import_keypair == NULL || c->impl->describe_keypairs == NULL)
		return hk_error_set(err, HK_ERR_NOT_SUPPORTED, "%s: importing key pairs",
		    imp->caps->title);
	if ((r = hk_cloud_regions(c, imp->regions_spec, &imp->regions, &imp->nregions)) != 0)
		return hk_error_take(err, r);
	imp->n = imp->nkeys * imp->nregions;
	if ((imp->res = calloc(imp->n + 1, sizeof(*imp->res))) == NULL ||
	    (imp->jobs = calloc(imp->n + 1, sizeof(*imp->jobs))) == NULL)
		goto nomem;
	for (k = 0; k < imp->nkeys; k++)
		for (i = 0; i < imp->nregions; i++) {
			struct job *j = &imp->jobs[k * imp->nregions + i];

			j->imp = imp;
			j->res = &imp->res[k * imp->nregions + i];
			j->key = k;
			j->res->region = imp->regions[i];
			j->res->name = imp->names[k];
			j->res->key_index = k;
			if ((j->res->fingerprint = strdup(imp->fps[k])) == NULL)
				goto nomem;
		}
	imp->c = c;
	imp->max_imports = c->opts.max_attempts > 0 ? c->opts.max_attempts : 8;
	/* Queue everything; the HTTP engine caps concurrency and rate. */
	for (i = 0; i < imp->n; i++)
		job_import(&imp->jobs[i]);
	return 0;
 nomem:
	for (i = 0; imp->res != NULL && i < imp->n; i++)
		free(imp->res[i].fingerprint);
	free(imp->res);
	free(imp->jobs);
	imp->res = NULL;
	imp->jobs = NULL;
	imp->n = 0;
	return hk_error_set(err, HK_ERR_ALLOC, "out of memory");
}

int
hk_import_run(struct hk_import *imp, struct hk_cloud *c, struct hk_error *err)
{
	int r;

	if ((r = hk_cloud_not_running(c, "hk_import_run")) != 0)
		return hk_error_take(err, r);
	if ((r = hk_import_start(imp, c, err)) != 0)
		return r;
	/* The session's engine itself (hk_cloud_run), not another hop. */
	if ((r = hk_http_run(c->http)) != 0)
		return hk_error_take(err, r);
	return 0;
}

const struct hk_import_result *
hk_import_results(const struct hk_import *imp, size_t *np)
{
	*np = imp->n;
	return imp->res;
}

void
hk_import_summary(const struct hk_import *imp, struct hk_import_summary *s)
{
	const struct hk_import_result *res;
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < imp->n; i++) {
		res = &imp->res[i];
		s->count[res->status]++;
		s->batch.nitems++;
		if (res->status == HK_IMPORT_FAILED && s->batch.nfailed++ == 0) {
			s->batch.first = &res->error;
			snprintf(s->batch.first_where, sizeof(s->batch.first_where), "%s %s",
			    res->region, res->name);
		} else if (res->status == HK_IMPORT_CANCELLED ||
		    res->status == HK_IMPORT_UNSETTLED || res->status == HK_IMPORT_PENDING)
			s->batch.ncancelled++;
	}
}
