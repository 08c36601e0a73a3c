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

/*
 * Where a write to path must land: "-" and /dev/stdout are standard output;
 * a symlink is followed to the file it names (which may not exist yet), so
 * the link survives and its target is updated, as ssh-keygen writes through
 * links. *realp is malloc'd.
 */
#define HK_FILE_LINKS_MAX 40

static int
file_resolve(const char *path, char **realp)
{
	char *cur = NULL, *nxt = NULL, *slash, target[4096];
	struct stat st;
	ssize_t n;
	int i, r;

	*realp = NULL;
	if ((cur = strdup(path)) == NULL)
		return HK_ERR_ALLOC;
	for (i = 0; i < HK_FILE_LINKS_MAX; i++) {
		if (lstat(cur, &st) == -1 || !S_ISLNK(st.st_mode)) {
			*realp = cur;
			return 0;
		}
		if ((n = readlink(cur, target, sizeof(target) - 1)) == -1) {
			r = hk_errf(HK_ERR_IO, "%s: %s", cur, strerror(errno));
			goto fail;
		}
		target[n] = '\0';
		/* A relative target is relative to the link's directory. */
		if (target[0] != '/' && (slash = strrchr(cur, '/')) != NULL) {
			if (asprintf(&nxt, "%.*s/%s", (int)(slash - cur), cur, target) == -1) {
				nxt = NULL;
				r = HK_ERR_ALLOC;
				goto fail;
			}
		} else if ((nxt = strdup(target)) == NULL) {
			r = HK_ERR_ALLOC;
			goto fail;
		}
		free(cur);
		cur = nxt;
		nxt = NULL;
	}
	r = hk_errf(HK_ERR_IO, "%s: too many levels of symbolic links", path);
 fail:
	free(cur);
	return r;
}

static int
file_write_all(int fd, const char *path, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hk_errf(HK_ERR_IO, "%s: %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A device or FIFO is written in place; replacing it would break the system. */
static int
file_write_direct(const char *path, const void *data, size_t len)
{
	int fd, r;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return hk_errf(HK_ERR_IO, "%s: %s", path, strerror(errno));
	r = file_write_all(fd, path, data, len);
	if (close(fd) == -1 && r == 0)
		r = hk_errf(HK_ERR_IO, "%s: %s", path, strerror(errno));
	return r;
}

/* Temporary file beside path, fsync, rename over it, fsync the directory. */
static int
file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = NULL, *dir = NULL, *slash;
	int fd = -1, dfd, r;

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
	if ((r = file_write_all(fd, path, data, len)) != 0)
		goto fail;
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
	/* The rename itself survives a crash only once the directory is synced. */
	slash = strrchr(tmp, '/');
	if ((dir = slash == NULL ? strdup(".") : strndup(tmp, slash == tmp ? 1 :
	    (size_t)(slash - tmp))) != NULL &&
	    (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dir);
	free(tmp);
	return 0;
 fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return r;
}

int
hk_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	struct stat st;
	char *real = NULL;
	int r;

	if (strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0) {
		if ((r = file_write_all(STDOUT_FILENO, path, data, len)) != 0)
			return r;
		return 0;
	}
	if ((r = file_resolve(path, &real)) != 0)
		return r;
	if (stat(real, &st) == -1) {
		if (errno != ENOENT)
			r = hk_errf(HK_ERR_IO, "%s: %s", path, strerror(errno));
		else
			r = file_replace(real, data, len, mode);
	} else if (S_ISREG(st.st_mode))
		r = file_replace(real, data, len, mode);
	else if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
		r = file_write_direct(real, data, len);
	else if (S_ISDIR(st.st_mode))
		r = hk_errf(HK_ERR_IO, "%s: is a directory", path);
	else
		r = hk_errf(HK_ERR_IO, "%s: not a regular file, character device or "
		    "FIFO: refusing to write there", path);
	free(real);
	return r;
}
