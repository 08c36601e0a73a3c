/* hwkey-cloudsim: a local cloud speaking Alibaba ECS RPC and Huawei KPS key-pair
 * APIs over HTTP(S). Options, accounts, state, listening socket and signals. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "file.h"
#include "server.h"
#include "sim.h"

enum {
	OPT_ACCOUNTS = 256, OPT_BAD_FP, OPT_DROP, OPT_ERROR, OPT_HELP, OPT_IDLE,
	OPT_LATENCY, OPT_LISTEN, OPT_MAX_CONNS, OPT_MAX_CONNS_CLIENT, OPT_PID_FILE,
	OPT_PORT, OPT_PORT_FILE, OPT_QUIET, OPT_QUOTA, OPT_REQUEST_TIMEOUT, OPT_SEED,
	OPT_STATE, OPT_THROTTLE, OPT_TLS_CERT, OPT_TLS_KEY, OPT_VERSION,
};

/* Sorted by name; --help prints it and the man page test checks it. */
static const struct option longopts[] = {
	{ "accounts", required_argument, NULL, OPT_ACCOUNTS },
	{ "bad-fingerprint", no_argument, NULL, OPT_BAD_FP },
	{ "drop-rate", required_argument, NULL, OPT_DROP },
	{ "error-rate", required_argument, NULL, OPT_ERROR },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNS },
	{ "max-connections-per-client", required_argument, NULL, OPT_MAX_CONNS_CLIENT },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "quota", required_argument, NULL, OPT_QUOTA },
	{ "request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "throttle-rate", required_argument, NULL, OPT_THROTTLE },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
    "usage: hwkey-cloudsim --accounts FILE --state FILE [options]\n"
    "  --accounts FILE       credentials: \"aliyun AK SECRET\" / \"huawei AK SK [region=project,...]\"\n"
    "  --bad-fingerprint     answer imports with a wrong fingerprint\n"
    "  --drop-rate P         close this fraction of connections without answering (after the work)\n"
    "  --error-rate P        answer this fraction with the vendor's 5xx error\n"
    "  --help                this text\n"
    "  --idle-timeout S      close a connection silent this long (default 30; 0: never)\n"
    "  --latency MS          delay every response\n"
    "  --listen ADDR         address to bind (default 127.0.0.1)\n"
    "  --max-connections N   connections at once, in all (default 512)\n"
    "  --max-connections-per-client N\n"
    "                        connections at once from one address (default 128; 0: no cap)\n"
    "  --pid-file FILE       write the process id\n"
    "  --port N              TCP port (default 0: any free port)\n"
    "  --port-file FILE      write the bound port once listening\n"
    "  --quiet               no request log on standard error\n"
    "  --quota N             Alibaba key pairs per region (default 500)\n"
    "  --request-timeout S   close a connection that has not sent a whole request S\n"
    "                        seconds after connecting or after its last answer\n"
    "                        (default 30; 0: never)\n"
    "  --seed N              seed of the fault-injection generator\n"
    "  --state FILE          SQLite state (created if absent)\n"
    "  --throttle-rate P     answer this fraction with the vendor's throttling error\n"
    "  --tls-cert FILE       serve HTTPS with this PEM certificate\n"
    "  --tls-key FILE        and this PEM private key\n"
    "  --version             print the version\n";

static int
parse_rate(const char *s, double *vp)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0.0 && v <= 1.0))
		return hk_errf(HK_ERR_USAGE, "rate must be between 0 and 1: %s", s);
	*vp = v;
	return 0;
}

static int
parse_uint(const char *s, unsigned long long max, unsigned long long *vp)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v > max)
		return hk_errf(HK_ERR_USAGE, "not a number in range: %s", s);
	*vp = v;
	return 0;
}

static int
parse_args(int argc, char **argv, struct sim_opts *o)
{
	unsigned long long v;
	int c, r = 0;

	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1";
	o->quota = SIM_QUOTA;
	o->max_conns = SIM_MAX_CONNS;
	o->max_conns_client = SIM_MAX_CONNS_CLIENT;
	o->request_timeout = SIM_REQUEST_TIMEOUT;
	o->idle_timeout = SIM_IDLE_TIMEOUT;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ACCOUNTS: o->accounts_path = optarg; break;
		case OPT_BAD_FP: o->bad_fingerprint = 1; break;
		case OPT_DROP: r = parse_rate(optarg, &o->drop_rate); break;
		case OPT_ERROR: r = parse_rate(optarg, &o->error_rate); break;
		case OPT_HELP:
			fputs(usage_text, stdout);
			exit(0);
		case OPT_IDLE:
			if ((r = parse_uint(optarg, 86400, &v)) == 0)
				o->idle_timeout = (unsigned int)v;
			break;
		case OPT_MAX_CONNS:
			if ((r = parse_uint(optarg, 65536, &v)) == 0 && v == 0)
				r = hk_errf(HK_ERR_USAGE, "--max-connections must be at least 1");
			o->max_conns = (unsigned int)v;
			break;
		case OPT_MAX_CONNS_CLIENT:
			if ((r = parse_uint(optarg, 65536, &v)) == 0)
				o->max_conns_client = (unsigned int)v;
			break;
		case OPT_REQUEST_TIMEOUT:
			if ((r = parse_uint(optarg, 86400, &v)) == 0)
				o->request_timeout = (unsigned int)v;
			break;
		case OPT_LATENCY:
			if ((r = parse_uint(optarg, 600000, &v)) == 0)
				o->latency_ms = (unsigned int)v;
			break;
		case OPT_LISTEN: o->listen = optarg; break;
		case OPT_PID_FILE: o->pid_file = optarg; break;
		case OPT_PORT:
			if ((r = parse_uint(optarg, 65535, &v)) == 0)
				o->port = (unsigned int)v;
			break;
		case OPT_PORT_FILE: o->port_file = optarg; break;
		case OPT_QUIET: o->quiet = 1; break;
		case OPT_QUOTA:
			if ((r = parse_uint(optarg, 1000000, &v)) == 0)
				o->quota = (unsigned int)v;
			break;
		case OPT_SEED:
			if ((r = parse_uint(optarg, ULLONG_MAX, &v)) == 0) {
				o->seed = v;
				o->seed_set = 1;
			}
			break;
		case OPT_STATE: o->state_path = optarg; break;
		case OPT_THROTTLE: r = parse_rate(optarg, &o->throttle_rate); break;
		case OPT_TLS_CERT: o->tls_cert = optarg; break;
		case OPT_TLS_KEY: o->tls_key = optarg; break;
		case OPT_VERSION:
			printf("hwkey-cloudsim %s\n", HK_VERSION);
			exit(0);
		default:
			return hk_errf(HK_ERR_USAGE, "see hwkey-cloudsim --help");
		}
		if (r != 0)
			return r;
	}
	if (optind != argc)
		return hk_errf(HK_ERR_USAGE, "unexpected argument: %s", argv[optind]);
	if (o->accounts_path == NULL || o->state_path == NULL)
		return hk_errf(HK_ERR_USAGE, "--accounts and --state are required");
	if ((o->tls_cert == NULL) != (o->tls_key == NULL))
		return hk_errf(HK_ERR_USAGE, "--tls-cert and --tls-key go together");
	return 0;
}

static int
resolve_listen(const char *host, unsigned int port, struct sockaddr_storage *ss,
    int *ipv6p)
{
	struct addrinfo hints, *res = NULL;
	char portstr[16];
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if ((e = getaddrinfo(host, portstr, &hints, &res)) != 0)
		return hk_errf(HK_ERR_USAGE, "--listen %s: %s", host, gai_strerror(e));
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*ipv6p = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return 0;
}

/*
 * Each connection holds a descriptor; the SQLite pool, the listening socket
 * and the log need more. Past the limit accept() fails and nobody is served,
 * so make room up to the hard limit or refuse to start.
 */
#define SIM_FDS_SPARE 256

static int
fd_room(unsigned int conns)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)conns + SIM_FDS_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return hk_errf(HK_ERR_SYSTEM, "getrlimit: %s", strerror(errno));
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need :
		    rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need)
			return hk_errf(HK_ERR_SYSTEM, "--max-connections %u needs %llu open "
			    "files, the limit is %llu (ulimit -n)", conns,
			    (unsigned long long)need, (unsigned long long)rl.rlim_cur);
	}
	return 0;
}

static int
write_number_file(const char *path, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld\n", v);
	return hk_file_write_atomic(path, buf, strlen(buf), 0644);
}

int
main(int argc, char **argv)
{
	struct sim sim;
	struct sim_server *d = NULL;
	struct sockaddr_storage ss;
	sigset_t set;
	char *cert = NULL, *key = NULL;
	size_t certlen = 0, keylen = 0;
	unsigned int port;
	int r, sig = 0, ipv6 = 0;

	memset(&sim, 0, sizeof(sim));
	pthread_mutex_init(&sim.rng_lock, NULL);
	if ((r = parse_args(argc, argv, &sim.opts)) != 0) {
		fprintf(stderr, "hwkey-cloudsim: %s\n", hk_err_detail());
		return 2;
	}
	sim.rng = sim.opts.seed_set ? sim.opts.seed :
	    (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	signal(SIGPIPE, SIG_IGN);
	/* A shell starts background jobs with SIGINT ignored; we want it. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* Threads inherit the mask; only the main thread takes the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if ((r = fd_room(sim.opts.max_conns)) != 0 ||
	    (r = sim_accounts_load(sim.opts.accounts_path, &sim.accounts)) != 0 ||
	    (r = sim_db_open(sim.opts.state_path, &sim.db)) != 0 ||
	    (r = sim_db_seed_instances(sim.db, &sim.accounts)) != 0 ||
	    (r = resolve_listen(sim.opts.listen, sim.opts.port, &ss, &ipv6)) != 0)
		goto out;
	if (sim.opts.tls_cert != NULL &&
	    ((r = hk_file_read(sim.opts.tls_cert, 1024 * 1024, &cert, &certlen)) != 0 ||
	    (r = hk_file_read(sim.opts.tls_key, 1024 * 1024, &key, &keylen)) != 0))
		goto out;
	if ((r = sim_server_start(&sim, (struct sockaddr *)&ss, ipv6, cert, key, &d)) != 0)
		goto out;
	port = sim_server_port(d);
	if (sim.opts.pid_file != NULL &&
	    (r = write_number_file(sim.opts.pid_file, (long)getpid())) != 0)
		goto out;
	/* Written last: once it exists the server answers (tests wait for it). */
	if (sim.opts.port_file != NULL &&
	    (r = write_number_file(sim.opts.port_file, (long)port)) != 0)
		goto out;
	if (!sim.opts.quiet)
		fprintf(stderr, "hwkey-cloudsim: listening on %s://%s:%u (%zu accounts)\n",
		    cert != NULL ? "https" : "http", sim.opts.listen, port,
		    sim.accounts.n);
	while (sigwait(&set, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
		;
	if (!sim.opts.quiet)
		fprintf(stderr, "hwkey-cloudsim: signal %d, stopping\n", sig);
	r = 0;
 out:
	if (r != 0)
		fprintf(stderr, "hwkey-cloudsim: %s%s%s\n", hk_strerror(r),
		    *hk_err_detail() ? ": " : "", hk_err_detail());
	sim_server_stop(d);
	if (sim.opts.pid_file != NULL && d != NULL)
		unlink(sim.opts.pid_file);
	sim_db_close(sim.db);
	sim_accounts_free(&sim.accounts);
	hk_freezero(key, keylen);
	free(cert);
	pthread_mutex_destroy(&sim.rng_lock);
	if (r == 0)
		return 0;
	return hk_err_exit(r) == HK_EXIT_USAGE ? 2 : 1;
}
