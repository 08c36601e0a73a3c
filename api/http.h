/* hk_http: the request layer under the cloud providers, and the only place
 * libcurl appears. Two halves in one file (http.c), so a request can be read
 * from the provider to the wire in one place:
 *  - the engine: one multi handle, connection reuse, a concurrency cap, a
 *    token-bucket rate limit, timeouts, retries with backoff, local timers,
 *    and cancellation with a deadline for what is in flight;
 *  - the provider request (struct hk_http_req): build, sign, send, classify
 *    the answer, retry by whether the operation is idempotent, parse the
 *    error envelope or the reply (raw body: JSON, XML or none), page, deliver.
 * A provider supplies only what differs (struct hk_http_service, and a
 * struct hk_http_op per operation). */
#ifndef HK_HTTP_H
#define HK_HTTP_H

#include <stddef.h>

#include "cloud_int.h"
#include "sign.h"

struct hk_http;

struct hk_http_opts {
	unsigned int jobs;		/* concurrent transfers (0: 8) */
	double rate;			/* requests per second for this provider (0: no limit) */
	unsigned int burst;		/* token-bucket size (0: jobs) */
	long timeout_ms;		/* whole transfer (0: 30 s) */
	long connect_timeout_ms;	/* (0: 10 s) */
	unsigned int max_attempts;	/* per request, first try included (0: 8) */
	long backoff_base_ms;		/* first retry waits up to this (0: 100) */
	long backoff_max_ms;		/* cap of the exponential backoff (0: 5000) */
	/*
	 * A PEM file of extra trust anchors. TLS is always verified; this file is
	 * ADDED to the system bundle (both are loaded as one CA blob), so
	 * --cacert for a test server does not disable the public CAs.
	 */
	const char *cacert;
	/*
	 * Cancellation: polled while hk_http_run() runs (NULL: only
	 * hk_http_cancel). Once cancelled nothing new starts; transfers in flight
	 * get cancel_grace_ms (0: 5 s) to finish, then they are abandoned.
	 */
	int (*cancelled)(void *arg);
	void *cancel_arg;
	long cancel_grace_ms;
};

/*
 * One attempt of a request as the provider builds it. The provider fills it in
 * its build callback before every attempt (so each attempt is signed afresh,
 * with a new nonce and timestamp); the engine frees the strings afterwards,
 * wiping the headers (they carry signatures and tokens).
 */
#define HK_HTTP_HEADERS_MAX 16
struct hk_http_msg {
	const char *method;		/* static string: "GET", "POST", "DELETE" */
	char *url;			/* malloc'd */
	char *body;			/* malloc'd or NULL */
	size_t body_len;
	char *headers[HK_HTTP_HEADERS_MAX];	/* malloc'd "Name: value" */
	size_t nheaders;
};
/* Append a malloc'd "Name: value" header (printf style). */
int hk_http_msg_header(struct hk_http_msg *msg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* What came back for one attempt. */
struct hk_http_response {
	int err;		/* 0 when an HTTP response arrived, else HK_ERR_NETWORK/TIMEOUT/TLS/HTTP/CANCELLED */
	const char *curl_error;	/* text for err, or "" */
	long status;		/* HTTP status, 0 when none */
	const char *body;	/* NUL-terminated (may be "") */
	size_t body_len;
	unsigned int attempt;	/* 1 for the first try */
	int sent;		/* 1 if the request may have reached the server */
};

/* The caller's answer to "retry?" for a finished attempt. */
enum hk_http_verdict {
	HK_HTTP_DONE = 0,	/* deliver this response to done() */
	HK_HTTP_RETRY,		/* try again after backoff (unless attempts are used up) */
};

/* Progress of one request, for journals and streamed output. */
enum hk_http_event_kind {
	HK_HTTP_EV_SENDING,	/* attempt is about to go out (built and signed) */
	HK_HTTP_EV_SENT,	/* it is on the wire: from here it may have been applied */
	HK_HTTP_EV_RETRY,	/* attempt failed (resp) and is tried again in retry_ms */
};
struct hk_http_event {
	enum hk_http_event_kind kind;
	unsigned int attempt;
	long retry_ms;
	const struct hk_http_response *resp;	/* HK_HTTP_EV_RETRY only */
};

struct hk_http_call {
	/* Fill msg for the next attempt; non-zero aborts the request with that error. */
	int (*build)(void *arg, struct hk_http_msg *msg);
	/* May be NULL: then nothing is retried. */
	enum hk_http_verdict (*classify)(void *arg, const struct hk_http_response *resp);
	/* Called exactly once per submitted request, from hk_http_run(). */
	void (*done)(void *arg, const struct hk_http_response *resp);
	/* May be NULL. Called from hk_http_run(), never after done(). */
	void (*event)(void *arg, const struct hk_http_event *ev);
	void *arg;
};

int hk_http_new(const struct hk_http_opts *opts, struct hk_http **httpp);
/* The system CA bundle plus the PEM file cacert, as one blob (http_ca.c). */
int hk_http_ca_blob(const char *cacert, char **datap, size_t *lenp);
void hk_http_free(struct hk_http *http);	/* accepts NULL; cancels what is left */

/*
 * Queue a request. It starts when a transfer slot and a rate token are free.
 * Safe to call from done() callbacks (that is how providers chain calls).
 * On failure done() is not called. After a cancel it completes (from
 * hk_http_run) with HK_ERR_CANCELLED and sent = 0, never going out.
 */
int hk_http_submit(struct hk_http *http, const struct hk_http_call *call);

/*
 * A local completion: fn(arg, cancelled) runs from hk_http_run() once
 * delay_ms have passed, or at the cancel deadline (cancelled = 1) if that
 * comes first. Work that needs no transfer (an answer known already, a
 * timer) completes through it like any other, asynchronously.
 */
typedef void hk_http_timer_fn(void *arg, int cancelled);
int hk_http_defer(struct hk_http *http, long delay_ms, hk_http_timer_fn *fn, void *arg);

/*
 * Drive every queued request (and those submitted meanwhile) to completion.
 * Not reentrant (HK_ERR_INTERNAL from inside a callback). When libcurl fails
 * every request left is completed with HK_ERR_HTTP and that is returned.
 */
int hk_http_run(struct hk_http *http);
/* 1 while hk_http_run() is on the stack. */
int hk_http_running(const struct hk_http *http);

/*
 * Stop: nothing new is sent, transfers in flight get cancel_grace_ms to
 * settle, then they are abandoned (HK_ERR_CANCELLED, sent = 1: it may have
 * been applied). Thread-safe (not async-signal-safe: a signal handler sets a
 * flag that opts.cancelled reads).
 */
void hk_http_cancel(struct hk_http *http);
int hk_http_cancelling(const struct hk_http *http);

/*
 * Work from other threads (the provisioning engine's token workers). Both
 * are thread-safe; everything else here belongs to the engine's thread.
 * hk_http_post: fn(arg, cancelled) runs on the engine's thread, from
 * hk_http_run(), in the order posted (cancelled = 1 once the session is
 * cancelling); it may submit requests. While a hold is taken hk_http_run()
 * does not return when it runs out of work, it waits for posts.
 */
int hk_http_post(struct hk_http *http, hk_http_timer_fn *fn, void *arg);
void hk_http_hold(struct hk_http *http);
void hk_http_release(struct hk_http *http);

/* Counters for benchmarks and tests. */
struct hk_http_stats {
	unsigned long requests;		/* submitted */
	unsigned long attempts;		/* transfers started */
	unsigned long retries;		/* attempts beyond the first */
	unsigned long connects;		/* new TCP connections (reuse shows as attempts > connects) */
};
void hk_http_stats(const struct hk_http *http, struct hk_http_stats *stats);

/* ---- provider requests: everything a provider does not write itself ---- */

struct hk_http_req;

/* What a provider plugs into the request layer (one per API it speaks). */
struct hk_http_service {
	/* Base URL for q ("https://ecs.cn-hangzhou.aliyuncs.com"); --endpoint replaces it. */
	char *(*endpoint)(const struct hk_http_req *q);
	/*
	 * This attempt of q, signed with a fresh nonce and time: method, the URL
	 * (base + q->path, with a query if the API wants one), headers, body.
	 */
	int (*sign)(const struct hk_http_req *q, const char *base, struct hk_http_msg *msg);
	/*
	 * A non-2xx answer: the provider's error envelope (raw body) into e,
	 * its codes mapped to HK_ERR_* (HK_ERR_THROTTLED is retried,
	 * HK_ERR_NETWORK means "the answer was lost").
	 */
	void (*parse_error)(const struct hk_http_req *q, const struct hk_http_response *resp,
	    struct hk_error *e);
};

/*
 * A 2xx answer (raw body) into q->reply: 0, HK_HTTP_MORE to send q again for
 * the next page (the parser has moved q->page / q->cursor / the params), or
 * an HK_ERR_* (q->reply.error may say more; else "parsing the <what> response").
 */
#define HK_HTTP_MORE 1
typedef int hk_http_parse_fn(struct hk_http_req *q, const struct hk_http_response *resp);

/* One operation of a provider's API, as data. */
struct hk_http_op {
	const char *what;		/* "ImportKeyPair": messages */
	const char *method;		/* "POST" (the signer may override) */
	int idempotent;			/* may be sent again after it may have been applied */
	int absent_ok;			/* "not found" is the answer, not an error (delete, get) */
	hk_http_parse_fn *parse;	/* NULL: the body is not looked at */
};

#define HK_HTTP_REQ_PARAMS_MAX 12
struct hk_http_req {
	struct hk_cloud *c;
	const struct hk_http_service *svc;
	const struct hk_http_op *op;
	int code;			/* the provider's operation number */
	char *region;			/* NULL: not regional */
	char *target;			/* what the call is about (a key pair name), or NULL */
	char *path;			/* appended to the base URL ("/" if NULL) */
	char *body;			/* the provider's request body, or NULL */
	struct hk_param params[HK_HTTP_REQ_PARAMS_MAX];	/* values owned */
	size_t nparams;
	unsigned int page;		/* paging state for the parser (1 first) */
	char *cursor;			/* paging marker for the parser, or NULL */
	void *data;			/* the provider's, not owned */
	struct hk_http_req *next;	/* for the provider's own queues */
	struct hk_cloud_reply reply;	/* accumulates pages; delivered to cb.done */
	struct hk_cloud_cb cb;
};

/* A request for operation code of table ops (one row per code). */
int hk_http_req_new(struct hk_cloud *c, const struct hk_http_service *svc,
    const struct hk_http_op *ops, int code, const char *region,
    const struct hk_cloud_cb *cb, struct hk_http_req **qp);
void hk_http_req_free(struct hk_http_req *q);	/* accepts NULL */
/* Add name=value (or replace the value of name); name is static, value copied. */
int hk_http_req_param(struct hk_http_req *q, const char *name, const char *value);
/*
 * Queue q: from here the layer owns it and calls cb.done once. On failure
 * q is the caller's still (to free, or to finish with the error).
 */
int hk_http_req_submit(struct hk_http_req *q);
/* Deliver q with error e from the run loop, asynchronously (ownership as submit). */
int hk_http_req_fail(struct hk_http_req *q, const struct hk_error *e);
/* Deliver q with error e now, then free it: only from inside hk_http_run. */
void hk_http_req_finish(struct hk_http_req *q, const struct hk_error *e);
/*
 * What the layer does with one final answer: transport error, error
 * envelope or reply parser, into q->reply. HK_HTTP_MORE when the parser
 * wants the next page. For the fuzz targets and tests.
 */
int hk_http_req_parse(struct hk_http_req *q, const struct hk_http_response *resp);

#endif /* HK_HTTP_H */
