/* hwkey-fido2sim: options, the listening Unix socket and the connection loop.
 * Requests are served one at a time across all connections, so a second
 * client never sees half-changed state; signals stop it cleanly. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ctaphid.h"

#define MAX_CONN 16

volatile sig_atomic_t sim_stop;

static const uint8_t default_aaguid[16] = {
	0x68, 0x77, 0x6b, 0x65, 0x79, 0x2d, 0x66, 0x69,	/* "hwkey-fido2sim\0\1" */
	0x64, 0x6f, 0x32, 0x73, 0x69, 0x6d, 0x00, 0x01,
};

static void
usage(FILE *f)
{
	fputs("usage: hwkey-fido2sim --socket PATH --state FILE [options]\n"
	    "A software FIDO2 authenticator for tests: CTAPHID (raw 64-byte packets,\n"
	    "no report id) over a Unix stream socket, one connection per device open.\n"
	    "\n"
	    "  --socket PATH          listen here (a stale socket file is replaced); the\n"
	    "                         file appears only once the sim listens (bound as\n"
	    "                         PATH.PID.tmp, then linked into place)\n"
	    "  --state FILE           persistent state (created if missing; written\n"
	    "                         atomically after every change)\n"
	    "  --ca-dir DIR           attestation CA and certificate (ca.pem, ca.key,\n"
	    "                         attestation.pem, attestation.key); reused when\n"
	    "                         present. Default: FILE.ca next to the state\n"
	    "  --touch MODE           approve (default), deny (CTAP2_ERR_OPERATION_DENIED\n"
	    "                         after 300 ms) or timeout (keepalives, then\n"
	    "                         CTAP2_ERR_USER_ACTION_TIMEOUT)\n"
	    "  --touch-delay MS       wait this long (sending keepalives) before a touch\n"
	    "                         is approved (default 0)\n"
	    "  --touch-timeout MS     how long --touch timeout waits (default 3000)\n"
	    "  --pin PIN              PIN of a new state (test equipment only)\n"
	    "  --pin-file F           the same, read from the first line of F\n"
	    "  --aaguid HEX           AAGUID, 32 hex digits (default 68776b65792d666964\n"
	    "                         6f3273696d0001, \"hwkey-fido2sim\")\n"
	    "  --no-rk                no discoverable credentials (options.rk=false)\n"
	    "  --algorithms LIST      es256, eddsa or es256,eddsa (default): GetInfo\n"
	    "                         lists only these; MakeCredential answers\n"
	    "                         CTAP2_ERR_UNSUPPORTED_ALGORITHM (0x26) for others\n"
	    "  --reset-window MS      Reset answers CTAP2_ERR_NOT_ALLOWED (0x30) more\n"
	    "                         than MS ms after start (real keys: ~10000);\n"
	    "                         default: Reset always allowed\n"
	    "  --ctap VERSION         2.1 (default: FIDO_2_1, credMgmt 0x0a,\n"
	    "                         pinUvAuthToken) or 2.0 (FIDO_2_0 + FIDO_2_1_PRE,\n"
	    "                         credentialMgmtPreview 0x41, getPinToken)\n"
	    "  --pin-protocols LIST   PIN/UV auth protocols offered: 2,1 (default), 1 or 2\n"
	    "  --pin-streak-per-connection\n"
	    "                         3 wrong PINs in a row (PIN_AUTH_BLOCKED) end with\n"
	    "                         the connection; default: only a restart (power\n"
	    "                         cycle) or a right PIN ends them\n"
	    "  --publish-delay MS     test hook: wait MS ms between binding the temporary\n"
	    "                         name and listen() + publishing PATH (default 0)\n"
	    "  --log FILE             append one line per CTAP command (never a PIN)\n"
	    "  --attestation-format FMT\n"
	    "                         packed (default: alg, sig by the attestation key,\n"
	    "                         x5c), self (packed, alg and sig by the new\n"
	    "                         credential's key, no x5c), none (fmt \"none\",\n"
	    "                         empty attStmt) or fido-u2f (sig over 00|rpIdHash|\n"
	    "                         clientDataHash|credId|04|x|y, x5c; ES256 only,\n"
	    "                         EdDSA answers 0x26)\n"
	    "  --corrupt-attestation WHAT\n"
	    "                         sig, authdata or cert: make a broken statement;\n"
	    "                         leaf-ou, leaf-ca or aaguid: the x5c leaf (still\n"
	    "                         validly signed by the CA, made for this run only)\n"
	    "                         has no OU \"Authenticator Attestation\", has\n"
	    "                         basicConstraints CA:TRUE, or an AAGUID extension\n"
	    "                         that differs from authData's\n"
	    "  --help                 this text\n"
	    "\n"
	    "SIGTERM or SIGINT stops it and removes the socket. Exit status: 0 after a\n"
	    "signal, 1 on a start-up error, 2 on a usage error.\n", f);
}

static int
parse_hex16(const char *h, uint8_t out[16])
{
	if (strlen(h) != 32)
		return -1;
	for (int i = 0; i < 16; i++) {
		unsigned v;
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int
read_pin_file(const char *path, struct sim_options *o)
{
	FILE *f = fopen(path, "re");
	char line[128];

	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	o->preset_pin_len = strlen(line);
	if (o->preset_pin_len >= sizeof(o->preset_pin) || o->preset_pin_len < 4) {
		OPENSSL_cleanse(line, sizeof(line));
		return -1;
	}
	memcpy(o->preset_pin, line, o->preset_pin_len);
	OPENSSL_cleanse(line, sizeof(line));
	return 0;
}

static int
parse_args(int argc, char **argv, struct sim_options *o)
{
	static const struct option longopts[] = {
		{ "aaguid", required_argument, NULL, 'a' },
		{ "algorithms", required_argument, NULL, 'A' },
		{ "attestation-format", required_argument, NULL, 'F' },
		{ "ca-dir", required_argument, NULL, 'c' },
		{ "corrupt-attestation", required_argument, NULL, 'C' },
		{ "ctap", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "log", required_argument, NULL, 'l' },
		{ "no-rk", no_argument, NULL, 'R' },
		{ "pin", required_argument, NULL, 'p' },
		{ "pin-file", required_argument, NULL, 'P' },
		{ "pin-protocols", required_argument, NULL, 'X' },
		{ "pin-streak-per-connection", no_argument, NULL, 'K' },
		{ "publish-delay", required_argument, NULL, 'D' },
		{ "reset-window", required_argument, NULL, 'W' },
		{ "socket", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 'S' },
		{ "touch", required_argument, NULL, 't' },
		{ "touch-delay", required_argument, NULL, 'd' },
		{ "touch-timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	char *end;

	memset(o, 0, sizeof(*o));
	o->touch_timeout_ms = 3000;
	o->pin_protocols = 3;
	o->algs = SIM_ALG_ES256 | SIM_ALG_EDDSA;
	o->reset_window_ms = -1;
	memcpy(o->aaguid, default_aaguid, 16);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (parse_hex16(optarg, o->aaguid) != 0) {
				fprintf(stderr, "hwkey-fido2sim: --aaguid: need 32 hex digits, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'A':
			if (strcmp(optarg, "es256") == 0)
				o->algs = SIM_ALG_ES256;
			else if (strcmp(optarg, "eddsa") == 0)
				o->algs = SIM_ALG_EDDSA;
			else if (strcmp(optarg, "es256,eddsa") == 0 ||
			    strcmp(optarg, "eddsa,es256") == 0)
				o->algs = SIM_ALG_ES256 | SIM_ALG_EDDSA;
			else {
				fprintf(stderr, "hwkey-fido2sim: --algorithms: es256, eddsa or es256,eddsa, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'F':
			if (strcmp(optarg, "packed") == 0)
				o->att_format = SIM_ATT_PACKED;
			else if (strcmp(optarg, "self") == 0)
				o->att_format = SIM_ATT_SELF;
			else if (strcmp(optarg, "none") == 0)
				o->att_format = SIM_ATT_NONE;
			else if (strcmp(optarg, "fido-u2f") == 0)
				o->att_format = SIM_ATT_U2F;
			else {
				fprintf(stderr, "hwkey-fido2sim: --attestation-format: packed, self, none "
				    "or fido-u2f, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'c': o->ca_dir = optarg; break;
		case 'C':
			if (strcmp(optarg, "sig") == 0)
				o->corrupt = SIM_CORRUPT_SIG;
			else if (strcmp(optarg, "authdata") == 0)
				o->corrupt = SIM_CORRUPT_AUTHDATA;
			else if (strcmp(optarg, "cert") == 0)
				o->corrupt = SIM_CORRUPT_CERT;
			else if (strcmp(optarg, "leaf-ou") == 0)
				o->corrupt = SIM_CORRUPT_LEAF_OU;
			else if (strcmp(optarg, "leaf-ca") == 0)
				o->corrupt = SIM_CORRUPT_LEAF_CA;
			else if (strcmp(optarg, "aaguid") == 0)
				o->corrupt = SIM_CORRUPT_LEAF_AAGUID;
			else {
				fprintf(stderr, "hwkey-fido2sim: --corrupt-attestation: sig, authdata, cert, "
				    "leaf-ou, leaf-ca or aaguid, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'V':
			if (strcmp(optarg, "2.0") == 0)
				o->ctap20 = true;
			else if (strcmp(optarg, "2.1") != 0) {
				fprintf(stderr, "hwkey-fido2sim: --ctap: 2.0 or 2.1, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); exit(0);
		case 'l': o->log_path = optarg; break;
		case 'R': o->no_rk = true; break;
		case 'K': o->streak_per_conn = true; break;
		case 'p':
			o->preset_pin_len = strlen(optarg);
			if (o->preset_pin_len < 4 || o->preset_pin_len >= sizeof(o->preset_pin)) {
				fputs("hwkey-fido2sim: --pin: 4 to 63 bytes\n", stderr);
				return 2;
			}
			memcpy(o->preset_pin, optarg, o->preset_pin_len);
			OPENSSL_cleanse(optarg, strlen(optarg));	/* out of ps */
			break;
		case 'P':
			if (read_pin_file(optarg, o) != 0) {
				fprintf(stderr, "hwkey-fido2sim: --pin-file %s: unreadable, or not a PIN of 4 to 63 bytes\n", optarg);
				return 2;
			}
			break;
		case 'X':
			if (strcmp(optarg, "1") == 0)
				o->pin_protocols = 1;
			else if (strcmp(optarg, "2") == 0)
				o->pin_protocols = 2;
			else if (strcmp(optarg, "2,1") == 0 || strcmp(optarg, "1,2") == 0)
				o->pin_protocols = 3;
			else {
				fprintf(stderr, "hwkey-fido2sim: --pin-protocols: 2,1, 1 or 2, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 's': o->socket_path = optarg; break;
		case 'S': o->state_path = optarg; break;
		case 't':
			if (strcmp(optarg, "approve") == 0)
				o->touch = SIM_TOUCH_APPROVE;
			else if (strcmp(optarg, "deny") == 0)
				o->touch = SIM_TOUCH_DENY;
			else if (strcmp(optarg, "timeout") == 0)
				o->touch = SIM_TOUCH_TIMEOUT;
			else {
				fprintf(stderr, "hwkey-fido2sim: --touch: approve, deny or timeout, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'D':
		case 'W':
		case 'd':
		case 'T': {
			long v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 0 || v > 600000) {
				fprintf(stderr, "hwkey-fido2sim: --%s: milliseconds 0..600000, not '%s'\n",
				    ch == 'd' ? "touch-delay" : ch == 'W' ? "reset-window" :
				    ch == 'D' ? "publish-delay" : "touch-timeout", optarg);
				return 2;
			}
			if (ch == 'D')
				o->publish_delay_ms = (int)v;
			else if (ch == 'W')
				o->reset_window_ms = v;
			else if (ch == 'd')
				o->touch_delay_ms = (int)v;
			else
				o->touch_timeout_ms = (int)v;
			break;
		}
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || o->socket_path == NULL || o->state_path == NULL) {
		fputs("hwkey-fido2sim: --socket and --state are required (see --help)\n", stderr);
		return 2;
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	sim_stop = 1;
}

/* Binds to a temporary name next to PATH, listens, and only then puts the
 * socket at PATH, so a client that sees the file can always connect (a
 * socket file that appears at bind() refuses connections until listen()).
 * link() rather than rename(): it fails when PATH exists meanwhile, so a sim
 * started at the same moment is never silently replaced. */
static int
listen_on(const char *path, int publish_delay_ms)
{
	struct sockaddr_un sa, tmp;
	struct stat st;
	int fd, n;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	tmp = sa;
	n = snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%ld.tmp", path, (long)getpid());
	if (strlen(path) >= sizeof(sa.sun_path) || n < 0 || (size_t)n >= sizeof(tmp.sun_path)) {
		fprintf(stderr, "hwkey-fido2sim: --socket %s: path too long (at most %zu "
		    "bytes, with room for a temporary name)\n", path,
		    sizeof(tmp.sun_path) - 1 - (size_t)(n - (int)strlen(path)));
		return -1;
	}
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		fprintf(stderr, "hwkey-fido2sim: socket: %s\n", strerror(errno));
		return -1;
	}
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			fprintf(stderr, "hwkey-fido2sim: --socket %s: another simulator "
			    "is listening there\n", path);
			close(fd);
			return -1;
		}
		unlink(path);	/* stale, from a killed run */
		close(fd);
		fd = -1;
	}
	unlink(tmp.sun_path);
	if ((fd < 0 && (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) ||
	    bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) != 0) {
		fprintf(stderr, "hwkey-fido2sim: --socket %s: %s: %s\n", path, tmp.sun_path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (publish_delay_ms > 0)
		usleep((useconds_t)publish_delay_ms * 1000);
	if (listen(fd, 8) != 0 ||
	    (link(tmp.sun_path, path) != 0 &&
	    (errno == EEXIST || rename(tmp.sun_path, path) != 0))) {
		if (errno == EEXIST)
			fprintf(stderr, "hwkey-fido2sim: --socket %s: exists (another "
			    "simulator, or not a socket)\n", path);
		else
			fprintf(stderr, "hwkey-fido2sim: --socket %s: %s\n", path, strerror(errno));
		unlink(tmp.sun_path);
		close(fd);
		return -1;
	}
	unlink(tmp.sun_path);	/* after a rename() it is gone already */
	return fd;
}

static void
serve(struct sim *s, int lfd)
{
	struct sim_conn conns[MAX_CONN];
	size_t n = 0;

	while (!sim_stop) {
		struct pollfd pfd[MAX_CONN + 1];
		int r;

		pfd[0].fd = lfd;
		pfd[0].events = n < MAX_CONN ? POLLIN : 0;
		for (size_t i = 0; i < n; i++) {
			pfd[i + 1].fd = conns[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		if ((r = poll(pfd, n + 1, -1)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = n; i-- > 0;) {
			if (pfd[i + 1].revents == 0)
				continue;
			if (sim_conn_serve_one(&conns[i]) != 0) {
				close(conns[i].fd);
				OPENSSL_cleanse(&conns[i].sess, sizeof(conns[i].sess));
				conns[i] = conns[--n];
			}
		}
		if (pfd[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				memset(&conns[n], 0, sizeof(conns[n]));
				conns[n].fd = fd;
				conns[n].sim = s;
				n++;
				/* The 3-wrong-PINs lock lasts until a power cycle
				 * (restart) or a right PIN, as on a real key; only
				 * --pin-streak-per-connection ends it on connect. */
				if (s->opt.streak_per_conn)
					s->pin_fail_streak = 0;
				sim_log(s, "connect (%zu open)", n);
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		close(conns[i].fd);
}

int
main(int argc, char **argv)
{
	struct sim s;
	struct sigaction sa;
	bool created;
	char *ca_default = NULL;
	int lfd, rc;

	memset(&s, 0, sizeof(s));
	s.start_ms = sim_now_ms();	/* "power-up", for --reset-window */
	s.log_fd = -1;
	if ((rc = parse_args(argc, argv, &s.opt)) != 0)
		return rc;
	if (s.opt.ca_dir == NULL) {
		size_t len = strlen(s.opt.state_path) + 4;
		if ((ca_default = malloc(len)) == NULL)
			return 1;
		snprintf(ca_default, len, "%s.ca", s.opt.state_path);
		s.opt.ca_dir = ca_default;
	}
	if (s.opt.log_path != NULL &&
	    (s.log_fd = open(s.opt.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "hwkey-fido2sim: --log %s: %s\n", s.opt.log_path, strerror(errno));
		return 1;
	}
	rc = 1;
	if (sim_state_load(&s, &created) != 0) {
		fprintf(stderr, "hwkey-fido2sim: --state %s: cannot read or create it "
		    "(or it is not a state file)\n", s.opt.state_path);
		goto out;
	}
	OPENSSL_cleanse(s.opt.preset_pin, sizeof(s.opt.preset_pin));
	if (sim_attest_load(&s) != 0) {
		fprintf(stderr, "hwkey-fido2sim: --ca-dir %s: cannot read or create the "
		    "attestation CA\n", s.opt.ca_dir);
		goto out;
	}
	sim_pin_reset_volatile(&s);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = listen_on(s.opt.socket_path, s.opt.publish_delay_ms)) < 0)
		goto out;
	sim_log(&s, "start state=%s%s", s.opt.state_path, created ? " (new)" : "");
	serve(&s, lfd);
	close(lfd);
	unlink(s.opt.socket_path);
	sim_log(&s, "stop");
	rc = 0;
out:
	sim_state_clear(&s.st);
	EVP_PKEY_free(s.ka_key);
	EVP_PKEY_free(s.att_key);
	free(s.att_cert);
	free(ca_default);
	if (s.log_fd >= 0)
		close(s.log_fd);
	OPENSSL_cleanse(&s, sizeof(s));
	return rc;
}
