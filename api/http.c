/* The request layer: the HTTP engine over one libcurl multi handle (queueing,
 * rate limiting, retries with exponential backoff and full jitter, local
 * timers, cancellation with a deadline, TLS always verified), and below it
 * the life of a provider request: sign, send, classify, parse, page, deliver. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"
#include "http.h"

#define HTTP_BODY_MAX	(8 * 1024 * 1024)	/* a key-pair API answer is far smaller */
#define HTTP_POLL_MS	100			/* how often a cancel source is polled */

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
	int prereq;			/* libcurl tells us when the request goes out */
	int on_wire;			/* ... and it did, this attempt */
	int on_wire_told;
	char errbuf[CURL_ERROR_SIZE];
	struct req *next;
	struct req *anext, *aprev;	/* in the active list */
};

struct timer {
	uint64_t due;
	hk_http_timer_fn *fn;
	void *arg;
	struct timer *next;
};

/* Work handed in by another thread (hk_http_post), run on the engine's. */
struct post {
	hk_http_timer_fn *fn;
	void *arg;
	struct post *next;
};

struct hk_http {
	struct hk_http_opts opts;
	CURLM *multi;
	struct curl_blob ca;		/* system bundle + --cacert, when given */
	char *ca_data;
	struct req *wait_head, *wait_tail;	/* not started yet (or waiting to retry) */
	struct req *active;		/* transfers in the multi handle */
	size_t nwait, nactive;
	struct timer *timers;		/* by due time */
	double tokens;
	uint64_t refill_at;
	struct hk_http_stats stats;
	int running;			/* inside hk_http_run() */
	atomic_int cancel_asked;	/* hk_http_cancel(), from any thread */
	int cancelling;			/* seen by the run loop */
	uint64_t deadline;		/* for transfers in flight once cancelling */
	/* The inbox: the only state other threads touch (under inbox_lock). */
	pthread_mutex_t inbox_lock;
	struct post *inbox_head, *inbox_tail;
	atomic_int holds;		/* hk_http_hold() minus hk_http_release() */
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
	if (http->opts.cancel_grace_ms <= 0)
		http->opts.cancel_grace_ms = 5000;
	http->tokens = http->opts.burst;
	http->refill_at = now_ms();
	atomic_init(&http->cancel_asked, 0);
	atomic_init(&http->holds, 0);
	pthread_mutex_init(&http->inbox_lock, NULL);
	if (opts->cacert != NULL) {
		if ((r = hk_http_ca_blob(opts->cacert, &http->ca_data, &http->ca.len)) != 0)
			goto fail;
		http->ca.data = http->ca_data;
		http->ca.flags = CURL_BLOB_NOCOPY;
	}
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
	struct timer *t;
	struct post *p;

	if (http == NULL)
		return;
	while ((p = http->inbox_head) != NULL) {
		http->inbox_head = p->next;
		free(p);
	}
	pthread_mutex_destroy(&http->inbox_lock);
	/* What is left was never run: dropped without its done() (run first). */
	for (q = http->wait_head; q != NULL; q = next) {
		next = q->next;
		req_free(q);
	}
	while ((t = http->timers) != NULL) {
		http->timers = t->next;
		free(t);
	}
	if (http->multi != NULL) {
		while ((q = http->active) != NULL) {
			http->active = q->anext;
			req_free(q);
		}
		curl_multi_cleanup(http->multi);
	}
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

static struct req *
wait_pop(struct hk_http *http)
{
	struct req *q = http->wait_head;

	if (q == NULL)
		return NULL;
	if ((http->wait_head = q->next) == NULL)
		http->wait_tail = NULL;
	q->next = NULL;
	http->nwait--;
	return q;
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

int
hk_http_defer(struct hk_http *http, long delay_ms, hk_http_timer_fn *fn, void *arg)
{
	struct timer *t, **pp;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return HK_ERR_ALLOC;
	t->due = now_ms() + (uint64_t)(delay_ms > 0 ? delay_ms : 0);
	t->fn = fn;
	t->arg = arg;
	/* By due time; equal times keep their order. */
	for (pp = &http->timers; *pp != NULL && (*pp)->due <= t->due; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	return 0;
}

void
hk_http_cancel(struct hk_http *http)
{
	atomic_store(&http->cancel_asked, 1);
	/* Wake a poll that may wait for a slow answer. */
	if (http->multi != NULL)
		curl_multi_wakeup(http->multi);
}

int
hk_http_post(struct hk_http *http, hk_http_timer_fn *fn, void *arg)
{
	struct post *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return HK_ERR_ALLOC;
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_lock(&http->inbox_lock);
	if (http->inbox_tail != NULL)
		http->inbox_tail->next = p;
	else
		http->inbox_head = p;
	http->inbox_tail = p;
	pthread_mutex_unlock(&http->inbox_lock);
	curl_multi_wakeup(http->multi);
	return 0;
}

void
hk_http_hold(struct hk_http *http)
{
	atomic_fetch_add(&http->holds, 1);
}

void
hk_http_release(struct hk_http *http)
{
	atomic_fetch_sub(&http->holds, 1);
	curl_multi_wakeup(http->multi);
}

/* Run what other threads posted, in order; each may submit requests. */
static void
inbox_run(struct hk_http *http)
{
	struct post *p, *next;

	pthread_mutex_lock(&http->inbox_lock);
	p = http->inbox_head;
	http->inbox_head = http->inbox_tail = NULL;
	pthread_mutex_unlock(&http->inbox_lock);
	for (; p != NULL; p = next) {
		next = p->next;
		p->fn(p->arg, http->cancelling);
		free(p);
	}
}

static int
inbox_empty(struct hk_http *http)
{
	int empty;

	pthread_mutex_lock(&http->inbox_lock);
	empty = http->inbox_head == NULL;
	pthread_mutex_unlock(&http->inbox_lock);
	return empty;
}

int
hk_http_cancelling(const struct hk_http *http)
{
	return http->cancelling || atomic_load(&((struct hk_http *)http)->cancel_asked);
}

int
hk_http_running(const struct hk_http *http)
{
	return http->running;
}

static void
tell(struct req *q, enum hk_http_event_kind kind, long retry_ms,
    const struct hk_http_response *resp)
{
	struct hk_http_event ev;

	if (q->call.event == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.attempt = q->attempt;
	ev.retry_ms = retry_ms;
	ev.resp = resp;
	q->call.event(q->call.arg, &ev);
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

/* The connection is up and the request is about to be written: it may land. */
static int
on_prereq(void *arg, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port,
    int conn_local_port)
{
	struct req *q = arg;

	(void)conn_primary_ip;
	(void)conn_local_ip;
	(void)conn_primary_port;
	(void)conn_local_port;
	q->on_wire = 1;
	return CURL_PREREQFUNC_OK;
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
	q->on_wire = q->on_wire_told = 0;
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
	q->prereq = curl_easy_setopt(q->easy, CURLOPT_PREREQFUNCTION, on_prereq) == CURLE_OK &&
	    curl_easy_setopt(q->easy, CURLOPT_PREREQDATA, q) == CURLE_OK;
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
	tell(q, HK_HTTP_EV_SENDING, 0, NULL);
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
req_finish(struct req *q, const struct hk_http_response *resp)
{
	q->call.done(q->call.arg, resp);
	req_free(q);
}

/* Deliver an outcome that needs no transfer: err, with text. */
static void
req_finish_err(struct req *q, int err, const char *text, int sent)
{
	struct hk_http_response resp;

	memset(&resp, 0, sizeof(resp));
	resp.err = err;
	resp.curl_error = text;
	resp.body = "";
	resp.attempt = q->attempt;
	resp.sent = sent;
	req_finish(q, &resp);
}

/* A failure before any transfer (the build callback, libcurl setup). */
static void
req_fail_early(struct req *q, int err)
{
	struct hk_error e;

	hk_error_take(&e, err);
	if (q->easy != NULL) {
		curl_easy_cleanup(q->easy);
		q->easy = NULL;
	}
	req_finish_err(q, err, hk_error_message(&e), 0);
}

/* Take q out of the multi handle and the active list. */
static void
active_unlink(struct hk_http *http, struct req *q)
{
	curl_multi_remove_handle(http->multi, q->easy);
	http->nactive--;
	if (q->aprev != NULL)
		q->aprev->anext = q->anext;
	else
		http->active = q->anext;
	if (q->anext != NULL)
		q->anext->aprev = q->aprev;
	q->anext = q->aprev = NULL;
}

/* Report the requests that went on the wire during the last perform. */
static void
tell_on_wire(struct hk_http *http)
{
	struct req *q;

	for (q = http->active; q != NULL; q = q->anext)
		if (q->on_wire && !q->on_wire_told) {
			q->on_wire_told = 1;
			tell(q, HK_HTTP_EV_SENT, 0, NULL);
		}
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
start_ready(struct hk_http *http, uint64_t now, long *waitp)
{
	struct req *q, *prev = NULL, *next;
	uint64_t soonest = UINT64_MAX;
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
			req_fail_early(q, r);
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
	long status = 0, conns = 0, delay;
	enum hk_http_verdict v = HK_HTTP_DONE;
	int sent;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&q);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &conns);
	active_unlink(http, q);
	http->stats.connects += (unsigned long)conns;
	memset(&resp, 0, sizeof(resp));
	if (q->resp_overflow) {
		resp.err = HK_ERR_CLOUD_RESPONSE;
		resp.curl_error = "response body too large";
		resp.sent = 1;
	} else {
		resp.err = map_curl(code, &sent);
		/* Exactly when libcurl says so; by the error's kind on an old libcurl. */
		resp.sent = resp.err == 0 ? 1 : q->prereq ? q->on_wire : sent;
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
		/* A retry is a new send: not after a cancel. */
		if (hk_http_cancelling(http)) {
			req_finish_err(q, HK_ERR_CANCELLED, "cancelled before it was sent again", 0);
			return;
		}
		delay = backoff_ms(http, q->attempt);
		tell(q, HK_HTTP_EV_RETRY, delay, &resp);
		msg_clear(&q->msg);
		q->not_before = now_ms() + (uint64_t)delay;
		wait_push(http, q);
		return;
	}
	req_finish(q, &resp);
}

/* Past the cancel deadline: what is still in flight is given up. */
static void
abandon_active(struct hk_http *http, int err, const char *why)
{
	struct req *q;

	while ((q = http->active) != NULL) {
		active_unlink(http, q);
		req_finish_err(q, err, why, q->prereq ? q->on_wire : 1);
	}
}

/*
 * Everything that is not a transfer: notice a cancel (and its deadline),
 * complete what waits once cancelled, fire due timers, start what is
 * ready. *waitp: ms until the next of these is due (-1: none).
 */
static void
step(struct hk_http *http, long *waitp)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	struct timer *t;
	struct req *q;
	int late;

	if (!http->cancelling && (atomic_load(&http->cancel_asked) ||
	    (http->opts.cancelled != NULL && http->opts.cancelled(http->opts.cancel_arg)))) {
		http->cancelling = 1;
		http->deadline = now + (uint64_t)http->opts.cancel_grace_ms;
	}
	inbox_run(http);
	late = http->cancelling && now >= http->deadline;
	if (late)
		abandon_active(http, HK_ERR_CANCELLED, "abandoned in flight at the cancel "
		    "deadline; it may have been applied");
	while ((t = http->timers) != NULL && (t->due <= now || late)) {
		http->timers = t->next;
		t->fn(t->arg, t->due > now);
		free(t);
	}
	if (http->cancelling) {
		/* Nothing new goes out; done() may queue more, which ends here too. */
		while ((q = wait_pop(http)) != NULL)
			req_finish_err(q, HK_ERR_CANCELLED, "cancelled before it was sent", 0);
		*waitp = -1;
	} else
		start_ready(http, now, waitp);
	if (http->timers != NULL)
		next = http->timers->due;
	if (http->cancelling && (http->nactive > 0 || http->timers != NULL) &&
	    http->deadline < next)
		next = http->deadline;
	if (next != UINT64_MAX) {
		long w = next > now ? (long)(next - now) : 0;

		if (*waitp < 0 || w < *waitp)
			*waitp = w;
	}
}

/* No request or timer is left (what other threads may still hand in aside). */
static int
drained(const struct hk_http *http)
{
	return http->nactive == 0 && http->nwait == 0 && http->timers == NULL;
}

static int
idle(struct hk_http *http)
{
	return http->nactive == 0 && http->nwait == 0 && http->timers == NULL &&
	    atomic_load(&http->holds) == 0 && inbox_empty(http);
}

/* libcurl failed under us: complete everything so no caller waits forever. */
static int
fatal(struct hk_http *http, const char *what)
{
	struct hk_error e;
	struct req *q;
	struct timer *t;
	int r;

	r = hk_errf(HK_ERR_HTTP, "%s failed", what);
	hk_error_take(&e, r);
	atomic_store(&http->cancel_asked, 1);
	http->cancelling = 1;
	do {
		abandon_active(http, HK_ERR_HTTP, e.message);
		while ((q = wait_pop(http)) != NULL)
			req_finish_err(q, HK_ERR_HTTP, e.message, 0);
		while ((t = http->timers) != NULL) {
			http->timers = t->next;
			t->fn(t->arg, 1);
			free(t);
		}
		inbox_run(http);
	} while (!drained(http));
	return hk_error_raise(&e);
}

int
hk_http_run(struct hk_http *http)
{
	CURLMsg *m;
	long wait, t;
	int running, left, r = 0;

	if (http->running)
		return hk_errf(HK_ERR_INTERNAL, "hk_http_run is not reentrant");
	http->running = 1;
	for (;;) {
		step(http, &wait);
		if (idle(http))
			break;
		if (curl_multi_perform(http->multi, &running) != CURLM_OK) {
			r = fatal(http, "curl_multi_perform");
			break;
		}
		tell_on_wire(http);
		while ((m = curl_multi_info_read(http->multi, &left)) != NULL)
			if (m->msg == CURLMSG_DONE)
				on_transfer_done(http, m->easy_handle, m->data.result);
		step(http, &wait);
		if (idle(http))
			break;
		if (http->nactive > 0) {
			if (curl_multi_timeout(http->multi, &t) != CURLM_OK || t < 0)
				t = 100;
		} else
			t = 1000;
		if (wait >= 0 && wait < t)
			t = wait;
		if (http->opts.cancelled != NULL && t > HTTP_POLL_MS)
			t = HTTP_POLL_MS;
		if (t > 0 && curl_multi_poll(http->multi, NULL, 0, (int)t, NULL) != CURLM_OK) {
			r = fatal(http, "curl_multi_poll");
			break;
		}
	}
	http->running = 0;
	return r;
}

void
hk_http_stats(const struct hk_http *http, struct hk_http_stats *stats)
{
	*stats = http->stats;
}

/* ---- provider requests ---- */

int
hk_http_req_new(struct hk_cloud *c, const struct hk_http_service *svc,
    const struct hk_http_op *ops, int code, const char *region,
    const struct hk_cloud_cb *cb, struct hk_http_req **qp)
{
	struct hk_http_req *q;

	*qp = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return HK_ERR_ALLOC;
	q->c = c;
	q->svc = svc;
	q->op = &ops[code];
	q->code = code;
	q->page = 1;
	q->cb = *cb;
	if (region != NULL && (q->region = strdup(region)) == NULL) {
		free(q);
		return HK_ERR_ALLOC;
	}
	*qp = q;
	return 0;
}

void
hk_http_req_free(struct hk_http_req *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->nparams; i++)
		free((char *)q->params[i].value);
	free(q->region);
	free(q->target);
	free(q->path);
	if (q->body != NULL)
		hk_freezero(q->body, strlen(q->body));
	free(q->cursor);
	hk_cloud_reply_clear(&q->reply);
	free(q);
}

int
hk_http_req_param(struct hk_http_req *q, const char *name, const char *value)
{
	char *v;
	size_t i;

	for (i = 0; i < q->nparams && strcmp(q->params[i].name, name) != 0; i++)
		;
	if (i == HK_HTTP_REQ_PARAMS_MAX)
		return hk_errf(HK_ERR_INTERNAL, "%s: too many parameters", q->op->what);
	if ((v = strdup(value)) == NULL)
		return HK_ERR_ALLOC;
	if (i == q->nparams) {
		q->params[i].name = name;
		q->nparams++;
	} else
		free((char *)q->params[i].value);
	q->params[i].value = v;
	return 0;
}

static void
req_deliver(struct hk_http_req *q)
{
	q->cb.done(q->cb.arg, &q->reply);
	hk_http_req_free(q);
}

/* Sign afresh for every attempt: a new nonce and time each time. */
static int
req_build(void *arg, struct hk_http_msg *msg)
{
	struct hk_http_req *q = arg;
	char *base;
	int r;

	base = q->c->endpoint != NULL ? strdup(q->c->endpoint) : q->svc->endpoint(q);
	if (base == NULL)
		return HK_ERR_ALLOC;
	r = q->svc->sign(q, base, msg);
	free(base);
	return r;
}

/* What went wrong with an answer that is not a success. */
static void
req_error(const struct hk_http_req *q, const struct hk_http_response *resp, struct hk_error *e)
{
	if (resp->err != 0)
		hk_cloud_error_transport(e, resp);
	else
		q->svc->parse_error(q, resp, e);
	/* Refused credentials: say which source they came from (never the secret). */
	if (e->code == HK_ERR_CLOUD_AUTH && q->c != NULL && q->c->creds != NULL &&
	    q->c->creds->source != NULL &&
	    strstr(e->message, "credentials from ") == NULL) {
		size_t len = strlen(e->message);

		snprintf(e->message + len, sizeof(e->message) - len, "%s(credentials from %s)",
		    len > 0 ? " " : "", q->c->creds->source);
	}
	if (q->region != NULL)
		snprintf(e->region, sizeof(e->region), "%s", q->region);
}

/*
 * The one retry policy: an operation that is not idempotent (an import) is
 * never sent again once it may have been applied; the caller looks first.
 */
static enum hk_http_verdict
req_classify(void *arg, const struct hk_http_response *resp)
{
	struct hk_http_req *q = arg;
	struct hk_error e;

	if (resp->err != 0) {
		if (resp->err == HK_ERR_TLS || resp->err == HK_ERR_CANCELLED)
			return HK_HTTP_DONE;
		return resp->sent && !q->op->idempotent ? HK_HTTP_DONE : HK_HTTP_RETRY;
	}
	if (resp->status >= 200 && resp->status < 300)
		return HK_HTTP_DONE;
	q->svc->parse_error(q, resp, &e);
	if (e.code == HK_ERR_THROTTLED)
		return HK_HTTP_RETRY;
	if (e.code == HK_ERR_NETWORK || resp->status >= 500)
		return q->op->idempotent ? HK_HTTP_RETRY : HK_HTTP_DONE;
	return HK_HTTP_DONE;
}

static void
req_event(void *arg, const struct hk_http_event *ev)
{
	struct hk_http_req *q = arg;
	struct hk_cloud_event ce;
	struct hk_error e;

	if (q->cb.event == NULL)
		return;
	memset(&ce, 0, sizeof(ce));
	ce.attempt = ev->attempt;
	switch (ev->kind) {
	case HK_HTTP_EV_SENDING:
		ce.kind = HK_CLOUD_EV_SENDING;
		break;
	case HK_HTTP_EV_SENT:
		ce.kind = HK_CLOUD_EV_SENT;
		break;
	case HK_HTTP_EV_RETRY:
		ce.kind = HK_CLOUD_EV_RETRYING;
		ce.retry_ms = ev->retry_ms;
		req_error(q, ev->resp, &e);
		ce.error = &e;
		break;
	}
	q->cb.event(q->cb.arg, &ce);
}

int
hk_http_req_parse(struct hk_http_req *q, const struct hk_http_response *resp)
{
	int r = 0;

	q->reply.sent = resp->sent;
	if (resp->err != 0 || resp->status < 200 || resp->status >= 300) {
		req_error(q, resp, &q->reply.error);
		/* Deleting what is gone, looking up what is not there: an answer. */
		if (q->op->absent_ok && q->reply.error.code == HK_ERR_CLOUD_NOT_FOUND)
			hk_error_clear(&q->reply.error);
		return 0;
	}
	if (q->op->parse != NULL && (r = q->op->parse(q, resp)) == HK_HTTP_MORE)
		return HK_HTTP_MORE;
	if (r < 0 && q->reply.error.code == 0)
		hk_error_set(&q->reply.error, r, "parsing the %s response", q->op->what);
	if (q->reply.error.code != 0 && q->region != NULL)
		snprintf(q->reply.error.region, sizeof(q->reply.error.region), "%s", q->region);
	return 0;
}

static int req_send(struct hk_http_req *q);

static void
req_done(void *arg, const struct hk_http_response *resp)
{
	struct hk_http_req *q = arg;
	int r;

	if (hk_http_req_parse(q, resp) == HK_HTTP_MORE) {
		/* The next page is a new request: not after a cancel. */
		if (hk_http_cancelling(q->c->http))
			hk_error_set(&q->reply.error, HK_ERR_CANCELLED, "cancelled before "
			    "page %u of %s", q->page, q->op->what);
		else if ((r = req_send(q)) == 0)
			return;
		else
			hk_error_take(&q->reply.error, r);
	}
	req_deliver(q);
}

static int
req_send(struct hk_http_req *q)
{
	struct hk_http_call call = {
		.build = req_build,
		.classify = req_classify,
		.done = req_done,
		.event = req_event,
		.arg = q,
	};

	return hk_http_submit(q->c->http, &call);
}

int
hk_http_req_submit(struct hk_http_req *q)
{
	return req_send(q);
}

void
hk_http_req_finish(struct hk_http_req *q, const struct hk_error *e)
{
	hk_error_copy(&q->reply.error, e);
	req_deliver(q);
}

static void
req_fail_now(void *arg, int cancelled)
{
	(void)cancelled;
	req_deliver(arg);
}

int
hk_http_req_fail(struct hk_http_req *q, const struct hk_error *e)
{
	hk_error_copy(&q->reply.error, e);
	return hk_http_defer(q->c->http, 0, req_fail_now, q);
}

const char *
hk_cloud_transport_version(void)
{
	return curl_version();
}
