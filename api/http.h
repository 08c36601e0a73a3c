/* hk_http: the asynchronous HTTP(S) engine under the cloud providers. The only
 * place libcurl appears: one multi handle, connection reuse, a concurrency cap,
 * a token-bucket rate limit, per-request timeouts and retries with backoff. */
#ifndef HK_HTTP_H
#define HK_HTTP_H

#include <stddef.h>

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
	int err;		/* 0 when an HTTP response arrived, else HK_ERR_NETWORK/TIMEOUT/TLS/HTTP */
	const char *curl_error;	/* text for err, or "" */
	long status;		/* HTTP status, 0 when none */
	const char *body;	/* NUL-terminated (may be "") */
	size_t body_len;
	unsigned int attempt;	/* 1 for the first try */
	int sent;		/* 1 if the request may have reached the server */
};

/* The provider's answer to "retry?" for a finished attempt. */
enum hk_http_verdict {
	HK_HTTP_DONE = 0,	/* deliver this response to done() */
	HK_HTTP_RETRY,		/* try again after backoff (unless attempts are used up) */
};

struct hk_http_call {
	/* Fill msg for the next attempt; non-zero aborts the request with that error. */
	int (*build)(void *arg, struct hk_http_msg *msg);
	/* May be NULL: then nothing is retried. */
	enum hk_http_verdict (*classify)(void *arg, const struct hk_http_response *resp);
	/* Called exactly once per submitted request, from hk_http_run(). */
	void (*done)(void *arg, const struct hk_http_response *resp);
	void *arg;
};

int hk_http_new(const struct hk_http_opts *opts, struct hk_http **httpp);
void hk_http_free(struct hk_http *http);	/* accepts NULL; cancels what is left */

/*
 * Queue a request. It starts when a transfer slot and a rate token are free.
 * Safe to call from done() callbacks (that is how providers chain calls).
 * On failure done() is not called.
 */
int hk_http_submit(struct hk_http *http, const struct hk_http_call *call);

/* Drive every queued request (and those submitted meanwhile) to completion. */
int hk_http_run(struct hk_http *http);

/* Counters for benchmarks and tests. */
struct hk_http_stats {
	unsigned long requests;		/* submitted */
	unsigned long attempts;		/* transfers started */
	unsigned long retries;		/* attempts beyond the first */
	unsigned long connects;		/* new TCP connections (reuse shows as attempts > connects) */
};
void hk_http_stats(const struct hk_http *http, struct hk_http_stats *stats);

#endif /* HK_HTTP_H */
