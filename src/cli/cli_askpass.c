/* hwkey's askpass: the parent side (runs ssh or ssh-add and answers its
 * askpass requests over a private Unix socket) and the child side (hwkey
 * started by ssh as hwkey-askpass). See cli_ssh.h. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli_ssh.h"
#include "cli_token.h"
#include "err.h"

#define REQ_MAX		4096	/* kind line and prompt */
#define REPLY_MAX	1100	/* status byte and a secret */
#define ERR_TEXT_MAX	65536

static int sigchld_pipe[2] = { -1, -1 };

static void
on_sigchld(int sig)
{
	int saved = errno;

	(void)sig;
	if (sigchld_pipe[1] != -1)
		(void)!write(sigchld_pipe[1], "c", 1);
	errno = saved;
}

/* 1 when ssh asks for a PIN or passphrase (PKCS#11 "Enter PIN for 'tok': ",
 * sk "Enter PIN for ECDSA-SK key ...", ssh-add "Enter passphrase for PKCS#11"). */
static int
asks_pin(const char *prompt)
{
	const char *p;

	for (p = prompt; *p != '\0'; p++)
		if (strncasecmp(p, "PIN", 3) == 0 || strncasecmp(p, "passphrase", 10) == 0)
			return 1;
	return 0;
}

/* The prompt without the ": " ssh ends it with (hwkey's terminal entry adds its own). */
static void
trim_prompt(char *prompt)
{
	size_t n = strlen(prompt);

	while (n > 0 && (isspace((unsigned char)prompt[n - 1]) || prompt[n - 1] == ':'))
		prompt[--n] = '\0';
}

static int
send_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, c, len, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Answer one askpass connection: "1" and the secret, or "0" (refused). */
static void
serve(int fd, struct hk_cli_askpass *ap)
{
	char req[REQ_MAX + 1], *prompt, *kind;
	struct hk_secret *asked = NULL;
	const struct hk_secret *answer = NULL;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	size_t len = 0;
	ssize_t n;

	struct timeval tv = { 30, 0 };

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1 ||
	    cred.uid != geteuid())
		return;		/* not ours: no answer at all */
	/* A peer that never sends its prompt does not hold ssh's parent forever. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (len < REQ_MAX && (n = recv(fd, req + len, REQ_MAX - len, 0)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		len += (size_t)n;
	}
	req[len] = '\0';
	kind = req;
	if ((prompt = strchr(req, '\n')) == NULL)
		return;
	*prompt++ = '\0';
	trim_prompt(prompt);
	if (strcmp(kind, "none") == 0) {
		/* A notification: ssh waits for the touch, not for us. */
		fprintf(stderr, "%s\n", prompt);
		(void)send_all(fd, "1", 1);
		return;
	}
	if (asks_pin(prompt) && strcmp(kind, "confirm") != 0) {
		if (ap->pin != NULL) {
			if (ap->served++ > 0) {
				fprintf(stderr, "hwkey: ssh asked for the PIN again; not answered, "
				    "so no retry of the token's counter is spent\n");
				(void)send_all(fd, "0", 1);
				return;
			}
			answer = ap->pin;
		} else if (hk_cli_secret_ask(ap->src, prompt, &asked) == 0) {
			ap->served++;
			answer = asked;
		}
	} else if (strcmp(kind, "confirm") == 0) {
		if (hk_cli_confirm(prompt) == 1)
			(void)send_all(fd, "1", 1);
		else
			(void)send_all(fd, "0", 1);
		return;
	} else if (hk_cli_confirm(NULL) == 0) {
		/* A question for the user (a host key): the terminal answers. */
		struct hk_cli_secret tty = { 0 };

		if (hk_cli_secret_ask(&tty, prompt, &asked) == 0)
			answer = asked;
	}
	if (answer != NULL && hk_secret_len(answer) < REPLY_MAX - 1)
		(void)(send_all(fd, "1", 1) == 0 &&
		    send_all(fd, hk_secret_str(answer), hk_secret_len(answer)));
	else
		(void)send_all(fd, "0", 1);
	hk_secret_free(asked);
}

/* The running hwkey's own file, for the askpass link. */
static int
self_path(char *buf, size_t size)
{
	ssize_t n;

	if ((n = readlink("/proc/self/exe", buf, size - 1)) < 0)
		return hk_errf(HK_ERR_SYSTEM, "/proc/self/exe: %s", strerror(errno));
	buf[n] = '\0';
	return 0;
}

static void
child_exec(char *const argv[], const char *link, const char *sock, int errfd)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGQUIT, &sa, NULL);
	(void)sigaction(SIGCHLD, &sa, NULL);
	if (errfd != -1 && dup2(errfd, STDERR_FILENO) == -1)
		_exit(127);
	if (setenv("SSH_ASKPASS", link, 1) != 0 || setenv("SSH_ASKPASS_REQUIRE", "force", 1) != 0 ||
	    setenv(HK_CLI_ASKPASS_ENV, sock, 1) != 0)
		_exit(127);
	execvp(argv[0], argv);
	fprintf(stderr, "hwkey: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int
hk_cli_askpass_run(char *const argv[], struct hk_cli_askpass *ap, int *statusp,
    char **err_text)
{
	char dir[PATH_MAX - 64], sock[PATH_MAX], link[PATH_MAX], self[PATH_MAX], buf[4096];
	struct sigaction sa, old_int, old_quit, old_chld;
	struct sockaddr_un sun;
	struct hk_buf *errbuf = NULL;
	struct pollfd pf[3];
	const char *tmp = getenv("TMPDIR");
	int lfd = -1, errp[2] = { -1, -1 }, status = 0, exited = 0, r, fd;
	pid_t pid = -1;
	ssize_t n;

	*statusp = 0;
	if (err_text != NULL)
		*err_text = NULL;
	if ((r = self_path(self, sizeof(self))) != 0)
		return r;
	snprintf(dir, sizeof(dir), "%s/hwkey-askpass.XXXXXX", tmp != NULL && *tmp != '\0' ?
	    tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return hk_errf(HK_ERR_SYSTEM, "%s: %s", dir, strerror(errno));
	snprintf(sock, sizeof(sock), "%s/s", dir);
	snprintf(link, sizeof(link), "%s/" HK_CLI_ASKPASS_NAME, dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sun.sun_path)) {
		r = hk_errf(HK_ERR_SYSTEM, "%s: socket path too long (set TMPDIR shorter)", sock);
		goto out;
	}
	strcpy(sun.sun_path, sock);
	if (symlink(self, link) == -1 ||
	    (lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || listen(lfd, 8) == -1 ||
	    pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    (err_text != NULL && pipe2(errp, O_CLOEXEC) == -1)) {
		r = hk_errf(HK_ERR_SYSTEM, "askpass channel in %s: %s", dir, strerror(errno));
		goto out;
	}
	if (err_text != NULL && (errbuf = hk_buf_new()) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGCHLD, &sa, &old_chld);
	/* Like system(3): the terminal's ^C is the child's to handle. */
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	(void)sigaction(SIGINT, &sa, &old_int);
	(void)sigaction(SIGQUIT, &sa, &old_quit);
	fflush(NULL);
	if ((pid = fork()) == -1) {
		r = hk_errf(HK_ERR_SYSTEM, "fork: %s", strerror(errno));
		goto restore;
	}
	if (pid == 0)
		child_exec(argv, link, sock, errp[1]);
	if (errp[1] != -1) {
		close(errp[1]);
		errp[1] = -1;
	}
	while (!exited || errp[0] != -1) {
		pf[0].fd = lfd;
		pf[0].events = POLLIN;
		pf[1].fd = sigchld_pipe[0];
		pf[1].events = POLLIN;
		pf[2].fd = errp[0];
		pf[2].events = POLLIN;
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = hk_errf(HK_ERR_SYSTEM, "poll: %s", strerror(errno));
			break;
		}
		if (pf[1].revents & POLLIN) {
			while (read(sigchld_pipe[0], buf, sizeof(buf)) > 0)
				;
			if (!exited && waitpid(pid, &status, WNOHANG) == pid)
				exited = 1;
		}
		if (pf[2].revents & (POLLIN | POLLHUP)) {
			if ((n = read(errp[0], buf, sizeof(buf))) <= 0) {
				close(errp[0]);
				errp[0] = -1;
			} else {
				(void)!write(STDERR_FILENO, buf, (size_t)n);
				if (hk_buf_len(errbuf) + (size_t)n <= ERR_TEXT_MAX)
					(void)hk_buf_put(errbuf, buf, (size_t)n);
			}
		}
		if (!exited && (pf[0].revents & POLLIN) &&
		    (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) != -1) {
			serve(fd, ap);
			close(fd);
		}
	}
	if (!exited && waitpid(pid, &status, 0) == pid)
		exited = 1;
	*statusp = WIFEXITED(status) ? WEXITSTATUS(status) :
	    WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
	if (err_text != NULL && (*err_text = hk_buf_dup_string(errbuf)) == NULL)
		r = HK_ERR_ALLOC;
	else
		r = 0;
 restore:
	(void)sigaction(SIGINT, &old_int, NULL);
	(void)sigaction(SIGQUIT, &old_quit, NULL);
	(void)sigaction(SIGCHLD, &old_chld, NULL);
 out:
	if (lfd != -1)
		close(lfd);
	for (fd = 0; fd < 2; fd++) {
		if (sigchld_pipe[fd] != -1)
			close(sigchld_pipe[fd]);
		sigchld_pipe[fd] = -1;
		if (errp[fd] != -1)
			close(errp[fd]);
	}
	hk_buf_free(errbuf);
	unlink(sock);
	unlink(link);
	rmdir(dir);
	return r;
}

int
hk_cli_askpass_main(int argc, char **argv)
{
	const char *path = getenv(HK_CLI_ASKPASS_ENV), *kind = getenv("SSH_ASKPASS_PROMPT");
	char reply[REPLY_MAX];
	struct sockaddr_un sun;
	size_t len = 0;
	ssize_t n;
	int fd, ok;

	if (argc < 2 || path == NULL || strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "%s: hwkey's askpass answers only ssh started by "
		    "hwkey login or hwkey agent add\n", HK_CLI_ASKPASS_NAME);
		return 1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "%s: %s: %s\n", HK_CLI_ASKPASS_NAME, path, strerror(errno));
		return 1;
	}
	if (send_all(fd, kind != NULL ? kind : "", kind != NULL ? strlen(kind) : 0) != 0 ||
	    send_all(fd, "\n", 1) != 0 || send_all(fd, argv[1], strlen(argv[1])) != 0 ||
	    shutdown(fd, SHUT_WR) != 0) {
		close(fd);
		return 1;
	}
	while (len < sizeof(reply) && (n = recv(fd, reply + len, sizeof(reply) - len, 0)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	ok = len >= 1 && reply[0] == '1';
	if (ok && len > 1) {
		(void)!write(STDOUT_FILENO, reply + 1, len - 1);
		(void)!write(STDOUT_FILENO, "\n", 1);
	}
	hk_wipe(reply, sizeof(reply));
	return ok ? 0 : 1;
}
