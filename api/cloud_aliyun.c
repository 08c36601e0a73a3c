/* Alibaba Cloud ECS key pairs (RPC API 2014-05-26): ImportKeyPair,
 * DescribeKeyPairs, DeleteKeyPairs, Attach/DetachKeyPair, DescribeRegions.
 * Signed with RPC v1 HMAC-SHA1 (POST form, the default) or ACS3-HMAC-SHA256. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cloud_int.h"
#include "err.h"
#include "sign.h"

#define ALI_VERSION	"2014-05-26"
#define ALI_PARAMS_MAX	12

enum ali_op {
	ALI_IMPORT,
	ALI_DESCRIBE,
	ALI_DELETE,
	ALI_ATTACH,
	ALI_DETACH,
	ALI_REGIONS,
};

struct ali_req {
	struct hk_cloud *c;
	enum ali_op op;
	const char *action;
	char *region;			/* NULL for DescribeRegions */
	struct hk_param p[ALI_PARAMS_MAX];	/* operation parameters */
	char *own[ALI_PARAMS_MAX];	/* strings this request owns */
	size_t np, nown;
	unsigned int page;		/* DescribeKeyPairs */
	char pagebuf[16];
	struct hk_cloud_reply reply;	/* accumulates pages */
	hk_cloud_cb *cb;
	void *arg;
};

static void
req_free(struct ali_req *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->nown; i++)
		free(q->own[i]);
	free(q->region);
	hk_cloud_reply_clear(&q->reply);
	free(q);
}

static int
req_param(struct ali_req *q, const char *name, const char *value, int copy)
{
	char *v = NULL;

	if (q->np >= ALI_PARAMS_MAX || q->nown >= ALI_PARAMS_MAX)
		return hk_errf(HK_ERR_INTERNAL, "too many parameters");
	if (copy) {
		if ((v = strdup(value)) == NULL)
			return HK_ERR_ALLOC;
		q->own[q->nown++] = v;
		value = v;
	}
	q->p[q->np].name = name;
	q->p[q->np].value = value;
	q->np++;
	return 0;
}

static char *
ali_url(const struct ali_req *q)
{
	char *url = NULL;

	if (q->c->endpoint != NULL)
		return asprintf(&url, "%s/", q->c->endpoint) < 0 ? NULL : url;
	/* DescribeRegions returns ecs.aliyuncs.com for cn-hangzhou; regional hosts elsewhere. */
	if (q->region == NULL)
		return strdup("https://ecs.aliyuncs.com/");
	return asprintf(&url, "https://ecs.%s.aliyuncs.com/", q->region) < 0 ? NULL : url;
}

/* RPC v1: every parameter, signature included, in a POST form body. */
static int
build_v1(struct ali_req *q, struct hk_http_msg *msg)
{
	const struct hk_creds *cr = q->c->creds;
	struct hk_param all[ALI_PARAMS_MAX + 10];
	char nonce[40], ts[32], *canon = NULL, *sig = NULL;
	struct hk_buf *b = NULL;
	size_t n = 0, i;
	int r;

	for (i = 0; i < q->np; i++)
		all[n++] = q->p[i];
	if ((r = hk_cloud_nonce(nonce, sizeof(nonce), 1)) != 0)
		return r;
	hk_cloud_utc(ts, sizeof(ts), HK_UTC_EXTENDED);
	all[n++] = (struct hk_param){ "AccessKeyId", cr->access_key_id };
	all[n++] = (struct hk_param){ "Action", q->action };
	all[n++] = (struct hk_param){ "Format", "JSON" };
	all[n++] = (struct hk_param){ "SignatureMethod", "HMAC-SHA1" };
	all[n++] = (struct hk_param){ "SignatureNonce", nonce };
	all[n++] = (struct hk_param){ "SignatureVersion", "1.0" };
	all[n++] = (struct hk_param){ "Timestamp", ts };
	all[n++] = (struct hk_param){ "Version", ALI_VERSION };
	if (cr->token != NULL)
		all[n++] = (struct hk_param){ "SecurityToken", hk_secret_str(cr->token) };
	if ((r = hk_sign_canonical_query(all, n, &canon)) != 0 ||
	    (r = hk_sign_aliyun_v1("POST", all, n, hk_secret_str(cr->secret), &sig)) != 0)
		goto out;
	if ((b = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((r = hk_buf_putf(b, "%s&Signature=", canon)) != 0 ||
	    (r = hk_urlenc(b, sig, strlen(sig))) != 0)
		goto out;
	msg->method = "POST";
	if ((msg->url = ali_url(q)) == NULL || (msg->body = hk_buf_dup_string(b)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	msg->body_len = strlen(msg->body);
	r = hk_http_msg_header(msg, "Content-Type: application/x-www-form-urlencoded");
 out:
	hk_buf_free(b);
	if (canon != NULL)
		hk_freezero(canon, strlen(canon));
	free(sig);
	return r;
}

/* ACS3: operation parameters in the query, the rest in signed x-acs-* headers. */
static int
build_v3(struct ali_req *q, struct hk_http_msg *msg)
{
	const struct hk_creds *cr = q->c->creds;
	static const char empty_sha[] =
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	struct hk_header h[8];
	char nonce[40], date[32], *canon = NULL, *auth = NULL, *host = NULL, *base = NULL;
	size_t nh = 0, i;
	int r;

	if ((r = hk_cloud_nonce(nonce, sizeof(nonce), 0)) != 0)
		return r;
	hk_cloud_utc(date, sizeof(date), HK_UTC_EXTENDED);
	if ((base = ali_url(q)) == NULL || (host = hk_cloud_url_host(base)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	h[nh++] = (struct hk_header){ "host", host };
	h[nh++] = (struct hk_header){ "x-acs-action", q->action };
	h[nh++] = (struct hk_header){ "x-acs-content-sha256", empty_sha };
	h[nh++] = (struct hk_header){ "x-acs-date", date };
	h[nh++] = (struct hk_header){ "x-acs-signature-nonce", nonce };
	if (cr->token != NULL)
		h[nh++] = (struct hk_header){ "x-acs-security-token", hk_secret_str(cr->token) };
	h[nh++] = (struct hk_header){ "x-acs-version", ALI_VERSION };
	if ((r = hk_sign_canonical_query(q->p, q->np, &canon)) != 0 ||
	    (r = hk_sign_acs3("POST", "/", q->p, q->np, h, nh, "", 0,
	    cr->access_key_id, hk_secret_str(cr->secret), &auth)) != 0)
		goto out;
	msg->method = "POST";
	if (asprintf(&msg->url, "%s%s%s", base, canon[0] != '\0' ? "?" : "", canon) < 0) {
		msg->url = NULL;
		r = HK_ERR_ALLOC;
		goto out;
	}
	for (i = 1; i < nh; i++)	/* curl writes Host itself */
		if ((r = hk_http_msg_header(msg, "%s: %s", h[i].name, h[i].value)) != 0)
			goto out;
	r = hk_http_msg_header(msg, "Authorization: %s", auth);
 out:
	free(base);
	free(host);
	free(canon);
	if (auth != NULL)
		hk_freezero(auth, strlen(auth));
	return r;
}

static int
ali_build(void *arg, struct hk_http_msg *msg)
{
	struct ali_req *q = arg;

	return q->c->opts.signature == 3 ? build_v3(q, msg) : build_v1(q, msg);
}

/* The ECS error envelope: Code, Message, RequestId (and HostId, Recommend). */
static void
parse_error(const struct hk_http_response *resp, struct hk_cloud_error *e)
{
	json_t *j = hk_cloud_json(resp);
	const char *code = hk_cloud_jstr(j, "Code"), *msg = hk_cloud_jstr(j, "Message");
	const char *rid = hk_cloud_jstr(j, "RequestId");
	int err = HK_ERR_CLOUD;

	if (code == NULL)
		code = "";
	if (strncmp(code, "Throttling", 10) == 0 || strcmp(code, "Rejected.Throttling") == 0 ||
	    strcmp(code, "ServiceUnavailable") == 0 || resp->status == 429)
		err = HK_ERR_THROTTLED;
	/*
	 * libcurl resends a request by itself when a reused connection closes
	 * before any answer; the copy carries the old nonce. The first copy may
	 * have been applied, so this is a lost answer, not a refusal.
	 */
	else if (strcmp(code, "SignatureNonceUsed") == 0)
		err = HK_ERR_NETWORK;
	else if (strcmp(code, "KeyPair.AlreadyExist") == 0)
		err = HK_ERR_CLOUD_EXISTS;
	else if (strncmp(code, "InvalidAccessKeyId", 18) == 0 ||
	    strcmp(code, "SignatureDoesNotMatch") == 0 ||
	    strcmp(code, "IncompleteSignature") == 0 ||
	    strncmp(code, "InvalidSecurityToken", 20) == 0 ||
	    strncmp(code, "Forbidden", 9) == 0)
		err = HK_ERR_CLOUD_AUTH;
	else if (strncmp(code, "QuotaExceed", 11) == 0)
		err = HK_ERR_CLOUD_QUOTA;
	else if (strcmp(code, "InvalidKeyPairName.Malformed") == 0)
		err = HK_ERR_CLOUD_NAME;
	else if (strcmp(code, "InvalidPublicKeyBody.Malformed") == 0)
		err = HK_ERR_CLOUD_UNSUPPORTED;
	else if (strcmp(code, "InvalidRegionId.NotFound") == 0)
		err = HK_ERR_CLOUD_REGION;
	else if (strstr(code, "NotFound") != NULL)
		err = HK_ERR_CLOUD_NOT_FOUND;
	else if (code[0] == '\0')
		err = resp->status >= 500 ? HK_ERR_CLOUD : HK_ERR_CLOUD_RESPONSE;
	/*
	 * SignatureDoesNotMatch quotes the server's StringToSign, which holds the
	 * AccessKeyId; keep only the sentence before it.
	 */
	if (msg != NULL && strcmp(code, "SignatureDoesNotMatch") == 0) {
		const char *cut = strstr(msg, " server string to sign is");

		hk_cloud_error_provider(e, err, resp->status, code, NULL, rid);
		snprintf(e->message, sizeof(e->message), "%.*s",
		    cut != NULL ? (int)(cut - msg) : (int)strlen(msg), msg);
	} else
		hk_cloud_error_provider(e, err, resp->status, code,
		    msg != NULL ? msg : (j == NULL ? "response is not JSON" : NULL), rid);
	json_decref(j);
}

static enum hk_http_verdict
ali_classify(void *arg, const struct hk_http_response *resp)
{
	struct ali_req *q = arg;
	struct hk_cloud_error e;

	if (resp->err != 0) {
		/* Never resend an import that may have landed; the engine looks first. */
		if (q->op == ALI_IMPORT && resp->sent)
			return HK_HTTP_DONE;
		return resp->err == HK_ERR_TLS ? HK_HTTP_DONE : HK_HTTP_RETRY;
	}
	if (resp->status >= 200 && resp->status < 300)
		return HK_HTTP_DONE;
	parse_error(resp, &e);
	if (e.err == HK_ERR_THROTTLED)
		return HK_HTTP_RETRY;
	if (e.err == HK_ERR_NETWORK)
		return q->op == ALI_IMPORT ? HK_HTTP_DONE : HK_HTTP_RETRY;
	if (resp->status >= 500 && q->op != ALI_IMPORT)
		return HK_HTTP_RETRY;
	return HK_HTTP_DONE;
}

static int ali_submit(struct ali_req *q);

static char *
jdup(json_t *o, const char *key)
{
	return hk_cloud_strdup(hk_cloud_jstr(o, key));
}

/* DescribeKeyPairs: append this page; 1 if another page is needed. */
static int
parse_describe(struct ali_req *q, json_t *j)
{
	json_t *list = json_object_get(json_object_get(j, "KeyPairs"), "KeyPair"), *it;
	json_int_t total = json_integer_value(json_object_get(j, "TotalCount"));
	json_int_t size = json_integer_value(json_object_get(j, "PageSize"));
	struct hk_cloud_keypair *kp;
	size_t i, n = json_array_size(list);

	if (n > 0) {
		if ((kp = realloc(q->reply.pairs, (q->reply.npairs + n) * sizeof(*kp))) == NULL)
			return HK_ERR_ALLOC;
		q->reply.pairs = kp;
		json_array_foreach(list, i, it) {
			kp = &q->reply.pairs[q->reply.npairs++];
			memset(kp, 0, sizeof(*kp));
			kp->name = jdup(it, "KeyPairName");
			kp->fingerprint = jdup(it, "KeyPairFingerPrint");
			kp->public_key = jdup(it, "PublicKey");
			kp->created = jdup(it, "CreationTime");
		}
	}
	if (size <= 0)
		size = 50;
	return n > 0 && (json_int_t)q->page * size < total;
}

static int
parse_instances(struct ali_req *q, json_t *j)
{
	json_t *list = json_object_get(json_object_get(j, "Results"), "Result"), *it, *ok;
	size_t i, n = json_array_size(list);

	if (n == 0)
		return 0;
	if ((q->reply.instances = calloc(n, sizeof(*q->reply.instances))) == NULL)
		return HK_ERR_ALLOC;
	json_array_foreach(list, i, it) {
		struct hk_cloud_instance_result *ir = &q->reply.instances[i];

		ir->instance_id = jdup(it, "InstanceId");
		ok = json_object_get(it, "Success");
		/* Documented as String, sent as boolean: accept both. */
		ir->ok = json_is_true(ok) || (json_is_string(ok) &&
		    strcmp(json_string_value(ok), "true") == 0);
		ir->code = jdup(it, "Code");
		ir->message = jdup(it, "Message");
	}
	q->reply.ninstances = n;
	return 0;
}

static int
parse_regions(struct ali_req *q, json_t *j)
{
	json_t *list = json_object_get(json_object_get(j, "Regions"), "Region"), *it;
	size_t i, n = json_array_size(list), k = 0;

	if ((q->reply.regions = calloc(n + 1, sizeof(char *))) == NULL)
		return HK_ERR_ALLOC;
	json_array_foreach(list, i, it) {
		const char *id = hk_cloud_jstr(it, "RegionId");

		if (id != NULL && (q->reply.regions[k++] = strdup(id)) == NULL)
			return HK_ERR_ALLOC;
	}
	q->reply.nregions = k;
	return 0;
}

/* Fill q->reply from one answer; 1 when DescribeKeyPairs has another page. */
static int
ali_parse(struct ali_req *q, const struct hk_http_response *resp)
{
	json_t *j = NULL;
	int r = 0, more = 0;

	if (resp->err != 0) {
		hk_cloud_error_transport(&q->reply.error, resp);
		return 0;
	}
	if (resp->status < 200 || resp->status >= 300) {
		parse_error(resp, &q->reply.error);
		/* Deleting what is already gone is success. */
		if (q->op == ALI_DELETE && q->reply.error.err == HK_ERR_CLOUD_NOT_FOUND)
			memset(&q->reply.error, 0, sizeof(q->reply.error));
		return 0;
	}
	if ((j = hk_cloud_json(resp)) == NULL) {
		hk_cloud_error_provider(&q->reply.error, HK_ERR_CLOUD_RESPONSE, resp->status,
		    NULL, "response is not JSON", NULL);
		return 0;
	}
	snprintf(q->reply.error.request_id, sizeof(q->reply.error.request_id), "%s",
	    hk_cloud_jstr(j, "RequestId") != NULL ? hk_cloud_jstr(j, "RequestId") : "");
	switch (q->op) {
	case ALI_IMPORT:
		q->reply.fingerprint = jdup(j, "KeyPairFingerPrint");
		break;
	case ALI_DESCRIBE:
		if ((r = parse_describe(q, j)) > 0) {
			more = 1;
			r = 0;
		}
		break;
	case ALI_ATTACH:
	case ALI_DETACH:
		r = parse_instances(q, j);
		break;
	case ALI_REGIONS:
		r = parse_regions(q, j);
		break;
	case ALI_DELETE:
		break;
	}
	json_decref(j);
	if (r != 0) {
		hk_cloud_error_set(&q->reply.error, r, "parsing the %s response", q->action);
		return 0;
	}
	return more;
}

static void
ali_done(void *arg, const struct hk_http_response *resp)
{
	struct ali_req *q = arg;
	int r;

	if (ali_parse(q, resp)) {
		q->page++;
		snprintf(q->pagebuf, sizeof(q->pagebuf), "%u", q->page);
		if ((r = ali_submit(q)) == 0)
			return;
		hk_cloud_error_set(&q->reply.error, r, "%s", hk_err_detail());
	}
	q->cb(q->arg, &q->reply);
	req_free(q);
}

int
hk_cloud_aliyun_parse(unsigned int op, long status, const char *body, size_t len,
    struct hk_cloud_reply *reply)
{
	struct hk_http_response resp;
	struct ali_req q;

	memset(reply, 0, sizeof(*reply));
	memset(&q, 0, sizeof(q));
	memset(&resp, 0, sizeof(resp));
	q.op = (enum ali_op)(op % (ALI_REGIONS + 1));
	q.action = "parse";
	q.page = 1;
	resp.status = status;
	resp.body = body;
	resp.body_len = len;
	resp.attempt = 1;
	ali_parse(&q, &resp);
	*reply = q.reply;
	return 0;
}

static int
ali_submit(struct ali_req *q)
{
	struct hk_http_call call = {
		.build = ali_build,
		.classify = ali_classify,
		.done = ali_done,
		.arg = q,
	};

	return hk_http_submit(q->c->http, &call);
}

static int
req_new(struct hk_cloud *c, enum ali_op op, const char *action, const char *region,
    hk_cloud_cb *cb, void *arg, struct ali_req **qp)
{
	struct ali_req *q;

	*qp = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return HK_ERR_ALLOC;
	q->c = c;
	q->op = op;
	q->action = action;
	q->cb = cb;
	q->arg = arg;
	if (region != NULL) {
		if ((q->region = strdup(region)) == NULL) {
			free(q);
			return HK_ERR_ALLOC;
		}
		q->p[q->np++] = (struct hk_param){ "RegionId", q->region };
	}
	*qp = q;
	return 0;
}

/* ["a","b"]: the JSON-array-string form of KeyPairNames and InstanceIds. */
static char *
json_list(const char *const *v, size_t n)
{
	json_t *a = json_array();
	char *s;
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static int
finish(struct ali_req *q, int r)
{
	if (r == 0 && (r = ali_submit(q)) == 0)
		return 0;
	req_free(q);
	return r;
}

static int
ali_import(struct hk_cloud *c, const char *region, const char *name,
    const char *public_key, hk_cloud_cb *cb, void *arg)
{
	struct ali_req *q;
	int r;

	if ((r = req_new(c, ALI_IMPORT, "ImportKeyPair", region, cb, arg, &q)) != 0)
		return r;
	if ((r = req_param(q, "KeyPairName", name, 1)) == 0)
		r = req_param(q, "PublicKeyBody", public_key, 1);
	return finish(q, r);
}

static int
ali_describe(struct hk_cloud *c, const char *region, const char *name,
    hk_cloud_cb *cb, void *arg)
{
	struct ali_req *q;
	int r;

	if ((r = req_new(c, ALI_DESCRIBE, "DescribeKeyPairs", region, cb, arg, &q)) != 0)
		return r;
	q->page = 1;
	snprintf(q->pagebuf, sizeof(q->pagebuf), "1");
	/* Without '*' the name filter matches exactly. */
	if ((r = req_param(q, "IncludePublicKey", "true", 0)) == 0 &&
	    (r = req_param(q, "PageNumber", q->pagebuf, 0)) == 0 &&
	    (r = req_param(q, "PageSize", "50", 0)) == 0 && name != NULL)
		r = req_param(q, "KeyPairName", name, 1);
	return finish(q, r);
}

static int
ali_delete(struct hk_cloud *c, const char *region, const char *const *names,
    size_t nnames, hk_cloud_cb *cb, void *arg)
{
	struct ali_req *q;
	char *list;
	int r;

	if (nnames == 0 || nnames > c->caps->delete_batch_max)
		return hk_errf(HK_ERR_INTERNAL, "DeleteKeyPairs: %zu names", nnames);
	if ((r = req_new(c, ALI_DELETE, "DeleteKeyPairs", region, cb, arg, &q)) != 0)
		return r;
	if ((list = json_list(names, nnames)) == NULL)
		r = HK_ERR_ALLOC;
	else {
		q->own[q->nown++] = list;
		r = req_param(q, "KeyPairNames", list, 0);
	}
	return finish(q, r);
}

static int
attach_common(struct hk_cloud *c, enum ali_op op, const char *region, const char *name,
    const char *const *ids, size_t nids, hk_cloud_cb *cb, void *arg)
{
	struct ali_req *q;
	char *list;
	int r;

	if (nids == 0 || nids > c->caps->attach_batch_max)
		return hk_errf(HK_ERR_INTERNAL, "AttachKeyPair: %zu instances", nids);
	if ((r = req_new(c, op, op == ALI_ATTACH ? "AttachKeyPair" : "DetachKeyPair",
	    region, cb, arg, &q)) != 0)
		return r;
	if ((list = json_list(ids, nids)) == NULL)
		r = HK_ERR_ALLOC;
	else {
		q->own[q->nown++] = list;
		if ((r = req_param(q, "InstanceIds", list, 0)) == 0)
			r = req_param(q, "KeyPairName", name, 1);
	}
	return finish(q, r);
}

static int
ali_attach(struct hk_cloud *c, const char *region, const char *name,
    const char *const *ids, size_t nids, hk_cloud_cb *cb, void *arg)
{
	return attach_common(c, ALI_ATTACH, region, name, ids, nids, cb, arg);
}

static int
ali_detach(struct hk_cloud *c, const char *region, const char *name,
    const char *const *ids, size_t nids, hk_cloud_cb *cb, void *arg)
{
	return attach_common(c, ALI_DETACH, region, name, ids, nids, cb, arg);
}

static int
ali_regions(struct hk_cloud *c, hk_cloud_cb *cb, void *arg)
{
	struct ali_req *q;
	int r;

	if ((r = req_new(c, ALI_REGIONS, "DescribeRegions", NULL, cb, arg, &q)) != 0)
		return r;
	return finish(q, 0);
}

const struct hk_cloud_impl hk_cloud_aliyun = {
	.name = "aliyun",
	.import_keypair = ali_import,
	.describe_keypairs = ali_describe,
	.delete_keypairs = ali_delete,
	.attach_keypair = ali_attach,
	.detach_keypair = ali_detach,
	.list_regions = ali_regions,
};
