/* Unit tests for the HTTP engine against a small keep-alive HTTP/1.1 server
 * on loopback (threads in this process): every request completes exactly
 * once, connections are reused, retries stop at max_attempts, transport
 * errors are classified, bodies and headers go out intact; local timers
 * fire in order; events come in order; a cancel sends nothing new. */
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
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "http.h"

struct server {
	int fd;
	int port;
	pthread_t thread;
	pthread_mutex_t lock;
	unsigned int requests, connections;
	size_t last_body_len;
	int saw_expect, saw_custom;
	int status;			/* answered to every request */
};

static void *
conn_main(void *arg)
{
	struct server *s = ((void **)arg)[0];
	int fd = (int)(intptr_t)((void **)arg)[1];
	char buf[65536], *hdr_end, *cl;
	size_t have = 0, need, body;
	ssize_t n;

	free(arg);
	for (;;) {
		while ((hdr_end = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
			if (have == sizeof(buf) || (n = read(fd, buf + have, sizeof(buf) - have)) <= 0)
				goto out;
			have += (size_t)n;
		}
		*hdr_end = '\0';
		cl = strcasestr(buf, "\r\nContent-Length:");
		body = cl != NULL ? strtoul(cl + 17, NULL, 10) : 0;
		need = (size_t)(hdr_end - buf) + 4 + body;
		while (have < need) {
			if ((n = read(fd, buf + have, sizeof(buf) - have)) <= 0)
				goto out;
			have += (size_t)n;
		}
		pthread_mutex_lock(&s->lock);
		s->requests++;
		s->last_body_len = body;
		s->saw_expect |= strcasestr(buf, "\r\nExpect:") != NULL;
		s->saw_custom |= strstr(buf, "\r\nX-Test: yes") != NULL;
		pthread_mutex_unlock(&s->lock);
		{
			char resp[128];
			int len = snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Length: 2"
			    "\r\nContent-Type: text/plain\r\n\r\nok", s->status);

			if (write(fd, resp, (size_t)len) != len)
				goto out;
		}
		memmove(buf, buf + need, have - need);
		have -= need;
	}
 out:
	close(fd);
	return NULL;
}

static void *
server_main(void *arg)
{
	struct server *s = arg;
	pthread_t t;
	void **a;
	int c;

	while ((c = accept(s->fd, NULL, NULL)) >= 0) {
		pthread_mutex_lock(&s->lock);
		s->connections++;
		pthread_mutex_unlock(&s->lock);
		if ((a = malloc(2 * sizeof(*a))) == NULL) {
			close(c);
			continue;
		}
		a[0] = s;
		a[1] = (void *)(intptr_t)c;
		if (pthread_create(&t, NULL, conn_main, a) != 0) {
			free(a);
			close(c);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

static int
server_start(struct server *s)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->status = 200;
	pthread_mutex_init(&s->lock, NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(s->fd, 64) != 0 ||
	    getsockname(s->fd, (struct sockaddr *)&sin, &len) != 0)
		return -1;
	s->port = ntohs(sin.sin_port);
	return pthread_create(&s->thread, NULL, server_main, s);
}

static void
server_stop(struct server *s)
{
	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	pthread_join(s->thread, NULL);
}

struct call {
	int port;
	const char *method;
	size_t body_len;
	int fail_build;
	int retry_always;
	unsigned int done_calls;
	struct hk_http_response last;
	long status;
};

static int
build(void *arg, struct hk_http_msg *msg)
{
	struct call *c = arg;

	if (c->fail_build)
		return hk_errf(HK_ERR_CRYPTO, "no signature today");
	msg->method = c->method;
	if (asprintf(&msg->url, "http://127.0.0.1:%d/x", c->port) < 0)
		return HK_ERR_ALLOC;
	if (c->body_len > 0) {
		if ((msg->body = malloc(c->body_len)) == NULL)
			return HK_ERR_ALLOC;
		memset(msg->body, 'b', c->body_len);
		msg->body_len = c->body_len;
	}
	return hk_http_msg_header(msg, "X-Test: %s", "yes");
}

static enum hk_http_verdict
classify(void *arg, const struct hk_http_response *resp)
{
	struct call *c = arg;

	(void)resp;
	return c->retry_always ? HK_HTTP_RETRY : HK_HTTP_DONE;
}

static void
done(void *arg, const struct hk_http_response *resp)
{
	struct call *c = arg;

	c->done_calls++;
	c->last = *resp;
	c->last.body = NULL;
	c->last.curl_error = NULL;
	c->status = resp->status;
}

static void
submit(struct hk_http *h, struct call *c)
{
	struct hk_http_call hc = { build, classify, done, NULL, c };

	assert_int_equal(hk_http_submit(h, &hc), 0);
}

static void
test_many_requests_reuse(void **state)
{
	struct hk_http_opts o = { .jobs = 4 };
	struct hk_http_stats st;
	struct hk_http *h = NULL;
	struct server s;
	struct call calls[60];
	size_t i;

	(void)state;
	assert_int_equal(server_start(&s), 0);
	assert_int_equal(hk_http_new(&o, &h), 0);
	memset(calls, 0, sizeof(calls));
	for (i = 0; i < 60; i++) {
		calls[i].port = s.port;
		calls[i].method = i % 2 ? "POST" : "GET";
		calls[i].body_len = i % 2 ? 4000 : 0;
		submit(h, &calls[i]);
	}
	assert_int_equal(hk_http_run(h), 0);
	for (i = 0; i < 60; i++) {
		assert_int_equal(calls[i].done_calls, 1);
		assert_int_equal(calls[i].last.err, 0);
		assert_int_equal(calls[i].status, 200);
	}
	hk_http_stats(h, &st);
	assert_int_equal(st.requests, 60);
	assert_int_equal(st.attempts, 60);
	assert_int_equal(st.retries, 0);
	hk_http_free(h);
	server_stop(&s);
	assert_int_equal(s.requests, 60);
	/* At most jobs connections for 60 requests: they were reused. */
	assert_true(s.connections <= 4);
	assert_true(s.connections >= 1);
	/* Bodies are sent whole, with our headers and without Expect: 100-continue. */
	assert_int_equal(s.saw_expect, 0);
	assert_int_equal(s.saw_custom, 1);
}

static void
test_retries_stop(void **state)
{
	struct hk_http_opts o = { .jobs = 2, .max_attempts = 3, .backoff_base_ms = 1,
	    .backoff_max_ms = 2 };
	struct hk_http_stats st;
	struct hk_http *h = NULL;
	struct server s;
	struct call calls[5];
	size_t i;

	(void)state;
	assert_int_equal(server_start(&s), 0);
	s.status = 503;
	assert_int_equal(hk_http_new(&o, &h), 0);
	memset(calls, 0, sizeof(calls));
	for (i = 0; i < 5; i++) {
		calls[i].port = s.port;
		calls[i].method = "GET";
		calls[i].retry_always = 1;
		submit(h, &calls[i]);
	}
	assert_int_equal(hk_http_run(h), 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(calls[i].done_calls, 1);
		assert_int_equal(calls[i].last.attempt, 3);
		assert_int_equal(calls[i].status, 503);
	}
	hk_http_stats(h, &st);
	assert_int_equal(st.attempts, 15);
	assert_int_equal(st.retries, 10);
	hk_http_free(h);
	server_stop(&s);
	assert_int_equal(s.requests, 15);
}

static void
test_transport_errors(void **state)
{
	struct hk_http_opts o = { .jobs = 2, .max_attempts = 1 };
	struct hk_http *h = NULL;
	struct server s;
	struct call refused, nobuild;
	int port;

	(void)state;
	/* A port nobody listens on: start a server to find a free port, stop it. */
	assert_int_equal(server_start(&s), 0);
	port = s.port;
	server_stop(&s);
	assert_int_equal(hk_http_new(&o, &h), 0);
	memset(&refused, 0, sizeof(refused));
	refused.port = port;
	refused.method = "POST";
	refused.body_len = 10;
	submit(h, &refused);
	memset(&nobuild, 0, sizeof(nobuild));
	nobuild.port = port;
	nobuild.method = "GET";
	nobuild.fail_build = 1;
	submit(h, &nobuild);
	assert_int_equal(hk_http_run(h), 0);
	assert_int_equal(refused.done_calls, 1);
	assert_int_equal(refused.last.err, HK_ERR_NETWORK);
	/* Never connected: the request cannot have reached a server. */
	assert_int_equal(refused.last.sent, 0);
	assert_int_equal(refused.status, 0);
	assert_int_equal(nobuild.done_calls, 1);
	assert_int_equal(nobuild.last.err, HK_ERR_CRYPTO);
	hk_http_free(h);
}

static void
test_cacert_checked(void **state)
{
	struct hk_http_opts o = { .cacert = "/nonexistent/ca.pem" };
	struct hk_http *h = NULL;
	struct hk_error e;
	char path[] = "/tmp/hk-http-ca-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(hk_http_new(&o, &h), HK_ERR_TLS);
	assert_null(h);
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, "junk\n", 5), 5);
	close(fd);
	o.cacert = path;
	assert_int_equal(hk_error_take(&e, hk_http_new(&o, &h)), HK_ERR_TLS);
	assert_non_null(strstr(e.message, "no PEM certificate"));
	unlink(path);
}

struct tick {
	int order[3];
	int cancelled[4];
	size_t n;
};

static struct tick ticks;

static void
on_tick(void *arg, int cancelled)
{
	int id = (int)(intptr_t)arg;

	if (id < 3)
		ticks.order[ticks.n++] = id;
	ticks.cancelled[id] = cancelled;
}

static void
test_timers_in_order(void **state)
{
	struct hk_http_opts o = { .jobs = 1 };
	struct hk_http *h = NULL;

	(void)state;
	memset(&ticks, 0, sizeof(ticks));
	assert_int_equal(hk_http_new(&o, &h), 0);
	assert_int_equal(hk_http_defer(h, 30, on_tick, (void *)(intptr_t)2), 0);
	assert_int_equal(hk_http_defer(h, 10, on_tick, (void *)(intptr_t)0), 0);
	assert_int_equal(hk_http_defer(h, 20, on_tick, (void *)(intptr_t)1), 0);
	assert_int_equal(hk_http_run(h), 0);
	assert_int_equal(ticks.n, 3);
	assert_int_equal(ticks.order[0], 0);
	assert_int_equal(ticks.order[1], 1);
	assert_int_equal(ticks.order[2], 2);
	assert_int_equal(ticks.cancelled[2], 0);
	hk_http_free(h);
}

/* Events of every call, in order, as "S:1 W:1 D" (sending, wire, done). */
struct evcall {
	struct call c;
	struct hk_http *h;
	int cancel_on_wire;
	char seen[64];
};

static void
ev_append(struct evcall *e, const char *what)
{
	size_t n = strlen(e->seen);

	snprintf(e->seen + n, sizeof(e->seen) - n, "%s", what);
}

static void
ev_event(void *arg, const struct hk_http_event *ev)
{
	struct evcall *e = arg;

	if (ev->kind == HK_HTTP_EV_SENDING)
		ev_append(e, "S ");
	else if (ev->kind == HK_HTTP_EV_SENT)
		ev_append(e, "W ");
	else
		ev_append(e, "R ");
	if (ev->kind == HK_HTTP_EV_SENT && e->cancel_on_wire)
		hk_http_cancel(e->h);
}

static int
ev_build(void *arg, struct hk_http_msg *msg)
{
	return build(&((struct evcall *)arg)->c, msg);
}

static void
ev_done(void *arg, const struct hk_http_response *resp)
{
	struct evcall *e = arg;

	done(&e->c, resp);
	ev_append(e, "D");
}

static void
test_events_and_cancel(void **state)
{
	struct hk_http_opts o = { .jobs = 1, .cancel_grace_ms = 500 };
	struct hk_http *h = NULL;
	struct server s;
	struct evcall calls[4];
	size_t i;

	(void)state;
	memset(&ticks, 0, sizeof(ticks));
	assert_int_equal(server_start(&s), 0);
	assert_int_equal(hk_http_new(&o, &h), 0);
	memset(calls, 0, sizeof(calls));
	for (i = 0; i < 4; i++) {
		struct hk_http_call hc = { ev_build, NULL, ev_done, ev_event, &calls[i] };

		calls[i].c.port = s.port;
		calls[i].c.method = "GET";
		calls[i].h = h;
		calls[i].cancel_on_wire = i == 0;
		assert_int_equal(hk_http_submit(h, &hc), 0);
	}
	/* Work that would outlive the grace period ends at the deadline. */
	assert_int_equal(hk_http_defer(h, 60000, on_tick, (void *)(intptr_t)3), 0);
	assert_int_equal(hk_http_run(h), 0);
	/* The one on the wire settled normally; nothing else went out. */
	assert_string_equal(calls[0].seen, "S W D");
	assert_int_equal(calls[0].c.status, 200);
	assert_int_equal(calls[0].c.last.sent, 1);
	for (i = 1; i < 4; i++) {
		assert_string_equal(calls[i].seen, "D");
		assert_int_equal(calls[i].c.done_calls, 1);
		assert_int_equal(calls[i].c.last.err, HK_ERR_CANCELLED);
		assert_int_equal(calls[i].c.last.sent, 0);
	}
	assert_int_equal(ticks.cancelled[3], 1);
	assert_true(hk_http_cancelling(h));
	hk_http_free(h);
	server_stop(&s);
	assert_int_equal(s.requests, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_requests_reuse),
		cmocka_unit_test(test_retries_stop),
		cmocka_unit_test(test_transport_errors),
		cmocka_unit_test(test_cacert_checked),
		cmocka_unit_test(test_timers_in_order),
		cmocka_unit_test(test_events_and_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
