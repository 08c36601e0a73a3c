/* The cloud engine: opens a provider session (credentials, HTTP engine),
 * resolves regions, and runs list / delete / attach / detach across regions. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "buf.h"
#include "cloud_int.h"
#include "err.h"

#define CLOUD_DEFAULT_RATE	1000.0	/* req/s; providers' own limits show up as throttling */

char *
hk_cloud_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

int
hk_cloud_open(const struct hk_cloud_opts *opts, struct hk_cloud **cp)
{
	struct hk_http_opts ho;
	struct hk_cloud *c;
	int r;

	*cp = NULL;
	if (opts->provider == NULL)
		return hk_errf(HK_ERR_USAGE, "--cloud is required (aliyun or huawei)");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return HK_ERR_ALLOC;
	c->opts = *opts;
	if (strcmp(opts->provider, "aliyun") == 0)
		c->impl = &hk_cloud_aliyun;
	else if (strcmp(opts->provider, "huawei") == 0)
		c->impl = &hk_cloud_huawei;
	else {
		r = hk_errf(HK_ERR_USAGE, "unknown cloud \"%s\" (aliyun or huawei)", opts->provider);
		goto fail;
	}
	c->caps = hk_cloud_caps_find(opts->provider);
	if ((opts->endpoint != NULL && (c->endpoint = strdup(opts->endpoint)) == NULL) ||
	    (opts->cacert != NULL && (c->cacert = strdup(opts->cacert)) == NULL) ||
	    (opts->profile != NULL && (c->profile = strdup(opts->profile)) == NULL)) {
		r = HK_ERR_ALLOC;
		goto fail;
	}
	/* A trailing slash would double up when paths are appended. */
	if (c->endpoint != NULL) {
		size_t n = strlen(c->endpoint);

		while (n > 0 && c->endpoint[n - 1] == '/')
			c->endpoint[--n] = '\0';
		if (strncmp(c->endpoint, "http://", 7) != 0 &&
		    strncmp(c->endpoint, "https://", 8) != 0) {
			r = hk_errf(HK_ERR_USAGE, "--endpoint %s: expected http:// or https:// URL",
			    opts->endpoint);
			goto fail;
		}
	}
	c->opts.endpoint = c->endpoint;
	c->opts.cacert = c->cacert;
	c->opts.profile = c->profile;
	if (opts->signature != 0 && opts->signature != 1 && opts->signature != 3) {
		r = hk_errf(HK_ERR_USAGE, "--signature: v1 or v3");
		goto fail;
	}
	if ((r = hk_creds_load(opts->provider, opts->profile, &c->creds)) != 0)
		goto fail;
	memset(&ho, 0, sizeof(ho));
	ho.jobs = opts->jobs;
	ho.rate = opts->rate > 0 ? opts->rate : CLOUD_DEFAULT_RATE;
	ho.timeout_ms = opts->timeout_ms;
	ho.max_attempts = opts->max_attempts;
	ho.cacert = c->cacert;
	if ((r = hk_http_new(&ho, &c->http)) != 0)
		goto fail;
	if (c->impl->open != NULL && (r = c->impl->open(c, &c->ctx)) != 0)
		goto fail;
	*cp = c;
	return 0;
 fail:
	hk_cloud_free(c);
	return r;
}

void
hk_cloud_free(struct hk_cloud *c)
{
	if (c == NULL)
		return;
	hk_http_free(c->http);
	if (c->impl != NULL && c->impl->close != NULL && c->ctx != NULL)
		c->impl->close(c->ctx);
	hk_creds_free(c->creds);
	free(c->endpoint);
	free(c->cacert);
	free(c->profile);
	free(c);
}

const struct hk_cloud_caps *
hk_cloud_get_caps(const struct hk_cloud *c)
{
	return c->caps;
}

int
hk_cloud_run(struct hk_cloud *c)
{
	return hk_http_run(c->http);
}

void
hk_cloud_counters(const struct hk_cloud *c, unsigned long *requests,
    unsigned long *attempts, unsigned long *connects)
{
	struct hk_http_stats st;

	hk_http_stats(c->http, &st);
	*requests = st.requests;
	*attempts = st.attempts;
	*connects = st.connects;
}

/* ---- helpers for providers ---- */

void
hk_cloud_keypair_clear(struct hk_cloud_keypair *kp)
{
	free(kp->name);
	free(kp->fingerprint);
	free(kp->public_key);
	free(kp->created);
	memset(kp, 0, sizeof(*kp));
}

void
hk_cloud_reply_clear(struct hk_cloud_reply *r)
{
	size_t i;

	free(r->fingerprint);
	for (i = 0; i < r->npairs; i++)
		hk_cloud_keypair_clear(&r->pairs[i]);
	free(r->pairs);
	hk_cloud_strv_free(r->regions);
	for (i = 0; i < r->ninstances; i++) {
		free(r->instances[i].instance_id);
		free(r->instances[i].code);
		free(r->instances[i].message);
	}
	free(r->instances);
	memset(r, 0, sizeof(*r));
}

void
hk_cloud_error_set(struct hk_cloud_error *e, int err, const char *fmt, ...)
{
	va_list ap;

	memset(e, 0, sizeof(*e));
	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

void
hk_cloud_error_provider(struct hk_cloud_error *e, int err, long status,
    const char *code, const char *message, const char *request_id)
{
	memset(e, 0, sizeof(*e));
	e->err = err;
	e->http_status = status;
	snprintf(e->code, sizeof(e->code), "%s", code != NULL ? code : "");
	snprintf(e->message, sizeof(e->message), "%s", message != NULL ? message : "");
	snprintf(e->request_id, sizeof(e->request_id), "%s", request_id != NULL ? request_id : "");
}

void
hk_cloud_error_transport(struct hk_cloud_error *e, const struct hk_http_response *resp)
{
	memset(e, 0, sizeof(*e));
	e->err = resp->err != 0 ? resp->err : HK_ERR_HTTP;
	e->http_status = resp->status;
	if (resp->err == HK_ERR_TLS)
		snprintf(e->message, sizeof(e->message), "%s (the server's certificate "
		    "is not trusted; --cacert FILE adds a CA)", resp->curl_error);
	else if (resp->err != 0)
		snprintf(e->message, sizeof(e->message), "%s (after %u attempt%s)",
		    resp->curl_error, resp->attempt, resp->attempt == 1 ? "" : "s");
	else
		snprintf(e->message, sizeof(e->message), "HTTP %ld", resp->status);
}

int
hk_cloud_nonce(char *buf, size_t size, int uuid)
{
	unsigned char b[16];

	if (size < 37 || RAND_bytes(b, sizeof(b)) != 1)
		return hk_errf(HK_ERR_CRYPTO, "no random nonce");
	if (uuid) {
		b[6] = (b[6] & 0x0f) | 0x40;
		b[8] = (b[8] & 0x3f) | 0x80;
		snprintf(buf, size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
		    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	} else {
		size_t i;

		for (i = 0; i < 16; i++)
			snprintf(buf + 2 * i, 3, "%02x", b[i]);
	}
	return 0;
}

void
hk_cloud_utc(char *buf, size_t size, enum hk_cloud_utc_form form)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (form == HK_UTC_BASIC)
		strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm);
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
hk_cloud_url_host(const char *url)
{
	const char *p = strstr(url, "://"), *e;

	p = p != NULL ? p + 3 : url;
	for (e = p; *e != '\0' && *e != '/' && *e != '?'; e++)
		;
	return strndup(p, (size_t)(e - p));
}

json_t *
hk_cloud_json(const struct hk_http_response *resp)
{
	if (resp->body == NULL || resp->body_len == 0)
		return NULL;
	return json_loadb(resp->body, resp->body_len, 0, NULL);
}

const char *
hk_cloud_jstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- regions ---- */

void
hk_cloud_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static int
strv_add(char ***vp, size_t *np, const char *s, size_t len)
{
	char **v;
	size_t i;

	for (i = 0; i < *np; i++)
		if (strlen((*vp)[i]) == len && strncmp((*vp)[i], s, len) == 0)
			return 0;
	if ((v = realloc(*vp, (*np + 2) * sizeof(*v))) == NULL)
		return HK_ERR_ALLOC;
	*vp = v;
	if ((v[*np] = strndup(s, len)) == NULL)
		return HK_ERR_ALLOC;
	v[++*np] = NULL;
	return 0;
}

struct regions_wait {
	struct hk_cloud_reply reply;
	int done;
};

static void
on_regions(void *arg, const struct hk_cloud_reply *reply)
{
	struct regions_wait *w = arg;

	size_t i, n = 0;

	/* Copy: the provider clears its reply after this call. */
	w->reply.error = reply->error;
	for (i = 0; i < reply->nregions && w->reply.error.err == 0; i++)
		if (strv_add(&w->reply.regions, &n, reply->regions[i],
		    strlen(reply->regions[i])) != 0)
			hk_cloud_error_set(&w->reply.error, HK_ERR_ALLOC, "out of memory");
	w->reply.nregions = n;
	w->done = 1;
}

int
hk_cloud_regions(struct hk_cloud *c, const char *spec, char ***regionsp, size_t *np)
{
	struct regions_wait w;
	char **v = NULL;
	const char *p, *e;
	size_t n = 0, i;
	int r;

	*regionsp = NULL;
	*np = 0;
	if (spec == NULL || *spec == '\0')
		return hk_errf(HK_ERR_USAGE, "--region is required (a list or \"all\")");
	if (strcmp(spec, "all") == 0) {
		if (c->impl->list_regions != NULL) {
			memset(&w, 0, sizeof(w));
			if ((r = c->impl->list_regions(c, on_regions, &w)) != 0)
				return r;
			hk_cloud_run(c);
			if (w.reply.error.err != 0)
				return hk_errf(w.reply.error.err, "listing regions: %s%s%s",
				    w.reply.error.code, w.reply.error.code[0] ? ": " : "",
				    w.reply.error.message);
			for (i = 0; i < w.reply.nregions; i++)
				if ((r = strv_add(&v, &n, w.reply.regions[i],
				    strlen(w.reply.regions[i]))) != 0)
					goto fail;
			hk_cloud_strv_free(w.reply.regions);
			w.reply.regions = NULL;
		} else {
			for (i = 0; c->caps->regions[i] != NULL; i++)
				if ((r = strv_add(&v, &n, c->caps->regions[i],
				    strlen(c->caps->regions[i]))) != 0)
					goto fail;
		}
	} else {
		for (p = spec; *p != '\0'; p = *e == ',' ? e + 1 : e) {
			while (*p == ' ')
				p++;
			for (e = p; *e != '\0' && *e != ','; e++)
				;
			if (e == p)
				continue;
			for (i = 0; i < (size_t)(e - p); i++)
				if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '_') {
					r = hk_errf(HK_ERR_CLOUD_REGION, "region \"%.*s\": "
					    "letters, digits and '-' only", (int)(e - p), p);
					goto fail;
				}
			if ((r = strv_add(&v, &n, p, (size_t)(e - p))) != 0)
				goto fail;
		}
	}
	if (n == 0) {
		r = hk_errf(HK_ERR_USAGE, "no region in \"%s\"", spec);
		goto fail;
	}
	*regionsp = v;
	*np = n;
	return 0;
 fail:
	hk_cloud_strv_free(v);
	return r;
}

/* ---- list ---- */

static void
on_list(void *arg, const struct hk_cloud_reply *reply)
{
	struct hk_cloud_listing *l = arg;
	size_t i;

	l->error = reply->error;
	if (reply->error.err != 0 || reply->npairs == 0)
		return;
	if ((l->pairs = calloc(reply->npairs, sizeof(*l->pairs))) == NULL) {
		hk_cloud_error_set(&l->error, HK_ERR_ALLOC, "out of memory");
		return;
	}
	/* Copy: the reply belongs to the provider. */
	for (i = 0; i < reply->npairs; i++) {
		l->pairs[i].name = hk_cloud_strdup(reply->pairs[i].name);
		l->pairs[i].fingerprint = hk_cloud_strdup(reply->pairs[i].fingerprint);
		l->pairs[i].public_key = hk_cloud_strdup(reply->pairs[i].public_key);
		l->pairs[i].created = hk_cloud_strdup(reply->pairs[i].created);
	}
	l->npairs = reply->npairs;
}

int
hk_cloud_list(struct hk_cloud *c, char *const *regions, size_t nregions,
    const char *name, struct hk_cloud_listing **listp, size_t *np)
{
	struct hk_cloud_listing *l;
	size_t i;
	int r;

	*listp = NULL;
	*np = 0;
	if (c->impl->describe_keypairs == NULL)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: listing key pairs", c->caps->title);
	if ((l = calloc(nregions, sizeof(*l))) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < nregions; i++) {
		l[i].region = regions[i];
		if ((r = c->impl->describe_keypairs(c, regions[i], name, on_list, &l[i])) != 0)
			hk_cloud_error_set(&l[i].error, r, "%s", hk_err_detail());
	}
	hk_cloud_run(c);
	*listp = l;
	*np = nregions;
	return 0;
}

void
hk_cloud_listings_free(struct hk_cloud_listing *l, size_t n)
{
	size_t i, j;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < l[i].npairs; j++)
			hk_cloud_keypair_clear(&l[i].pairs[j]);
		free(l[i].pairs);
	}
	free(l);
}

/* ---- delete, attach, detach: batches, one result per target ---- */

struct batch {
	struct hk_cloud_op_result *res;	/* the batch's first result */
	size_t n;
};

static void
on_batch(void *arg, const struct hk_cloud_reply *reply)
{
	struct batch *b = arg;
	size_t i, j;

	for (i = 0; i < b->n; i++) {
		b->res[i].error = reply->error;
		if (reply->error.err != 0 || reply->ninstances == 0)
			continue;
		/* Per-instance outcome when the provider reports one. */
		for (j = 0; j < reply->ninstances; j++) {
			const struct hk_cloud_instance_result *ir = &reply->instances[j];

			if (ir->instance_id == NULL || strcmp(ir->instance_id, b->res[i].target) != 0)
				continue;
			if (!ir->ok)
				hk_cloud_error_provider(&b->res[i].error, HK_ERR_CLOUD, 0,
				    ir->code, ir->message, reply->error.request_id);
		}
	}
	free(b);
}

static int
run_batches(struct hk_cloud *c, const char *region, const char *name,
    char *const *targets, size_t ntargets, int kind, size_t max,
    struct hk_cloud_op_result *res)
{
	struct batch *b;
	size_t i, n;
	int r;

	for (i = 0; i < ntargets; i += n) {
		n = ntargets - i < max ? ntargets - i : max;
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return HK_ERR_ALLOC;
		b->res = &res[i];
		b->n = n;
		if (kind == 0)
			r = c->impl->delete_keypairs(c, region, (const char *const *)&targets[i],
			    n, on_batch, b);
		else if (kind == 1)
			r = c->impl->attach_keypair(c, region, name,
			    (const char *const *)&targets[i], n, on_batch, b);
		else
			r = c->impl->detach_keypair(c, region, name,
			    (const char *const *)&targets[i], n, on_batch, b);
		if (r != 0) {
			struct hk_cloud_error e;
			size_t k;

			hk_cloud_error_set(&e, r, "%s", hk_err_detail());
			for (k = 0; k < n; k++)
				res[i + k].error = e;
			free(b);
		}
	}
	return 0;
}

static int
alloc_results(char *const *regions, size_t nregions, char *const *targets,
    size_t ntargets, struct hk_cloud_op_result **resp)
{
	struct hk_cloud_op_result *res;
	size_t i, j;

	if ((res = calloc(nregions * ntargets + 1, sizeof(*res))) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < nregions; i++)
		for (j = 0; j < ntargets; j++) {
			res[i * ntargets + j].region = regions[i];
			if ((res[i * ntargets + j].target = strdup(targets[j])) == NULL) {
				hk_cloud_op_results_free(res, nregions * ntargets);
				return HK_ERR_ALLOC;
			}
		}
	*resp = res;
	return 0;
}

int
hk_cloud_delete(struct hk_cloud *c, char *const *regions, size_t nregions,
    char *const *names, size_t nnames, struct hk_cloud_op_result **resp, size_t *np)
{
	struct hk_cloud_op_result *res = NULL;
	size_t i;
	int r;

	*resp = NULL;
	*np = 0;
	if (c->impl->delete_keypairs == NULL)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: deleting key pairs", c->caps->title);
	if ((r = alloc_results(regions, nregions, names, nnames, &res)) != 0)
		return r;
	for (i = 0; i < nregions; i++)
		if ((r = run_batches(c, regions[i], NULL, names, nnames, 0,
		    c->caps->delete_batch_max, &res[i * nnames])) != 0)
			goto out;
	hk_cloud_run(c);
	*resp = res;
	*np = nregions * nnames;
	res = NULL;
 out:
	hk_cloud_op_results_free(res, nregions * nnames);
	return r;
}

int
hk_cloud_attach(struct hk_cloud *c, const char *region, const char *name,
    char *const *ids, size_t nids, int detach, struct hk_cloud_op_result **resp, size_t *np)
{
	struct hk_cloud_op_result *res = NULL;
	char *regions[1] = { (char *)region };
	int r;

	*resp = NULL;
	*np = 0;
	if ((detach ? c->impl->detach_keypair : c->impl->attach_keypair) == NULL)
		return hk_errf(HK_ERR_NOT_SUPPORTED, "%s: %s key pairs is not supported by "
		    "hwkey for this cloud", c->caps->title, detach ? "detaching" : "attaching");
	if ((r = alloc_results(regions, 1, ids, nids, &res)) != 0)
		return r;
	if ((r = run_batches(c, region, name, ids, nids, detach ? 2 : 1,
	    c->caps->attach_batch_max, res)) != 0)
		goto out;
	hk_cloud_run(c);
	*resp = res;
	*np = nids;
	res = NULL;
 out:
	hk_cloud_op_results_free(res, nids);
	return r;
}

void
hk_cloud_op_results_free(struct hk_cloud_op_result *r, size_t n)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < n; i++)
		free(r[i].target);
	free(r);
}
