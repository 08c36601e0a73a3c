/* Huawei Cloud KPS key pairs (v3): POST/GET/DELETE /v3/{project_id}/keypairs,
 * signed with SDK-HMAC-SHA256. The project id of each region comes from
 * HUAWEICLOUD_SDK_PROJECT_ID (one region) or IAM GET /v3/projects?name=REGION,
 * resolved once per region while the requests that need it wait. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cloud_int.h"
#include "err.h"
#include "sign.h"

enum hw_op {
	HW_PROJECT,
	HW_IMPORT,
	HW_GET,			/* one pair by name */
	HW_LIST,		/* every pair, paged by marker */
	HW_DELETE,
	HW_REGIONS,		/* IAM: every project of the account, named by region */
};

struct hw_proj;

struct hw_req {
	struct hk_cloud *c;
	enum hw_op op;
	char *region;
	char *name;			/* pair name (import, get, delete) */
	char *body;			/* import JSON */
	char *marker;			/* list paging */
	struct hw_proj *proj;
	struct hk_cloud_reply reply;
	hk_cloud_cb *cb;
	void *arg;
	struct hw_req *next_waiter;
};

enum { PROJ_PENDING = 1, PROJ_OK, PROJ_FAILED };

struct hw_proj {
	char *region;
	char *id;
	int state;
	struct hk_cloud_error error;
	struct hw_req *waiters;
	struct hw_proj *next;
};

struct hw_ctx {
	struct hw_proj *projs;
};

static int hw_submit(struct hw_req *q);

static void
req_free(struct hw_req *q)
{
	if (q == NULL)
		return;
	free(q->region);
	free(q->name);
	if (q->body != NULL)
		hk_freezero(q->body, strlen(q->body));
	free(q->marker);
	hk_cloud_reply_clear(&q->reply);
	free(q);
}

static void
deliver(struct hw_req *q)
{
	q->cb(q->arg, &q->reply);
	req_free(q);
}

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

static char *
hw_base(const struct hw_req *q)
{
	char *url = NULL;

	if (q->c->endpoint != NULL)
		return strdup(q->c->endpoint);
	if (q->op == HW_PROJECT || q->op == HW_REGIONS)
		return strdup("https://iam.myhuaweicloud.com");
	return asprintf(&url, "https://kms.%s.myhuaweicloud.com", q->region) < 0 ? NULL : url;
}

static int
hw_build(void *arg, struct hk_http_msg *msg)
{
	struct hw_req *q = arg;
	const struct hk_creds *cr = q->c->creds;
	struct hk_param query[2];
	struct hk_header h[6];
	struct hk_buf *path = NULL;
	char date[32], *base = NULL, *host = NULL, *canon = NULL, *auth = NULL, *p = NULL;
	const char *method = "GET", *ctype = "application/json";
	size_t nq = 0, nh = 0, i;
	int r;

	hk_cloud_utc(date, sizeof(date), HK_UTC_BASIC);
	if ((path = hk_buf_new()) == NULL || (base = hw_base(q)) == NULL ||
	    (host = hk_cloud_url_host(base)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if (q->op == HW_PROJECT || q->op == HW_REGIONS) {
		r = hk_buf_putf(path, "/v3/projects");
		if (q->op == HW_PROJECT)
			query[nq++] = (struct hk_param){ "name", q->region };
	} else {
		r = hk_buf_putf(path, "/v3/%s/keypairs", q->proj->id);
		if (r == 0 && q->name != NULL && q->op != HW_IMPORT)
			r = hk_buf_putf(path, "/%s", q->name);
	}
	if (r != 0 || (p = hk_buf_dup_string(path)) == NULL) {
		r = r != 0 ? r : HK_ERR_ALLOC;
		goto out;
	}
	if (q->op == HW_LIST) {
		query[nq++] = (struct hk_param){ "limit", "50" };
		if (q->marker != NULL)
			query[nq++] = (struct hk_param){ "marker", q->marker };
	}
	if (q->op == HW_IMPORT) {
		method = "POST";
		ctype = "application/json;charset=UTF-8";
	} else if (q->op == HW_DELETE)
		method = "DELETE";
	h[nh++] = (struct hk_header){ "Content-Type", ctype };
	h[nh++] = (struct hk_header){ "Host", host };
	if (q->op != HW_PROJECT && q->op != HW_REGIONS)
		h[nh++] = (struct hk_header){ "X-Project-Id", q->proj->id };
	h[nh++] = (struct hk_header){ "X-Sdk-Date", date };
	if (cr->token != NULL)
		h[nh++] = (struct hk_header){ "X-Security-Token", hk_secret_str(cr->token) };
	if ((r = hk_sign_canonical_query(query, nq, &canon)) != 0 ||
	    (r = hk_sign_huawei(method, p, query, nq, h, nh, q->body,
	    q->body != NULL ? strlen(q->body) : 0, cr->access_key_id,
	    hk_secret_str(cr->secret), &auth)) != 0)
		goto out;
	msg->method = method;
	/* The path segments are [A-Za-z0-9_-] (name rule) or hex project ids. */
	if (asprintf(&msg->url, "%s%s%s%s", base, p, canon[0] != '\0' ? "?" : "", canon) < 0) {
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
	hk_buf_free(path);
	free(base);
	free(host);
	free(canon);
	free(p);
	if (auth != NULL)
		hk_freezero(auth, strlen(auth));
	return r;
}

/* {"error_code","error_msg","request_id"}, sometimes nested under "error". */
static void
parse_error(const struct hk_http_response *resp, struct hk_cloud_error *e)
{
	json_t *j = hk_cloud_json(resp), *o;
	const char *code, *msg, *rid;
	int err = HK_ERR_CLOUD;

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

static enum hk_http_verdict
hw_classify(void *arg, const struct hk_http_response *resp)
{
	struct hw_req *q = arg;
	struct hk_cloud_error e;

	if (resp->err != 0) {
		if (q->op == HW_IMPORT && resp->sent)
			return HK_HTTP_DONE;	/* the engine checks before resending */
		return resp->err == HK_ERR_TLS ? HK_HTTP_DONE : HK_HTTP_RETRY;
	}
	if (resp->status >= 200 && resp->status < 300)
		return HK_HTTP_DONE;
	parse_error(resp, &e);
	if (e.err == HK_ERR_THROTTLED)
		return HK_HTTP_RETRY;
	if (resp->status >= 500 && q->op != HW_IMPORT)
		return HK_HTTP_RETRY;
	return HK_HTTP_DONE;
}

static int
keypair_from(json_t *o, struct hk_cloud_keypair *kp)
{
	memset(kp, 0, sizeof(*kp));
	kp->name = hk_cloud_strdup(hk_cloud_jstr(o, "name"));
	kp->fingerprint = hk_cloud_strdup(hk_cloud_jstr(o, "fingerprint"));
	kp->public_key = hk_cloud_strdup(hk_cloud_jstr(o, "public_key"));
	kp->created = hk_cloud_strdup(hk_cloud_jstr(o, "create_time"));
	if (kp->created == NULL && json_is_integer(json_object_get(o, "create_time")) &&
	    asprintf(&kp->created, "%lld", (long long)json_integer_value(
	    json_object_get(o, "create_time"))) < 0)
		kp->created = NULL;
	return kp->name != NULL ? 0 : HK_ERR_CLOUD_RESPONSE;
}

/* A page of GET /keypairs; sets q->marker and returns 1 when there is more. */
static int
parse_list(struct hw_req *q, json_t *j)
{
	json_t *list = json_object_get(j, "keypairs"), *it;
	const char *next = hk_cloud_jstr(json_object_get(j, "page_info"), "next_marker");
	struct hk_cloud_keypair *kp;
	size_t i, n = json_array_size(list);
	int r;

	if (n > 0) {
		if ((kp = realloc(q->reply.pairs, (q->reply.npairs + n) * sizeof(*kp))) == NULL)
			return HK_ERR_ALLOC;
		q->reply.pairs = kp;
		json_array_foreach(list, i, it) {
			json_t *o = json_object_get(it, "keypair");

			if ((r = keypair_from(o != NULL ? o : it,
			    &q->reply.pairs[q->reply.npairs])) != 0) {
				hk_cloud_keypair_clear(&q->reply.pairs[q->reply.npairs]);
				return r;
			}
			q->reply.npairs++;
		}
	}
	free(q->marker);
	q->marker = NULL;
	if (n == 0 || next == NULL || *next == '\0')
		return 0;
	if ((q->marker = strdup(next)) == NULL)
		return HK_ERR_ALLOC;
	return 1;
}

static void proj_resolved(struct hw_proj *p);

/*
 * IAM's project list: one project per region the account uses, named by the
 * region ("cn-north-4"); sub-projects ("cn-north-4_dev") and the global
 * "MOS" are not regions. The ids are kept, so no per-region lookup follows.
 */
static int
parse_regions(struct hw_req *q, json_t *j)
{
	struct hw_ctx *ctx = q->c->ctx;
	json_t *list = json_object_get(j, "projects"), *it;
	struct hw_proj *p;
	size_t i, k = 0;

	if ((q->reply.regions = calloc(json_array_size(list) + 1, sizeof(char *))) == NULL)
		return HK_ERR_ALLOC;
	json_array_foreach(list, i, it) {
		const char *name = hk_cloud_jstr(it, "name"), *id = hk_cloud_jstr(it, "id");

		if (name == NULL || id == NULL || strchr(name, '_') != NULL ||
		    strcmp(name, "MOS") == 0)
			continue;
		if ((q->reply.regions[k] = strdup(name)) == NULL)
			return HK_ERR_ALLOC;
		k++;
		q->reply.nregions = k;
		for (p = ctx->projs; p != NULL; p = p->next)
			if (strcmp(p->region, name) == 0)
				break;
		if (p != NULL)
			continue;
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return HK_ERR_ALLOC;
		if ((p->region = strdup(name)) == NULL || (p->id = strdup(id)) == NULL) {
			free(p->region);
			free(p);
			return HK_ERR_ALLOC;
		}
		p->state = PROJ_OK;
		p->next = ctx->projs;
		ctx->projs = p;
	}
	return 0;
}

/* Fill q->reply (or q->proj) from one answer; 1 when the list has another page. */
static int
hw_parse(struct hw_req *q, const struct hk_http_response *resp)
{
	json_t *j = NULL, *o;
	int r = 0, more = 0;

	if (resp->err != 0) {
		hk_cloud_error_transport(&q->reply.error, resp);
		return 0;
	}
	if (resp->status < 200 || resp->status >= 300) {
		parse_error(resp, &q->reply.error);
		/* Absent is an answer, not an error, for a lookup or a delete. */
		if ((q->op == HW_GET || q->op == HW_DELETE) &&
		    q->reply.error.err == HK_ERR_CLOUD_NOT_FOUND)
			memset(&q->reply.error, 0, sizeof(q->reply.error));
		return 0;
	}
	if (q->op == HW_DELETE)
		return 0;
	if ((j = hk_cloud_json(resp)) == NULL) {
		hk_cloud_error_provider(&q->reply.error, HK_ERR_CLOUD_RESPONSE, resp->status,
		    NULL, "response is not JSON", NULL);
		return 0;
	}
	switch (q->op) {
	case HW_PROJECT: {
		json_t *first = json_array_get(json_object_get(j, "projects"), 0);
		const char *id = hk_cloud_jstr(first, "id");

		if (id == NULL)
			hk_cloud_error_provider(&q->reply.error, HK_ERR_CLOUD_REGION,
			    resp->status, NULL, "IAM lists no project for this region", NULL);
		else if ((q->proj->id = strdup(id)) == NULL)
			r = HK_ERR_ALLOC;
		break;
	}
	case HW_IMPORT:
		o = json_object_get(j, "keypair");
		q->reply.fingerprint = hk_cloud_strdup(hk_cloud_jstr(o, "fingerprint"));
		break;
	case HW_GET:
		o = json_object_get(j, "keypair");
		if ((q->reply.pairs = calloc(1, sizeof(*q->reply.pairs))) == NULL)
			r = HK_ERR_ALLOC;
		else if ((r = keypair_from(o, q->reply.pairs)) == 0)
			q->reply.npairs = 1;
		else
			hk_cloud_keypair_clear(q->reply.pairs);
		break;
	case HW_LIST:
		if ((r = parse_list(q, j)) == 1) {
			more = 1;
			r = 0;
		}
		break;
	case HW_REGIONS:
		r = parse_regions(q, j);
		break;
	case HW_DELETE:
		break;
	}
	json_decref(j);
	if (r != 0) {
		hk_cloud_error_set(&q->reply.error, r, "parsing the KPS response");
		return 0;
	}
	return more;
}

static void
hw_done(void *arg, const struct hk_http_response *resp)
{
	struct hw_req *q = arg;
	int r;

	if (hw_parse(q, resp)) {
		if ((r = hw_submit(q)) == 0)
			return;
		hk_cloud_error_set(&q->reply.error, r, "%s", hk_err_detail());
	}
	if (q->op == HW_PROJECT) {
		struct hw_proj *p = q->proj;

		p->error = q->reply.error;
		if (p->error.err != 0 && p->error.err != HK_ERR_CLOUD_REGION)
			snprintf(p->error.message + strlen(p->error.message),
			    sizeof(p->error.message) - strlen(p->error.message),
			    " (resolving the project of %s)", q->region);
		p->state = p->error.err == 0 ? PROJ_OK : PROJ_FAILED;
		req_free(q);
		proj_resolved(p);
		return;
	}
	deliver(q);
}

int
hk_cloud_huawei_parse(unsigned int op, long status, const char *body, size_t len,
    struct hk_cloud_reply *reply)
{
	static const enum hw_op ops[] = { HW_IMPORT, HW_GET, HW_LIST, HW_DELETE };
	struct hk_http_response resp;
	struct hw_req q;

	memset(reply, 0, sizeof(*reply));
	memset(&q, 0, sizeof(q));
	memset(&resp, 0, sizeof(resp));
	/* Project and region answers need a session; the key-pair ones do not. */
	q.op = ops[op % (sizeof(ops) / sizeof(ops[0]))];
	resp.status = status;
	resp.body = body;
	resp.body_len = len;
	resp.attempt = 1;
	hw_parse(&q, &resp);
	free(q.marker);
	*reply = q.reply;
	return 0;
}

static int
hw_submit(struct hw_req *q)
{
	struct hk_http_call call = {
		.build = hw_build,
		.classify = hw_classify,
		.done = hw_done,
		.arg = q,
	};

	return hk_http_submit(q->c->http, &call);
}

/* Release the requests that waited for a project id. */
static void
proj_resolved(struct hw_proj *p)
{
	struct hw_req *q, *next;
	int r;

	q = p->waiters;
	p->waiters = NULL;
	for (; q != NULL; q = next) {
		next = q->next_waiter;
		q->next_waiter = NULL;
		if (p->state == PROJ_FAILED) {
			q->reply.error = p->error;
			deliver(q);
		} else if ((r = hw_submit(q)) != 0) {
			hk_cloud_error_set(&q->reply.error, r, "%s", hk_err_detail());
			deliver(q);
		}
	}
}

/* Send q once its region's project id is known. On failure q is freed. */
static int
hw_start(struct hw_req *q)
{
	struct hk_cloud *c = q->c;
	struct hw_ctx *ctx = c->ctx;
	struct hw_proj *p;
	struct hw_req *pq;
	int r;

	for (p = ctx->projs; p != NULL; p = p->next)
		if (strcmp(p->region, q->region) == 0)
			break;
	if (p == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL || (p->region = strdup(q->region)) == NULL) {
			free(p);
			req_free(q);
			return HK_ERR_ALLOC;
		}
		p->next = ctx->projs;
		ctx->projs = p;
		/* The configured project id stands for the one region asked for. */
		if (c->creds->project_id != NULL && c->opts.nregions_hint == 1) {
			if ((p->id = strdup(c->creds->project_id)) == NULL) {
				req_free(q);
				return HK_ERR_ALLOC;
			}
			p->state = PROJ_OK;
		} else {
			if ((pq = calloc(1, sizeof(*pq))) == NULL ||
			    (pq->region = strdup(q->region)) == NULL) {
				free(pq);
				req_free(q);
				return HK_ERR_ALLOC;
			}
			pq->c = c;
			pq->op = HW_PROJECT;
			pq->proj = p;
			p->state = PROJ_PENDING;
			if ((r = hw_submit(pq)) != 0) {
				req_free(pq);
				req_free(q);
				p->state = PROJ_FAILED;
				hk_cloud_error_set(&p->error, r, "%s", hk_err_detail());
				return r;
			}
		}
	}
	q->proj = p;
	switch (p->state) {
	case PROJ_OK:
		if ((r = hw_submit(q)) != 0)
			req_free(q);
		return r;
	case PROJ_FAILED:
		/* Answer asynchronously like every other outcome. */
		q->next_waiter = p->waiters;
		p->waiters = q;
		proj_resolved(p);
		return 0;
	default:
		q->next_waiter = p->waiters;
		p->waiters = q;
		return 0;
	}
}

static int
req_new(struct hk_cloud *c, enum hw_op op, const char *region, const char *name,
    hk_cloud_cb *cb, void *arg, struct hw_req **qp)
{
	struct hw_req *q;

	*qp = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return HK_ERR_ALLOC;
	q->c = c;
	q->op = op;
	q->cb = cb;
	q->arg = arg;
	if ((q->region = strdup(region)) == NULL ||
	    (name != NULL && (q->name = strdup(name)) == NULL)) {
		req_free(q);
		return HK_ERR_ALLOC;
	}
	*qp = q;
	return 0;
}

static int
hw_import(struct hk_cloud *c, const char *region, const char *name,
    const char *public_key, hk_cloud_cb *cb, void *arg)
{
	struct hw_req *q;
	json_t *doc;
	int r;

	if ((r = req_new(c, HW_IMPORT, region, name, cb, arg, &q)) != 0)
		return r;
	doc = json_pack("{s:{s:s,s:s,s:s}}", "keypair", "name", name, "type", "ssh",
	    "public_key", public_key);
	if (doc == NULL || (q->body = json_dumps(doc, JSON_COMPACT)) == NULL) {
		json_decref(doc);
		req_free(q);
		return HK_ERR_ALLOC;
	}
	json_decref(doc);
	return hw_start(q);
}

static int
hw_describe(struct hk_cloud *c, const char *region, const char *name,
    hk_cloud_cb *cb, void *arg)
{
	struct hw_req *q;
	int r;

	if ((r = req_new(c, name != NULL ? HW_GET : HW_LIST, region, name, cb, arg, &q)) != 0)
		return r;
	return hw_start(q);
}

static int
hw_delete(struct hk_cloud *c, const char *region, const char *const *names,
    size_t nnames, hk_cloud_cb *cb, void *arg)
{
	struct hw_req *q;
	int r;

	if (nnames != 1)
		return hk_errf(HK_ERR_INTERNAL, "KPS deletes one key pair per call");
	if ((r = req_new(c, HW_DELETE, region, names[0], cb, arg, &q)) != 0)
		return r;
	return hw_start(q);
}

static int
hw_regions(struct hk_cloud *c, hk_cloud_cb *cb, void *arg)
{
	struct hw_req *q;
	int r;

	if ((r = req_new(c, HW_REGIONS, "", NULL, cb, arg, &q)) != 0)
		return r;
	if ((r = hw_submit(q)) != 0)
		req_free(q);
	return r;
}

const struct hk_cloud_impl hk_cloud_huawei = {
	.name = "huawei",
	.open = hw_open,
	.close = hw_close,
	.import_keypair = hw_import,
	.describe_keypairs = hw_describe,
	.delete_keypairs = hw_delete,
	.attach_keypair = NULL,
	.detach_keypair = NULL,
	.list_regions = hw_regions,
};
