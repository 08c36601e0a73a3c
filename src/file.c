/* File helpers: bounded whole-file read, atomic write. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "file.h"

int
hk_file_read(const char *path, size_t max, char **datap, size_t *lenp)
{
	size_t len = 0, alloc = 0;
	char *data = NULL, *nd;
	ssize_t n;
	int fd, r;

	*datap = NULL;
	*lenp = 0;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return hk_errf(errno == ENOENT ? HK_ERR_NOT_FOUND : HK_ERR_IO,
		    "%s: %s", path, strerror(errno));
	for (;;) {
		if (alloc - len < 65536) {
			if (alloc >= max + 1) {
				r = hk_errf(HK_ERR_BUF_LIMIT, "%s: larger than %zu bytes",
				    path, max);
				goto out;
			}
			alloc = alloc == 0 ? 65536 + 1 : alloc * 2;
			if (alloc > max + 1 + 65536)
				alloc = max + 1 + 65536;
			if ((nd = realloc(data, alloc)) == NULL) {
				r = HK_ERR_ALLOC;
				goto out;
			}
			data = nd;
		}
		n = read(fd, data + len, alloc - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = hk_errf(HK_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			r = hk_errf(HK_ERR_BUF_LIMIT, "%s: larger than %zu bytes", path, max);
			goto out;
		}
	}
	if (data == NULL && (data = malloc(1)) == NULL) {
		r = HK_ERR_ALLOC;
		goto out;
	}
	data[len] = '\0';
	*datap = data;
	*lenp = len;
	data = NULL;
	r = 0;
 out:
	if (fd != STDIN_FILENO)
		close(fd);
	free(data);
	return r;
}

int
hk_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	char *tmp = NULL;
	ssize_t n;
	int fd = -1, r;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) == -1)
		return HK_ERR_ALLOC;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		r = hk_errf(HK_ERR_IO, "%s: %s", path, strerror(errno));
		free(tmp);
		return r;
	}
	if (fchmod(fd, mode) == -1) {
		r = hk_errf(HK_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = hk_errf(HK_ERR_IO, "%s: %s", path, strerror(errno));
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		r = hk_errf(HK_ERR_IO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		r = hk_errf(HK_ERR_IO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	free(tmp);
	return 0;
 fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return r;
}
