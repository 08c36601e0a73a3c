/* Huawei Cloud KPS key pairs (v3), the whole provider: its registry row,
 * capabilities, credentials (HUAWEICLOUD_SDK_*) and POST/GET/DELETE
 * /v3/{project_id}/keypairs over the shared request layer, signed with
 * SDK-HMAC-SHA256. The project id of each region comes from
 * HUAWEICLOUD_SDK_PROJECT_ID (one region) or IAM GET /v3/projects?name=REGION,
 * resolved once per region while the requests that need it wait. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cloud_int.h"
#include "err.h"
#include "http.h"
#include "sign.h"

/* ---- capabilities (reference/cloud-apis.md §1, §5) ---- */

static const unsigned int hw_rsa_bits[] = { 2048, 3072, 4096, 0 };

/* KPS user guide: SSH-DSS, SSH-ED25519, ECDSA P-256/384/521, RSA 2048/3072/4096. */
static const struct hk_cloud_keycap hw_keys[] = {
	{ HK_KEY_RSA, HK_CURVE_NONE, hw_rsa_bits, "rsa-2048/3072/4096" },
	{ HK_KEY_DSA, HK_CURVE_NONE, NULL, "dsa" },
	{ HK_KEY_ECDSA, HK_CURVE_P256, NULL, "ecdsa-p256" },
	{ HK_KEY_ECDSA, HK_CURVE_P384, NULL, "ecdsa-p384" },
	{ HK_KEY_ECDSA, HK_CURVE_P521, NULL, "ecdsa-p521" },
	{ HK_KEY_ED25519, HK_CURVE_NONE, NULL, "ed25519" },
	{ HK_KEY_UNSPEC, HK_CURVE_NONE, NULL, NULL },
};

/* KpsRegion of the Huawei Cloud SDKs: KPS has no region-listing call. */
static const char *const hw_region_list[] = {
	"af-south-1", "cn-north-4", "cn-north-1", "cn-east-2", "cn-east-3",
	"cn-south-1", "cn-southwest-2", "ap-southeast-2", "ap-southeast-1",
	"ap-southeast-3", "cn-north-2", "cn-south-2", "na-mexico-1", "la-north-2",
	"la-south-2", "sa-brazil-1", "cn-north-9", "tr-west-1", "ap-southeast-4",
	"me-east-1", NULL,
};

static const struct hk_cloud_caps hw_caps = {
	.provider = "huawei",
	.title = "Huawei Cloud KPS",
	.keys = hw_keys,
	.suggest = "use an ed25519, ecdsa-p256 or rsa-2048/3072/4096 key",
	.name = {
		.min = 1, .max = 64,
		.first = "",
		.allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_-",
		.allow_utf8 = 0,
		.forbidden_prefixes = NULL,
		.text = "1-64 bytes: letters, digits, '_', '-'",
	},
	.fp = HK_FP_HUAWEI,
	.list_page_max = 50,
	.delete_batch_max = 1,
	.attach_batch_max = 1,
	.quota_per_region = 0,
	.regions = hw_region_list,
};

/* Named only to say where the credentials come from instead. */
static const struct hk_cloud_setting_def hw_settings[] = {
	{ "profile", NULL, NULL, "--profile is for the aliyun CLI's config.json; "
	    "Huawei credentials come from HUAWEICLOUD_SDK_AK/SK" },
	{ NULL, NULL, NULL, NULL },
};

static int
hw_creds(const struct hk_cloud_settings *s, struct hk_creds **credsp)
{
	static const struct hk_creds_env env = { "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK",
	    "HUAWEICLOUD_SDK_SECURITY_TOKEN", "HUAWEICLOUD_SDK_PROJECT_ID" };
	int r;

	(void)s;
	if ((r = hk_creds_from_env(&env, credsp)) == HK_ERR_NOT_FOUND)
		r = hk_errf(HK_ERR_CREDENTIALS, "no Huawei Cloud credentials: set "
		    "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK");
	return r;
}

/* ---- projects: one per region, resolved once ---- */

enum hw_op {
	HW_PROJECT,
	HW_IMPORT,
	HW_GET,			/* one pair by name */
	HW_LIST,		/* every pair, paged by marker */
	HW_DELETE,
	HW_REGIONS,		/* IAM: every project of the account, named by region */
	HW_PASSWORD,		/* ECS ShowServerPassword: a Windows instance's password */
	HW_NOPS
};

enum { PROJ_PENDING = 1, PROJ_OK, PROJ_FAILED };

struct hw_proj {
	char *region;
	char *id;
	int state;
	struct hk_error error;
	struct hk_http_req *waiters;
	struct hw_proj *next;
};

struct hw_ctx {
	struct hw_proj *projs;
};

static int
hw_open(struct hk_cloud *c, void **ctxp)
{
	struct hw_ctx *ctx;

	*ctxp = NULL;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return HK_ERR_ALLOC;
	(void)c;
	*ctxp = ctx;
	return 0;
}

static void
hw_close(void *arg)
{
	struct hw_ctx *ctx = arg;
	struct hw_proj *p, *next;

	for (p = ctx->projs; p != NULL; p = next) {
		next = p->next;
		free(p->region);
		free(p->id);
		free(p);
	}
	free(ctx);
}

static struct hw_proj *
proj_find(struct hw_ctx *ctx, const char *region)
{
	struct hw_proj *p;

	for (p = ctx->projs; p != NULL; p = p->next)
		if (strcmp(p->region, region) == 0)
			return p;
	return NULL;
}

static struct hw_proj *
proj_add(struct hw_ctx *ctx, const char *region, const char *id)
{
	struct hw_proj *p;

	if ((p = calloc(1, sizeof(*p))) == NULL || (p->region = strdup(region)) == NULL ||
	    (id != NULL && (p->id = strdup(id)) == NULL)) {
		if (p != NULL)
			free(p->region);
		free(p);
		return NULL;
	}
	p->state = id != NULL ? PROJ_OK : PROJ_PENDING;
	p->next = ctx->projs;
	ctx->projs = p;
	return p;
}

/* ---- requests: endpoint, signer, the error envelope ---- */

static char *
hw_endpoint(const struct hk_http_req *q)
{
	char *url = NULL;

	if (q->code == HW_PROJECT || q->code == HW_REGIONS)
		return strdup("https://iam.myhuaweicloud.com");
	if (q->code == HW_PASSWORD)
		return asprintf(&url, "https://ecs.%s.myhuaweicloud.com", q->region) < 0 ?
		    NULL : url;
	return asprintf(&url, "https://kms.%s.myhuaweicloud.com", q->region) < 0 ? NULL : url;
}

static int
hw_sign(const struct hk_http_req *q, const char *base, struct hk_http_msg *msg)
{
	const struct hk_creds *cr = q->c->creds;
	const struct hw_proj *proj = q->data;
	struct hk_header h[6];
	char date[32], *host = NULL, *canon = NULL, *auth = NULL;
	const char *ctype = q->body != NULL ? "application/json;charset=UTF-8" :
	    "application/json";
	size_t nh = 0, i;
	int r;

	hk_cloud_utc(date, sizeof(date), HK_UTC_BASIC);
	if ((host = hk_cloud_url_host(base)) == NULL)
		return HK_ERR_ALLOC;
	h[nh++] = (struct hk_header){ "Content-Type", ctype };
	h[nh++] = (struct hk_header){ "Host", host };
	if (q->code != HW_PROJECT && q->code != HW_REGIONS)
		h[nh++] = (struct hk_header){ "X-Project-Id", proj->id };
	h[nh++] = (struct hk_header){ "X-Sdk-Date", date };
	if (cr->token != NULL)
		h[nh++] = (struct hk_header){ "X-Security-Token", hk_secret_str(cr->token) };
	if ((r = hk_sign_canonical_query(q->params, q->nparams, &canon)) != 0 ||
	    (r = hk_sign_huawei(q->op->method, q->path, q->params, q->nparams, h, nh,
	    q->body, q->body != NULL ? strlen(q->body) : 0, cr->access_key_id,
	    hk_secret_str(cr->secret), &auth)) != 0)
		goto out;
	msg->method = q->op->method;
	/* The path segments are [A-Za-z0-9_-] (name rule) or hex project ids. */
	if ((canon[0] != '\0' ? asprintf(&msg->url, "%s%s?%s", base, q->path, canon) :
	    asprintf(&msg->url, "%s%s", base, q->path)) < 0) {
		msg->url = NULL;
		r = HK_ERR_ALLOC;
		goto out;
	}
	if (q->body != NULL) {
		if ((msg->body = strdup(q->body)) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		msg->body_len = strlen(msg->body);
	}
	for (i = 0; i < nh; i++) {
		if (strcmp(h[i].name, "Host") == 0)	/* curl writes it */
			continue;
		if ((r = hk_http_msg_header(msg, "%s: %s", h[i].name, h[i].value)) != 0)
			goto out;
	}
	r = hk_http_msg_header(msg, "Authorization: %s", auth);
 out:
	free(host);
	free(canon);
	if (auth != NULL)
		hk_freezero(auth, strlen(auth));
	return r;
}

/* {"error_code","error_msg","request_id"}, sometimes nested under "error". */
static void
hw_parse_error(const struct hk_http_req *q, const struct hk_http_response *resp,
    struct hk_error *e)
{
	json_t *j = hk_cloud_json(resp), *o;
	const char *code, *msg, *rid;
	int err = HK_ERR_CLOUD;

	(void)q;
	o = json_is_object(json_object_get(j, "error")) ? json_object_get(j, "error") : j;
	code = hk_cloud_jstr(o, "error_code");
	if (code == NULL)
		code = hk_cloud_jstr(o, "code");
	msg = hk_cloud_jstr(o, "error_msg");
	if (msg == NULL)
		msg = hk_cloud_jstr(o, "message");
	rid = hk_cloud_jstr(j, "request_id");
	if (code == NULL)
		code = "";
	if (resp->status == 429 || strcmp(code, "APIGW.0308") == 0)
		err = HK_ERR_THROTTLED;
	else if (resp->status == 401 || strncmp(code, "APIGW.03", 8) == 0 ||
	    strcmp(code, "KPS.9001") == 0 || strcmp(code, "KPS.9003") == 0 ||
	    resp->status == 403)
		err = HK_ERR_CLOUD_AUTH;
	else if (resp->status == 404 || strcmp(code, "KPS.4016") == 0 ||
	    strcmp(code, "KPS.6004") == 0)
		err = HK_ERR_CLOUD_NOT_FOUND;
	else if (resp->status == 409 || (msg != NULL && strstr(msg, "already exist") != NULL))
		err = HK_ERR_CLOUD_EXISTS;
	else if (msg != NULL && strstr(msg, "quota") != NULL)
		err = HK_ERR_CLOUD_QUOTA;
	else if (strcmp(code, "KPS.0002") == 0 && msg != NULL && strstr(msg, "public_key") != NULL)
		err = HK_ERR_CLOUD_UNSUPPORTED;
	else if (strcmp(code, "KPS.0002") == 0 && msg != NULL && strstr(msg, "name") != NULL)
		err = HK_ERR_CLOUD_NAME;
	else if (code[0] == '\0' && resp->status < 500)
		err = HK_ERR_CLOUD_RESPONSE;
	hk_cloud_error_provider(e, err, resp->status, code,
	    msg != NULL ? msg : (j == NULL ? "response is not JSON" : NULL), rid);
	json_decref(j);
}

static const struct hk_http_service hw_service = {
	.endpoint = hw_endpoint,
	.sign = hw_sign,
	.parse_error = hw_parse_error,
};

/* ---- replies ---- */

static json_t *
hw_json(struct hk_http_req *q, const struct hk_http_response *resp)
{
	json_t *j;

	if ((j = hk_cloud_json(resp)) == NULL) {
		hk_cloud_error_provider(&q->reply.error, HK_ERR_CLOUD_RESPONSE, resp->status,
		    NULL, "response is not JSON", NULL);
		return NULL;
	}
	/* A 2xx carrying the error envelope is the provider's error. */
	if (hk_cloud_jstr(j, "error_code") != NULL ||
	    json_is_object(json_object_get(j, "error"))) {
		hw_parse_error(q, resp, &q->reply.error);
		if (q->reply.error.code == 0)
			q->reply.error.code = HK_ERR_CLOUD;
		json_decref(j);
		return NULL;
	}
	return j;
}

static int
keypair_from(json_t *o, struct hk_cloud_keypair *kp)
{
	memset(kp, 0, sizeof(*kp));
	kp->name = hk_cloud_jdup(o, "name");
	kp->fingerprint = hk_cloud_jdup(o, "fingerprint");
	kp->public_key = hk_cloud_jdup(o, "public_key");
	kp->created = hk_cloud_jdup(o, "create_time");
	if (kp->created == NULL && json_is_integer(json_object_get(o, "create_time")) &&
	    asprintf(&kp->created, "%lld", (long long)json_integer_value(
	    json_object_get(o, "create_time"))) < 0)
		kp->created = NULL;
	return kp->name != NULL ? 0 : HK_ERR_CLOUD_RESPONSE;
}

static int
parse_project(struct hk_http_req *q, const struct hk_http_response *resp)
{
	struct hw_proj *p = q->data;
	const char *id;
	json_t *j;
	int r = 0;

	if ((j = hw_json(q, resp)) == NULL)
		return HK_ERR_CLOUD_RESPONSE;
	id = hk_cloud_jstr(json_array_get(json_object_get(j, "projects"), 0), "id");
	if (id == NULL)
		hk_cloud_error_provider(&q->reply.error, HK_ERR_CLOUD_REGION, resp->status,
		    NULL, "IAM lists no project for this region", NULL);
	else if ((p->id = strdup(id)) == NULL)
		r = HK_ERR_ALLOC;
	json_decref(j);
	return r;
}

static int
parse_import(struct hk_http_req *q, const struct hk_http_response *resp)
{
	json_t *j;

	if ((j = hw_json(q, resp)) == NULL)
		return HK_ERR_CLOUD_RESPONSE;
	q->reply.fingerprint = hk_cloud_jdup(json_object_get(j, "keypair"), "fingerprint");
	json_decref(j);
	return 0;
}

static int
parse_get(struct hk_http_req *q, const struct hk_http_response *resp)
{
	json_t *j;
	int r;

	if ((j = hw_json(q, resp)) == NULL)
		return HK_ERR_CLOUD_RESPONSE;
	if ((q->reply.pairs = calloc(1, sizeof(*q->reply.pairs))) == NULL)
		r = HK_ERR_ALLOC;
	else if ((r = keypair_from(json_object_get(j, "keypair"), q->reply.pairs)) == 0)
		q->reply.npairs = 1;
	else
		hk_cloud_keypair_clear(q->reply.pairs);
	json_decref(j);
	return r;
}

/* A page of GET /keypairs; the next marker and HK_HTTP_MORE when there is more. */
static int
parse_list(struct hk_http_req *q, const struct hk_http_response *resp)
{
	json_t *j, *list, *it;
	const char *next;
	struct hk_cloud_keypair *kp;
	size_t i, n;
	int r = 0;

	if ((j = hw_json(q, resp)) == NULL)
		return HK_ERR_CLOUD_RESPONSE;
	list = json_object_get(j, "keypairs");
	next = hk_cloud_jstr(json_object_get(j, "page_info"), "next_marker");
	if ((n = json_array_size(list)) > 0) {
		if ((kp = realloc(q->reply.pairs, (q->reply.npairs + n) * sizeof(*kp))) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		q->reply.pairs = kp;
		json_array_foreach(list, i, it) {
			json_t *o = json_object_get(it, "keypair");

			if ((r = keypair_from(o != NULL ? o : it,
			    &q->reply.pairs[q->reply.npairs])) != 0) {
				hk_cloud_keypair_clear(&q->reply.pairs[q->reply.npairs]);
				goto out;
			}
			q->reply.npairs++;
		}
	}
	if (n > 0 && next != NULL && *next != '\0' &&
	    (r = hk_http_req_param(q, "marker", next)) == 0)
		r = HK_HTTP_MORE;
 out:
	json_decref(j);
	return r;
}

/*
 * IAM's project list: one project per region the account uses, named by the
 * region ("cn-north-4"); sub-projects ("cn-north-4_dev") and the global
 * "MOS" are not regions. The ids are kept, so no per-region lookup follows.
 */
static int
parse_regions(struct hk_http_req *q, const struct hk_http_response *resp)
{
	struct hw_ctx *ctx = q->c->ctx;
	json_t *j, *list, *it;
	size_t i, k = 0;
	int r = 0;

	if ((j = hw_json(q, resp)) == NULL)
		return HK_ERR_CLOUD_RESPONSE;
	list = json_object_get(j, "projects");
	if ((q->reply.regions = calloc(json_array_size(list) + 1, sizeof(char *))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	json_array_foreach(list, i, it) {
		const char *name = hk_cloud_jstr(it, "name"), *id = hk_cloud_jstr(it, "id");

		if (name == NULL || id == NULL || strchr(name, '_') != NULL ||
		    strcmp(name, "MOS") == 0)
			continue;
		if ((q->reply.regions[k] = strdup(name)) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		q->reply.nregions = ++k;
		if (proj_find(ctx, name) == NULL && proj_add(ctx, name, id) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
	}
 out:
	json_decref(j);
	return r;
}

/* {"password": "<base64>"}: required, "" until the instance has set it. */
static int
parse_password(struct hk_http_req *q, const struct hk_http_response *resp)
{
	const char *pw;
	json_t *j;
	int r = 0;

	if ((j = hw_json(q, resp)) == NULL)
		return HK_ERR_CLOUD_RESPONSE;
	if ((pw = hk_cloud_jstr(j, "password")) == NULL)
		hk_cloud_error_provider(&q->reply.error, HK_ERR_CLOUD_RESPONSE, resp->status,
		    NULL, "ShowServerPassword answer without a \"password\" string", NULL);
	else if ((q->reply.password = strdup(pw)) == NULL)
		r = HK_ERR_ALLOC;
	json_decref(j);
	return r;
}

/* Only the import changes state in a way a resend could repeat. */
static const struct hk_http_op hw_ops[HW_NOPS] = {
	[HW_PROJECT] = { "KPS", "GET", 1, 0, parse_project },
	[HW_IMPORT] = { "KPS", "POST", 0, 0, parse_import },
	[HW_GET] = { "KPS", "GET", 1, 1, parse_get },
	[HW_LIST] = { "KPS", "GET", 1, 0, parse_list },
	[HW_DELETE] = { "KPS", "DELETE", 1, 1, NULL },
	[HW_REGIONS] = { "KPS", "GET", 1, 0, parse_regions },
	[HW_PASSWORD] = { "ShowServerPassword", "GET", 1, 0, parse_password },
};

int
hk_cloud_huawei_parse(unsigned int op, long status, const char *body, size_t len,
    struct hk_cloud_reply *reply)
{
	/* Project and region answers need a session; the key-pair ones do not. */
	static const enum hw_op ops[] = { HW_IMPORT, HW_GET, HW_LIST, HW_DELETE,
	    HW_PASSWORD };
	struct hk_http_response resp;
	struct hk_http_req *q = NULL;
	struct hk_cloud_cb cb = { NULL, NULL, NULL };
	int r;

	memset(reply, 0, sizeof(*reply));
	if ((r = hk_http_req_new(NULL, &hw_service, hw_ops,
	    ops[op % (sizeof(ops) / sizeof(ops[0]))], NULL, &cb, &q)) != 0)
		return r;
	memset(&resp, 0, sizeof(resp));
	resp.status = status;
	resp.body = body;
	resp.body_len = len;
	resp.attempt = 1;
	resp.sent = 1;
	hk_http_req_parse(q, &resp);
	*reply = q->reply;
	memset(&q->reply, 0, sizeof(q->reply));
	hk_http_req_free(q);
	return 0;
}

/* ---- operations: each waits for its region's project id ---- */

/* q's path, now that its project id is known; then send it (q stays the caller's on failure). */
static int
hw_send(struct hk_http_req *q)
{
	const struct hw_proj *p = q->data;
	int n;

	free(q->path);
	if (q->code == HW_PASSWORD)
		n = asprintf(&q->path, "/v1/%s/cloudservers/%s/os-server-password", p->id,
		    q->target);
	else if (q->target != NULL && q->code != HW_IMPORT)
		n = asprintf(&q->path, "/v3/%s/keypairs/%s", p->id, q->target);
	else
		n = asprintf(&q->path, "/v3/%s/keypairs", p->id);
	if (n < 0) {
		q->path = NULL;
		return HK_ERR_ALLOC;
	}
	return hk_http_req_submit(q);
}

/* Release the requests that waited for a project id (inside the run loop). */
static void
proj_resolved(struct hw_proj *p)
{
	struct hk_http_req *q, *next;
	struct hk_error e;
	int r;

	q = p->waiters;
	p->waiters = NULL;
	for (; q != NULL; q = next) {
		next = q->next;
		q->next = NULL;
		if (p->state == PROJ_FAILED)
			hk_http_req_finish(q, &p->error);
		else if ((r = hw_send(q)) != 0) {
			hk_error_take(&e, r);
			hk_http_req_finish(q, &e);
		}
	}
}

static void
on_project(void *arg, const struct hk_cloud_reply *reply)
{
	struct hw_proj *p = arg;

	hk_error_copy(&p->error, &reply->error);
	if (p->error.code != 0 && p->error.code != HK_ERR_CLOUD_REGION) {
		size_t n = strlen(p->error.message);

		snprintf(p->error.message + n, sizeof(p->error.message) - n,
		    " (resolving the project of %s)", p->region);
	}
	p->state = p->error.code == 0 ? PROJ_OK : PROJ_FAILED;
	proj_resolved(p);
}

/* Ask IAM for the project of p's region. */
static int
proj_lookup(struct hk_cloud *c, struct hw_proj *p)
{
	struct hk_cloud_cb cb = { on_project, NULL, p };
	struct hk_http_req *pq;
	int r;

	if ((r = hk_http_req_new(c, &hw_service, hw_ops, HW_PROJECT, p->region, &cb, &pq)) != 0)
		return r;
	pq->data = p;
	if ((r = hk_http_req_param(pq, "name", p->region)) == 0 &&
	    (r = (pq->path = strdup("/v3/projects")) != NULL ? 0 : HK_ERR_ALLOC) == 0 &&
	    (r = hk_http_req_submit(pq)) == 0)
		return 0;
	hk_http_req_free(pq);
	return r;
}

/* Send q once its region's project id is known. On failure q is freed. */
static int
hw_start(struct hk_http_req *q)
{
	struct hk_cloud *c = q->c;
	struct hw_ctx *ctx = c->ctx;
	struct hw_proj *p;
	int r;

	if ((p = proj_find(ctx, q->region)) == NULL) {
		/* The configured project id stands for the one region asked for. */
		if ((p = proj_add(ctx, q->region, c->creds->project_id != NULL &&
		    c->opts.nregions_hint == 1 ? c->creds->project_id : NULL)) == NULL) {
			hk_http_req_free(q);
			return HK_ERR_ALLOC;
		}
		if (p->state == PROJ_PENDING && (r = proj_lookup(c, p)) != 0) {
			p->state = PROJ_FAILED;
			hk_error_take(&p->error, r);
			hk_http_req_free(q);
			return hk_error_raise(&p->error);
		}
	}
	q->data = p;
	switch (p->state) {
	case PROJ_OK:
		r = hw_send(q);
		break;
	case PROJ_FAILED:
		/* Answered from the run loop like every other outcome. */
		r = hk_http_req_fail(q, &p->error);
		break;
	default:
		q->next = p->waiters;
		p->waiters = q;
		return 0;
	}
	if (r != 0)
		hk_http_req_free(q);
	return r;
}

static int
req_new(struct hk_cloud *c, enum hw_op op, const char *region, const char *name,
    const struct hk_cloud_cb *cb, struct hk_http_req **qp)
{
	int r;

	if ((r = hk_http_req_new(c, &hw_service, hw_ops, op, region, cb, qp)) != 0)
		return r;
	if (name != NULL && ((*qp)->target = strdup(name)) == NULL) {
		hk_http_req_free(*qp);
		*qp = NULL;
		return HK_ERR_ALLOC;
	}
	return 0;
}

static int
hw_import(struct hk_cloud *c, const char *region, const char *name,
    const char *public_key, const struct hk_cloud_cb *cb)
{
	struct hk_http_req *q;
	json_t *doc;
	int r;

	if ((r = req_new(c, HW_IMPORT, region, name, cb, &q)) != 0)
		return r;
	doc = json_pack("{s:{s:s,s:s,s:s}}", "keypair", "name", name, "type", "ssh",
	    "public_key", public_key);
	if (doc == NULL || (q->body = json_dumps(doc, JSON_COMPACT)) == NULL) {
		json_decref(doc);
		hk_http_req_free(q);
		return HK_ERR_ALLOC;
	}
	json_decref(doc);
	return hw_start(q);
}

static int
hw_describe(struct hk_cloud *c, const char *region, const char *name,
    const struct hk_cloud_cb *cb)
{
	struct hk_http_req *q;
	int r;

	if ((r = req_new(c, name != NULL ? HW_GET : HW_LIST, region, name, cb, &q)) != 0)
		return r;
	if (name == NULL && (r = hk_http_req_param(q, "limit", "50")) != 0) {
		hk_http_req_free(q);
		return r;
	}
	return hw_start(q);
}

static int
hw_delete(struct hk_cloud *c, const char *region, const char *const *names,
    size_t nnames, const struct hk_cloud_cb *cb)
{
	struct hk_http_req *q;
	int r;

	if (nnames != 1)
		return hk_errf(HK_ERR_INTERNAL, "KPS deletes one key pair per call");
	if ((r = req_new(c, HW_DELETE, region, names[0], cb, &q)) != 0)
		return r;
	return hw_start(q);
}

static int
hw_regions(struct hk_cloud *c, const struct hk_cloud_cb *cb)
{
	struct hk_http_req *q;
	int r;

	if ((r = req_new(c, HW_REGIONS, NULL, NULL, cb, &q)) != 0)
		return r;
	if ((q->path = strdup("/v3/projects")) == NULL)
		r = HK_ERR_ALLOC;
	else if ((r = hk_http_req_submit(q)) == 0)
		return 0;
	hk_http_req_free(q);
	return r;
}

static int
hw_password(struct hk_cloud *c, const char *region, const char *instance,
    const struct hk_cloud_cb *cb)
{
	struct hk_http_req *q;
	int r;

	if ((r = req_new(c, HW_PASSWORD, region, instance, cb, &q)) != 0)
		return r;
	return hw_start(q);
}

static const struct hk_cloud_impl hw_impl = {
	.open = hw_open,
	.close = hw_close,
	.import_keypair = hw_import,
	.describe_keypairs = hw_describe,
	.delete_keypairs = hw_delete,
	.attach_keypair = NULL,
	.detach_keypair = NULL,
	.list_regions = hw_regions,
	.server_password = hw_password,
};

const struct hk_cloud_provider hk_cloud_huawei = {
	.name = "huawei",
	.title = "Huawei Cloud KPS",
	.impl = &hw_impl,
	.caps = &hw_caps,
	.creds_load = hw_creds,
	.settings = hw_settings,
};
