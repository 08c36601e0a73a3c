/* Alibaba Cloud ECS key pairs (RPC API 2014-05-26), the whole provider: its
 * registry row, capabilities, credential chain (environment, then the
 * aliyun CLI's config.json) and ImportKeyPair, DescribeKeyPairs,
 * DeleteKeyPairs, Attach/DetachKeyPair, DescribeRegions over the shared
 * request layer. Signed with RPC v1 HMAC-SHA1 (POST form, the default) or
 * ACS3-HMAC-SHA256 (setting signature=v3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cloud_int.h"
#include "err.h"
#include "http.h"
#include "sign.h"

#define ALI_VERSION	"2014-05-26"

/* ---- capabilities (reference/cloud-apis.md §1, §2.1) ---- */

/* ImportKeyPair lists rsa, dsa, ecdsa (and certificates); no ed25519, no sk. */
static const struct hk_cloud_keycap ali_keys[] = {
	{ HK_KEY_RSA, HK_CURVE_NONE, NULL, "rsa" },
	{ HK_KEY_DSA, HK_CURVE_NONE, NULL, "dsa" },
	{ HK_KEY_ECDSA, HK_CURVE_P256, NULL, "ecdsa-p256" },
	{ HK_KEY_ECDSA, HK_CURVE_P384, NULL, "ecdsa-p384" },
	{ HK_KEY_ECDSA, HK_CURVE_P521, NULL, "ecdsa-p521" },
	{ HK_KEY_UNSPEC, HK_CURVE_NONE, NULL, NULL },
};

static const char *const ali_forbidden[] = { "http://", "https://", NULL };

/* DescribeRegions answers at run time; this list is the fallback for "all". */
static const char *const ali_region_list[] = {
	"cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu",
	"cn-hangzhou", "cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-shenzhen",
	"cn-heyuan", "cn-guangzhou", "cn-chengdu", "cn-hongkong", "ap-northeast-1",
	"ap-northeast-2", "ap-southeast-1", "ap-southeast-3", "ap-southeast-5",
	"ap-southeast-6", "ap-southeast-7", "us-east-1", "us-west-1", "eu-west-1",
	"eu-central-1", "me-east-1", "me-central-1", NULL,
};

static const struct hk_cloud_caps ali_caps = {
	.provider = "aliyun",
	.title = "Alibaba Cloud ECS",
	.keys = ali_keys,
	.suggest = "use an ecdsa-p256 or rsa key (hwkey keygen --type ecdsa-p256)",
	.name = {
		.min = 2, .max = 128,
		.first = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		.allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789.:_-",
		.allow_utf8 = 1,
		.forbidden_prefixes = ali_forbidden,
		.text = "2-128 characters: letters, digits, '.', ':', '_', '-'; "
		    "starts with a letter; not http:// or https://",
	},
	.fp = HK_FP_ALIYUN,
	.list_page_max = 50,
	.delete_batch_max = 100,
	.attach_batch_max = 50,
	.quota_per_region = 500,
	.regions = ali_region_list,
	.no_server_password = "Alibaba Cloud ECS has no Windows password call: it binds key "
	    "pairs to Linux instances only, and a Windows instance's password is the one "
	    "set at creation or with ResetPassword (ModifyInstanceAttribute), never "
	    "encrypted to a key pair",
};

static const char *const ali_signatures[] = { "v1", "v3", NULL };

static const struct hk_cloud_setting_def ali_settings[] = {
	{ "profile", NULL, NULL, NULL },
	{ "signature", ali_signatures, "v1 or v3", NULL },
	{ NULL, NULL, NULL, NULL },
};

/* ---- credentials: the environment, else the aliyun CLI's config.json ---- */

int
hk_cloud_aliyun_config(const char *path, const char *profile, struct hk_creds **credsp)
{
	json_t *root = NULL, *profiles, *p, *chosen = NULL;
	json_error_t jerr;
	const char *want, *mode, *id, *sec, *tok;
	char *data = NULL, *source = NULL;
	size_t len = 0, i;
	int r;

	*credsp = NULL;
	if ((r = hk_creds_read_private(path, &data, &len)) != 0)
		goto out;
	/* jansson keeps no copy we cannot free; the raw text is wiped below. */
	if ((root = json_loadb(data, len, 0, &jerr)) == NULL) {
		r = hk_errf(HK_ERR_CREDENTIALS, "%s:%d: not valid JSON", path, jerr.line);
		goto out;
	}
	want = profile != NULL ? profile : hk_cloud_jstr(root, "current");
	if (want == NULL || *want == '\0')
		want = "default";
	profiles = json_object_get(root, "profiles");
	json_array_foreach(profiles, i, p) {
		const char *n = hk_cloud_jstr(p, "name");

		if (n != NULL && strcmp(n, want) == 0) {
			chosen = p;
			break;
		}
	}
	if (chosen == NULL) {
		r = hk_errf(HK_ERR_CREDENTIALS, "%s: no profile named \"%s\"", path, want);
		goto out;
	}
	mode = hk_cloud_jstr(chosen, "mode");
	id = hk_cloud_jstr(chosen, "access_key_id");
	sec = hk_cloud_jstr(chosen, "access_key_secret");
	tok = hk_cloud_jstr(chosen, "sts_token");
	if (mode != NULL && *mode != '\0' && strcmp(mode, "AK") != 0 &&
	    strcmp(mode, "StsToken") != 0) {
		r = hk_errf(HK_ERR_CREDENTIALS, "%s: profile \"%s\" uses mode %s; hwkey "
		    "supports AK and StsToken profiles", path, want, mode);
		goto out;
	}
	if (id == NULL || *id == '\0' || sec == NULL || *sec == '\0') {
		r = hk_errf(HK_ERR_CREDENTIALS, "%s: profile \"%s\" has no "
		    "access_key_id/access_key_secret", path, want);
		goto out;
	}
	if (asprintf(&source, "%s profile %s", path, want) < 0) {
		source = NULL;
		r = HK_ERR_ALLOC;
		goto out;
	}
	r = hk_creds_new(id, sec, mode != NULL && strcmp(mode, "StsToken") == 0 ? tok : NULL,
	    source, credsp);
	/* The aliyun CLI's default region for this profile. */
	if (r == 0 && hk_cloud_jstr(chosen, "region_id") != NULL &&
	    *hk_cloud_jstr(chosen, "region_id") != '\0' &&
	    ((*credsp)->region = strdup(hk_cloud_jstr(chosen, "region_id"))) == NULL) {
		hk_creds_free(*credsp);
		*credsp = NULL;
		r = HK_ERR_ALLOC;
	}
 out:
	if (root != NULL) {
		/* Wipe the secrets inside jansson's copy before it is freed. */
		json_array_foreach(json_object_get(root, "profiles"), i, p) {
			json_t *s = json_object_get(p, "access_key_secret");
			json_t *t = json_object_get(p, "sts_token");

			if (json_is_string(s))
				hk_wipe((char *)json_string_value(s), json_string_length(s));
			if (json_is_string(t))
				hk_wipe((char *)json_string_value(t), json_string_length(t));
		}
		json_decref(root);
	}
	if (data != NULL)
		hk_freezero(data, len);
	free(source);
	return r;
}

/* ALIBABA_CLOUD_REGION_ID comes before the profile's region_id, as in the aliyun CLI. */
static int
ali_env_region(int r, struct hk_creds **credsp)
{
	const char *region = getenv("ALIBABA_CLOUD_REGION_ID");

	if (r != 0 || region == NULL || *region == '\0')
		return r;
	free((*credsp)->region);
	if (((*credsp)->region = strdup(region)) == NULL) {
		hk_creds_free(*credsp);
		*credsp = NULL;
		return HK_ERR_ALLOC;
	}
	return 0;
}

static int
ali_creds(const struct hk_cloud_settings *s, struct hk_creds **credsp)
{
	static const struct hk_creds_env env = { "ALIBABA_CLOUD_ACCESS_KEY_ID",
	    "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN", NULL };
	const char *profile = hk_cloud_settings_get(s, "profile"), *home = getenv("HOME");
	char *path = NULL;
	int r;

	*credsp = NULL;
	/* As the aliyun CLI: --profile, else ALIBABA_CLOUD_PROFILE. */
	if (profile == NULL && (profile = getenv("ALIBABA_CLOUD_PROFILE")) != NULL &&
	    *profile == '\0')
		profile = NULL;
	/* With a profile named, the file is the only source. */
	if (profile == NULL && (r = hk_creds_from_env(&env, credsp)) != HK_ERR_NOT_FOUND)
		return ali_env_region(r, credsp);
	if (home == NULL || *home == '\0')
		return hk_errf(HK_ERR_CREDENTIALS, "no ALIBABA_CLOUD_ACCESS_KEY_ID and "
		    "no HOME for ~/.aliyun/config.json");
	if (asprintf(&path, "%s/.aliyun/config.json", home) < 0)
		return HK_ERR_ALLOC;
	r = ali_env_region(hk_cloud_aliyun_config(path, profile, credsp), credsp);
	if (r == HK_ERR_NOT_FOUND)
		r = hk_errf(HK_ERR_CREDENTIALS, "no Alibaba Cloud credentials: set "
		    "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or "
		    "run 'aliyun configure' (%s)", path);
	free(path);
	return r;
}

/* ---- the session: which signature ---- */

struct ali_ctx {
	int v3;
};

static int
ali_open(struct hk_cloud *c, void **ctxp)
{
	const char *sig = hk_cloud_settings_get(&c->settings, "signature");
	struct ali_ctx *ctx;

	*ctxp = NULL;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return HK_ERR_ALLOC;
	ctx->v3 = sig != NULL && strcmp(sig, "v3") == 0;
	*ctxp = ctx;
	return 0;
}

static void
ali_close(void *ctx)
{
	free(ctx);
}

/* ---- requests: endpoint, signers, the error envelope ---- */

static char *
ali_endpoint(const struct hk_http_req *q)
{
	char *url = NULL;

	/* DescribeRegions returns ecs.aliyuncs.com for cn-hangzhou; regional hosts elsewhere. */
	if (q->region == NULL)
		return strdup("https://ecs.aliyuncs.com");
	return asprintf(&url, "https://ecs.%s.aliyuncs.com", q->region) < 0 ? NULL : url;
}

/* RPC v1: every parameter, signature included, in a POST form body. */
static int
sign_v1(const struct hk_http_req *q, const char *base, struct hk_http_msg *msg)
{
	const struct hk_creds *cr = q->c->creds;
	struct hk_param all[HK_HTTP_REQ_PARAMS_MAX + 10];
	char nonce[40], ts[32], *canon = NULL, *sig = NULL;
	struct hk_buf *b = NULL;
	size_t n = 0, i;
	int r;

	for (i = 0; i < q->nparams; i++)
		all[n++] = q->params[i];
	if ((r = hk_cloud_nonce(nonce, sizeof(nonce), 1)) != 0)
		return r;
	hk_cloud_utc(ts, sizeof(ts), HK_UTC_EXTENDED);
	all[n++] = (struct hk_param){ "AccessKeyId", cr->access_key_id };
	all[n++] = (struct hk_param){ "Action", q->op->what };
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
	if (asprintf(&msg->url, "%s/", base) < 0) {
		msg->url = NULL;
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((msg->body = hk_buf_dup_string(b)) == NULL) {
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
sign_v3(const struct hk_http_req *q, const char *base, struct hk_http_msg *msg)
{
	const struct hk_creds *cr = q->c->creds;
	static const char empty_sha[] =
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	struct hk_header h[8];
	char nonce[40], date[32], *canon = NULL, *auth = NULL, *host = NULL;
	size_t nh = 0, i;
	int r;

	if ((r = hk_cloud_nonce(nonce, sizeof(nonce), 0)) != 0)
		return r;
	hk_cloud_utc(date, sizeof(date), HK_UTC_EXTENDED);
	if ((host = hk_cloud_url_host(base)) == NULL)
		return HK_ERR_ALLOC;
	h[nh++] = (struct hk_header){ "host", host };
	h[nh++] = (struct hk_header){ "x-acs-action", q->op->what };
	h[nh++] = (struct hk_header){ "x-acs-content-sha256", empty_sha };
	h[nh++] = (struct hk_header){ "x-acs-date", date };
	h[nh++] = (struct hk_header){ "x-acs-signature-nonce", nonce };
	if (cr->token != NULL)
		h[nh++] = (struct hk_header){ "x-acs-security-token", hk_secret_str(cr->token) };
	h[nh++] = (struct hk_header){ "x-acs-version", ALI_VERSION };
	if ((r = hk_sign_canonical_query(q->params, q->nparams, &canon)) != 0 ||
	    (r = hk_sign_acs3("POST", "/", q->params, q->nparams, h, nh, "", 0,
	    cr->access_key_id, hk_secret_str(cr->secret), &auth)) != 0)
		goto out;
	msg->method = "POST";
	if ((canon[0] != '\0' ? asprintf(&msg->url, "%s/?%s", base, canon) :
	    asprintf(&msg->url, "%s/", base)) < 0) {
		msg->url = NULL;
		r = HK_ERR_ALLOC;
		goto out;
	}
	for (i = 1; i < nh; i++)	/* curl writes Host itself */
		if ((r = hk_http_msg_header(msg, "%s: %s", h[i].name, h[i].value)) != 0)
			goto out;
	r = hk_http_msg_header(msg, "Authorization: %s", auth);
 out:
	free(host);
	free(canon);
	if (auth != NULL)
		hk_freezero(auth, strlen(auth));
	return r;
}

static int
ali_sign(const struct hk_http_req *q, const char *base, struct hk_http_msg *msg)
{
	const struct ali_ctx *ctx = q->c->ctx;

	return ctx->v3 ? sign_v3(q, base, msg) : sign_v1(q, base, msg);
}

/* The ECS error envelope: Code, Message, RequestId (and HostId, Recommend). */
static void
ali_parse_error(const struct hk_http_req *q, const struct hk_http_response *resp,
    struct hk_error *e)
{
	json_t *j = hk_cloud_json(resp);
	const char *code = hk_cloud_jstr(j, "Code"), *msg = hk_cloud_jstr(j, "Message");
	const char *rid = hk_cloud_jstr(j, "RequestId");
	int err = HK_ERR_CLOUD;

	(void)q;
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

static const struct hk_http_service ali_service = {
	.endpoint = ali_endpoint,
	.sign = ali_sign,
	.parse_error = ali_parse_error,
};

/* ---- replies: every answer is JSON with a RequestId ---- */

static json_t *
ali_json(struct hk_http_req *q, const struct hk_http_response *resp)
{
	json_t *j;

	if ((j = hk_cloud_json(resp)) == NULL) {
		hk_cloud_error_provider(&q->reply.error, HK_ERR_CLOUD_RESPONSE, resp->status,
		    NULL, "response is not JSON", NULL);
		return NULL;
	}
	/*
	 * A gateway or proxy may answer 200 with the error envelope: no success
	 * reply has a top-level Code and Message, so it is the provider's error.
	 */
	if (hk_cloud_jstr(j, "Code") != NULL && hk_cloud_jstr(j, "Message") != NULL) {
		ali_parse_error(q, resp, &q->reply.error);
		if (q->reply.error.code == 0)
			q->reply.error.code = HK_ERR_CLOUD;
		json_decref(j);
		return NULL;
	}
	snprintf(q->reply.error.request_id, sizeof(q->reply.error.request_id), "%s",
	    hk_cloud_jstr(j, "RequestId") != NULL ? hk_cloud_jstr(j, "RequestId") : "");
	return j;
}

static int
parse_import(struct hk_http_req *q, const struct hk_http_response *resp)
{
	json_t *j;

	if ((j = ali_json(q, resp)) == NULL)
		return HK_ERR_CLOUD_RESPONSE;
	q->reply.fingerprint = hk_cloud_jdup(j, "KeyPairFingerPrint");
	json_decref(j);
	return 0;
}

static int
parse_delete(struct hk_http_req *q, const struct hk_http_response *resp)
{
	json_t *j;

	if ((j = ali_json(q, resp)) == NULL)
		return HK_ERR_CLOUD_RESPONSE;
	json_decref(j);
	return 0;
}

/* DescribeKeyPairs: append this page; HK_HTTP_MORE if another is needed. */
static int
parse_describe(struct hk_http_req *q, const struct hk_http_response *resp)
{
	json_t *j, *list, *it;
	json_int_t total, size;
	struct hk_cloud_keypair *kp;
	char page[16];
	size_t i, n;
	int r = 0;

	if ((j = ali_json(q, resp)) == NULL)
		return HK_ERR_CLOUD_RESPONSE;
	list = json_object_get(json_object_get(j, "KeyPairs"), "KeyPair");
	total = json_integer_value(json_object_get(j, "TotalCount"));
	size = json_integer_value(json_object_get(j, "PageSize"));
	n = json_array_size(list);
	if (n > 0) {
		if ((kp = realloc(q->reply.pairs, (q->reply.npairs + n) * sizeof(*kp))) == NULL) {
			r = HK_ERR_ALLOC;
			goto out;
		}
		q->reply.pairs = kp;
		json_array_foreach(list, i, it) {
			kp = &q->reply.pairs[q->reply.npairs++];
			memset(kp, 0, sizeof(*kp));
			kp->name = hk_cloud_jdup(it, "KeyPairName");
			kp->fingerprint = hk_cloud_jdup(it, "KeyPairFingerPrint");
			kp->public_key = hk_cloud_jdup(it, "PublicKey");
			kp->created = hk_cloud_jdup(it, "CreationTime");
		}
	}
	if (size <= 0)
		size = 50;
	if (n > 0 && (json_int_t)q->page * size < total) {
		snprintf(page, sizeof(page), "%u", ++q->page);
		if ((r = hk_http_req_param(q, "PageNumber", page)) == 0)
			r = HK_HTTP_MORE;
	}
 out:
	json_decref(j);
	return r;
}

static int
parse_instances(struct hk_http_req *q, const struct hk_http_response *resp)
{
	json_t *j, *list, *it, *ok;
	size_t i, n;
	int r = 0;

	if ((j = ali_json(q, resp)) == NULL)
		return HK_ERR_CLOUD_RESPONSE;
	list = json_object_get(json_object_get(j, "Results"), "Result");
	if ((n = json_array_size(list)) == 0)
		goto out;
	if ((q->reply.instances = calloc(n, sizeof(*q->reply.instances))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	json_array_foreach(list, i, it) {
		struct hk_cloud_instance_result *ir = &q->reply.instances[i];

		ir->instance_id = hk_cloud_jdup(it, "InstanceId");
		ok = json_object_get(it, "Success");
		/* Documented as String, sent as boolean: accept both. */
		ir->ok = json_is_true(ok) || (json_is_string(ok) &&
		    strcmp(json_string_value(ok), "true") == 0);
		ir->code = hk_cloud_jdup(it, "Code");
		ir->not_attached = !ir->ok && ir->code != NULL &&
		    strcmp(ir->code, "InvalidKeyPairName.NotAttached") == 0;
		ir->message = hk_cloud_jdup(it, "Message");
	}
	q->reply.ninstances = n;
 out:
	json_decref(j);
	return r;
}

static int
parse_regions(struct hk_http_req *q, const struct hk_http_response *resp)
{
	json_t *j, *list, *it;
	size_t i, k = 0;
	int r = 0;

	if ((j = ali_json(q, resp)) == NULL)
		return HK_ERR_CLOUD_RESPONSE;
	list = json_object_get(json_object_get(j, "Regions"), "Region");
	if ((q->reply.regions = calloc(json_array_size(list) + 1, sizeof(char *))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	json_array_foreach(list, i, it) {
		const char *id = hk_cloud_jstr(it, "RegionId");

		if (id != NULL && (q->reply.regions[k++] = strdup(id)) == NULL) {
			r = HK_ERR_ALLOC;
			break;
		}
	}
	q->reply.nregions = k;
 out:
	json_decref(j);
	return r;
}

/* ---- operations ---- */

enum ali_op {
	ALI_IMPORT,
	ALI_DESCRIBE,
	ALI_DELETE,
	ALI_ATTACH,
	ALI_DETACH,
	ALI_REGIONS,
	ALI_NOPS
};

/* Only the import changes state in a way a resend could repeat. */
static const struct hk_http_op ali_ops[ALI_NOPS] = {
	[ALI_IMPORT] = { "ImportKeyPair", "POST", 0, 0, parse_import },
	[ALI_DESCRIBE] = { "DescribeKeyPairs", "POST", 1, 0, parse_describe },
	[ALI_DELETE] = { "DeleteKeyPairs", "POST", 1, 1, parse_delete },
	[ALI_ATTACH] = { "AttachKeyPair", "POST", 1, 0, parse_instances },
	[ALI_DETACH] = { "DetachKeyPair", "POST", 1, 0, parse_instances },
	[ALI_REGIONS] = { "DescribeRegions", "POST", 1, 0, parse_regions },
};

int
hk_cloud_aliyun_parse(unsigned int op, long status, const char *body, size_t len,
    struct hk_cloud_reply *reply)
{
	struct hk_http_response resp;
	struct hk_http_req *q = NULL;
	struct hk_cloud_cb cb = { NULL, NULL, NULL };
	int r;

	memset(reply, 0, sizeof(*reply));
	if ((r = hk_http_req_new(NULL, &ali_service, ali_ops, (int)(op % ALI_NOPS), NULL,
	    &cb, &q)) != 0)
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

static int
req_new(struct hk_cloud *c, enum ali_op op, const char *region,
    const struct hk_cloud_cb *cb, struct hk_http_req **qp)
{
	int r;

	if ((r = hk_http_req_new(c, &ali_service, ali_ops, op, region, cb, qp)) != 0)
		return r;
	if (region != NULL && (r = hk_http_req_param(*qp, "RegionId", region)) != 0) {
		hk_http_req_free(*qp);
		*qp = NULL;
	}
	return r;
}

/* Submit q if r is 0; q is freed unless it was queued. */
static int
finish(struct hk_http_req *q, int r)
{
	if (r == 0 && (r = hk_http_req_submit(q)) == 0)
		return 0;
	hk_http_req_free(q);
	return r;
}

/* ["a","b"]: the JSON-array-string form of KeyPairNames and InstanceIds. */
static int
param_list(struct hk_http_req *q, const char *name, const char *const *v, size_t n)
{
	json_t *a = json_array();
	char *s = NULL;
	size_t i;
	int r;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	if (a == NULL || (s = json_dumps(a, JSON_COMPACT)) == NULL)
		r = HK_ERR_ALLOC;
	else
		r = hk_http_req_param(q, name, s);
	free(s);
	json_decref(a);
	return r;
}

static int
ali_import(struct hk_cloud *c, const char *region, const char *name,
    const char *public_key, const struct hk_cloud_cb *cb)
{
	struct hk_http_req *q;
	int r;

	if ((r = req_new(c, ALI_IMPORT, region, cb, &q)) != 0)
		return r;
	if ((r = hk_http_req_param(q, "KeyPairName", name)) == 0)
		r = hk_http_req_param(q, "PublicKeyBody", public_key);
	return finish(q, r);
}

static int
ali_describe(struct hk_cloud *c, const char *region, const char *name,
    const struct hk_cloud_cb *cb)
{
	struct hk_http_req *q;
	int r;

	if ((r = req_new(c, ALI_DESCRIBE, region, cb, &q)) != 0)
		return r;
	/* Without '*' the name filter matches exactly. */
	if ((r = hk_http_req_param(q, "IncludePublicKey", "true")) == 0 &&
	    (r = hk_http_req_param(q, "PageNumber", "1")) == 0 &&
	    (r = hk_http_req_param(q, "PageSize", "50")) == 0 && name != NULL)
		r = hk_http_req_param(q, "KeyPairName", name);
	return finish(q, r);
}

static int
ali_delete(struct hk_cloud *c, const char *region, const char *const *names,
    size_t nnames, const struct hk_cloud_cb *cb)
{
	struct hk_http_req *q;
	int r;

	if (nnames == 0 || nnames > c->caps->delete_batch_max)
		return hk_errf(HK_ERR_INTERNAL, "DeleteKeyPairs: %zu names", nnames);
	if ((r = req_new(c, ALI_DELETE, region, cb, &q)) != 0)
		return r;
	return finish(q, param_list(q, "KeyPairNames", names, nnames));
}

static int
attach_common(struct hk_cloud *c, enum ali_op op, const char *region, const char *name,
    const char *const *ids, size_t nids, const struct hk_cloud_cb *cb)
{
	struct hk_http_req *q;
	int r;

	if (nids == 0 || nids > c->caps->attach_batch_max)
		return hk_errf(HK_ERR_INTERNAL, "%s: %zu instances", ali_ops[op].what, nids);
	if ((r = req_new(c, op, region, cb, &q)) != 0)
		return r;
	if ((r = param_list(q, "InstanceIds", ids, nids)) == 0)
		r = hk_http_req_param(q, "KeyPairName", name);
	return finish(q, r);
}

static int
ali_attach(struct hk_cloud *c, const char *region, const char *name,
    const char *const *ids, size_t nids, const struct hk_cloud_cb *cb)
{
	return attach_common(c, ALI_ATTACH, region, name, ids, nids, cb);
}

static int
ali_detach(struct hk_cloud *c, const char *region, const char *name,
    const char *const *ids, size_t nids, const struct hk_cloud_cb *cb)
{
	return attach_common(c, ALI_DETACH, region, name, ids, nids, cb);
}

static int
ali_regions(struct hk_cloud *c, const struct hk_cloud_cb *cb)
{
	struct hk_http_req *q;
	int r;

	if ((r = req_new(c, ALI_REGIONS, NULL, cb, &q)) != 0)
		return r;
	return finish(q, 0);
}

/* DeleteKeyPairs refuses the whole call while one pair is bound. */
static int
ali_in_use(const struct hk_error *e)
{
	return strcmp(e->provider_code, "InvalidParameter.KeypairAlreadyAttachedInstance") == 0;
}

static const struct hk_cloud_impl ali_impl = {
	.open = ali_open,
	.close = ali_close,
	.import_keypair = ali_import,
	.describe_keypairs = ali_describe,
	.delete_keypairs = ali_delete,
	.attach_keypair = ali_attach,
	.detach_keypair = ali_detach,
	.in_use = ali_in_use,
	.list_regions = ali_regions,
};

const struct hk_cloud_provider hk_cloud_aliyun = {
	.name = "aliyun",
	.title = "Alibaba Cloud ECS",
	.impl = &ali_impl,
	.caps = &ali_caps,
	.creds_load = ali_creds,
	.settings = ali_settings,
};
