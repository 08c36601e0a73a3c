/* The cloud engine: the provider registry and its settings, sessions
 * (credentials, HTTP engine, cancellation), regions, and the helpers every
 * provider shares (errors, nonces, times, JSON). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>

#include "buf.h"
#include "cloud_int.h"
#include "err.h"
#include "http.h"

#define CLOUD_DEFAULT_RATE	1000.0	/* req/s; providers' own limits show up as throttling */

/* ---- the registry: a provider is its file and these two lines ---- */

extern const struct hk_cloud_provider hk_cloud_aliyun;
extern const struct hk_cloud_provider hk_cloud_huawei;

static const struct hk_cloud_provider *const registry[] = {
	&hk_cloud_aliyun,
	&hk_cloud_huawei,
	NULL,
};

const struct hk_cloud_provider *
hk_cloud_provider_at(size_t i)
{
	return i < sizeof(registry) / sizeof(registry[0]) ? registry[i] : NULL;
}

const struct hk_cloud_provider *
hk_cloud_provider_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && registry[i] != NULL; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

const char *
hk_cloud_provider_names(char *buf, size_t size)
{
	size_t i, n, off = 0;

	for (n = 0; registry[n] != NULL; n++)
		;
	buf[0] = '\0';
	for (i = 0; i < n && off < size; i++) {
		if (i > 0)
			off += (size_t)snprintf(buf + off, size - off, i + 1 == n ? " or " : ", ");
		if (off < size)
			off += (size_t)snprintf(buf + off, size - off, "%s", registry[i]->name);
	}
	return buf;
}

/* ---- settings ---- */

static const struct hk_cloud_setting_def *
setting_def(const struct hk_cloud_provider *row, const char *name)
{
	const struct hk_cloud_setting_def *d;

	for (d = row->settings; d != NULL && d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/* The first registered provider that takes the setting. */
static const struct hk_cloud_provider *
setting_owner(const char *name)
{
	const struct hk_cloud_setting_def *d;
	size_t i;

	for (i = 0; registry[i] != NULL; i++)
		if ((d = setting_def(registry[i], name)) != NULL && d->refusal == NULL)
			return registry[i];
	return NULL;
}

int
hk_cloud_setting_known(const char *name)
{
	return setting_owner(name) != NULL;
}

int
hk_cloud_setting_check_row(const struct hk_cloud_provider *row, const char *name,
    const char *value)
{
	const struct hk_cloud_setting_def *d = setting_def(row, name);
	const struct hk_cloud_provider *owner;
	size_t i;

	if (d != NULL && d->refusal != NULL)
		return hk_errf(HK_ERR_USAGE, "%s", d->refusal);
	if (d == NULL) {
		if ((owner = setting_owner(name)) != NULL)
			return hk_errf(HK_ERR_USAGE, "--%s is a setting of %s, not of %s",
			    name, owner->title, row->title);
		return hk_errf(HK_ERR_USAGE, "--%s: %s takes no such setting", name, row->title);
	}
	if (d->values == NULL || value == NULL)
		return 0;
	for (i = 0; d->values[i] != NULL; i++)
		if (strcmp(d->values[i], value) == 0)
			return 0;
	return hk_errf(HK_ERR_USAGE, "--%s %s: %s", name, value, d->values_text);
}

int
hk_cloud_setting_check(const char *provider, const char *name, const char *value)
{
	const struct hk_cloud_provider *row;
	char names[128];

	if (provider == NULL) {
		if ((row = setting_owner(name)) == NULL)
			return hk_errf(HK_ERR_USAGE, "--%s: no cloud takes this setting", name);
	} else if ((row = hk_cloud_provider_find(provider)) == NULL)
		return hk_errf(HK_ERR_USAGE, "unknown cloud \"%s\" (%s)", provider,
		    hk_cloud_provider_names(names, sizeof(names)));
	return hk_cloud_setting_check_row(row, name, value);
}

const char *
hk_cloud_settings_get(const struct hk_cloud_settings *s, const char *name)
{
	size_t i;

	/* The last one given wins, as with a repeated option. */
	for (i = s->n; i > 0; i--)
		if (strcmp(s->v[i - 1].name, name) == 0)
			return s->v[i - 1].value;
	return NULL;
}

static void
settings_clear(struct hk_cloud_settings *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free((char *)s->v[i].name);
		free((char *)s->v[i].value);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int
settings_copy(struct hk_cloud_settings *s, const struct hk_cloud_setting *v, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	if ((s->v = calloc(n, sizeof(*s->v))) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < n; i++, s->n++)
		if ((s->v[i].name = strdup(v[i].name)) == NULL ||
		    (s->v[i].value = strdup(v[i].value != NULL ? v[i].value : "")) == NULL) {
			s->n++;
			return HK_ERR_ALLOC;
		}
	return 0;
}

/* ---- sessions ---- */

char *
hk_cloud_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int
poll_ui(void *arg)
{
	return hk_ui_cancelled(arg);
}

/*
 * The host of an http:// URL (after the scheme) is a loopback address:
 * 127.0.0.0/8, [::1] or localhost; userinfo and a port are allowed.
 */
static int
loopback_url(const char *hostport)
{
	char host[256];
	const char *p = hostport, *end, *at;
	size_t len;
	unsigned int a, b, cc, d;
	char extra;

	end = p + strcspn(p, "/?#");
	/* user:pass@host: the host is after the last '@' of the authority. */
	for (at = p; at < end; at++)
		if (*at == '@')
			p = at + 1;
	if (*p == '[') {
		len = strcspn(p, "]");
		return p + len < end && len == 4 && strncmp(p, "[::1", 4) == 0;
	}
	len = strcspn(p, ":/?#");
	if (len == 0 || len >= sizeof(host) || p + len > end)
		return 0;
	memcpy(host, p, len);
	host[len] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &cc, &d, &extra) == 4 && a == 127 &&
	    b <= 255 && cc <= 255 && d <= 255;
}

int
hk_cloud_open_impl(const struct hk_cloud_provider *row, const struct hk_cloud_opts *opts,
    struct hk_cloud **cp)
{
	struct hk_http_opts ho;
	struct hk_cloud *c;
	size_t i;
	int r;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return HK_ERR_ALLOC;
	c->row = row;
	c->impl = row->impl;
	c->caps = row->caps;
	c->opts = *opts;
	if ((opts->endpoint != NULL && (c->endpoint = strdup(opts->endpoint)) == NULL) ||
	    (opts->cacert != NULL && (c->cacert = strdup(opts->cacert)) == NULL)) {
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
		if (strncmp(c->endpoint, "http://", 7) == 0 && !loopback_url(c->endpoint + 7)) {
			r = hk_errf(HK_ERR_USAGE, "--endpoint %s: plain http:// only for a loopback "
			    "address (127.0.0.0/8, ::1, localhost); TLS is always verified: use "
			    "https:// (and --cacert for a private CA)", opts->endpoint);
			goto fail;
		}
	}
	for (i = 0; i < opts->nsettings; i++)
		if ((r = hk_cloud_setting_check_row(row, opts->settings[i].name,
		    opts->settings[i].value)) != 0)
			goto fail;
	if ((r = settings_copy(&c->settings, opts->settings, opts->nsettings)) != 0)
		goto fail;
	c->opts.endpoint = c->endpoint;
	c->opts.cacert = c->cacert;
	c->opts.settings = c->settings.v;
	if ((r = row->creds_load(&c->settings, &c->creds)) != 0)
		goto fail;
	memset(&ho, 0, sizeof(ho));
	ho.jobs = opts->jobs;
	ho.rate = opts->rate > 0 ? opts->rate : CLOUD_DEFAULT_RATE;
	ho.timeout_ms = opts->timeout_ms;
	ho.max_attempts = opts->max_attempts;
	ho.cacert = c->cacert;
	ho.cancel_grace_ms = opts->cancel_grace_ms;
	if (opts->ui != NULL && opts->ui->cancelled != NULL) {
		ho.cancelled = poll_ui;
		ho.cancel_arg = (void *)opts->ui;
	}
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

int
hk_cloud_open(const struct hk_cloud_opts *opts, struct hk_cloud **cp)
{
	const struct hk_cloud_provider *row;
	char names[128];

	*cp = NULL;
	if (opts->provider == NULL)
		return hk_errf(HK_ERR_USAGE, "--cloud is required (%s)",
		    hk_cloud_provider_names(names, sizeof(names)));
	if ((row = hk_cloud_provider_find(opts->provider)) == NULL)
		return hk_errf(HK_ERR_USAGE, "unknown cloud \"%s\" (%s)", opts->provider,
		    hk_cloud_provider_names(names, sizeof(names)));
	return hk_cloud_open_impl(row, opts, cp);
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
	settings_clear(&c->settings);
	free(c->endpoint);
	free(c->cacert);
	free(c);
}

const struct hk_cloud_caps *
hk_cloud_get_caps(const struct hk_cloud *c)
{
	return c->caps;
}

const char *
hk_cloud_default_region(const struct hk_cloud *c)
{
	return c->creds != NULL ? c->creds->region : NULL;
}

int
hk_cloud_run(struct hk_cloud *c)
{
	return hk_http_run(c->http);
}

void
hk_cloud_cancel(struct hk_cloud *c)
{
	hk_http_cancel(c->http);
}

int
hk_cloud_post(struct hk_cloud *c, hk_cloud_post_fn *fn, void *arg)
{
	return hk_http_post(c->http, fn, arg);
}

void
hk_cloud_hold(struct hk_cloud *c)
{
	hk_http_hold(c->http);
}

void
hk_cloud_release(struct hk_cloud *c)
{
	hk_http_release(c->http);
}

int
hk_cloud_cancelling(const struct hk_cloud *c)
{
	return hk_http_cancelling(c->http);
}

int
hk_cloud_not_running(const struct hk_cloud *c, const char *what)
{
	if (hk_http_running(c->http))
		return hk_errf(HK_ERR_INTERNAL, "%s: called from inside hk_cloud_run", what);
	return 0;
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
	free(r->password);
	memset(r, 0, sizeof(*r));
}

void
hk_cloud_error_provider(struct hk_error *e, int err, long status,
    const char *code, const char *message, const char *request_id)
{
	hk_error_clear(e);
	e->code = err;
	e->http_status = status;
	snprintf(e->provider_code, sizeof(e->provider_code), "%s", code != NULL ? code : "");
	snprintf(e->message, sizeof(e->message), "%s", message != NULL ? message : "");
	snprintf(e->request_id, sizeof(e->request_id), "%s",
	    request_id != NULL ? request_id : "");
}

void
hk_cloud_error_transport(struct hk_error *e, const struct hk_http_response *resp)
{
	hk_error_clear(e);
	e->code = resp->err != 0 ? resp->err : HK_ERR_HTTP;
	e->http_status = resp->status;
	if (resp->err == HK_ERR_TLS)
		snprintf(e->message, sizeof(e->message), "%s (the server's certificate "
		    "is not trusted; --cacert FILE adds a CA)", resp->curl_error);
	else if (resp->err == HK_ERR_CANCELLED)
		snprintf(e->message, sizeof(e->message), "%s", resp->curl_error);
	else if (resp->err != 0 && resp->attempt == 1)
		snprintf(e->message, sizeof(e->message), "%s (after 1 attempt)",
		    resp->curl_error);
	else if (resp->err != 0)
		snprintf(e->message, sizeof(e->message), "%s (after %u attempts)",
		    resp->curl_error, resp->attempt);
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

char *
hk_cloud_jdup(json_t *obj, const char *key)
{
	return hk_cloud_strdup(hk_cloud_jstr(obj, key));
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
	struct hk_error error;
	char **regions;
	size_t n;
};

static void
on_regions(void *arg, const struct hk_cloud_reply *reply)
{
	struct regions_wait *w = arg;
	size_t i;

	/* Copy: the provider clears its reply after this call. */
	hk_error_copy(&w->error, &reply->error);
	for (i = 0; i < reply->nregions && w->error.code == 0; i++)
		if (strv_add(&w->regions, &w->n, reply->regions[i],
		    strlen(reply->regions[i])) != 0)
			hk_error_set(&w->error, HK_ERR_ALLOC, "out of memory");
}

/* The provider's own region list (DescribeRegions, IAM projects), or its table. */
static int
regions_all(struct hk_cloud *c, char ***vp, size_t *np)
{
	struct hk_cloud_cb cb = { on_regions, NULL, NULL };
	struct regions_wait w;
	size_t i;
	int r;

	if (c->impl->list_regions == NULL) {
		for (i = 0; c->caps->regions[i] != NULL; i++)
			if ((r = strv_add(vp, np, c->caps->regions[i],
			    strlen(c->caps->regions[i]))) != 0)
				return r;
		return 0;
	}
	memset(&w, 0, sizeof(w));
	cb.arg = &w;
	if ((r = hk_cloud_not_running(c, "listing regions")) != 0 ||
	    (r = c->impl->list_regions(c, &cb)) != 0)
		return r;
	if ((r = hk_cloud_run(c)) != 0) {
		hk_cloud_strv_free(w.regions);
		return r;
	}
	if (w.error.code != 0) {
		hk_cloud_strv_free(w.regions);
		if (w.error.provider_code[0] != '\0')
			return hk_errf(w.error.code, "listing regions: %s: %s",
			    w.error.provider_code, hk_error_message(&w.error));
		return hk_errf(w.error.code, "listing regions: %s", hk_error_message(&w.error));
	}
	*vp = w.regions;
	*np = w.n;
	return 0;
}

int
hk_cloud_regions(struct hk_cloud *c, const char *spec, char ***regionsp, size_t *np)
{
	char **v = NULL;
	const char *p, *e;
	size_t n = 0, i;
	int r;

	*regionsp = NULL;
	*np = 0;
	if (spec == NULL || *spec == '\0')
		return hk_errf(HK_ERR_USAGE, "--region is required (a list or \"all\")");
	if (strcmp(spec, "all") == 0) {
		if ((r = regions_all(c, &v, &n)) != 0)
			goto fail;
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
