/* Shared option handling and error output of the cloud commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_cloud.h"
#include "cli_interrupt.h"
#include "err.h"
#include "ops.h"

static int
parse_uint(const char *s, unsigned long max, unsigned long *vp)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > max || s[0] == '-')
		return -1;
	*vp = v;
	return 0;
}

/* A provider setting: checked for whichever cloud takes it, kept for the row. */
static int
setting(const struct hk_cmd *cmd, const char *name, const char *arg, struct hk_cli_cloud *cc)
{
	struct hk_error e;
	size_t i;
	int r;

	if ((r = hk_cloud_setting_check(NULL, name, arg)) != 0) {
		hk_error_take(&e, r);
		return hk_cli_usage_error(cmd, "%s", hk_error_message(&e));
	}
	for (i = 0; i < cc->opts.nsettings && strcmp(cc->settings[i].name, name) != 0; i++)
		;
	if (i == HK_CLI_CLOUD_SETTINGS_MAX)
		return hk_cli_usage_error(cmd, "--%s: too many cloud settings", name);
	cc->settings[i].name = name;
	cc->settings[i].value = arg;
	if (i == cc->opts.nsettings)
		cc->opts.nsettings++;
	cc->opts.settings = cc->settings;
	return 1;
}

int
hk_cli_cloud_opt(const struct hk_cmd *cmd, int idx, const char *arg,
    struct hk_cli_cloud *cc)
{
	const char *name = cmd->opts[idx].name, *a = arg;
	char names[128];
	unsigned long v;
	char *end;

	if (strcmp(name, "cacert") == 0)
		cc->opts.cacert = a;
	else if (strcmp(name, "cloud") == 0) {
		if (hk_cloud_caps_find(a) == NULL)
			return hk_cli_usage_error(cmd, "--cloud %s: %s", a,
			    hk_cloud_provider_names(names, sizeof(names)));
		cc->opts.provider = a;
	} else if (strcmp(name, "endpoint") == 0)
		cc->opts.endpoint = a;
	else if (strcmp(name, "jobs") == 0) {
		if (parse_uint(a, 1024, &v) != 0)
			return hk_cli_usage_error(cmd, "--jobs %s: 1 to 1024", a);
		cc->opts.jobs = (unsigned int)v;
	} else if (strcmp(name, "json") == 0)
		cc->json = 1;
	else if (strcmp(name, "rate") == 0) {
		double d = strtod(a, &end);

		if (end == a || *end != '\0' || !(d > 0) || d > 1e6)
			return hk_cli_usage_error(cmd, "--rate %s: requests per second > 0", a);
		cc->opts.rate = d;
	} else if (strcmp(name, "region") == 0)
		cc->region = a;
	else if (strcmp(name, "retries") == 0) {
		if (parse_uint(a, 100, &v) != 0)
			return hk_cli_usage_error(cmd, "--retries %s: 1 to 100 attempts", a);
		cc->opts.max_attempts = (unsigned int)v;
	} else if (strcmp(name, "timeout") == 0) {
		if (parse_uint(a, 3600, &v) != 0)
			return hk_cli_usage_error(cmd, "--timeout %s: seconds, 1 to 3600", a);
		cc->opts.timeout_ms = (long)v * 1000;
	} else if (hk_cloud_setting_known(name))
		return setting(cmd, name, a, cc);
	else
		return 0;
	return 1;
}

/*
 * A region that is not in the provider's table but is close to one is a
 * typo: refused before any request, with the suggestion. Others go to the
 * cloud, which knows regions newer than the table.
 */
static int
check_regions(const struct hk_cloud_caps *caps, const char *spec)
{
	const char *p, *end, *near;
	char word[64];
	size_t n, i, len;

	if (caps == NULL || caps->regions == NULL || strcmp(spec, "all") == 0)
		return 0;
	for (n = 0; caps->regions[n] != NULL; n++)
		;
	for (p = spec; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (len == 0 || len >= sizeof(word))
			continue;
		memcpy(word, p, len);
		word[len] = '\0';
		for (i = 0; i < n && strcmp(caps->regions[i], word) != 0; i++)
			;
		if (i < n)
			continue;
		if ((near = hk_cli_suggest(word, caps->regions, n)) != NULL)
			return hk_errf(HK_ERR_CLOUD_REGION, "--region %s: %s has no such "
			    "region; did you mean %s?", word, caps->title, near);
	}
	return 0;
}

int
hk_cli_cloud_open(struct hk_cli_cloud *cc, struct hk_cloud **cp, char ***regionsp,
    size_t *np)
{
	const struct hk_cloud_caps *caps;
	struct hk_cloud *c = NULL;
	char names[128];
	const char *p;
	int r;

	*cp = NULL;
	if (regionsp != NULL) {
		*regionsp = NULL;
		*np = 0;
	}
	if (cc->opts.provider == NULL)
		return hk_errf(HK_ERR_USAGE, "--cloud is required (%s)",
		    hk_cloud_provider_names(names, sizeof(names)));
	caps = hk_cloud_caps_find(cc->opts.provider);
	if (cc->region != NULL && (r = check_regions(caps, cc->region)) != 0)
		return r;
	/* Without --region: one region, the credentials' own default (below). */
	cc->opts.nregions_hint = 1;
	if (cc->region != NULL && strcmp(cc->region, "all") == 0)
		cc->opts.nregions_hint = 0;
	else if (cc->region != NULL)
		for (p = cc->region; *p != '\0'; p++)
			if (*p == ',')
				cc->opts.nregions_hint++;
	hk_cli_interrupt_install(&cc->ui);
	cc->opts.ui = &cc->ui;
	if ((r = hk_cloud_open(&cc->opts, &c)) != 0)
		return r;
	if (cc->region == NULL) {
		/* As the vendor CLI: its environment variable, else the profile's. */
		if ((p = hk_cloud_default_region(c)) == NULL) {
			r = hk_errf(HK_ERR_USAGE, "--region is required (R[,R...] or all; for "
			    "Alibaba also ALIBABA_CLOUD_REGION_ID or the profile's region_id)");
			goto fail;
		}
		snprintf(cc->region_buf, sizeof(cc->region_buf), "%s", p);
		cc->region = cc->region_buf;
		if ((r = check_regions(caps, cc->region)) != 0)
			goto fail;
	}
	if (regionsp != NULL && (r = hk_cloud_regions(c, cc->region, regionsp, np)) != 0)
		goto fail;
	*cp = c;
	return 0;
 fail:
	hk_cloud_free(c);
	return r;
}

/* Append to buf at *offp, never past its end. */
static void put(char *buf, size_t size, size_t *offp, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
put(char *buf, size_t size, size_t *offp, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*offp >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *offp, size - *offp, fmt, ap);
	va_end(ap);
	if (n > 0)
		*offp = *offp + (size_t)n < size ? *offp + (size_t)n : size;
}

void
hk_cli_cloud_error_text(const struct hk_error *e, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	const char *msg = hk_error_message(e);
	size_t line = strcspn(msg, "\r\n");

	if (e->provider_code[0] != '\0')
		put(buf, size, &off, "%s: ", e->provider_code);
	/*
	 * One line: a provider message may hold many (Huawei quotes its whole
	 * canonical request), which would break a table; --json has it all.
	 */
	if (msg[line] != '\0')
		put(buf, size, &off, "%.*s ...", (int)line, msg);
	else
		put(buf, size, &off, "%s", msg);
	if (e->request_id[0] != '\0')
		put(buf, size, &off, " [RequestId %s]", e->request_id);
}

json_t *
hk_cli_cloud_fingerprints(const char *provider, const char *fp)
{
	json_t *o = json_object();

	if (o != NULL && fp != NULL && provider != NULL)
		json_object_set_new(o, provider, json_string(fp));
	return o;
}

const char *
hk_cli_cloud_status_id(const char *status, char *buf, size_t size)
{
	size_t i;

	for (i = 0; status[i] != '\0' && i + 1 < size; i++)
		buf[i] = status[i] == ' ' ? '_' : status[i];
	buf[i] = '\0';
	return buf;
}

int
hk_cli_cloud_usage(const struct hk_cmd *cmd, const struct hk_cli_cloud *cc,
    const char *fmt, ...)
{
	struct hk_error e;
	va_list ap;

	hk_error_clear(&e);
	e.code = HK_ERR_USAGE;
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	if (!cc->json)
		return hk_cli_usage_error(cmd, "%s", e.message);
	return hk_cli_fail_json(cmd, &e);
}

int
hk_cli_cloud_fail(const struct hk_cmd *cmd, const struct hk_cli_cloud *cc, int err,
    const struct hk_error *e)
{
	struct hk_error taken;

	if (e == NULL || e->code == 0) {
		hk_error_take(&taken, err);
		e = &taken;
	}
	if (cc->json)
		return hk_cli_fail_json(cmd, e);
	return hk_cli_fail_error(cmd, e);
}

int
hk_cli_cloud_outcome(const struct hk_cmd *cmd, const struct hk_cloud_summary *s)
{
	struct hk_error first, out;
	char text[HK_ERROR_MESSAGE_MAX];
	int r;

	/* The first failure as the tables print it: code, message, request id. */
	hk_error_clear(&first);
	if (s->first != NULL) {
		hk_error_copy(&first, s->first);
		hk_cli_cloud_error_text(s->first, text, sizeof(text));
		snprintf(first.message, sizeof(first.message), "%s", text);
	}
	if ((r = hk_op_batch_outcome(s->nitems, s->nfailed, s->ncancelled, &first,
	    s->first_where, &out)) == 0)
		return HK_EXIT_OK;
	hk_error_raise(&out);
	return hk_cli_fail(cmd, r);
}
