/* Whole-file reading with a size limit, and atomic writes (temp + rename) so a
 * failure never leaves a half-written output file. */
#ifndef HK_FILE_H
#define HK_FILE_H

#include <sys/types.h>
#include <stddef.h>

#define HK_FILE_MAX (256 * 1024 * 1024)

/* path "-" reads standard input. *datap is NUL-terminated (not counted in *lenp). */
int hk_file_read(const char *path, size_t max, char **datap, size_t *lenp);
/*
 * Write an output file so that a failure never leaves it half-written and
 * nothing but the file is replaced: a regular or absent file gets
 * path.tmp.XXXXXX, fsync, rename over it, fsync of the directory; a symlink
 * is followed and the file it names is replaced (the link stays); a
 * character device or FIFO (/dev/null, a pipe) is written in place; "-" and
 * /dev/stdout are standard output; a directory or anything else is refused.
 */
int hk_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

#endif /* HK_FILE_H */
