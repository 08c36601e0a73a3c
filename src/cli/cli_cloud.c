/* Shared option handling and error output of the cloud commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_cloud.h"
#include "err.h"

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

int
hk_cli_cloud_opt(const struct hk_cmd *cmd, int idx, const char *arg,
    struct hk_cli_cloud *cc)
{
	const char *name = cmd->opts[idx].name, *a = arg;
	unsigned long v;
	char *end;

	if (strcmp(name, "cacert") == 0)
		cc->opts.cacert = a;
	else if (strcmp(name, "cloud") == 0) {
		if (hk_cloud_caps_find(a) == NULL)
			return hk_cli_usage_error(cmd, "--cloud %s: aliyun or huawei", a);
		cc->opts.provider = a;
	} else if (strcmp(name, "endpoint") == 0)
		cc->opts.endpoint = a;
	else if (strcmp(name, "jobs") == 0) {
		if (parse_uint(a, 1024, &v) != 0)
			return hk_cli_usage_error(cmd, "--jobs %s: 1 to 1024", a);
		cc->opts.jobs = (unsigned int)v;
	} else if (strcmp(name, "json") == 0)
		cc->json = 1;
	else if (strcmp(name, "profile") == 0)
		cc->opts.profile = a;
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
	} else if (strcmp(name, "signature") == 0) {
		if (strcmp(a, "v1") == 0)
			cc->opts.signature = 1;
		else if (strcmp(a, "v3") == 0)
			cc->opts.signature = 3;
		else
			return hk_cli_usage_error(cmd, "--signature %s: v1 or v3", a);
	} else if (strcmp(name, "timeout") == 0) {
		if (parse_uint(a, 3600, &v) != 0)
			return hk_cli_usage_error(cmd, "--timeout %s: seconds, 1 to 3600", a);
		cc->opts.timeout_ms = (long)v * 1000;
	} else
		return 0;
	return 1;
}

int
hk_cli_cloud_open(struct hk_cli_cloud *cc, struct hk_cloud **cp, char ***regionsp,
    size_t *np)
{
	struct hk_cloud *c = NULL;
	const char *p;
	int r;

	*cp = NULL;
	*regionsp = NULL;
	*np = 0;
	if (cc->opts.provider == NULL)
		return hk_errf(HK_ERR_USAGE, "--cloud is required (aliyun or huawei)");
	if (cc->region == NULL)
		return hk_errf(HK_ERR_USAGE, "--region is required (R[,R...] or all)");
	if (strcmp(cc->region, "all") == 0)
		cc->opts.nregions_hint = 0;
	else
		for (cc->opts.nregions_hint = 1, p = cc->region; *p != '\0'; p++)
			if (*p == ',')
				cc->opts.nregions_hint++;
	if ((r = hk_cloud_open(&cc->opts, &c)) != 0)
		return r;
	if ((r = hk_cloud_regions(c, cc->region, regionsp, np)) != 0) {
		hk_cloud_free(c);
		return r;
	}
	*cp = c;
	return 0;
}

void
hk_cli_cloud_error_text(const struct hk_cloud_error *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s%s", e->code, e->code[0] != '\0' ? ": " : "",
	    e->message[0] != '\0' ? e->message : hk_strerror(e->err),
	    e->request_id[0] != '\0' ? " [RequestId " : "", e->request_id,
	    e->request_id[0] != '\0' ? "]" : "");
}

json_t *
hk_cli_cloud_error_json(const struct hk_cloud_error *e)
{
	json_t *o = json_pack("{s:s,s:s,s:i}", "error", hk_err_name(e->err),
	    "text", hk_strerror(e->err), "exit", hk_err_exit(e->err));

	if (o == NULL)
		return NULL;
	if (e->code[0] != '\0')
		json_object_set_new(o, "provider_code", json_string(e->code));
	if (e->message[0] != '\0')
		json_object_set_new(o, "message", json_string(e->message));
	if (e->request_id[0] != '\0')
		json_object_set_new(o, "request_id", json_string(e->request_id));
	if (e->http_status != 0)
		json_object_set_new(o, "http_status", json_integer(e->http_status));
	return o;
}

int
hk_cli_cloud_batch_exit(const struct hk_cmd *cmd, size_t nfailed, size_t total,
    const struct hk_cloud_error *first, const char *first_where)
{
	char text[640];

	if (nfailed == 0)
		return HK_EXIT_OK;
	hk_cli_cloud_error_text(first, text, sizeof(text));
	if (nfailed == total) {
		hk_errf(first->err, "%s: %s", first_where, text);
		return hk_cli_fail(cmd, first->err);
	}
	hk_errf(HK_ERR_PARTIAL, "%zu of %zu failed; first: %s: %s", nfailed, total,
	    first_where, text);
	return hk_cli_fail(cmd, HK_ERR_PARTIAL);
}
