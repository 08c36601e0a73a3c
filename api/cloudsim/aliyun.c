/* hwkey-cloudsim Alibaba ECS RPC (2014-05-26) at "/": parameters from the query
 * and form body, signature v1 (HMAC-SHA1) and ACS3 verification, nonce and
 * timestamp checks, the JSON/XML envelopes, dispatch to the actions. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>

#include "aliyun.h"
#include "buf.h"
#include "err.h"

#define ALI_HOST_ID "ecs.aliyuncs.com"
#define ALI_SIG_PREFIX "Specified signature is not matched with our calculation. " \
	"server string to sign is:"

const char *
ali_param(const struct ali_ctx *c, const char *name)
{
	return sim_param(c->p, c->n, name);
}

int
ali_error(struct ali_ctx *c, unsigned int status, const char *code,
    const char *fmt, ...)
{
	char msg[4096], rec[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* It may quote what the client sent, or be cut inside a character. */
	sim_text_scrub(msg);
	snprintf(rec, sizeof(rec), "https://error-center.aliyun.com/status/search?"
	    "Keyword=%s&source=PopGw", code);
	json_decref(c->resp->json);
	c->resp->json = json_pack("{s:s, s:s, s:s, s:s, s:s}", "RequestId",
	    c->req->request_id, "HostId", ALI_HOST_ID, "Code", code, "Message", msg,
	    "Recommend", rec);
	c->resp->status = status;
	c->resp->log_code = code;
	return -1;
}

int
ali_missing(struct ali_ctx *c, const char *name)
{
	return ali_error(c, 400, "MissingParameter", "The input parameter \"%s\" that is "
	    "mandatory for processing this request is not supplied.", name);
}

int
ali_ok(struct ali_ctx *c, json_t *obj)
{
	if (obj == NULL)
		return ali_error(c, 500, "InternalError", "The request processing has "
		    "failed due to some unknown error.");
	json_object_set_new(obj, "RequestId", json_string(c->req->request_id));
	json_decref(c->resp->json);
	c->resp->json = obj;
	c->resp->status = 200;
	return 0;
}

const char *
ali_region(struct ali_ctx *c)
{
	const char *r = ali_param(c, "RegionId");

	if (r == NULL || *r == '\0') {
		ali_missing(c, "RegionId");
		return NULL;
	}
	if (!sim_region_valid(SIM_ALIYUN, r)) {
		ali_error(c, 404, "InvalidRegionId.NotFound",
		    "The specified RegionId does not exist.");
		return NULL;
	}
	return r;
}

void
sim_aliyun_fault(struct sim_req *req, struct sim_resp *resp, int kind)
{
	struct ali_ctx c;

	memset(&c, 0, sizeof(c));
	c.req = req;
	c.resp = resp;
	resp->log_what = "fault";
	if (kind == SIM_FAULT_THROTTLE)
		ali_error(&c, 400, "Throttling", "Request was denied due to request "
		    "throttling.");
	else if (kind == 500)
		ali_error(&c, 500, "InternalError", "The request processing has failed "
		    "due to some unknown error.");
	else
		ali_error(&c, 503, "ServiceUnavailable", "The request has failed due to "
		    "a temporary failure of the server.");
}

/* XML as the RPC gateway writes it: arrays repeat their element name. */
static int
xml_text(struct hk_buf *b, const char *s)
{
	int r = 0;

	for (; *s != '\0' && r == 0; s++) {
		switch (*s) {
		case '<': r = hk_buf_putf(b, "&lt;"); break;
		case '>': r = hk_buf_putf(b, "&gt;"); break;
		case '&': r = hk_buf_putf(b, "&amp;"); break;
		case '"': r = hk_buf_putf(b, "&quot;"); break;
		default: r = hk_buf_put(b, s, 1); break;
		}
	}
	return r;
}

static int
xml_value(struct hk_buf *b, const char *name, json_t *v)
{
	const char *k;
	json_t *e, *item;
	size_t i;
	int r;

	if ((r = hk_buf_putf(b, "<%s>", name)) != 0)
		return r;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach(v, k, e) {
			if (json_is_array(e)) {
				json_array_foreach(e, i, item)
					if ((r = xml_value(b, k, item)) != 0)
						return r;
			} else if ((r = xml_value(b, k, e)) != 0)
				return r;
		}
		break;
	case JSON_STRING:
		r = xml_text(b, json_string_value(v));
		break;
	case JSON_INTEGER:
		r = hk_buf_putf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_TRUE:
		r = hk_buf_putf(b, "true");
		break;
	case JSON_FALSE:
		r = hk_buf_putf(b, "false");
		break;
	default:
		break;
	}
	if (r != 0)
		return r;
	return hk_buf_putf(b, "</%s>", name);
}

static void
render_xml(struct ali_ctx *c)
{
	struct hk_buf *b;
	char root[128];

	if (c->resp->json == NULL || (b = hk_buf_new()) == NULL)
		return;
	if (c->resp->status == 200)
		snprintf(root, sizeof(root), "%sResponse", c->action);
	else
		snprintf(root, sizeof(root), "Error");
	if (hk_buf_putf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>") == 0 &&
	    xml_value(b, root, c->resp->json) == 0 &&
	    (c->resp->text = hk_buf_dup_string(b)) != NULL) {
		json_decref(c->resp->json);
		c->resp->json = NULL;
		c->resp->content_type = "text/xml;charset=utf-8";
	}
	hk_buf_free(b);
}

/* Request time within 15 minutes of ours; returns the time to keep the nonce by. */
static int
check_time(struct ali_ctx *c, const char *ts, int64_t *keepp)
{
	int64_t t, now = (int64_t)time(NULL);

	if (sim_parse_time(ts, 0, &t) != 0)
		return ali_error(c, 400, "InvalidTimeStamp.Format", "Specified time stamp "
		    "or date value is not well formatted.");
	if (t > now + SIM_SKEW_MAX || t < now - SIM_SKEW_MAX)
		return ali_error(c, 400, "InvalidTimeStamp.Expired", "Specified time stamp "
		    "or date value is expired.");
	*keepp = t > now ? t : now;
	return 0;
}

static int
check_nonce(struct ali_ctx *c, const char *nonce, int64_t keep)
{
	int r;

	if ((r = sim_db_nonce_use(c->sim->db, c->acct->ak, nonce, keep)) == HK_ERR_EXISTS)
		return ali_error(c, 400, "SignatureNonceUsed", "Specified signature nonce "
		    "was used already.");
	if (r != 0)
		return ali_error(c, 500, "InternalError", "The request processing has "
		    "failed due to some unknown error.");
	return 0;
}

static int
auth_v1(struct ali_ctx *c, const char *sig)
{
	static const char *const required[] = { "AccessKeyId", "SignatureMethod",
	    "SignatureVersion", "SignatureNonce", "Timestamp", "Action", "Version" };
	struct hk_param *p = NULL;
	char *mine = NULL, *sts = NULL;
	size_t i, n = 0;
	int64_t keep = 0;
	int r = -1;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (ali_param(c, required[i]) == NULL)
			return ali_missing(c, required[i]);
	if (strcmp(ali_param(c, "SignatureMethod"), "HMAC-SHA1") != 0)
		return ali_error(c, 400, "InvalidSignatureMethod", "Specified signature "
		    "method is not valid.");
	if (strcmp(ali_param(c, "SignatureVersion"), "1.0") != 0)
		return ali_error(c, 400, "IncompleteSignature", "The request signature "
		    "does not conform to Alibaba Cloud standards.");
	c->acct = sim_account_find(&c->sim->accounts, SIM_ALIYUN,
	    ali_param(c, "AccessKeyId"));
	/* 404, as the live gateway answers (the SDKs see this status). */
	if (c->acct == NULL)
		return ali_error(c, 404, "InvalidAccessKeyId.NotFound", "Specified access "
		    "key is not found.");
	if (check_time(c, ali_param(c, "Timestamp"), &keep) != 0)
		return -1;
	/* Everything but Signature is signed. */
	if ((p = calloc(c->n + 1, sizeof(*p))) == NULL)
		return ali_error(c, 500, "InternalError", "out of memory");
	for (i = 0; i < c->n; i++)
		if (strcmp(c->p[i].name, "Signature") != 0)
			p[n++] = c->p[i];
	if (hk_sign_aliyun_v1(c->req->method, p, n, c->acct->secret, &mine) != 0 ||
	    hk_sign_aliyun_v1_string(c->req->method, p, n, &sts) != 0) {
		ali_error(c, 500, "InternalError", "signing failed");
		goto out;
	}
	if (!hk_sign_equal(mine, sig)) {
		ali_error(c, 400, "SignatureDoesNotMatch", ALI_SIG_PREFIX "%s", sts);
		goto out;
	}
	r = check_nonce(c, ali_param(c, "SignatureNonce"), keep);
 out:
	if (mine != NULL)
		hk_freezero(mine, strlen(mine));
	free(sts);
	free(p);
	return r;
}

struct hdr_scan {
	const char *signed_list;
	const char *unsigned_name;
};

static int
in_list(const char *list, const char *name)
{
	size_t l = strlen(name);
	const char *s = list;

	while (s != NULL && *s != '\0') {
		if (strncasecmp(s, name, l) == 0 && (s[l] == ';' || s[l] == '\0'))
			return 1;
		if ((s = strchr(s, ';')) != NULL)
			s++;
	}
	return 0;
}

static enum MHD_Result
scan_acs_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct hdr_scan *hs = cls;

	(void)kind;
	(void)value;
	if (strncasecmp(key, "x-acs-", 6) == 0 && !in_list(hs->signed_list, key)) {
		hs->unsigned_name = key;
		return MHD_NO;
	}
	return MHD_YES;
}

/* "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex" */
static int
parse_acs3(const char *auth, char **akp, char **shp, char **sigp)
{
	char *dup, *tok, *save = NULL, **dst;

	*akp = *shp = *sigp = NULL;
	if ((dup = strdup(auth + strlen("ACS3-HMAC-SHA256"))) == NULL)
		return -1;
	for (tok = strtok_r(dup, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (strncmp(tok, "Credential=", 11) == 0)
			dst = akp, tok += 11;
		else if (strncmp(tok, "SignedHeaders=", 14) == 0)
			dst = shp, tok += 14;
		else if (strncmp(tok, "Signature=", 10) == 0)
			dst = sigp, tok += 10;
		else
			continue;
		free(*dst);
		*dst = strdup(tok);
	}
	free(dup);
	if (*akp == NULL || *shp == NULL || *sigp == NULL) {
		free(*akp);
		free(*shp);
		free(*sigp);
		*akp = *shp = *sigp = NULL;
		return -1;
	}
	return 0;
}

static int
auth_acs3(struct ali_ctx *c, const char *auth)
{
	static const char *const required[] = { "x-acs-action", "x-acs-version",
	    "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256" };
	struct hk_header *h = NULL;
	struct hdr_scan hs;
	char *ak = NULL, *sh = NULL, *sig = NULL, *mine = NULL, *cr = NULL;
	char *names = NULL, *tok, *save = NULL, bodyhash[65];
	const char *s;
	size_t i, nh = 0;
	int64_t keep = 0;
	int r = -1;

	if (parse_acs3(auth, &ak, &sh, &sig) != 0)
		return ali_error(c, 400, "IncompleteSignature", "The request signature "
		    "does not conform to Alibaba Cloud standards.");
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (sim_header(c->req, required[i]) == NULL) {
			ali_missing(c, required[i]);
			goto out;
		}
	}
	/* host and every x-acs-* header that is sent must be signed. */
	memset(&hs, 0, sizeof(hs));
	hs.signed_list = sh;
	MHD_get_connection_values(c->req->conn, MHD_HEADER_KIND, scan_acs_header, &hs);
	if (!in_list(sh, "host") || hs.unsigned_name != NULL) {
		ali_error(c, 400, "IncompleteSignature", "The request signature does not "
		    "conform to Alibaba Cloud standards: header %s is not signed.",
		    hs.unsigned_name != NULL ? hs.unsigned_name : "host");
		goto out;
	}
	hk_sign_sha256_hex(c->req->body, c->req->bodylen, bodyhash);
	if (strcasecmp(sim_header(c->req, "x-acs-content-sha256"), bodyhash) != 0) {
		ali_error(c, 400, "IncompleteSignature", "x-acs-content-sha256 does not "
		    "match the request body.");
		goto out;
	}
	c->acct = sim_account_find(&c->sim->accounts, SIM_ALIYUN, ak);
	if (c->acct == NULL) {
		ali_error(c, 404, "InvalidAccessKeyId.NotFound", "Specified access key is "
		    "not found.");
		goto out;
	}
	if (check_time(c, sim_header(c->req, "x-acs-date"), &keep) != 0)
		goto out;
	if ((names = strdup(sh)) == NULL ||
	    (h = calloc(strlen(sh) / 2 + 2, sizeof(*h))) == NULL) {
		ali_error(c, 500, "InternalError", "out of memory");
		goto out;
	}
	for (tok = strtok_r(names, ";", &save); tok != NULL;
	    tok = strtok_r(NULL, ";", &save)) {
		if ((s = sim_header(c->req, tok)) == NULL) {
			ali_error(c, 400, "IncompleteSignature", "Signed header %s is "
			    "missing.", tok);
			goto out;
		}
		h[nh].name = tok;
		h[nh++].value = s;
	}
	if (hk_sign_acs3(c->req->method, "/", c->req->query, c->req->nquery, h, nh,
	    c->req->body, c->req->bodylen, ak, c->acct->secret, &mine) != 0 ||
	    hk_sign_acs3_canonical(c->req->method, "/", c->req->query, c->req->nquery,
	    h, nh, c->req->body, c->req->bodylen, &cr) != 0) {
		ali_error(c, 500, "InternalError", "signing failed");
		goto out;
	}
	s = strstr(mine, "Signature=");
	if (s == NULL || !hk_sign_equal(s + 10, sig)) {
		char hash[65];

		hk_sign_sha256_hex(cr, strlen(cr), hash);
		ali_error(c, 400, "SignatureDoesNotMatch", ALI_SIG_PREFIX
		    "ACS3-HMAC-SHA256\n%s (canonical request: %s)", hash, cr);
		goto out;
	}
	c->action = sim_header(c->req, "x-acs-action");
	if (strcmp(sim_header(c->req, "x-acs-version"), ALI_VERSION) != 0) {
		ali_error(c, 400, "InvalidVersion", "Specified parameter Version is not "
		    "valid.");
		goto out;
	}
	r = check_nonce(c, sim_header(c->req, "x-acs-signature-nonce"), keep);
 out:
	free(ak);
	free(sh);
	free(sig);
	if (mine != NULL)
		hk_freezero(mine, strlen(mine));
	free(cr);
	free(names);
	free(h);
	return r;
}

/* Query parameters, then the form body's; both stay owned by their arrays. */
static int
collect_params(struct ali_ctx *c)
{
	const char *ct = sim_header(c->req, "content-type");
	size_t i;

	if (ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 &&
	    sim_parse_params(c->req->body, c->req->bodylen, HK_URLDEC_FORM, &c->bodyp,
	    &c->nbodyp) != 0)
		return ali_error(c, 400, "InvalidParameter", "The request body is not "
		    "valid application/x-www-form-urlencoded data.");
	if ((c->p = calloc(c->req->nquery + c->nbodyp + 1, sizeof(*c->p))) == NULL)
		return ali_error(c, 500, "InternalError", "out of memory");
	for (i = 0; i < c->req->nquery; i++)
		c->p[c->n++] = c->req->query[i];
	for (i = 0; i < c->nbodyp; i++)
		c->p[c->n++] = c->bodyp[i];
	return 0;
}

static void
dispatch(struct ali_ctx *c)
{
	const char *a = c->action;

	if (strcmp(a, "ImportKeyPair") == 0)
		ali_import_keypair(c);
	else if (strcmp(a, "DescribeKeyPairs") == 0)
		ali_describe_keypairs(c);
	else if (strcmp(a, "DeleteKeyPairs") == 0)
		ali_delete_keypairs(c);
	else if (strcmp(a, "AttachKeyPair") == 0)
		ali_attach_keypair(c, 1);
	else if (strcmp(a, "DetachKeyPair") == 0)
		ali_attach_keypair(c, 0);
	else if (strcmp(a, "DescribeRegions") == 0)
		ali_describe_regions(c);
	else if (strcmp(a, "DescribeInstances") == 0)
		ali_describe_instances(c);
	else
		ali_error(c, 404, "InvalidAction.NotFound", "Specified api is not found, "
		    "please check your url and method.");
}

void
sim_aliyun_handle(struct sim *sim, struct sim_req *req, struct sim_resp *resp)
{
	struct ali_ctx c;
	const char *auth, *sig, *fmt;
	int acs3;

	memset(&c, 0, sizeof(c));
	c.sim = sim;
	c.req = req;
	c.resp = resp;
	resp->log_what = "-";
	auth = sim_header(req, "authorization");
	acs3 = auth != NULL && strncmp(auth, "ACS3-HMAC-SHA256 ", 17) == 0;
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0) {
		ali_error(&c, 405, "UnsupportedHTTPMethod", "This http method is not "
		    "supported.");
		goto out;
	}
	if (collect_params(&c) != 0)
		goto out;
	/* v1 answers in XML unless Format=JSON; ACS3 in JSON unless Format=XML. */
	fmt = ali_param(&c, "Format");
	c.xml = fmt != NULL ? strcasecmp(fmt, "XML") == 0 : !acs3;
	c.action = acs3 ? sim_header(req, "x-acs-action") : ali_param(&c, "Action");
	resp->log_what = c.action != NULL ? c.action : "-";
	if (acs3) {
		if (auth_acs3(&c, auth) != 0)
			goto out;
	} else {
		if ((sig = ali_param(&c, "Signature")) == NULL) {
			ali_error(&c, 400, "IncompleteSignature", "The request signature "
			    "does not conform to Alibaba Cloud standards.");
			goto out;
		}
		if (auth_v1(&c, sig) != 0)
			goto out;
		if (strcmp(ali_param(&c, "Version"), ALI_VERSION) != 0) {
			ali_error(&c, 400, "InvalidVersion", "Specified parameter Version "
			    "is not valid.");
			goto out;
		}
	}
	dispatch(&c);
 out:
	/* log_what must outlive the context: point it at a static name. */
	resp->log_what = c.action == NULL ? "-" :
	    strcmp(c.action, "ImportKeyPair") == 0 ? "ImportKeyPair" :
	    strcmp(c.action, "DescribeKeyPairs") == 0 ? "DescribeKeyPairs" :
	    strcmp(c.action, "DeleteKeyPairs") == 0 ? "DeleteKeyPairs" :
	    strcmp(c.action, "AttachKeyPair") == 0 ? "AttachKeyPair" :
	    strcmp(c.action, "DetachKeyPair") == 0 ? "DetachKeyPair" :
	    strcmp(c.action, "DescribeRegions") == 0 ? "DescribeRegions" :
	    strcmp(c.action, "DescribeInstances") == 0 ? "DescribeInstances" : "unknown";
	if (c.xml)
		render_xml(&c);
	free(c.p);
	sim_params_free(c.bodyp, c.nbodyp);
}
