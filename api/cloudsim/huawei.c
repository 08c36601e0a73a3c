/* hwkey-cloudsim Huawei KPS v3 key pairs and the IAM project lookup, behind
 * SDK-HMAC-SHA256 verification (cloud-apis.md 5, 6). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "key.h"
#include "sim.h"

#define HW_NAME_MAX 64
#define HW_LIMIT_DEFAULT 50
#define HW_LIMIT_MAX 1000

struct hw_ctx {
	struct sim *sim;
	struct sim_req *req;
	struct sim_resp *resp;
	const struct sim_account *acct;
	char *path;		/* decoded */
	char *seg[6];		/* path segments after /v3/ (KPS, IAM) or /v1/ (ECS) */
	size_t nseg;
	int ecs;		/* /v1/: the ECS API */
};

static int
hw_error(struct hw_ctx *c, unsigned int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
hw_error(struct hw_ctx *c, unsigned int status, const char *code, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* It may quote what the client sent, or be cut inside a character. */
	sim_text_scrub(msg);
	json_decref(c->resp->json);
	c->resp->json = json_pack("{s:s, s:s, s:s}", "error_code", code, "error_msg", msg,
	    "request_id", c->req->request_id);
	c->resp->status = status;
	c->resp->log_code = code;
	return -1;
}

static int
hw_ok(struct hw_ctx *c, unsigned int status, json_t *obj)
{
	if (obj == NULL && status != 204)
		return hw_error(c, 500, "KPS.0003", "System error");
	json_decref(c->resp->json);
	c->resp->json = obj;
	c->resp->status = status;
	return 0;
}

void
sim_huawei_fault(struct sim_req *req, struct sim_resp *resp, int kind)
{
	struct hw_ctx c;

	memset(&c, 0, sizeof(c));
	c.req = req;
	c.resp = resp;
	resp->log_what = "fault";
	resp->request_id_header = 1;
	if (kind == SIM_FAULT_THROTTLE)
		hw_error(&c, 429, "APIGW.0308", "The throttling threshold has been "
		    "reached: policy user over ratelimit");
	else if (kind == 500)
		hw_error(&c, 500, "KPS.0003", "System error");
	else
		hw_error(&c, 503, "KPS.5001", "Service unavailable, try again later");
}

/* "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex" */
static int
parse_auth(const char *auth, char **akp, char **shp, char **sigp)
{
	char *dup, *tok, *save = NULL, **dst;

	*akp = *shp = *sigp = NULL;
	if ((dup = strdup(auth + strlen("SDK-HMAC-SHA256"))) == NULL)
		return -1;
	for (tok = strtok_r(dup, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (strncmp(tok, "Access=", 7) == 0)
			dst = akp, tok += 7;
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
	if (*akp != NULL && *shp != NULL && *sigp != NULL)
		return 0;
	free(*akp);
	free(*shp);
	free(*sigp);
	*akp = *shp = *sigp = NULL;
	return -1;
}

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

#define AUTH_FAIL "Incorrect IAM authentication information: "

static int
hw_auth(struct hw_ctx *c)
{
	const char *auth = sim_header(c->req, "authorization"), *s, *payload = NULL;
	struct hk_header *h = NULL;
	char *ak = NULL, *sh = NULL, *sig = NULL, *mine = NULL, *cr = NULL;
	char *names = NULL, *tok, *save = NULL, hash[65];
	int64_t t, now = (int64_t)time(NULL);
	size_t nh = 0;
	int r = -1;

	if (auth == NULL || strncmp(auth, "SDK-HMAC-SHA256 ", 16) != 0 ||
	    parse_auth(auth, &ak, &sh, &sig) != 0)
		return hw_error(c, 401, "APIGW.0301", AUTH_FAIL "Authorization header "
		    "missing or not SDK-HMAC-SHA256");
	if (!in_list(sh, "host") || !in_list(sh, "x-sdk-date") ||
	    (sim_header(c->req, "x-project-id") != NULL && !in_list(sh, "x-project-id"))) {
		hw_error(c, 401, "APIGW.0301", AUTH_FAIL "host, x-sdk-date and "
		    "x-project-id (when sent) must be signed");
		goto out;
	}
	if (sim_parse_time(sim_header(c->req, "x-sdk-date"), 1, &t) != 0) {
		hw_error(c, 401, "APIGW.0301", AUTH_FAIL "x-sdk-date is not "
		    "YYYYMMDDTHHMMSSZ");
		goto out;
	}
	if (t > now + SIM_SKEW_MAX || t < now - SIM_SKEW_MAX) {
		hw_error(c, 401, "APIGW.0301", AUTH_FAIL "x-sdk-date is more than 15 "
		    "minutes away from the server time");
		goto out;
	}
	if ((c->acct = sim_account_find(&c->sim->accounts, SIM_HUAWEI, ak)) == NULL) {
		hw_error(c, 401, "APIGW.0301", AUTH_FAIL "access key not found");
		goto out;
	}
	if ((names = strdup(sh)) == NULL ||
	    (h = calloc(strlen(sh) / 2 + 2, sizeof(*h))) == NULL) {
		hw_error(c, 500, "KPS.0003", "System error");
		goto out;
	}
	for (tok = strtok_r(names, ";", &save); tok != NULL;
	    tok = strtok_r(NULL, ";", &save)) {
		if ((s = sim_header(c->req, tok)) == NULL) {
			hw_error(c, 401, "APIGW.0301", AUTH_FAIL "signed header %s is "
			    "missing", tok);
			goto out;
		}
		h[nh].name = tok;
		h[nh++].value = s;
		if (strcasecmp(tok, "x-sdk-content-sha256") == 0)
			payload = s;
	}
	/*
	 * A signed X-Sdk-Content-Sha256 stands for the body in the signature, so
	 * it must be the body's: else a captured request could carry any body.
	 * UNSIGNED-PAYLOAD (what the SDKs send for non-JSON types) only goes
	 * with no body. Unsigned, the header plays no part: the real body is hashed.
	 */
	if (payload != NULL) {
		hk_sign_sha256_hex(c->req->body, c->req->bodylen, hash);
		if (strcmp(payload, "UNSIGNED-PAYLOAD") == 0 ? c->req->bodylen != 0 :
		    strcasecmp(payload, hash) != 0) {
			hw_error(c, 401, "APIGW.0301", AUTH_FAIL "x-sdk-content-sha256 "
			    "does not match the request body");
			goto out;
		}
	}
	if (hk_sign_huawei(c->req->method, c->path, c->req->query, c->req->nquery, h, nh,
	    c->req->body, c->req->bodylen, ak, c->acct->secret, &mine) != 0 ||
	    hk_sign_huawei_canonical(c->req->method, c->path, c->req->query,
	    c->req->nquery, h, nh, c->req->body, c->req->bodylen, &cr) != 0) {
		hw_error(c, 500, "KPS.0003", "System error");
		goto out;
	}
	s = strstr(mine, "Signature=");
	if (s == NULL || !hk_sign_equal(s + 10, sig)) {
		hk_sign_sha256_hex(cr, strlen(cr), hash);
		hw_error(c, 401, "APIGW.0301", AUTH_FAIL "verify aksk signature fail, "
		    "canonical request hash %s (canonical request: %s)", hash, cr);
		goto out;
	}
	r = 0;
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

static int
name_valid(const char *s)
{
	size_t l = strlen(s), i;

	if (l == 0 || l > HW_NAME_MAX)
		return 0;
	for (i = 0; i < l; i++) {
		char ch = s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}

static json_t *
keypair_json(const struct sim_keypair *kp, const char *user, int detail)
{
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:i}", "name", kp->name,
	    "type", "ssh", "scope", "user", "public_key", kp->public_key,
	    "fingerprint", kp->fingerprint, "is_key_protection", 0, "frozen_state", 0);
	if (o != NULL && detail) {
		/* A number in the vendor's model (KeypairDetail.id). */
		json_object_set_new(o, "id", json_integer((json_int_t)kp->id));
		json_object_set_new(o, "user_id", json_string(user));
		json_object_set_new(o, "description", json_string(""));
		json_object_set_new(o, "algorithm", json_string(""));
		json_object_set_new(o, "deleted", json_false());
		json_object_set_new(o, "create_time", json_integer(kp->created * 1000));
		json_object_set_new(o, "update_time", json_integer(kp->created * 1000));
		json_object_set_new(o, "delete_time", json_null());
	}
	return o;
}

static int
kp_create(struct hw_ctx *c, const char *region)
{
	struct sim_keypair kp;
	json_t *root, *k;
	const char *name, *pub, *type, *scope, *why = NULL;
	char *fp = NULL;
	int r;

	memset(&kp, 0, sizeof(kp));
	root = json_loadb(c->req->body, c->req->bodylen, 0, NULL);
	k = json_object_get(root, "keypair");
	if (!json_is_object(k)) {
		json_decref(root);
		return hw_error(c, 400, "KPS.0002", "Invalid parameter: the body must be "
		    "{\"keypair\":{...}}");
	}
	name = json_string_value(json_object_get(k, "name"));
	pub = json_string_value(json_object_get(k, "public_key"));
	type = json_string_value(json_object_get(k, "type"));
	scope = json_string_value(json_object_get(k, "scope"));
	if (name == NULL || !name_valid(name))
		r = hw_error(c, 400, "KPS.0002", "Invalid parameter: name must be 1 to 64 "
		    "letters, digits, '_' or '-'");
	else if (type != NULL && strcmp(type, "ssh") != 0)
		r = hw_error(c, 400, "KPS.0002", "Invalid parameter: only type ssh is "
		    "supported");
	else if (scope != NULL && strcmp(scope, "user") != 0 && strcmp(scope, "domain") != 0)
		r = hw_error(c, 400, "KPS.0002", "Invalid parameter: scope");
	else if (pub == NULL)
		r = hw_error(c, 400, "KPS.0002", "Invalid parameter: public_key is required "
		    "(hwkey-cloudsim imports keys, it does not create them)");
	else if ((r = sim_pubkey_check(SIM_HUAWEI, pub, &fp, &why)) != 0)
		r = hw_error(c, 400, "KPS.0002", "Invalid parameter: public_key: %s", why);
	if (r != 0) {
		json_decref(root);
		return -1;
	}
	kp.name = (char *)name;
	kp.public_key = (char *)pub;
	kp.fingerprint = fp;
	kp.tags = (char *)"[]";
	kp.created = (int64_t)time(NULL);
	r = sim_db_keypair_add(c->sim->db, SIM_HUAWEI, c->acct->ak, region, &kp, 0);
	if (r == HK_ERR_EXISTS)
		hw_error(c, 409, "KPS.2001", "The keypair %s already exists", name);
	else if (r != 0)
		hw_error(c, 500, "KPS.0003", "System error");
	else {
		if (c->sim->opts.bad_fingerprint && *fp != '\0')
			fp[strlen(fp) - 1] = fp[strlen(fp) - 1] == '0' ? '1' : '0';
		kp.fingerprint = fp;
		hw_ok(c, 200, json_pack("{s:{s:s, s:s, s:s, s:s, s:s}}", "keypair", "name",
		    name, "type", "ssh", "public_key", pub, "fingerprint", fp, "user_id",
		    c->acct->ak));
	}
	free(fp);
	json_decref(root);
	return r == 0 ? 0 : -1;
}

static int
kp_list(struct hw_ctx *c, const char *region)
{
	struct sim_keypair *kp = NULL;
	const char *ls = sim_param(c->req->query, c->req->nquery, "limit");
	const char *marker = sim_param(c->req->query, c->req->nquery, "marker");
	json_t *arr, *page;
	size_t n = 0, i, count = 0;
	long limit = HW_LIMIT_DEFAULT;
	char *end;

	if (ls != NULL) {
		limit = strtol(ls, &end, 10);
		if (end == ls || *end != '\0' || limit < 1 || limit > HW_LIMIT_MAX)
			return hw_error(c, 400, "KPS.0002", "Invalid parameter: limit");
	}
	if (sim_db_keypair_list(c->sim->db, SIM_HUAWEI, c->acct->ak, region, &kp, &n) != 0)
		return hw_error(c, 500, "KPS.0003", "System error");
	arr = json_array();
	page = json_object();
	for (i = 0; i < n; i++) {
		/* Sorted by name: the marker is the last name already seen. */
		if (marker != NULL && *marker != '\0' && strcmp(kp[i].name, marker) <= 0)
			continue;
		if ((long)count == limit) {
			json_object_set_new(page, "next_marker",
			    json_string(kp[i - 1].name));
			break;
		}
		json_array_append_new(arr, json_pack("{s:o}", "keypair",
		    keypair_json(&kp[i], c->acct->ak, 0)));
		count++;
	}
	json_object_set_new(page, "current_count", json_integer((json_int_t)count));
	if (marker != NULL && *marker != '\0')
		json_object_set_new(page, "previous_marker", json_string(marker));
	sim_keypairs_free(kp, n);
	return hw_ok(c, 200, json_pack("{s:o, s:o}", "keypairs", arr, "page_info", page));
}

static int
kp_one(struct hw_ctx *c, const char *region, const char *name)
{
	struct sim_keypair kp;
	const char *names[1];
	char *attached = NULL;
	size_t deleted = 0;
	int r;

	if (strcmp(c->req->method, "GET") == 0) {
		r = sim_db_keypair_get(c->sim->db, SIM_HUAWEI, c->acct->ak, region, name,
		    &kp);
		if (r == HK_ERR_NOT_FOUND)
			return hw_error(c, 404, "KPS.6004", "No Keypair find: %s", name);
		if (r != 0)
			return hw_error(c, 500, "KPS.0003", "System error");
		r = hw_ok(c, 200, json_pack("{s:o}", "keypair",
		    keypair_json(&kp, c->acct->ak, 1)));
		sim_keypair_clear(&kp);
		return r;
	}
	if (strcmp(c->req->method, "DELETE") != 0)
		return hw_error(c, 405, "KPS.0002", "Method not allowed");
	names[0] = name;
	r = sim_db_keypair_delete(c->sim->db, SIM_HUAWEI, c->acct->ak, region, names, 1,
	    &deleted, &attached);
	free(attached);
	if (r != 0)
		return hw_error(c, 500, "KPS.0003", "System error");
	if (deleted == 0)
		return hw_error(c, 404, "KPS.6004", "No Keypair find: %s", name);
	return hw_ok(c, 204, NULL);
}

/* IAM KeystoneListProjects: GET /v3/projects?name=REGION. */
static int
projects(struct hw_ctx *c)
{
	const char *want = sim_param(c->req->query, c->req->nquery, "name");
	json_t *arr = json_array();
	char self[256];
	size_t i;

	for (i = 0; i < c->acct->nprojects; i++) {
		if (want != NULL && strcmp(want, c->acct->projects[i].region) != 0)
			continue;
		/* Every field of the SDK's ProjectResult; a region project's parent is
		 * the account (domain). */
		snprintf(self, sizeof(self), "https://iam.myhuaweicloud.com/v3/projects/%s",
		    c->acct->projects[i].id);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:b,"
		    " s:{s:s}}", "id", c->acct->projects[i].id, "name",
		    c->acct->projects[i].region, "domain_id", c->acct->ak, "parent_id",
		    c->acct->ak, "enabled", 1, "description", "", "is_domain", 0, "links",
		    "self", self));
	}
	return hw_ok(c, 200, json_pack("{s:o, s:{s:s}}", "projects", arr, "links", "self",
	    "https://iam.myhuaweicloud.com/v3/projects"));
}

/* ECS v1: only ShowServerPassword, /v1/{project_id}/cloudservers/{id}/os-server-password. */
static void
route_ecs(struct hw_ctx *c)
{
	const char *region, *pidh;

	c->resp->log_what = "ECS";
	if (c->nseg != 4 || strcmp(c->seg[1], "cloudservers") != 0 ||
	    strcmp(c->seg[3], "os-server-password") != 0) {
		hw_error(c, 404, "APIGW.0101", "The API does not exist or has not been "
		    "published in the environment");
		return;
	}
	if ((region = sim_project_region(c->acct, c->seg[0])) == NULL) {
		hw_error(c, 403, "Ecs.0003", "No permission: project %s does not belong "
		    "to this account", c->seg[0]);
		return;
	}
	if ((pidh = sim_header(c->req, "x-project-id")) != NULL &&
	    strcmp(pidh, c->seg[0]) != 0) {
		hw_error(c, 400, "Ecs.0005", "X-Project-Id does not match the path");
		return;
	}
	sim_huawei_server_password(c->sim, c->acct->ak, region, c->seg[2], c->req, c->resp);
}

static void
route(struct hw_ctx *c)
{
	const char *region, *pidh;

	c->resp->log_what = "KPS";
	if (c->ecs) {
		route_ecs(c);
		return;
	}
	if (c->nseg == 1 && strcmp(c->seg[0], "projects") == 0) {
		c->resp->log_what = "KeystoneListProjects";
		if (strcmp(c->req->method, "GET") != 0)
			hw_error(c, 405, "KPS.0002", "Method not allowed");
		else
			projects(c);
		return;
	}
	if (c->nseg < 2 || c->nseg > 3 || strcmp(c->seg[1], "keypairs") != 0) {
		hw_error(c, 404, "APIGW.0101", "The API does not exist or has not been "
		    "published in the environment");
		return;
	}
	if ((region = sim_project_region(c->acct, c->seg[0])) == NULL) {
		hw_error(c, 403, "KPS.9003", "No permission: project %s does not belong "
		    "to this account", c->seg[0]);
		return;
	}
	if ((pidh = sim_header(c->req, "x-project-id")) != NULL &&
	    strcmp(pidh, c->seg[0]) != 0) {
		hw_error(c, 400, "KPS.0002", "X-Project-Id does not match the path");
		return;
	}
	if (c->nseg == 3) {
		c->resp->log_what = strcmp(c->req->method, "DELETE") == 0 ?
		    "DeleteKeypair" : "ListKeypairDetail";
		kp_one(c, region, c->seg[2]);
	} else if (strcmp(c->req->method, "POST") == 0) {
		c->resp->log_what = "CreateKeypair";
		kp_create(c, region);
	} else if (strcmp(c->req->method, "GET") == 0) {
		c->resp->log_what = "ListKeypairs";
		kp_list(c, region);
	} else
		hw_error(c, 405, "KPS.0002", "Method not allowed");
}

void
sim_huawei_handle(struct sim *sim, struct sim_req *req, struct sim_resp *resp)
{
	struct hw_ctx c;
	char *segs = NULL, *tok, *save = NULL;

	memset(&c, 0, sizeof(c));
	c.sim = sim;
	c.req = req;
	c.resp = resp;
	resp->log_what = "-";
	/* The SDKs take the request id of an error from this header. */
	resp->request_id_header = 1;
	if (hk_urldec(req->path, strlen(req->path), 0, &c.path) != 0) {
		hw_error(&c, 400, "KPS.0002", "Invalid path");
		goto out;
	}
	if (hw_auth(&c) != 0)
		goto out;
	c.ecs = strncmp(c.path, "/v1/", 4) == 0;
	if ((segs = strdup(c.path + 4)) == NULL) {
		hw_error(&c, 500, "KPS.0003", "System error");
		goto out;
	}
	for (tok = strtok_r(segs, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save)) {
		if (c.nseg == sizeof(c.seg) / sizeof(c.seg[0])) {
			c.nseg = 0;
			break;
		}
		c.seg[c.nseg++] = tok;
	}
	route(&c);
 out:
	free(segs);
	free(c.path);
}
