/* hwkey-cloudsim HTTP front end (libmicrohttpd): raw URI capture, body
 * collection, fault injection, routing to the vendor dialects, logging, and
 * the connection limits (total, per client, idle time, request deadline). */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/rand.h>

#include "buf.h"
#include "err.h"
#include "server.h"
#include "sim.h"

/*
 * One open connection, from MHD's "started" to its "closed" notification. The
 * watchdog shuts down the socket of one that has not delivered a whole
 * request within --request-timeout seconds of connecting or of its previous
 * answer: libmicrohttpd's own timeout only counts silence, so a client
 * trickling a byte at a time would hold a thread forever.
 */
struct conn {
	struct conn *prev, *next;
	int fd;
	int waiting;		/* for (the rest of) a request */
	int shut;
	struct timespec since;
	char peer[INET6_ADDRSTRLEN];
};

struct sim_server {
	struct sim *sim;
	struct MHD_Daemon *d;
	pthread_t watchdog;
	int watchdog_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stopping;
	struct conn *conns;
};

/* Per-request state: lives from the URI callback to the completion callback. */
struct conn_req {
	char *uri;		/* raw request target as received */
	struct hk_buf *body;
	int started;
	int too_large;
};

const char *
sim_header(const struct sim_req *req, const char *name)
{
	return MHD_lookup_connection_value((struct MHD_Connection *)req->conn,
	    MHD_HEADER_KIND, name);
}

/* splitmix64: small, seedable, good enough for fault decisions. */
double
sim_random(struct sim *sim)
{
	uint64_t z;

	pthread_mutex_lock(&sim->rng_lock);
	z = (sim->rng += 0x9e3779b97f4a7c15ULL);
	pthread_mutex_unlock(&sim->rng_lock);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

void
sim_params_free(struct hk_param *p, size_t n)
{
	size_t i;

	for (i = 0; p != NULL && i < n; i++) {
		free((char *)p[i].name);
		free((char *)p[i].value);
	}
	free(p);
}

int
sim_parse_params(const char *s, size_t len, int flags, struct hk_param **pp, size_t *np)
{
	const char *end = s + len, *amp, *eq;
	struct hk_param *np2;
	char *name = NULL, *value = NULL;
	int r;

	while (s < end) {
		if ((amp = memchr(s, '&', (size_t)(end - s))) == NULL)
			amp = end;
		if (amp == s) {
			s++;
			continue;
		}
		if ((eq = memchr(s, '=', (size_t)(amp - s))) == NULL)
			eq = amp;
		if ((r = hk_urldec(s, (size_t)(eq - s), flags, &name)) != 0 ||
		    (r = hk_urldec(eq == amp ? "" : eq + 1,
		    eq == amp ? 0 : (size_t)(amp - eq - 1), flags, &value)) != 0)
			goto fail;
		if ((np2 = realloc(*pp, (*np + 1) * sizeof(**pp))) == NULL) {
			r = HK_ERR_ALLOC;
			goto fail;
		}
		*pp = np2;
		np2[*np].name = name;
		np2[*np].value = value;
		(*np)++;
		name = value = NULL;
		s = amp < end ? amp + 1 : end;
	}
	return 0;
 fail:
	free(name);
	free(value);
	return r;
}

const char *
sim_param(const struct hk_param *p, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return p[i].value;
	return NULL;
}

int
sim_parse_time(const char *s, int compact, int64_t *tp)
{
	struct tm tm;
	int y, mo, d, h, mi, se, n = 0;

	*tp = 0;
	if (s == NULL)
		return HK_ERR_INVALID_ARGUMENT;
	if (compact) {
		if (sscanf(s, "%4d%2d%2dT%2d%2d%2dZ%n", &y, &mo, &d, &h, &mi, &se, &n) != 6)
			return HK_ERR_INVALID_ARGUMENT;
	} else if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se,
	    &n) != 6)
		return HK_ERR_INVALID_ARGUMENT;
	if (n == 0 || s[n] != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 60 || y < 1970)
		return HK_ERR_INVALID_ARGUMENT;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*tp = (int64_t)timegm(&tm);
	return 0;
}

static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct conn_req *cr;

	(void)cls;
	(void)con;
	if ((cr = calloc(1, sizeof(*cr))) == NULL)
		return NULL;
	cr->uri = strdup(uri != NULL ? uri : "/");
	cr->body = hk_buf_new();
	return cr;
}

static struct conn *
conn_of(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* waiting: the connection now waits for a request (its clock restarts) or not. */
static void
conn_wait(struct sim_server *srv, struct MHD_Connection *con, int waiting)
{
	struct conn *c = conn_of(con);

	if (c == NULL)
		return;
	pthread_mutex_lock(&srv->lock);
	c->waiting = waiting;
	clock_gettime(CLOCK_MONOTONIC, &c->since);
	pthread_mutex_unlock(&srv->lock);
}

static void
notify_cb(void *cls, struct MHD_Connection *con, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct sim_server *srv = cls;
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	struct conn *c = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return;		/* unwatched: only the idle timeout applies */
		ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = ci != NULL ? ci->connect_fd : -1;
		ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		sa = ci != NULL ? ci->client_addr : NULL;
		if (sa != NULL && sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			    c->peer, sizeof(c->peer));
		else if (sa != NULL && sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			    c->peer, sizeof(c->peer));
		c->waiting = 1;
		clock_gettime(CLOCK_MONOTONIC, &c->since);
		pthread_mutex_lock(&srv->lock);
		if ((c->next = srv->conns) != NULL)
			c->next->prev = c;
		srv->conns = c;
		pthread_mutex_unlock(&srv->lock);
		*socket_context = c;
		return;
	}
	/* Closed: unlinked before libmicrohttpd closes the descriptor. */
	if (c == NULL)
		return;
	pthread_mutex_lock(&srv->lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&srv->lock);
	free(c);
	*socket_context = NULL;
}

static void *
watchdog_main(void *arg)
{
	struct sim_server *srv = arg;
	struct timespec now, wake;
	struct conn *c;
	unsigned int limit = srv->sim->opts.request_timeout;

	pthread_mutex_lock(&srv->lock);
	while (!srv->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (c = srv->conns; c != NULL; c = c->next) {
			if (!c->waiting || c->shut || c->fd < 0 ||
			    (now.tv_sec - c->since.tv_sec) * 1000 +
			    (now.tv_nsec - c->since.tv_nsec) / 1000000 < (long)limit * 1000)
				continue;
			/* The connection's thread sees end of file and closes it. */
			shutdown(c->fd, SHUT_RDWR);
			c->shut = 1;
			if (!srv->sim->opts.quiet)
				fprintf(stderr, "hwkey-cloudsim: closed a connection from %s: "
				    "no whole request within %u s\n", c->peer, limit);
		}
		wake = now;
		wake.tv_nsec += 250 * 1000000L;
		if (wake.tv_nsec >= 1000000000L) {
			wake.tv_sec++;
			wake.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&srv->cond, &srv->lock, &wake);
	}
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

static void
completed_cb(void *cls, struct MHD_Connection *con, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn_req *cr = *con_cls;

	(void)toe;
	/* Answered (or given up): a kept-alive connection waits for the next one. */
	conn_wait(cls, con, 1);
	if (cr == NULL)
		return;
	free(cr->uri);
	hk_buf_free(cr->body);
	free(cr);
	*con_cls = NULL;
}

static void
request_id(char out[40])
{
	unsigned char r[16];
	size_t i, o = 0;

	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0x5a, sizeof(r));
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		snprintf(out + o, 3, "%02X", r[i]);
		o += 2;
	}
	out[o] = '\0';
}

static enum MHD_Result
send_resp(struct MHD_Connection *con, const struct sim_req *req, struct sim_resp *resp)
{
	struct MHD_Response *mr;
	char *text = NULL;
	const char *ctype = resp->content_type;
	enum MHD_Result ret;

	if (resp->json != NULL) {
		if ((text = json_dumps(resp->json, JSON_COMPACT)) == NULL)
			return MHD_NO;
		if (ctype == NULL)
			ctype = "application/json;charset=utf-8";
	} else {
		text = resp->text;
		resp->text = NULL;
		if (ctype == NULL)
			ctype = "text/plain;charset=utf-8";
	}
	mr = MHD_create_response_from_buffer(text != NULL ? strlen(text) : 0,
	    text != NULL ? text : (char *)"", MHD_RESPMEM_MUST_COPY);
	free(text);
	if (mr == NULL)
		return MHD_NO;
	MHD_add_response_header(mr, "Content-Type", ctype);
	if (resp->request_id_header)
		MHD_add_response_header(mr, "X-Request-Id", req->request_id);
	ret = MHD_queue_response(con, resp->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static void
log_request(struct sim *sim, const struct sim_req *req, const struct sim_resp *resp,
    int dropped)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	if (sim->opts.quiet)
		return;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* Never the query or the headers: they carry signatures and nonces. */
	fprintf(stderr, "%s %s %s %s %s %u%s%s%s\n", ts, req->request_id, req->method,
	    req->path, resp->log_what != NULL ? resp->log_what : "-", resp->status,
	    resp->log_code != NULL ? " " : "", resp->log_code != NULL ? resp->log_code : "",
	    dropped ? " (dropped: connection closed without a response)" : "");
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *con, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size,
    void **con_cls)
{
	struct sim_server *srv = cls;
	struct sim *sim = srv->sim;
	struct conn_req *cr = *con_cls;
	struct sim_req req;
	struct sim_resp resp;
	char *path = NULL, *q;
	int huawei, health, drop = 0, kind;
	double pt, pe, pd;
	enum MHD_Result ret;

	(void)url;
	(void)version;
	if (cr == NULL || cr->uri == NULL || cr->body == NULL)
		return MHD_NO;
	if (!cr->started) {
		cr->started = 1;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!cr->too_large && hk_buf_len(cr->body) + *upload_data_size > SIM_BODY_MAX)
			cr->too_large = 1;
		if (!cr->too_large &&
		    hk_buf_put(cr->body, upload_data, *upload_data_size) != 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}

	/* The whole request is in: from here on the deadline does not apply. */
	conn_wait(srv, con, 0);
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = method;
	req.conn = con;
	request_id(req.request_id);
	if ((path = strdup(cr->uri)) == NULL)
		return MHD_NO;
	if ((q = strchr(path, '?')) != NULL) {
		*q++ = '\0';
		req.rawquery = q;
	} else
		req.rawquery = "";
	req.path = path;
	req.body = (const char *)hk_buf_ptr(cr->body);
	req.bodylen = hk_buf_len(cr->body);
	/* KPS and IAM are /v3/, ECS (Windows passwords) /v1/. */
	huawei = strncmp(path, "/v3/", 4) == 0 || strncmp(path, "/v1/", 4) == 0;
	health = strcmp(path, "/cloudsim/health") == 0;
	if (strcmp(path, "/cloudsim/instances") == 0) {
		/* The test door: no faults and no draw, so --seed replays the same. */
		sim_admin_instances(sim, &req, &resp);
		log_request(sim, &req, &resp, 0);
		ret = send_resp(con, &req, &resp);
		json_decref(resp.json);
		free(path);
		return ret;
	}

	if (health) {
		resp.status = MHD_HTTP_OK;
		resp.text = strdup("ok\n");
		resp.log_what = "health";
		ret = send_resp(con, &req, &resp);
		free(resp.text);
		free(path);
		return ret;
	}
	/* One draw of each per request, always in this order: --seed replays. */
	pt = sim_random(sim);
	pe = sim_random(sim);
	pd = sim_random(sim);
	if (cr->too_large) {
		resp.status = MHD_HTTP_CONTENT_TOO_LARGE;
		resp.text = strdup("request body too large\n");
		resp.log_what = "body";
	} else if (strcmp(path, "/") != 0 && !huawei) {
		resp.status = MHD_HTTP_NOT_FOUND;
		resp.text = strdup("not found\n");
		resp.log_what = "route";
	} else if (pt < sim->opts.throttle_rate || pe < sim->opts.error_rate) {
		kind = pt < sim->opts.throttle_rate ? SIM_FAULT_THROTTLE :
		    pe < sim->opts.error_rate / 2 ? 500 : 503;
		if (huawei)
			sim_huawei_fault(&req, &resp, kind);
		else
			sim_aliyun_fault(&req, &resp, kind);
	} else {
		if (sim_parse_params(req.rawquery, strlen(req.rawquery), 0, &req.query,
		    &req.nquery) != 0) {
			resp.status = MHD_HTTP_BAD_REQUEST;
			resp.text = strdup("malformed query string\n");
			resp.log_what = "query";
		} else if (huawei)
			sim_huawei_handle(sim, &req, &resp);
		else
			sim_aliyun_handle(sim, &req, &resp);
		/* Dropped after the work is done: the client lost the answer. */
		drop = pd < sim->opts.drop_rate;
	}
	if (sim->opts.latency_ms > 0)
		usleep((useconds_t)sim->opts.latency_ms * 1000);
	log_request(sim, &req, &resp, drop);
	ret = drop ? MHD_NO : send_resp(con, &req, &resp);
	json_decref(resp.json);
	free(resp.text);
	sim_params_free(req.query, req.nquery);
	free(path);
	return ret;
}

int
sim_server_start(struct sim *sim, const struct sockaddr *sa, int ipv6,
    const char *cert, const char *key, struct sim_server **sp)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
	const struct sim_opts *o = &sim->opts;
	struct sim_server *srv;
	pthread_condattr_t ca;

	*sp = NULL;
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return HK_ERR_ALLOC;
	srv->sim = sim;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (ipv6)
		flags |= MHD_USE_IPv6;
	if (cert != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			sim_server_stop(srv);
			return hk_errf(HK_ERR_NOT_SUPPORTED,
			    "this libmicrohttpd was built without TLS");
		}
		flags |= MHD_USE_TLS;
	}
	/* Over plain HTTP the list ends where the certificate would be. */
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, srv,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, srv,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_cb, srv,
	    MHD_OPTION_CONNECTION_LIMIT, o->max_conns,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_conns_client,
	    MHD_OPTION_CONNECTION_TIMEOUT, o->idle_timeout,
	    cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
	    MHD_OPTION_HTTPS_MEM_KEY, key,
	    MHD_OPTION_END);
	if (srv->d == NULL) {
		sim_server_stop(srv);
		return hk_errf(HK_ERR_SYSTEM, "cannot start the HTTP server "
		    "(address in use, or bad TLS certificate/key)");
	}
	if (o->request_timeout > 0) {
		if (pthread_create(&srv->watchdog, NULL, watchdog_main, srv) != 0) {
			sim_server_stop(srv);
			return hk_errf(HK_ERR_SYSTEM, "cannot start the watchdog thread");
		}
		srv->watchdog_started = 1;
	}
	*sp = srv;
	return 0;
}

unsigned int
sim_server_port(const struct sim_server *s)
{
	const union MHD_DaemonInfo *info;

	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	return info != NULL ? info->port : 0;
}

void
sim_server_stop(struct sim_server *s)
{
	if (s == NULL)
		return;
	/* The watchdog first: it must not touch connections being torn down. */
	if (s->watchdog_started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = 1;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->watchdog, NULL);
	}
	if (s->d != NULL)
		MHD_stop_daemon(s->d);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}
