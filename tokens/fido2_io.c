/* CTAPHID over a Unix stream socket: a security key forwarded into a
 * container or VM, or the software authenticator the tests drive. Each HID
 * report is 64 raw bytes on the stream, both ways; libfido2 writes a report
 * ID byte first (always 0 here) that does not go on the wire. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fido2_int.h"

#define UNIX_REPORT_LEN	64

struct unix_dev {
	int fd;
};

static void *
unix_open(const char *path)
{
	struct sockaddr_un sun;
	struct unix_dev *d;
	int fd;

	if (strncmp(path, HK_FIDO2_UNIX, strlen(HK_FIDO2_UNIX)) == 0)
		path += strlen(HK_FIDO2_UNIX);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		close(fd);
		return NULL;
	}
	d->fd = fd;
	return d;
}

static void
unix_close(void *h)
{
	struct unix_dev *d = h;

	if (d == NULL)
		return;
	close(d->fd);
	free(d);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Exactly len bytes within ms (-1: no limit), or -1. */
static int
unix_read(void *h, unsigned char *buf, size_t len, int ms)
{
	struct unix_dev *d = h;
	struct pollfd pfd;
	long long deadline = ms < 0 ? -1 : now_ms() + ms;
	size_t got = 0;
	ssize_t n;
	int wait, pr;

	if (len != UNIX_REPORT_LEN)
		return -1;
	while (got < len) {
		wait = -1;
		if (deadline >= 0 && (wait = (int)(deadline - now_ms())) < 0)
			wait = 0;
		pfd.fd = d->fd;
		pfd.events = POLLIN;
		if ((pr = poll(&pfd, 1, wait)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pr == 0)
			return -1;	/* timed out: libfido2 decides what next */
		if ((n = read(d->fd, buf + got, len - got)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0)
			return -1;	/* the device went away */
		got += (size_t)n;
	}
	return (int)len;
}

static int
unix_write(void *h, const unsigned char *buf, size_t len)
{
	struct unix_dev *d = h;
	size_t off = 1;		/* the report ID */
	ssize_t n;

	if (len != UNIX_REPORT_LEN + 1)
		return -1;
	while (off < len) {
		if ((n = send(d->fd, buf + off, len - off, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	return (int)len;
}

const fido_dev_io_t hk_fido2_unix_io = {
	.open = unix_open,
	.close = unix_close,
	.read = unix_read,
	.write = unix_write,
};
