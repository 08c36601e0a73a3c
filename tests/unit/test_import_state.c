/* The import state machine over the real request layer and libcurl: a fake
 * provider in this file speaks a plain-text API (no JSON: the layer assumes
 * none) to a scriptable HTTP server on loopback (threads in this process).
 * Proves: a dropped or timed-out import is followed by a describe before any
 * resend, and lands once; PENDING is the zero state; a cancel with calls in
 * flight sends nothing new, lets those calls settle within the grace period
 * or abandons them as "may have landed", and cancels the rest; events come
 * in order per (key, region), ending in exactly one final event. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cloud_int.h"
#include "err.h"
#include "http.h"
#include "ops.h"

static const char ed_line[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwsSB9HbTeKCdkSlMZeTq9jZggaPJUwAsUi/7wakB+B moto@getmoto";

/* ---- the server: one rule per key pair name, a log of every call ---- */

enum mode {
	M_ANSWER,		/* apply, answer "NAME FP" */
	M_DROP_AFTER,		/* first import: apply, close without an answer */
	M_DROP_BEFORE,		/* first import: close without applying */
	M_SLOW,			/* first import: apply, answer after hold_ms */
	M_HOLD,			/* every import: wait hold_ms, then apply and answer */
	M_THROTTLE,		/* first import: 429 Throttled */
	M_OTHER,		/* the name holds another key already */
};

#define SRV_NAMES 16
#define SRV_LOG 256

struct rule {
	char name[64];
	enum mode mode;
	long hold_ms;
	unsigned int imports;	/* seen */
	int applied;		/* holds our key */
	int other;		/* holds another key */
};

struct server {
	int fd, port;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int conns;		/* connection threads alive */
	char fp[HK_FP_MAX];	/* the fingerprint of our key, as the cloud reports it */
	struct rule rules[SRV_NAMES];
	size_t nrules;
	char log[SRV_LOG][80];	/* "import k-1" */
	size_t nlog;
};

static struct server srv;

static struct rule *
rule_for(const char *name)
{
	size_t i;

	for (i = 0; i < srv.nrules; i++)
		if (strcmp(srv.rules[i].name, name) == 0)
			return &srv.rules[i];
	assert_true(srv.nrules < SRV_NAMES);
	snprintf(srv.rules[srv.nrules].name, sizeof(srv.rules[0].name), "%s", name);
	return &srv.rules[srv.nrules++];
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* "GET /describe?region=r&name=NAME HTTP/1.1": the op and the name. */
static void
request_line(const char *buf, char *op, size_t opsize, char *name, size_t namesize)
{
	const char *p = strchr(buf, '/'), *q, *e;

	op[0] = name[0] = '\0';
	if (p == NULL)
		return;
	for (e = p + 1; *e != '\0' && *e != '?' && *e != ' '; e++)
		;
	snprintf(op, opsize, "%.*s", (int)(e - p - 1), p + 1);
	if ((q = strstr(p, "name=")) == NULL)
		return;
	for (e = q + 5; *e != '\0' && *e != '&' && *e != ' '; e++)
		;
	snprintf(name, namesize, "%.*s", (int)(e - q - 5), q + 5);
}

static void
reply(int fd, int status, const char *body)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
	    "Content-Type: text/plain\r\nConnection: close\r\n\r\n%s", status, strlen(body), body);

	/* The client may be gone (a timeout, a cancel): no SIGPIPE for that. */
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
		return;
}

static void
serve(int fd, const char *op, const char *name)
{
	struct rule *r;
	char body[512];
	enum mode mode;
	long hold;
	int first, answer = 1, status = 200;

	pthread_mutex_lock(&srv.lock);
	if (srv.nlog < SRV_LOG)
		snprintf(srv.log[srv.nlog++], sizeof(srv.log[0]), "%s %s", op, name);
	r = rule_for(name);
	mode = r->mode;
	hold = r->hold_ms;
	body[0] = '\0';
	if (strcmp(op, "import") == 0) {
		first = r->imports++ == 0;
		if (r->other || r->applied) {
			status = 409;
			snprintf(body, sizeof(body), "Exists the name is taken");
		} else if (first && mode == M_THROTTLE) {
			status = 429;
			snprintf(body, sizeof(body), "Throttled slow down");
		} else if (first && mode == M_DROP_BEFORE)
			answer = 0;
		else if (mode == M_HOLD) {
			/* Decide after the hold, as a slow server would. */
			pthread_mutex_unlock(&srv.lock);
			sleep_ms(hold);
			pthread_mutex_lock(&srv.lock);
			r->applied = 1;
			snprintf(body, sizeof(body), "%s %s\n", name, srv.fp);
		} else {
			r->applied = 1;
			answer = !(first && mode == M_DROP_AFTER);
			snprintf(body, sizeof(body), "%s %s\n", name, srv.fp);
			if (!(first && mode == M_SLOW))
				hold = 0;
		}
	} else if (strcmp(op, "describe") == 0) {
		hold = 0;
		if (r->applied)
			snprintf(body, sizeof(body), "%s %s\n", name, srv.fp);
		else if (r->other)
			snprintf(body, sizeof(body), "%s SHA256:someoneelse\n", name);
	} else if (strcmp(op, "delete") == 0) {
		hold = 0;
		r->other = r->applied = 0;
	}
	pthread_mutex_unlock(&srv.lock);
	if (!answer)
		return;
	if (mode == M_SLOW && hold > 0)
		sleep_ms(hold);
	reply(fd, status, body);
}

static void *
conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[16384], op[32], name[64], *end, *cl;
	size_t have = 0, need;
	ssize_t n;

	while ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
		if (have == sizeof(buf) - 1 || (n = read(fd, buf + have, sizeof(buf) - 1 - have)) <= 0)
			goto out;
		have += (size_t)n;
	}
	buf[have] = '\0';
	cl = strcasestr(buf, "\r\nContent-Length:");
	need = (size_t)(end - buf) + 4 + (cl != NULL ? strtoul(cl + 17, NULL, 10) : 0);
	while (have < need && have < sizeof(buf) - 1) {
		if ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) <= 0)
			goto out;
		have += (size_t)n;
	}
	buf[have] = '\0';
	request_line(buf, op, sizeof(op), name, sizeof(name));
	serve(fd, op, name);
 out:
	close(fd);
	pthread_mutex_lock(&srv.lock);
	if (--srv.conns == 0)
		pthread_cond_broadcast(&srv.idle);
	pthread_mutex_unlock(&srv.lock);
	return NULL;
}

static void *
server_main(void *arg)
{
	pthread_t t;
	int c;

	(void)arg;
	while ((c = accept(srv.fd, NULL, NULL)) >= 0) {
		pthread_mutex_lock(&srv.lock);
		srv.conns++;
		pthread_mutex_unlock(&srv.lock);
		if (pthread_create(&t, NULL, conn_main, (void *)(intptr_t)c) != 0) {
			close(c);
			pthread_mutex_lock(&srv.lock);
			srv.conns--;
			pthread_mutex_unlock(&srv.lock);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

static void
server_start(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct hk_key *k = NULL;

	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.lock, NULL);
	pthread_cond_init(&srv.idle, NULL);
	assert_int_equal(hk_key_parse(ed_line, strlen(ed_line), &k), 0);
	assert_int_equal(hk_key_fingerprint_buf(k, HK_FP_SHA256, srv.fp, sizeof(srv.fp)), 0);
	hk_key_free(k);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((srv.fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(srv.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(srv.fd, 64), 0);
	assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&sin, &len), 0);
	srv.port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&srv.thread, NULL, server_main, NULL), 0);
}

/* Wait for every connection thread (some sleep in a hold). */
static void
server_quiesce(void)
{
	pthread_mutex_lock(&srv.lock);
	while (srv.conns > 0)
		pthread_cond_wait(&srv.idle, &srv.lock);
	pthread_mutex_unlock(&srv.lock);
}

static void
server_stop(void)
{
	shutdown(srv.fd, SHUT_RDWR);
	close(srv.fd);
	pthread_join(srv.thread, NULL);
	server_quiesce();
}

static void
set_rule(const char *name, enum mode mode, long hold_ms)
{
	struct rule *r;

	pthread_mutex_lock(&srv.lock);
	r = rule_for(name);
	r->mode = mode;
	r->hold_ms = hold_ms;
	if (mode == M_OTHER)
		r->other = 1;
	pthread_mutex_unlock(&srv.lock);
}

/* The server's log for one name, as "import,describe,import". */
static void
log_of(const char *name, char *buf, size_t size)
{
	size_t i, off = 0;
	const char *sp;

	buf[0] = '\0';
	pthread_mutex_lock(&srv.lock);
	for (i = 0; i < srv.nlog; i++) {
		sp = strchr(srv.log[i], ' ');
		if (sp == NULL || strcmp(sp + 1, name) != 0)
			continue;
		if (off > 0)
			off += (size_t)snprintf(buf + off, size - off, ",");
		if (off < size)
			off += (size_t)snprintf(buf + off, size - off, "%.*s",
			    (int)(sp - srv.log[i]), srv.log[i]);
		if (off >= size)
			break;
	}
	pthread_mutex_unlock(&srv.lock);
}

static size_t
count_calls(const char *op)
{
	size_t i, n = 0, len = strlen(op);

	pthread_mutex_lock(&srv.lock);
	for (i = 0; i < srv.nlog; i++)
		n += strncmp(srv.log[i], op, len) == 0 && srv.log[i][len] == ' ';
	pthread_mutex_unlock(&srv.lock);
	return n;
}

/* ---- the fake provider: plain text over the shared request layer ---- */

static const struct hk_cloud_keycap flaky_keys[] = {
	{ HK_KEY_ED25519, HK_CURVE_NONE, NULL, "ed25519" },
	{ HK_KEY_UNSPEC, HK_CURVE_NONE, NULL, NULL },
};

static const char *const flaky_regions[] = { "fl-1", NULL };

static const struct hk_cloud_caps flaky_caps = {
	.provider = "flaky",
	.title = "Flaky Cloud",
	.keys = flaky_keys,
	.suggest = "use ed25519",
	.name = { .min = 1, .max = 32, .first = "", .allowed = "abcdefghijklmnopqrstuvwxyz0123456789-",
	    .text = "a-z, 0-9, '-'" },
	.fp = HK_FP_SHA256,
	.list_page_max = 50,
	.delete_batch_max = 1,
	.attach_batch_max = 1,
	.regions = flaky_regions,
};

enum flaky_op { FL_IMPORT, FL_DESCRIBE, FL_DELETE, FL_NOPS };

static char *
flaky_endpoint(const struct hk_http_req *q)
{
	(void)q;
	return strdup("http://unused.invalid");	/* the session's endpoint replaces it */
}

static int
flaky_sign(const struct hk_http_req *q, const char *base, struct hk_http_msg *msg)
{
	char *query = NULL;
	int r;

	if ((r = hk_sign_canonical_query(q->params, q->nparams, &query)) != 0)
		return r;
	msg->method = q->op->method;
	if (asprintf(&msg->url, "%s%s?%s", base, q->path, query) < 0) {
		msg->url = NULL;
		free(query);
		return HK_ERR_ALLOC;
	}
	free(query);
	return hk_http_msg_header(msg, "X-Flaky-Signature: %s", "trust-me");
}

/* "Code the message": the whole envelope. */
static void
flaky_parse_error(const struct hk_http_req *q, const struct hk_http_response *resp,
    struct hk_error *e)
{
	char code[32] = "";
	const char *msg = strchr(resp->body, ' ');
	int err = HK_ERR_CLOUD;

	(void)q;
	snprintf(code, sizeof(code), "%.*s", msg != NULL ? (int)(msg - resp->body) : 0,
	    resp->body);
	if (strcmp(code, "Exists") == 0)
		err = HK_ERR_CLOUD_EXISTS;
	else if (strcmp(code, "Throttled") == 0)
		err = HK_ERR_THROTTLED;
	else if (resp->status == 404)
		err = HK_ERR_CLOUD_NOT_FOUND;
	hk_cloud_error_provider(e, err, resp->status, code, msg != NULL ? msg + 1 : NULL, NULL);
}

/* "NAME FP\n" lines. */
static int
flaky_parse_pairs(struct hk_http_req *q, const struct hk_http_response *resp)
{
	const char *p = resp->body, *sp, *nl;

	while ((sp = strchr(p, ' ')) != NULL && (nl = strchr(sp, '\n')) != NULL) {
		struct hk_cloud_keypair *kp;

		kp = realloc(q->reply.pairs, (q->reply.npairs + 1) * sizeof(*kp));
		if (kp == NULL)
			return HK_ERR_ALLOC;
		q->reply.pairs = kp;
		kp = &q->reply.pairs[q->reply.npairs++];
		memset(kp, 0, sizeof(*kp));
		kp->name = strndup(p, (size_t)(sp - p));
		kp->fingerprint = strndup(sp + 1, (size_t)(nl - sp - 1));
		p = nl + 1;
	}
	return 0;
}

static int
flaky_parse_import(struct hk_http_req *q, const struct hk_http_response *resp)
{
	int r;

	if ((r = flaky_parse_pairs(q, resp)) != 0 || q->reply.npairs != 1)
		return r != 0 ? r : HK_ERR_CLOUD_RESPONSE;
	q->reply.fingerprint = strdup(q->reply.pairs[0].fingerprint);
	return 0;
}

static const struct hk_http_service flaky_service = {
	.endpoint = flaky_endpoint,
	.sign = flaky_sign,
	.parse_error = flaky_parse_error,
};

static const struct hk_http_op flaky_ops[FL_NOPS] = {
	[FL_IMPORT] = { "import", "POST", 0, 0, flaky_parse_import },
	[FL_DESCRIBE] = { "describe", "GET", 1, 0, flaky_parse_pairs },
	[FL_DELETE] = { "delete", "DELETE", 1, 1, NULL },
};

static int
flaky_call(struct hk_cloud *c, enum flaky_op op, const char *region, const char *name,
    const struct hk_cloud_cb *cb)
{
	struct hk_http_req *q;
	int r;

	if ((r = hk_http_req_new(c, &flaky_service, flaky_ops, op, region, cb, &q)) != 0)
		return r;
	if ((r = asprintf(&q->path, "/%s", flaky_ops[op].what)) < 0)
		q->path = NULL;
	if (q->path == NULL)
		r = HK_ERR_ALLOC;
	else if ((r = hk_http_req_param(q, "region", region)) == 0 &&
	    (r = hk_http_req_param(q, "name", name != NULL ? name : "")) == 0 &&
	    (r = hk_http_req_submit(q)) == 0)
		return 0;
	hk_http_req_free(q);
	return r;
}

static int
flaky_import(struct hk_cloud *c, const char *region, const char *name, const char *public_key,
    const struct hk_cloud_cb *cb)
{
	(void)public_key;
	return flaky_call(c, FL_IMPORT, region, name, cb);
}

static int
flaky_describe(struct hk_cloud *c, const char *region, const char *name,
    const struct hk_cloud_cb *cb)
{
	return flaky_call(c, FL_DESCRIBE, region, name, cb);
}

static int
flaky_delete(struct hk_cloud *c, const char *region, const char *const *names, size_t n,
    const struct hk_cloud_cb *cb)
{
	assert_int_equal(n, 1);
	return flaky_call(c, FL_DELETE, region, names[0], cb);
}

static int
flaky_creds(const struct hk_cloud_settings *s, struct hk_creds **credsp)
{
	(void)s;
	return hk_creds_new("flaky", "secret", NULL, "the test", credsp);
}

static const struct hk_cloud_impl flaky_impl = {
	.import_keypair = flaky_import,
	.describe_keypairs = flaky_describe,
	.delete_keypairs = flaky_delete,
};

static const struct hk_cloud_provider flaky_row = {
	.name = "flaky",
	.title = "Flaky Cloud",
	.impl = &flaky_impl,
	.caps = &flaky_caps,
	.creds_load = flaky_creds,
};

/* ---- recording events ---- */

#define EV_MAX 64

struct evlog {
	struct hk_import_event ev[16][EV_MAX];	/* by result index */
	size_t n[16];
	unsigned int sent_imports;
	unsigned int cancel_after_sent;		/* cancel once this many imports went out */
	struct hk_cloud *cancel;		/* ... through hk_cloud_cancel */
	int ui_flag;				/* ... or through the ui's cancelled() */
	const struct hk_import_result *base;
};

static struct evlog evl;

static void
on_event(void *arg, const struct hk_import_event *ev)
{
	struct evlog *l = arg;
	size_t i = (size_t)(ev->result - l->base);

	assert_true(i < 16);
	assert_true(l->n[i] < EV_MAX);
	l->ev[i][l->n[i]] = *ev;
	l->ev[i][l->n[i]].error = NULL;
	/* The result already says how it ended when a final event comes. */
	if (ev->kind >= HK_IMPORT_EV_VERIFIED)
		assert_int_not_equal(ev->result->status, HK_IMPORT_PENDING);
	else
		assert_int_equal(ev->result->status, HK_IMPORT_PENDING);
	if (ev->kind == HK_IMPORT_EV_RETRYING)
		assert_non_null(ev->error);
	l->n[i]++;
	if (ev->kind == HK_IMPORT_EV_SENT && ev->step == HK_IMPORT_STEP_IMPORT &&
	    ++l->sent_imports == l->cancel_after_sent) {
		if (l->cancel != NULL)
			hk_cloud_cancel(l->cancel);
		l->ui_flag = 1;
	}
}

static int
ui_cancelled(void *arg)
{
	return ((struct evlog *)arg)->ui_flag;
}

/* Kinds of result i's events as "SENDING:import:1 SENT:import:1 VERIFIED". */
static void
kinds(size_t i, char *buf, size_t size)
{
	static const char *const kn[] = { "SENDING", "SENT", "RETRYING", "SETTLING", "VERIFIED",
	    "FAILED", "CANCELLED", "UNSETTLED" };
	static const char *const sn[] = { "import", "describe", "delete" };
	size_t k, off = 0;

	buf[0] = '\0';
	for (k = 0; k < evl.n[i] && off < size; k++) {
		const struct hk_import_event *e = &evl.ev[i][k];

		if (off > 0)
			off += (size_t)snprintf(buf + off, size - off, " ");
		if (off >= size)
			break;
		if (e->kind <= HK_IMPORT_EV_RETRYING)
			off += (size_t)snprintf(buf + off, size - off, "%s:%s:%u", kn[e->kind],
			    sn[e->step], e->attempt);
		else
			off += (size_t)snprintf(buf + off, size - off, "%s", kn[e->kind]);
	}
}

/* Every result ends with exactly one final event, its last. */
static void
assert_one_final(size_t n)
{
	size_t i, k, finals;

	for (i = 0; i < n; i++) {
		for (k = finals = 0; k < evl.n[i]; k++)
			finals += evl.ev[i][k].kind >= HK_IMPORT_EV_VERIFIED;
		assert_int_equal(finals, 1);
		assert_true(evl.ev[i][evl.n[i] - 1].kind >= HK_IMPORT_EV_VERIFIED);
	}
}

/* ---- running an import ---- */

struct run {
	struct hk_cloud *c;
	struct hk_import *imp;
	const struct hk_import_result *res;
	size_t n;
	struct hk_key *key;
	struct hk_ui ui;
};

static void
run_open(struct run *rn, unsigned int jobs, long timeout_ms, long grace_ms, int use_ui)
{
	struct hk_cloud_opts o;
	char url[64];

	memset(rn, 0, sizeof(*rn));
	memset(&evl, 0, sizeof(evl));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv.port);
	memset(&o, 0, sizeof(o));
	o.endpoint = url;
	o.jobs = jobs;
	o.timeout_ms = timeout_ms;
	o.cancel_grace_ms = grace_ms;
	if (use_ui) {
		rn->ui.cancelled = ui_cancelled;
		rn->ui.arg = &evl;
		o.ui = &rn->ui;
	}
	assert_int_equal(hk_cloud_open_impl(&flaky_row, &o, &rn->c), 0);
	assert_int_equal(hk_key_parse(ed_line, strlen(ed_line), &rn->key), 0);
}

/* The same key under nkeys names ("k-1", ...), into region fl-1. */
static int
run_import(struct run *rn, size_t nkeys, const char *name, int flags)
{
	const struct hk_key *keys[16];
	struct hk_import_req req;
	struct hk_error e;
	size_t i;
	int r;

	for (i = 0; i < nkeys; i++)
		keys[i] = rn->key;
	memset(&req, 0, sizeof(req));
	req.keys = keys;
	req.nkeys = nkeys;
	req.name = name;
	req.regions = "fl-1";
	req.flags = flags;
	req.event = on_event;
	req.arg = &evl;
	assert_int_equal(hk_import_new(&flaky_caps, &req, &rn->imp, &e), 0);
	assert_int_equal(hk_import_start(rn->imp, rn->c, &e), 0);
	rn->res = hk_import_results(rn->imp, &rn->n);
	evl.base = rn->res;
	/* Queued, not settled: the zero state. */
	for (i = 0; i < rn->n; i++)
		assert_int_equal(rn->res[i].status, HK_IMPORT_PENDING);
	r = hk_cloud_run(rn->c);
	for (i = 0; i < rn->n; i++)
		assert_int_not_equal(rn->res[i].status, HK_IMPORT_PENDING);
	return r;
}

static void
run_close(struct run *rn)
{
	hk_import_free(rn->imp);
	hk_cloud_free(rn->c);
	hk_key_free(rn->key);
}

static int
setup(void **state)
{
	(void)state;
	server_start();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	server_stop();
	return 0;
}

/* ---- the tests ---- */

static void
test_pending_is_zero(void **state)
{
	struct hk_import_result r;
	struct hk_import_summary sum;
	struct hk_import_req req;
	struct hk_import *imp = NULL;
	struct hk_key *k = NULL;
	struct run rn;
	struct hk_error e;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(r.status, HK_IMPORT_PENDING);
	assert_string_equal(hk_import_status_name(r.status), "pending");
	assert_string_equal(hk_import_status_name(HK_IMPORT_FAILED), "failed");
	assert_string_equal(hk_import_status_name(HK_IMPORT_UNSETTLED), "may have landed");
	/* Started and never run: pending, which a batch counts as not done. */
	run_open(&rn, 4, 2000, 1000, 0);
	assert_int_equal(hk_key_parse(ed_line, strlen(ed_line), &k), 0);
	memset(&req, 0, sizeof(req));
	req.keys = (const struct hk_key *const *)&k;
	req.nkeys = 1;
	req.name = "never-run";
	req.regions = "fl-1";
	assert_int_equal(hk_import_new(&flaky_caps, &req, &imp, &e), 0);
	assert_int_equal(hk_import_start(imp, rn.c, &e), 0);
	hk_import_summary(imp, &sum);
	assert_int_equal(sum.count[HK_IMPORT_PENDING], 1);
	assert_int_equal(sum.batch.nfailed, 0);
	assert_int_equal(sum.batch.ncancelled, 1);
	/* Running settles it; only then is the import free to go. */
	assert_int_equal(hk_cloud_run(rn.c), 0);
	hk_import_summary(imp, &sum);
	assert_int_equal(sum.count[HK_IMPORT_IMPORTED], 1);
	hk_import_free(imp);
	hk_key_free(k);
	run_close(&rn);
}

static void
test_dropped_after_landing_is_described_not_resent(void **state)
{
	struct run rn;
	char log[256], ev[512];

	(void)state;
	set_rule("drop-a", M_DROP_AFTER, 0);
	run_open(&rn, 4, 2000, 1000, 0);
	assert_int_equal(run_import(&rn, 1, "drop-a", 0), 0);
	assert_int_equal(rn.res[0].status, HK_IMPORT_IMPORTED);
	log_of("drop-a", log, sizeof(log));
	assert_string_equal(log, "import,describe");
	kinds(0, ev, sizeof(ev));
	assert_string_equal(ev, "SENDING:import:1 SENT:import:1 SETTLING SENDING:describe:1 "
	    "SENT:describe:1 VERIFIED");
	assert_one_final(rn.n);
	run_close(&rn);
}

static void
test_dropped_before_landing_is_described_then_resent(void **state)
{
	struct run rn;
	char log[256], ev[512];

	(void)state;
	set_rule("drop-b", M_DROP_BEFORE, 0);
	run_open(&rn, 4, 2000, 1000, 0);
	assert_int_equal(run_import(&rn, 1, "drop-b", 0), 0);
	assert_int_equal(rn.res[0].status, HK_IMPORT_IMPORTED);
	log_of("drop-b", log, sizeof(log));
	assert_string_equal(log, "import,describe,import");
	kinds(0, ev, sizeof(ev));
	assert_string_equal(ev, "SENDING:import:1 SENT:import:1 SETTLING SENDING:describe:1 "
	    "SENT:describe:1 SENDING:import:1 SENT:import:1 VERIFIED");
	assert_int_equal(evl.ev[0][evl.n[0] - 2].imports, 2);
	assert_one_final(rn.n);
	run_close(&rn);
}

static void
test_timed_out_import_is_described(void **state)
{
	struct run rn;
	char log[256];

	(void)state;
	/* Applied, but the answer comes after the client's timeout. */
	set_rule("slow-a", M_SLOW, 1500);
	run_open(&rn, 4, 400, 1000, 0);
	assert_int_equal(run_import(&rn, 1, "slow-a", 0), 0);
	assert_int_equal(rn.res[0].status, HK_IMPORT_IMPORTED);
	log_of("slow-a", log, sizeof(log));
	assert_string_equal(log, "import,describe");
	run_close(&rn);
}

static void
test_throttled_events_in_order(void **state)
{
	struct run rn;
	char ev[512];
	size_t k;

	(void)state;
	set_rule("thr-a", M_THROTTLE, 0);
	run_open(&rn, 4, 2000, 1000, 0);
	assert_int_equal(run_import(&rn, 1, "thr-a", 0), 0);
	assert_int_equal(rn.res[0].status, HK_IMPORT_IMPORTED);
	kinds(0, ev, sizeof(ev));
	/* The server refused it: resent by the layer, no describe needed. */
	assert_string_equal(ev, "SENDING:import:1 SENT:import:1 RETRYING:import:1 "
	    "SENDING:import:2 SENT:import:2 VERIFIED");
	for (k = 0; k < evl.n[0]; k++)
		if (evl.ev[0][k].kind == HK_IMPORT_EV_RETRYING)
			assert_true(evl.ev[0][k].retry_ms >= 0 && evl.ev[0][k].retry_ms <= 100);
	run_close(&rn);
}

static void
test_replace_events(void **state)
{
	struct run rn;
	char log[256], ev[512];

	(void)state;
	set_rule("other-a", M_OTHER, 0);
	run_open(&rn, 4, 2000, 1000, 0);
	assert_int_equal(run_import(&rn, 1, "other-a", HK_IMPORT_REPLACE), 0);
	assert_int_equal(rn.res[0].status, HK_IMPORT_REPLACED);
	log_of("other-a", log, sizeof(log));
	assert_string_equal(log, "import,describe,delete,import");
	kinds(0, ev, sizeof(ev));
	assert_string_equal(ev, "SENDING:import:1 SENT:import:1 SENDING:describe:1 "
	    "SENT:describe:1 SENDING:delete:1 SENT:delete:1 SENDING:import:1 SENT:import:1 "
	    "VERIFIED");
	run_close(&rn);
}

static void
test_cancel_abandons_in_flight(void **state)
{
	struct hk_import_summary sum;
	struct hk_error out;
	struct timespec t0, t1;
	struct run rn;
	size_t i, unsettled = 0, cancelled = 0;
	int landed[6];

	(void)state;
	for (i = 1; i <= 6; i++) {
		char name[16];

		snprintf(name, sizeof(name), "hold-%zu", i);
		set_rule(name, M_HOLD, 3000);
	}
	/* Two at a time; cancel once both are on the wire; 200 ms to settle. */
	run_open(&rn, 2, 10000, 200, 0);
	evl.cancel_after_sent = 2;
	evl.cancel = rn.c;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(run_import(&rn, 6, "hold-%n", 0), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* The deadline, not the server's 3 s, ended the run. */
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2500);
	for (i = 0; i < rn.n; i++) {
		if (rn.res[i].status == HK_IMPORT_UNSETTLED) {
			unsettled++;
			assert_true(rn.res[i].maybe_landed);
			assert_non_null(strstr(rn.res[i].error.message, "may have landed"));
		} else {
			assert_int_equal(rn.res[i].status, HK_IMPORT_CANCELLED);
			assert_false(rn.res[i].maybe_landed);
			cancelled++;
		}
		assert_int_equal(rn.res[i].error.code, HK_ERR_CANCELLED);
	}
	assert_int_equal(unsettled, 2);
	assert_int_equal(cancelled, 4);
	assert_one_final(rn.n);
	hk_import_summary(rn.imp, &sum);
	assert_int_equal(sum.count[HK_IMPORT_UNSETTLED], 2);
	assert_int_equal(sum.batch.ncancelled, 6);
	assert_int_equal(hk_op_batch_outcome(sum.batch.nitems, sum.batch.nfailed,
	    sum.batch.ncancelled, sum.batch.first, sum.batch.first_where, &out),
	    HK_ERR_INTERRUPTED);
	for (i = 0; i < rn.n; i++)
		landed[i] = rn.res[i].status == HK_IMPORT_UNSETTLED;
	run_close(&rn);
	/* Nothing new went out: the two in flight are all the server ever saw... */
	sleep_ms(300);
	assert_int_equal(count_calls("import"), 2);
	/*
	 * ... and they did land once the server got to them. A later run
	 * settles them with a describe: already there, never imported twice.
	 */
	server_quiesce();
	for (i = 1; i <= 6; i++) {
		char name[16];

		snprintf(name, sizeof(name), "hold-%zu", i);
		set_rule(name, M_ANSWER, 0);
	}
	run_open(&rn, 8, 2000, 1000, 0);
	assert_int_equal(run_import(&rn, 6, "hold-%n", 0), 0);
	for (i = 0; i < rn.n; i++)
		assert_int_equal(rn.res[i].status, landed[i] ? HK_IMPORT_PRESENT :
		    HK_IMPORT_IMPORTED);
	assert_int_equal(count_calls("import"), 2 + 6);
	run_close(&rn);
}

static void
test_cancel_lets_in_flight_settle(void **state)
{
	struct run rn;
	size_t i, imported = 0, cancelled = 0;

	(void)state;
	for (i = 1; i <= 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "settle-%zu", i);
		set_rule(name, M_HOLD, 300);
	}
	/* The front end's ui says stop, polled by the engine; 5 s to settle. */
	run_open(&rn, 2, 10000, 5000, 1);
	evl.cancel_after_sent = 2;
	assert_int_equal(run_import(&rn, 5, "settle-%n", 0), 0);
	for (i = 0; i < rn.n; i++) {
		if (rn.res[i].status == HK_IMPORT_IMPORTED)
			imported++;
		else if (rn.res[i].status == HK_IMPORT_CANCELLED)
			cancelled++;
	}
	/* The two in flight finished and were verified; the rest never went. */
	assert_int_equal(imported, 2);
	assert_int_equal(cancelled, 3);
	assert_int_equal(count_calls("import"), 2);
	assert_one_final(rn.n);
	run_close(&rn);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pending_is_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped_after_landing_is_described_not_resent,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped_before_landing_is_described_then_resent,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_timed_out_import_is_described, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttled_events_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_abandons_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_lets_in_flight_settle, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
