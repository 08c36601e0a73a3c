/* The CLI's secret entry (hk_secret_cb): a --pin SRC source, else the
 * controlling terminal with echo off, else an askpass program (OpenSSH rules). */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "cli_secret.h"
#include "err.h"
#include "secret.h"

/* Longest secret typed or printed by askpass; PINs are far shorter. */
#define CLI_SECRET_MAX	1024
/* Typing a new PIN twice: pairs that may mismatch before we give up. */
#define CLI_SECRET_TRIES	3

/*
 * Terminal state shared with the signal handler: the handler must put echo
 * back before the signal's own action (often: die) runs, or the user's shell
 * is left without echo. SIGTTIN/SIGTTOU are left alone: our own tcsetattr
 * from the background raises them, and catching them would loop.
 */
static const int tty_signals[] = { SIGALRM, SIGHUP, SIGINT, SIGPIPE, SIGQUIT,
    SIGTERM, SIGTSTP };
#define TTY_NSIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))
static struct sigaction tty_oldact[TTY_NSIGNALS];
static struct termios tty_saved, tty_noecho;
static volatile sig_atomic_t tty_fd = -1;

/* Cosmetic; async-signal-safe; a failure changes nothing. */
static void
tty_newline(int fd)
{
	ssize_t n = write(fd, "\n", 1);

	(void)n;
}

static void
tty_handler(int sig)
{
	struct sigaction self;
	sigset_t set;
	int saved_errno = errno;
	size_t i;

	for (i = 0; i < TTY_NSIGNALS; i++)
		if (tty_signals[i] == sig)
			break;
	if (i == TTY_NSIGNALS || tty_fd == -1)
		goto out;
	(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	tty_newline(tty_fd);
	/*
	 * Deliver the signal with the action it had before we prompted. It is
	 * blocked while we run, so unblock it or raise() would only leave it
	 * pending for our own handler again.
	 */
	(void)sigaction(sig, &tty_oldact[i], &self);
	sigemptyset(&set);
	sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);
	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	/* Still alive: the signal was ignored, or we were stopped and continued. */
	(void)sigaction(sig, &self, NULL);
	if (tcgetpgrp(tty_fd) == getpgrp())
		(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_noecho);
 out:
	errno = saved_errno;
}

static void
tty_signals_install(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_handler;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < TTY_NSIGNALS; i++)
		sigaddset(&sa.sa_mask, tty_signals[i]);
	sa.sa_flags = 0;	/* no SA_RESTART: read() returns EINTR */
	for (i = 0; i < TTY_NSIGNALS; i++)
		(void)sigaction(tty_signals[i], &sa, &tty_oldact[i]);
}

static void
tty_signals_restore(void)
{
	size_t i;

	for (i = 0; i < TTY_NSIGNALS; i++)
		(void)sigaction(tty_signals[i], &tty_oldact[i], NULL);
}

/* Read one line from fd into buf (NUL-terminated, no newline); *lenp its length. */
static int
read_line(int fd, char *buf, size_t size, size_t *lenp, int *eofp)
{
	size_t len = 0;
	ssize_t n;
	char c;

	*lenp = 0;
	*eofp = 0;
	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return hk_errf(HK_ERR_SECRET_SOURCE, "reading the secret: %s",
			    strerror(errno));
		if (n == 0) {
			*eofp = 1;
			break;
		}
		if (c == '\n')
			break;
		if (len + 1 >= size) {
			c = 0;
			return hk_errf(HK_ERR_SECRET_SOURCE,
			    "secret longer than %d bytes", CLI_SECRET_MAX - 1);
		}
		buf[len++] = c;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	c = 0;
	*lenp = len;
	return 0;
}

/* Prompt on /dev/tty (already open as fd) with echo off. */
static int
ask_tty(int fd, const char *prompt, struct hk_secret **secp)
{
	char buf[CLI_SECRET_MAX], line[512];
	size_t len = 0;
	int eof, r;

	if (tcgetattr(fd, &tty_saved) == -1)
		return hk_errf(HK_ERR_SYSTEM, "/dev/tty: %s", strerror(errno));
	tty_noecho = tty_saved;
	tty_noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	tty_fd = fd;
	tty_signals_install();
	if (tcsetattr(fd, TCSAFLUSH, &tty_noecho) == -1) {
		r = hk_errf(HK_ERR_SYSTEM, "/dev/tty: %s", strerror(errno));
		goto out;
	}
	/*
	 * One write, after the flush above: whoever answers at the prompt (a
	 * user, or a program watching the terminal) answers once it is whole,
	 * so the answer is never flushed away by this prompt's TCSAFLUSH.
	 */
	snprintf(line, sizeof(line), "%s: ", prompt);
	if (write(fd, line, strlen(line)) < 0) {
		r = hk_errf(HK_ERR_SYSTEM, "/dev/tty: %s", strerror(errno));
		goto out;
	}
	r = read_line(fd, buf, sizeof(buf), &len, &eof);
	tty_newline(fd);	/* the Enter was not echoed */
	if (r != 0)
		goto out;
	/* Enter alone or ^D: the user chose not to give a PIN (see cli_secret.h). */
	if (len == 0) {
		r = hk_errf(HK_ERR_CANCELLED, "no PIN entered");
		goto out;
	}
	r = hk_secret_new(buf, len, secp);
 out:
	(void)tcsetattr(fd, TCSAFLUSH, &tty_saved);
	tty_signals_restore();
	tty_fd = -1;
	hk_wipe(buf, sizeof(buf));
	return r;
}

/* Run askpass with the prompt as argv[1]; its first output line is the secret. */
static int
ask_program(const char *prog, const char *prompt, struct hk_secret **secp)
{
	char buf[CLI_SECRET_MAX];
	size_t len = 0;
	int p[2] = { -1, -1 }, status, eof, r;
	pid_t pid, w;

	if (pipe2(p, O_CLOEXEC) == -1)
		return hk_errf(HK_ERR_SYSTEM, "pipe: %s", strerror(errno));
	if ((pid = fork()) == -1) {
		r = hk_errf(HK_ERR_SYSTEM, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) == -1)
			_exit(127);
		execlp(prog, prog, prompt, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	r = read_line(p[0], buf, sizeof(buf), &len, &eof);
	close(p[0]);	/* a writer that goes on gets SIGPIPE */
	while ((w = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
		;
	if (w == -1) {
		if (r == 0)
			r = hk_errf(HK_ERR_SYSTEM, "waitpid %s: %s", prog, strerror(errno));
		goto out;
	}
	if (r != 0)
		goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		r = hk_errf(HK_ERR_SECRET_SOURCE, "askpass %s could not be run "
		    "(exit status 127)", prog);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r = hk_errf(HK_ERR_CANCELLED, "askpass %s %s %d", prog,
		    WIFEXITED(status) ? "exited with status" : "killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		goto out;
	}
	if (len == 0) {
		r = hk_errf(HK_ERR_CANCELLED, "askpass %s returned no PIN", prog);
		goto out;
	}
	r = hk_secret_new(buf, len, secp);
 out:
	hk_wipe(buf, sizeof(buf));
	return r;
}

static int
env_set(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0';
}

/* One secret from askpass or the terminal (steps 2-5 of cli_secret.h). */
static int
ask_interactive(const char *prompt, struct hk_secret **secp)
{
	const char *askpass, *req;
	int display, use_askpass = 0, fd, r;

	/* OpenSSH's readpass.c rules for SSH_ASKPASS and SSH_ASKPASS_REQUIRE. */
	askpass = env_set("SSH_ASKPASS") ? getenv("SSH_ASKPASS") : NULL;
	display = env_set("DISPLAY") || env_set("WAYLAND_DISPLAY");
	req = getenv("SSH_ASKPASS_REQUIRE");
	if (req != NULL && strcasecmp(req, "force") == 0) {
		use_askpass = 1;
		display = 1;
	} else if (req != NULL && strcasecmp(req, "prefer") == 0)
		use_askpass = display;
	else if (req != NULL && strcasecmp(req, "never") == 0)
		askpass = NULL;
	if (askpass != NULL && use_askpass)
		return ask_program(askpass, prompt, secp);

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) != -1) {
		r = ask_tty(fd, prompt, secp);
		close(fd);
		return r;
	}
	if (askpass != NULL && display)
		return ask_program(askpass, prompt, secp);
	return hk_errf(HK_ERR_PIN_REQUIRED, "%s: no terminal to ask on; give "
	    "--pin SRC (env:VAR, file:PATH or fd:N), or set SSH_ASKPASS (with "
	    "DISPLAY, or SSH_ASKPASS_REQUIRE=force)", prompt);
}

/* Say so where the user typed; stderr is the terminal's stand-in for askpass. */
static void
tell_mismatch(int tries_left)
{
	FILE *tty;

	if ((tty = fopen("/dev/tty", "we")) == NULL)
		tty = stderr;
	fprintf(tty, "The PINs do not match; %d %s left.\n", tries_left,
	    tries_left == 1 ? "try" : "tries");
	fflush(tty);
	if (tty != stderr)
		fclose(tty);
}

/* Constant time in the contents: the comparison leaks at most the lengths. */
static int
secret_equal(const struct hk_secret *a, const struct hk_secret *b)
{
	const unsigned char *pa = (const unsigned char *)hk_secret_str(a);
	const unsigned char *pb = (const unsigned char *)hk_secret_str(b);
	size_t i, n = hk_secret_len(a);
	unsigned char d = 0;

	if (n != hk_secret_len(b))
		return 0;
	for (i = 0; i < n; i++)
		d |= pa[i] ^ pb[i];
	return d == 0;
}

/* A new secret: typed twice, compared in constant time, at most CLI_SECRET_TRIES times. */
static int
ask_confirmed(const char *prompt, struct hk_secret **secp)
{
	struct hk_secret *a = NULL, *b = NULL;
	char again[256];
	int i, r;

	snprintf(again, sizeof(again), "%s (again)", prompt);
	for (i = 0; i < CLI_SECRET_TRIES; i++) {
		if ((r = ask_interactive(prompt, &a)) != 0 ||
		    (r = ask_interactive(again, &b)) != 0)
			goto out;
		if (secret_equal(a, b)) {
			*secp = a;
			a = NULL;
			r = 0;
			goto out;
		}
		hk_secret_free(a);
		hk_secret_free(b);
		a = b = NULL;
		if (i + 1 < CLI_SECRET_TRIES)
			tell_mismatch(CLI_SECRET_TRIES - i - 1);
	}
	r = hk_errf(HK_ERR_CANCELLED, "%s: the two entries did not match %d times",
	    prompt, CLI_SECRET_TRIES);
 out:
	hk_secret_free(a);
	hk_secret_free(b);
	return r;
}

int
hk_cli_secret_ask(void *arg, const char *prompt, struct hk_secret **secp)
{
	struct hk_cli_secret *cs = arg;

	*secp = NULL;
	if (prompt == NULL)
		prompt = "PIN";
	if (cs != NULL && cs->source != NULL) {
		/*
		 * Reading the same source twice would retry a PIN the token
		 * just refused (burning its retry counter), and env:/fd:
		 * cannot be read twice anyway. A new PIN from a source is
		 * read once too: the source is its own confirmation.
		 */
		if (cs->used)
			return hk_errf(HK_ERR_SECRET_SOURCE, "%s was already used "
			    "once; a refused secret is not retried from a source",
			    cs->source);
		cs->used = 1;
		return hk_secret_from_source(cs->source, secp);
	}
	if (cs != NULL && cs->confirm)
		return ask_confirmed(prompt, secp);
	return ask_interactive(prompt, secp);
}

static int
cli_ui_secret(void *arg, enum hk_ui_secret which, const char *prompt,
    struct hk_secret **secp)
{
	struct hk_cli_ui *cu = arg;

	return hk_cli_secret_ask(&cu->secret[which], prompt, secp);
}

/* The device waits for a touch: say so where the user looks (stdout may be JSON). */
static void
cli_ui_touch(void *arg, const char *prompt)
{
	(void)arg;
	fprintf(stderr, "hwkey: %s\n", prompt);
	fflush(stderr);
}

void
hk_cli_ui_init(struct hk_cli_ui *cu, const char *pin, const char *so_pin,
    const char *new_pin)
{
	memset(cu, 0, sizeof(*cu));
	cu->secret[HK_UI_SECRET_PIN].source = pin;
	cu->secret[HK_UI_SECRET_SO_PIN].source = so_pin;
	cu->secret[HK_UI_SECRET_NEW_PIN].source = new_pin;
	/* A typo in a new PIN can lock a token: ask for it twice. */
	cu->secret[HK_UI_SECRET_NEW_PIN].confirm = 1;
	cu->ui.secret = cli_ui_secret;
	cu->ui.touch = cli_ui_touch;
	cu->ui.arg = cu;
}
