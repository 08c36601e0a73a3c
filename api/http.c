/* The HTTP engine over one libcurl multi handle: queueing, rate limiting,
 * retries with exponential backoff and full jitter, TLS always verified. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"
#include "file.h"
#include "http.h"

#define HTTP_BODY_MAX	(8 * 1024 * 1024)	/* a key-pair API answer is far smaller */

struct req {
	struct hk_http_call call;
	struct hk_http *http;
	unsigned int attempt;
	uint64_t not_before;		/* ms, monotonic */
	CURL *easy;
	struct curl_slist *hdrs;
	struct hk_http_msg msg;
	char *resp;
	size_t resp_len, resp_size;
	int resp_overflow;
	char errbuf[CURL_ERROR_SIZE];
	struct req *next;
	struct req *anext, *aprev;	/* in the active list */
};

struct hk_http {
	struct hk_http_opts opts;
	CURLM *multi;
	struct curl_blob ca;		/* system bundle + --cacert, when given */
	char *ca_data;
	struct req *wait_head, *wait_tail;	/* not started yet (or waiting to retry) */
	struct req *active;		/* transfers in the multi handle */
	size_t nwait, nactive;
	double tokens;
	uint64_t refill_at;
	struct hk_http_stats stats;
	int running;			/* inside hk_http_run() */
};

static int curl_ready;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
hk_http_msg_header(struct hk_http_msg *msg, const char *fmt, ...)
{
	va_list ap;
	char *h;
	int n;

	if (msg->nheaders >= HK_HTTP_HEADERS_MAX)
		return hk_errf(HK_ERR_INTERNAL, "too many HTTP headers");
	va_start(ap, fmt);
	n = vasprintf(&h, fmt, ap);
	va_end(ap);
	if (n < 0)
		return HK_ERR_ALLOC;
	msg->headers[msg->nheaders++] = h;
	return 0;
}

static void
msg_clear(struct hk_http_msg *msg)
{
	size_t i;

	free(msg->url);
	if (msg->body != NULL)
		hk_freezero(msg->body, msg->body_len);
	/* Headers carry the Authorization signature and STS tokens. */
	for (i = 0; i < msg->nheaders; i++)
		hk_freezero(msg->headers[i], strlen(msg->headers[i]));
	memset(msg, 0, sizeof(*msg));
}

/*
 * The system trust store plus the caller's CA file, as one PEM blob. curl's
 * CURLOPT_CAINFO would REPLACE the bundle; adding keeps public endpoints
 * working when --cacert names a private CA.
 */
static int
load_ca(struct hk_http *http)
{
	struct hk_buf *b = NULL;
	char *sys = NULL, *extra = NULL, *def = NULL;
	size_t syslen = 0, extralen = 0;
	CURL *probe;
	int r;

	if ((r = hk_file_read(http->opts.cacert, 16 * 1024 * 1024, &extra, &extralen)) != 0) {
		r = hk_errf(HK_ERR_TLS, "--cacert %s: cannot read: %s",
		    http->opts.cacert, hk_strerror(r));
		goto out;
	}
	if (strstr(extra, "-----BEGIN CERTIFICATE-----") == NULL) {
		r = hk_errf(HK_ERR_TLS, "--cacert %s: no PEM certificate in it", http->opts.cacert);
		goto out;
	}
	if ((probe = curl_easy_init()) != NULL) {
		if (curl_easy_getinfo(probe, CURLINFO_CAINFO, &def) == CURLE_OK && def != NULL)
			def = strdup(def);
		else
			def = NULL;
		curl_easy_cleanup(probe);
	}
	/* No system bundle is not an error: the given CA alone then anchors trust. */
	if (def != NULL && hk_file_read(def, 16 * 1024 * 1024, &sys, &syslen) != 0)
		sys = NULL;
	if ((b = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	if ((sys != NULL && ((r = hk_buf_put(b, sys, syslen)) != 0 ||
	    (r = hk_buf_put_u8(b, '\n')) != 0)) ||
	    (r = hk_buf_put(b, extra, extralen)) != 0)
		goto out;
	if ((http->ca_data = malloc(hk_buf_len(b))) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	memcpy(http->ca_data, hk_buf_ptr(b), hk_buf_len(b));
	http->ca.data = http->ca_data;
	http->ca.len = hk_buf_len(b);
	http->ca.flags = CURL_BLOB_NOCOPY;
	r = 0;
 out:
	hk_buf_free(b);
	free(sys);
	free(extra);
	free(def);
	return r;
}

int
hk_http_new(const struct hk_http_opts *opts, struct hk_http **httpp)
{
	struct hk_http *http;
	int r;

	*httpp = NULL;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return hk_errf(HK_ERR_HTTP, "curl_global_init failed");
		curl_ready = 1;
	}
	if ((http = calloc(1, sizeof(*http))) == NULL)
		return HK_ERR_ALLOC;
	http->opts = *opts;
	if (http->opts.jobs == 0)
		http->opts.jobs = 8;
	if (http->opts.burst == 0)
		http->opts.burst = http->opts.jobs;
	if (http->opts.timeout_ms <= 0)
		http->opts.timeout_ms = 30000;
	if (http->opts.connect_timeout_ms <= 0)
		http->opts.connect_timeout_ms = 10000;
	if (http->opts.max_attempts == 0)
		http->opts.max_attempts = 8;
	if (http->opts.backoff_base_ms <= 0)
		http->opts.backoff_base_ms = 100;
	if (http->opts.backoff_max_ms <= 0)
		http->opts.backoff_max_ms = 5000;
	http->tokens = http->opts.burst;
	http->refill_at = now_ms();
	if (opts->cacert != NULL && (r = load_ca(http)) != 0)
		goto fail;
	if ((http->multi = curl_multi_init()) == NULL) {
		r = hk_errf(HK_ERR_HTTP, "curl_multi_init failed");
		goto fail;
	}
	curl_multi_setopt(http->multi, CURLMOPT_MAXCONNECTS, (long)http->opts.jobs);
	curl_multi_setopt(http->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)http->opts.jobs);
	curl_multi_setopt(http->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	*httpp = http;
	return 0;
 fail:
	hk_http_free(http);
	return r;
}

static void
req_free(struct req *q)
{
	if (q == NULL)
		return;
	if (q->easy != NULL) {
		if (q->http != NULL && q->http->multi != NULL)
			curl_multi_remove_handle(q->http->multi, q->easy);
		curl_easy_cleanup(q->easy);
	}
	curl_slist_free_all(q->hdrs);
	msg_clear(&q->msg);
	free(q->resp);
	free(q);
}

void
hk_http_free(struct hk_http *http)
{
	struct req *q, *next;

	if (http == NULL)
		return;
	for (q = http->wait_head; q != NULL; q = next) {
		next = q->next;
		req_free(q);
	}
	if (http->multi != NULL) {
		/* Transfers still running (a cancelled run) are freed with their req. */
		while ((q = http->active) != NULL) {
			http->active = q->anext;
			req_free(q);
		}
		curl_multi_cleanup(http->multi);
	}
	if (http->ca_data != NULL)
		free(http->ca_data);
	free(http);
}

static void
wait_push(struct hk_http *http, struct req *q)
{
	q->next = NULL;
	if (http->wait_tail != NULL)
		http->wait_tail->next = q;
	else
		http->wait_head = q;
	http->wait_tail = q;
	http->nwait++;
}

int
hk_http_submit(struct hk_http *http, const struct hk_http_call *call)
{
	struct req *q;

	if (call->build == NULL || call->done == NULL)
		return hk_errf(HK_ERR_INTERNAL, "hk_http_submit: build and done are required");
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return HK_ERR_ALLOC;
	q->call = *call;
	q->http = http;
	q->not_before = 0;
	wait_push(http, q);
	http->stats.requests++;
	return 0;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct req *q = arg;
	size_t n = size * nmemb, want;
	char *p;

	if (q->resp_len + n + 1 > HTTP_BODY_MAX) {
		q->resp_overflow = 1;
		return 0;
	}
	if (q->resp_len + n + 1 > q->resp_size) {
		want = q->resp_size == 0 ? 4096 : q->resp_size;
		while (want < q->resp_len + n + 1)
			want *= 2;
		if ((p = realloc(q->resp, want)) == NULL)
			return 0;
		q->resp = p;
		q->resp_size = want;
	}
	memcpy(q->resp + q->resp_len, data, n);
	q->resp_len += n;
	q->resp[q->resp_len] = '\0';
	return n;
}

/* Build this attempt's easy handle and add it to the multi handle. */
static int
req_start(struct hk_http *http, struct req *q)
{
	struct curl_slist *l;
	size_t i;
	int r;

	q->attempt++;
	q->resp_len = 0;
	q->resp_overflow = 0;
	q->errbuf[0] = '\0';
	msg_clear(&q->msg);
	curl_slist_free_all(q->hdrs);
	q->hdrs = NULL;
	if ((r = q->call.build(q->call.arg, &q->msg)) != 0)
		return r;
	if (q->msg.url == NULL || q->msg.method == NULL)
		return hk_errf(HK_ERR_INTERNAL, "request without method or URL");
	if (q->easy == NULL && (q->easy = curl_easy_init()) == NULL)
		return HK_ERR_ALLOC;
	curl_easy_reset(q->easy);
	for (i = 0; i < q->msg.nheaders; i++) {
		if ((l = curl_slist_append(q->hdrs, q->msg.headers[i])) == NULL)
			return HK_ERR_ALLOC;
		q->hdrs = l;
	}
	/* No "Expect: 100-continue" round trip for long bodies. */
	if ((l = curl_slist_append(q->hdrs, "Expect:")) == NULL)
		return HK_ERR_ALLOC;
	q->hdrs = l;
	curl_easy_setopt(q->easy, CURLOPT_URL, q->msg.url);
	curl_easy_setopt(q->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(q->easy, CURLOPT_HTTPHEADER, q->hdrs);
	curl_easy_setopt(q->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS, http->opts.timeout_ms);
	curl_easy_setopt(q->easy, CURLOPT_CONNECTTIMEOUT_MS, http->opts.connect_timeout_ms);
	/* Always verified; there is deliberately no switch to turn this off. */
	curl_easy_setopt(q->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(q->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (http->ca_data != NULL)
		curl_easy_setopt(q->easy, CURLOPT_CAINFO_BLOB, &http->ca);
	curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q);
	curl_easy_setopt(q->easy, CURLOPT_USERAGENT, "hwkey/" HK_VERSION);
	if (strcmp(q->msg.method, "GET") == 0) {
		curl_easy_setopt(q->easy, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(q->msg.method, "POST") == 0) {
		curl_easy_setopt(q->easy, CURLOPT_POST, 1L);
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, q->msg.body != NULL ? q->msg.body : "");
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->msg.body_len);
	} else {
		curl_easy_setopt(q->easy, CURLOPT_CUSTOMREQUEST, q->msg.method);
		if (q->msg.body != NULL) {
			curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, q->msg.body);
			curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)q->msg.body_len);
		}
	}
	if (curl_multi_add_handle(http->multi, q->easy) != CURLM_OK)
		return hk_errf(HK_ERR_HTTP, "curl_multi_add_handle failed");
	q->aprev = NULL;
	q->anext = http->active;
	if (http->active != NULL)
		http->active->aprev = q;
	http->active = q;
	http->nactive++;
	http->stats.attempts++;
	if (q->attempt > 1)
		http->stats.retries++;
	return 0;
}

static void
req_finish(struct hk_http *http, struct req *q, const struct hk_http_response *resp)
{
	q->call.done(q->call.arg, resp);
	(void)http;
	req_free(q);
}

/* Deliver a failure that happened before any transfer. */
static void
req_fail_early(struct hk_http *http, struct req *q, int err)
{
	struct hk_http_response resp;

	memset(&resp, 0, sizeof(resp));
	resp.err = err;
	resp.curl_error = hk_err_detail();
	resp.body = "";
	resp.attempt = q->attempt;
	if (q->easy != NULL) {
		curl_easy_cleanup(q->easy);
		q->easy = NULL;
	}
	req_finish(http, q, &resp);
}

static void
refill(struct hk_http *http, uint64_t now)
{
	if (http->opts.rate <= 0)
		return;
	http->tokens += (double)(now - http->refill_at) * http->opts.rate / 1000.0;
	if (http->tokens > http->opts.burst)
		http->tokens = http->opts.burst;
	http->refill_at = now;
}

/*
 * Start every waiting request that is due, while slots and rate tokens last.
 * *waitp: ms until something could start (-1: nothing waits).
 */
static void
start_ready(struct hk_http *http, long *waitp)
{
	struct req *q, *prev = NULL, *next;
	uint64_t now = now_ms(), soonest = UINT64_MAX;
	int r;

	*waitp = -1;
	refill(http, now);
	for (q = http->wait_head; q != NULL; q = next) {
		next = q->next;
		if (http->nactive >= http->opts.jobs)
			break;
		if (q->not_before > now) {
			if (q->not_before < soonest)
				soonest = q->not_before;
			prev = q;
			continue;
		}
		if (http->opts.rate > 0 && http->tokens < 1.0) {
			uint64_t t = now + (uint64_t)((1.0 - http->tokens) * 1000.0 /
			    http->opts.rate) + 1;

			if (t < soonest)
				soonest = t;
			break;
		}
		/* Unlink q. */
		if (prev != NULL)
			prev->next = next;
		else
			http->wait_head = next;
		if (http->wait_tail == q)
			http->wait_tail = prev;
		http->nwait--;
		if (http->opts.rate > 0)
			http->tokens -= 1.0;
		if ((r = req_start(http, q)) != 0)
			req_fail_early(http, q, r);
		/* done() may have queued more; next is still valid (appends only at the tail). */
		if (next == NULL && prev == NULL)
			next = http->wait_head;
		else if (next == NULL && prev != NULL)
			next = prev->next;
	}
	if (soonest != UINT64_MAX)
		*waitp = soonest > now ? (long)(soonest - now) : 0;
}

static int
map_curl(CURLcode c, int *sentp)
{
	*sentp = 1;
	switch (c) {
	case CURLE_OK:
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		return HK_ERR_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		*sentp = 0;
		return HK_ERR_NETWORK;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
		*sentp = 0;
		return HK_ERR_TLS;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return HK_ERR_NETWORK;
	default:
		return HK_ERR_HTTP;
	}
}

/* Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^(n-1))]. */
static long
backoff_ms(const struct hk_http *http, unsigned int attempt)
{
	long cap = http->opts.backoff_base_ms;
	unsigned int i;

	for (i = 1; i < attempt && cap < http->opts.backoff_max_ms; i++)
		cap *= 2;
	if (cap > http->opts.backoff_max_ms)
		cap = http->opts.backoff_max_ms;
	return (long)arc4random_uniform((uint32_t)cap + 1);
}

static void
on_transfer_done(struct hk_http *http, CURL *easy, CURLcode code)
{
	struct hk_http_response resp;
	struct req *q = NULL;
	long status = 0, conns = 0;
	enum hk_http_verdict v = HK_HTTP_DONE;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&q);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &conns);
	curl_multi_remove_handle(http->multi, easy);
	http->nactive--;
	if (q->aprev != NULL)
		q->aprev->anext = q->anext;
	else
		http->active = q->anext;
	if (q->anext != NULL)
		q->anext->aprev = q->aprev;
	q->anext = q->aprev = NULL;
	http->stats.connects += (unsigned long)conns;
	memset(&resp, 0, sizeof(resp));
	if (q->resp_overflow) {
		resp.err = HK_ERR_CLOUD_RESPONSE;
		resp.curl_error = "response body too large";
		resp.sent = 1;
	} else {
		resp.err = map_curl(code, &resp.sent);
		resp.curl_error = q->errbuf[0] != '\0' ? q->errbuf :
		    (code != CURLE_OK ? curl_easy_strerror(code) : "");
	}
	resp.status = resp.err == 0 ? status : 0;
	resp.body = q->resp != NULL ? q->resp : "";
	resp.body_len = q->resp_len;
	resp.attempt = q->attempt;
	if (q->call.classify != NULL)
		v = q->call.classify(q->call.arg, &resp);
	if (v == HK_HTTP_RETRY && q->attempt < http->opts.max_attempts) {
		msg_clear(&q->msg);
		q->not_before = now_ms() + (uint64_t)backoff_ms(http, q->attempt);
		wait_push(http, q);
		return;
	}
	req_finish(http, q, &resp);
}

int
hk_http_run(struct hk_http *http)
{
	CURLMsg *m;
	long wait, t;
	int running, left;

	if (http->running)
		return hk_errf(HK_ERR_INTERNAL, "hk_http_run is not reentrant");
	http->running = 1;
	for (;;) {
		start_ready(http, &wait);
		if (http->nactive == 0 && http->nwait == 0)
			break;
		if (curl_multi_perform(http->multi, &running) != CURLM_OK)
			break;
		while ((m = curl_multi_info_read(http->multi, &left)) != NULL)
			if (m->msg == CURLMSG_DONE)
				on_transfer_done(http, m->easy_handle, m->data.result);
		if (http->nactive == 0 && http->nwait == 0)
			break;
		start_ready(http, &wait);
		if (http->nactive > 0) {
			if (curl_multi_timeout(http->multi, &t) != CURLM_OK || t < 0)
				t = 100;
		} else
			t = 1000;
		if (wait >= 0 && wait < t)
			t = wait;
		if (t > 0)
			curl_multi_poll(http->multi, NULL, 0, (int)t, NULL);
	}
	http->running = 0;
	return 0;
}

void
hk_http_stats(const struct hk_http *http, struct hk_http_stats *stats)
{
	*stats = http->stats;
}
