/* hk_secret: wiped secret memory and secret sources (env:, file:, fd:). */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "secret.h"

#define HK_SECRET_MAX 4096

struct hk_secret {
	char *data;
	size_t len;
};

void
hk_secret_protect_process(void)
{
	static _Atomic int done;
	struct rlimit rl = { 0, 0 };

	if (done++ != 0)
		return;
	/* No core file and no ptrace by other users: both would copy the heap. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)setrlimit(RLIMIT_CORE, &rl);
}

void
hk_secret_wipe_env(const char *name)
{
	char *v = getenv(name);

	/* glibc's getenv points into the writable "NAME=value" string itself. */
	if (v != NULL)
		explicit_bzero(v, strlen(v));
	unsetenv(name);
}

int
hk_secret_new(const void *data, size_t len, struct hk_secret **secp)
{
	struct hk_secret *s;

	*secp = NULL;
	hk_secret_protect_process();
	if (len > HK_SECRET_MAX)
		return HK_ERR_INVALID_ARGUMENT;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->data = malloc(len + 1)) == NULL) {
		free(s);
		return HK_ERR_ALLOC;
	}
	if (len > 0)
		memcpy(s->data, data, len);
	s->data[len] = '\0';
	s->len = len;
	*secp = s;
	return 0;
}

void
hk_secret_free(struct hk_secret *s)
{
	if (s == NULL)
		return;
	hk_freezero(s->data, s->len + 1);
	hk_freezero(s, sizeof(*s));
}

const char *
hk_secret_str(const struct hk_secret *s)
{
	return s->data;
}

size_t
hk_secret_len(const struct hk_secret *s)
{
	return s->len;
}

/* Read from fd up to EOF or the first newline, into a wiped stack buffer. */
static int
secret_read_fd(int fd, const char *what, struct hk_secret **secp)
{
	char buf[HK_SECRET_MAX + 1];
	size_t len = 0;
	ssize_t n;
	int r;

	while (len < sizeof(buf)) {
		n = read(fd, buf + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = hk_errf(HK_ERR_SECRET_SOURCE, "%s: %s", what, strerror(errno));
			goto out;
		}
		if (n == 0 || buf[len] == '\n')
			break;
		len++;
	}
	if (len == sizeof(buf)) {
		r = hk_errf(HK_ERR_SECRET_SOURCE, "%s: secret longer than %d bytes",
		    what, HK_SECRET_MAX);
		goto out;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	r = hk_secret_new(buf, len, secp);
 out:
	hk_wipe(buf, sizeof(buf));
	return r;
}

int
hk_secret_from_source(const char *src, struct hk_secret **secp)
{
	struct stat st;
	const char *v;
	char *end;
	long fdnum;
	size_t len;
	int fd, r;

	*secp = NULL;
	if (strncmp(src, "env:", 4) == 0) {
		if ((v = getenv(src + 4)) == NULL)
			return hk_errf(HK_ERR_SECRET_SOURCE,
			    "environment variable %s is not set", src + 4);
		len = strlen(v);
		if (len > 0 && v[len - 1] == '\n')
			len--;
		if (len > 0 && v[len - 1] == '\r')
			len--;
		if ((r = hk_secret_new(v, len, secp)) != 0)
			return r;
		hk_secret_wipe_env(src + 4);
		return 0;
	}
	if (strncmp(src, "file:", 5) == 0) {
		if ((fd = open(src + 5, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
			return hk_errf(HK_ERR_SECRET_SOURCE, "%s: %s", src + 5,
			    strerror(errno));
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			close(fd);
			return hk_errf(HK_ERR_SECRET_SOURCE, "%s: not a regular file",
			    src + 5);
		}
		if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
			close(fd);
			return hk_errf(HK_ERR_SECRET_UNSAFE,
			    "%s: mode %04o lets group or others read it; chmod 600 it",
			    src + 5, (unsigned int)(st.st_mode & 07777));
		}
		r = secret_read_fd(fd, src + 5, secp);
		close(fd);
		return r;
	}
	if (strncmp(src, "fd:", 3) == 0) {
		errno = 0;
		fdnum = strtol(src + 3, &end, 10);
		if (src[3] == '\0' || *end != '\0' || errno != 0 || fdnum < 0 ||
		    fdnum > INT_MAX)
			return hk_errf(HK_ERR_SECRET_SOURCE, "%s: not a file descriptor", src);
		return secret_read_fd((int)fdnum, src, secp);
	}
	/* Not echoed: a PIN typed where its source belongs would land in the message. */
	return hk_errf(HK_ERR_SECRET_SOURCE,
	    "secret source is not env:VAR, file:PATH or fd:N");
}
