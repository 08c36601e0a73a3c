/* hwkey-cloudsim Alibaba ECS actions: ImportKeyPair, DescribeKeyPairs,
 * DeleteKeyPairs, AttachKeyPair/DetachKeyPair, DescribeRegions, DescribeInstances. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aliyun.h"
#include "err.h"
#include "key.h"

#define ALI_TAGS_MAX 20

/*
 * 2-128 characters, a letter first, letters digits . _ - : (a non-ASCII
 * character counts as a letter). Characters are code points of well-formed
 * UTF-8: a name that is not UTF-8 could be stored but never answered in JSON.
 */
static int
name_valid(const char *s)
{
	size_t chars = 0, len = strlen(s), n;
	uint32_t cp;

	if (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0)
		return 0;
	for (; len > 0; s += n, len -= n) {
		if ((n = sim_utf8_next(s, len, &cp)) == 0)
			return 0;
		/* C1 controls are not letters. */
		if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || cp >= 0xa0 ||
		    (chars > 0 && ((cp >= '0' && cp <= '9') || cp == '.' || cp == '_' ||
		    cp == '-' || cp == ':'))) {
			chars++;
			continue;
		}
		return 0;
	}
	return chars >= 2 && chars <= 128;
}

/* Tag.N.Key / Tag.N.Value, N = 1..20, into a JSON array ordered by N. */
static int
collect_tags(struct ali_ctx *c, json_t **tagsp)
{
	const char *key, *val;
	char name[32];
	json_t *tags;
	size_t i;
	int n;

	*tagsp = NULL;
	for (i = 0; i < c->n; i++) {
		if (strncmp(c->p[i].name, "Tag.", 4) == 0 &&
		    (sscanf(c->p[i].name, "Tag.%d.", &n) != 1 || n < 1 || n > ALI_TAGS_MAX))
			return ali_error(c, 400, "InvalidTagKey.Malformed", "The specified "
			    "parameter \"%s\" is not valid.", c->p[i].name);
	}
	if ((tags = json_array()) == NULL)
		return ali_error(c, 500, "InternalError", "out of memory");
	for (n = 1; n <= ALI_TAGS_MAX; n++) {
		snprintf(name, sizeof(name), "Tag.%d.Key", n);
		key = ali_param(c, name);
		snprintf(name, sizeof(name), "Tag.%d.Value", n);
		val = ali_param(c, name);
		if (key == NULL && val == NULL)
			continue;
		if (key == NULL || *key == '\0' || strlen(key) > 128 ||
		    !sim_text_valid(key, strlen(key)) ||
		    strncmp(key, "aliyun", 6) == 0 || strncmp(key, "acs:", 4) == 0 ||
		    strstr(key, "http://") != NULL || strstr(key, "https://") != NULL) {
			json_decref(tags);
			return ali_error(c, 400, "InvalidTagKey.Malformed", "The specified "
			    "Tag.%d.Key is not valid.", n);
		}
		if (val != NULL && (strlen(val) > 128 || !sim_text_valid(val, strlen(val)))) {
			json_decref(tags);
			return ali_error(c, 400, "InvalidTagValue.Malformed", "The specified "
			    "Tag.%d.Value is not valid.", n);
		}
		json_array_append_new(tags, json_pack("{s:s, s:s}", "TagKey", key,
		    "TagValue", val != NULL ? val : ""));
	}
	*tagsp = tags;
	return 0;
}

/* The fingerprint with its last hex digit changed (--bad-fingerprint). */
static void
spoil(char *fp)
{
	size_t l = strlen(fp);

	if (l > 0)
		fp[l - 1] = fp[l - 1] == '0' ? '1' : '0';
}

int
ali_import_keypair(struct ali_ctx *c)
{
	struct sim_keypair kp;
	const char *region, *name, *body, *why = NULL;
	json_t *tags = NULL;
	char *fp = NULL, *line = NULL;
	size_t l;
	int r;

	memset(&kp, 0, sizeof(kp));
	if ((region = ali_region(c)) == NULL)
		return -1;
	if ((name = ali_param(c, "KeyPairName")) == NULL)
		return ali_missing(c, "KeyPairName");
	if ((body = ali_param(c, "PublicKeyBody")) == NULL || *body == '\0')
		return ali_missing(c, "PublicKeyBody");
	if (!name_valid(name))
		return ali_error(c, 400, "InvalidKeyPairName.Malformed", "Specified Key "
		    "Pair name is not valid.");
	if (collect_tags(c, &tags) != 0)
		return -1;
	if ((r = sim_pubkey_check(SIM_ALIYUN, body, &fp, &why)) != 0) {
		json_decref(tags);
		if (r == HK_ERR_ALLOC)
			return ali_error(c, 500, "InternalError", "out of memory");
		return ali_error(c, 400, "InvalidPublicKeyBody.Malformed", "The "
		    "PublicKeyBody format is not supported: %s.", why);
	}
	/* Keep the line as sent, without surrounding blanks. */
	while (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n')
		body++;
	line = strdup(body);
	for (l = line != NULL ? strlen(line) : 0; l > 0 && strchr(" \t\r\n",
	    line[l - 1]) != NULL; l--)
		line[l - 1] = '\0';
	kp.name = (char *)name;
	kp.public_key = line;
	kp.fingerprint = fp;
	kp.tags = json_dumps(tags, JSON_COMPACT);
	kp.created = (int64_t)time(NULL);
	json_decref(tags);
	if (line == NULL || kp.tags == NULL)
		r = HK_ERR_ALLOC;
	else
		r = sim_db_keypair_add(c->sim->db, SIM_ALIYUN, c->acct->ak, region, &kp,
		    (int)c->sim->opts.quota);
	if (r == HK_ERR_EXISTS)
		ali_error(c, 400, "KeyPair.AlreadyExist", "The key pair already exist.");
	else if (r == HK_ERR_CLOUD_QUOTA)
		ali_error(c, 403, "QuotaExceed.KeyPair", "The key pair quota exceeds.");
	else if (r != 0)
		ali_error(c, 500, "InternalError", "The request processing has failed due "
		    "to some unknown error.");
	else {
		if (c->sim->opts.bad_fingerprint)
			spoil(fp);
		ali_ok(c, json_pack("{s:s, s:s}", "KeyPairName", name,
		    "KeyPairFingerPrint", fp));
	}
	free(fp);
	free(line);
	free(kp.tags);
	return r == 0 ? 0 : -1;
}

/* '*' matches any run of characters; everything else literally. */
static int
wildcard(const char *pat, const char *s)
{
	const char *star = NULL, *mark = NULL;

	while (*s != '\0') {
		if (*pat == '*') {
			star = pat++;
			mark = s;
		} else if (*pat == *s) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++mark;
		} else
			return 0;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

static int
page_param(struct ali_ctx *c, const char *name, long def, long max, long *vp)
{
	const char *s = ali_param(c, name);
	char *end;
	long v;

	*vp = def;
	if (s == NULL)
		return 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < 1 || v > max)
		return ali_error(c, 400, "InvalidParameter", "The specified parameter "
		    "\"%s\" is not valid.", name);
	*vp = v;
	return 0;
}

static void
format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%MZ", &tm);
}

int
ali_describe_keypairs(struct ali_ctx *c)
{
	struct sim_keypair *kp = NULL;
	const char *region, *name, *fpf, *inc;
	json_t *arr, *e, *tags;
	size_t n = 0, i, total = 0;
	long pn, ps, first;
	char ct[32];
	int withpk;

	if ((region = ali_region(c)) == NULL)
		return -1;
	if (page_param(c, "PageNumber", 1, 1000000, &pn) != 0 ||
	    page_param(c, "PageSize", 10, 50, &ps) != 0)
		return -1;
	name = ali_param(c, "KeyPairName");
	fpf = ali_param(c, "KeyPairFingerPrint");
	inc = ali_param(c, "IncludePublicKey");
	withpk = inc != NULL && strcasecmp(inc, "true") == 0;
	if (sim_db_keypair_list(c->sim->db, SIM_ALIYUN, c->acct->ak, region, &kp, &n) != 0)
		return ali_error(c, 500, "InternalError", "The request processing has "
		    "failed due to some unknown error.");
	arr = json_array();
	first = (pn - 1) * ps;
	for (i = 0; i < n; i++) {
		if (name != NULL && *name != '\0' && (strchr(name, '*') != NULL ?
		    !wildcard(name, kp[i].name) : strcmp(name, kp[i].name) != 0))
			continue;
		if (fpf != NULL && *fpf != '\0' && !hk_fp_equal(fpf, kp[i].fingerprint))
			continue;
		total++;
		if ((long)total <= first || (long)total > first + ps)
			continue;
		format_time(kp[i].created, ct);
		if ((tags = json_loads(kp[i].tags, 0, NULL)) == NULL)
			tags = json_array();
		e = json_pack("{s:s, s:s, s:s, s:s, s:{s:o}}", "CreationTime", ct,
		    "KeyPairName", kp[i].name, "KeyPairFingerPrint", kp[i].fingerprint,
		    "ResourceGroupId", "", "Tags", "Tag", tags);
		if (e != NULL && withpk)
			json_object_set_new(e, "PublicKey", json_string(kp[i].public_key));
		json_array_append_new(arr, e);
	}
	sim_keypairs_free(kp, n);
	return ali_ok(c, json_pack("{s:i, s:i, s:i, s:{s:o}}", "PageNumber", (int)pn,
	    "PageSize", (int)ps, "TotalCount", (int)total, "KeyPairs", "KeyPair", arr));
}

/* A JSON array of 1..max strings, as KeyPairNames and InstanceIds are sent. */
static int
json_names(const char *s, size_t max, json_t **arrp)
{
	json_t *a, *v;
	size_t i;

	*arrp = NULL;
	if ((a = json_loads(s, JSON_DECODE_ANY, NULL)) == NULL)
		return -1;
	if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > max) {
		json_decref(a);
		return -1;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			json_decref(a);
			return -1;
		}
	}
	*arrp = a;
	return 0;
}

int
ali_delete_keypairs(struct ali_ctx *c)
{
	const char *region, *s, **names = NULL;
	json_t *arr = NULL;
	char *attached = NULL;
	size_t i, deleted = 0;
	int r;

	if ((region = ali_region(c)) == NULL)
		return -1;
	if ((s = ali_param(c, "KeyPairNames")) == NULL)
		return ali_missing(c, "KeyPairNames");
	if (json_names(s, 100, &arr) != 0)
		return ali_error(c, 400, "InvalidKeyPairNames.ValueNotSupported", "The "
		    "specified parameter \"KeyPairNames\" is not valid: a JSON array of 1 "
		    "to 100 names is expected.");
	if ((names = calloc(json_array_size(arr), sizeof(*names))) == NULL) {
		json_decref(arr);
		return ali_error(c, 500, "InternalError", "out of memory");
	}
	for (i = 0; i < json_array_size(arr); i++)
		names[i] = json_string_value(json_array_get(arr, i));
	r = sim_db_keypair_delete(c->sim->db, SIM_ALIYUN, c->acct->ak, region, names,
	    json_array_size(arr), &deleted, &attached);
	if (r == HK_ERR_EXISTS)
		ali_error(c, 400, "InvalidParameter.KeypairAlreadyAttachedInstance", "The "
		    "key pair \"%s\" is attached to an instance.", attached ? attached : "");
	else if (r != 0)
		ali_error(c, 500, "InternalError", "The request processing has failed due "
		    "to some unknown error.");
	else
		ali_ok(c, json_object());
	free(attached);
	free(names);
	json_decref(arr);
	return r == 0 ? 0 : -1;
}

int
ali_attach_keypair(struct ali_ctx *c, int attach)
{
	struct sim_keypair kp;
	const char *region, *name, *ids, *id, *code, *msg;
	json_t *arr = NULL, *results;
	size_t i, fails = 0;
	int r;

	if ((region = ali_region(c)) == NULL)
		return -1;
	if ((name = ali_param(c, "KeyPairName")) == NULL)
		return ali_missing(c, "KeyPairName");
	if ((ids = ali_param(c, "InstanceIds")) == NULL)
		return ali_missing(c, "InstanceIds");
	if (json_names(ids, 50, &arr) != 0)
		return ali_error(c, 400, "InvalidInstanceIds.ValueNotSupported", "The "
		    "specified parameter \"InstanceIds\" is not valid: a JSON array of 1 to "
		    "50 instance ids is expected.");
	r = sim_db_keypair_get(c->sim->db, SIM_ALIYUN, c->acct->ak, region, name, &kp);
	sim_keypair_clear(&kp);
	if (r != 0) {
		json_decref(arr);
		if (r == HK_ERR_NOT_FOUND)
			return ali_error(c, 400, "InvalidKeyPairName.NotFound", "The "
			    "specified KeyPairName does not exist.");
		return ali_error(c, 500, "InternalError", "The request processing has "
		    "failed due to some unknown error.");
	}
	results = json_array();
	for (i = 0; i < json_array_size(arr); i++) {
		id = json_string_value(json_array_get(arr, i));
		/* Attach replaces whatever pair the instance had. */
		r = sim_db_instance_set(c->sim->db, c->acct->ak, region, id,
		    attach ? name : NULL, attach ? NULL : name);
		code = "200";
		msg = "successful";
		if (r == HK_ERR_NOT_FOUND) {
			code = "InvalidInstanceId.NotFound";
			msg = "The specified instance does not exist.";
		} else if (r == HK_ERR_NOT_SUPPORTED) {
			code = "DependencyViolation.WindowsInstance";
			msg = "The instance creating by window system image is not supported.";
		} else if (r == HK_ERR_VERIFY) {
			code = "InvalidKeyPairName.NotAttached";
			msg = "The specified key pair is not attached to this instance.";
		} else if (r != 0) {
			code = "InternalError";
			msg = "The request processing has failed due to some unknown error.";
		}
		fails += r != 0;
		json_array_append_new(results, json_pack("{s:s, s:s, s:s, s:b}",
		    "InstanceId", id, "Code", code, "Message", msg, "Success", r == 0));
	}
	r = ali_ok(c, json_pack("{s:i, s:i, s:s, s:{s:o}}", "TotalCount",
	    (int)json_array_size(arr), "FailCount", (int)fails, "KeyPairName", name,
	    "Results", "Result", results));
	json_decref(arr);
	return r;
}

int
ali_describe_regions(struct ali_ctx *c)
{
	const struct sim_region *reg;
	json_t *arr = json_array();
	size_t i, n;

	reg = sim_regions(SIM_ALIYUN, &n);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "RegionId",
		    reg[i].id, "LocalName", reg[i].local_name, "RegionEndpoint",
		    reg[i].endpoint, "Status", "available"));
	return ali_ok(c, json_pack("{s:{s:o}}", "Regions", "Region", arr));
}

int
ali_describe_instances(struct ali_ctx *c)
{
	struct sim_instance *in = NULL;
	const char *region, *ids, *kpn;
	json_t *want = NULL, *arr, *v;
	size_t n = 0, i, j, total = 0;
	long pn, ps;
	int hit;

	if ((region = ali_region(c)) == NULL)
		return -1;
	if (page_param(c, "PageNumber", 1, 1000000, &pn) != 0 ||
	    page_param(c, "PageSize", 10, 100, &ps) != 0)
		return -1;
	if ((ids = ali_param(c, "InstanceIds")) != NULL && json_names(ids, 100, &want) != 0)
		return ali_error(c, 400, "InvalidInstanceIds.Malformed", "The specified "
		    "parameter \"InstanceIds\" is not valid.");
	kpn = ali_param(c, "KeyPairName");
	if (sim_db_instance_list(c->sim->db, c->acct->ak, region, &in, &n) != 0) {
		json_decref(want);
		return ali_error(c, 500, "InternalError", "The request processing has "
		    "failed due to some unknown error.");
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		if (want != NULL) {
			json_array_foreach(want, j, v) {
				if (strcmp(json_string_value(v), in[i].id) == 0)
					break;
			}
			hit = j < json_array_size(want);
			if (!hit)
				continue;
		}
		if (kpn != NULL && *kpn != '\0' && strcmp(kpn, in[i].keypair) != 0)
			continue;
		total++;
		if ((long)total <= (pn - 1) * ps || (long)total > pn * ps)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		    "InstanceId", in[i].id, "InstanceName", in[i].id, "RegionId", region,
		    "KeyPairName", in[i].keypair, "OSType", in[i].windows ? "windows" :
		    "linux", "Status", "Running"));
	}
	sim_instances_free(in, n);
	json_decref(want);
	return ali_ok(c, json_pack("{s:i, s:i, s:i, s:{s:o}}", "PageNumber", (int)pn,
	    "PageSize", (int)ps, "TotalCount", (int)total, "Instances", "Instance", arr));
}
